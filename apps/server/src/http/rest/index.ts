import { readFileSync } from 'node:fs';
import { appRouter, reasonOf, type Context, type Deps } from '@tessera/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import {
  fastifyTRPCOpenApiPlugin,
  type CreateOpenApiFastifyPluginOptions,
  type OpenApiRouter,
} from 'trpc-to-openapi';
import { recordFailure } from '../outcomes.js';
import { spendingPaths } from '../refresh-cookie.js';
import { requestInfo } from '../request-info.js';
import { DOCS_PATH, registerDocs } from './docs.js';
import { procedureErrorAnswer, refusalBody, registerRestErrorHandler } from './errors.js';
import { buildOpenApiDocument, REST_BASE } from './openapi-document.js';
import { successStatus } from './procedure-extras.js';
import { registerUserExport } from './user-export.js';

export const OPENAPI_PATH = '/openapi.json';

/** `appRouter` as trpc-to-openapi types routers (checked: no cast needed). */
const restRouter: OpenApiRouter = appRouter;

/** The version /openapi.json announces: the server package's (one level up from src/ and dist/). */
const API_VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * REST twins of the procedures under /api, their OpenAPI 3.1 document at /openapi.json and
 * an API reference at /docs — all generated from `appRouter`, so a new procedure with REST
 * metadata shows up in all three without a change here.
 */
export async function registerRest(
  app: FastifyInstance,
  deps: Deps,
  {
    publicUrlIsHttps,
    bodyLimits = {},
    admitBigBody,
  }: {
    publicUrlIsHttps: boolean;
    /** REST paths (under /api) that may send a bigger body than the app's limit, in bytes. */
    bodyLimits?: Readonly<Record<string, number>>;
    /** Asked before such a body is read: throws what the procedure would answer a caller it refuses. */
    admitBigBody?: (ctx: Context) => Promise<void>;
  },
): Promise<void> {
  const cookie = {
    paths: spendingPaths(appRouter, (_path, meta) => meta.openapi && `${REST_BASE}${meta.openapi.path}`),
    publicUrlIsHttps,
  };
  warnAboutProceduresWithoutRest(app);

  // Built by the first request for it, not at start (~80 ms of CPU every node would spend
  // before it answers /healthz); the same for every caller from then on.
  let documentJson: string | undefined;
  app.get(OPENAPI_PATH, async (_request, reply) => {
    documentJson ??= JSON.stringify(
      buildOpenApiDocument(restRouter, { title: 'Tessera API', version: API_VERSION }),
    );
    return reply
      .header('Cache-Control', 'no-cache')
      .type('application/json; charset=utf-8')
      .send(documentJson);
  });

  // Its own scope: the tRPC plugin swaps the JSON parser in its scope, and the error
  // handler and hooks below must only touch REST answers.
  await app.register(
    async (scope) => {
      registerRestErrorHandler(scope, (request) => contexts.has(request));
      rememberUrls(scope);
      acceptEmptyBodies(scope);
      const adapter = awaitAdapterReplies(scope);
      registerUserExport(scope, deps);
      scope.setNotFoundHandler((request, reply) =>
        reply.code(404).send(refusalBody(404, 'not_found', request.locale)),
      );
      await scope.register(fastifyTRPCOpenApiPlugin, {
        router: restRouter,
        // The same context as tRPC's: the adapter hands us Fastify's own request and reply.
        createContext: ({ req, res }: { req: FastifyRequest; res: FastifyReply }): Context => {
          restoreUrl(req);
          contexts.add(req);
          return { deps, request: requestInfo(req, res, cookie) };
        },
        responseMeta: ({ paths, errors }) =>
          errors.length === 0 && paths?.[0] ? { status: successStatus(paths[0]) } : {},
        onError({ error, path, req }) {
          const request = req as FastifyRequest;
          restoreUrl(request);
          recordFailure(request, path, reasonOf(error));
          if (error.code === 'INTERNAL_SERVER_ERROR')
            request.log.error({ err: error.cause ?? error, path }, 'REST procedure failed');
        },
      } satisfies CreateOpenApiFastifyPluginOptions<OpenApiRouter>);
      // The adapter serves every path from one route with the app's body limit; a path that
      // needs more gets a route of its own (static paths win) with the same handler.
      for (const [path, bodyLimit] of Object.entries(bodyLimits))
        scope.post(
          path,
          {
            bodyLimit,
            // Before a byte of the body is read; the unread body stays on the connection: close it.
            onRequest: async (request, reply) => {
              try {
                await admitBigBody?.({ deps, request: requestInfo(request, reply) });
              } catch (cause) {
                const { status, body } = procedureErrorAnswer(cause, request.locale);
                return reply.code(status).header('connection', 'close').send(body);
              }
            },
          },
          (request, reply) => adapter.handler!.call(scope, request, reply),
        );
    },
    { prefix: REST_BASE },
  );

  await registerDocs(app, OPENAPI_PATH);
}

/**
 * The adapter strips `/api` by rewriting `request.raw.url`, which is what Fastify's
 * `request.url` reads: hooks that run later (security headers, rate-limit counting, the
 * access log) would see `/auth/login`. It has parsed the URL by the time it builds the
 * context or reports an error — one of which precedes every answer — so put it back there.
 */
function restoreUrl(req: FastifyRequest): void {
  const url = originalUrls.get(req);
  if (url !== undefined) req.raw.url = url;
}

/** The REST requests the adapter made a context for (it does once it has found the procedure). */
const contexts = new WeakSet<FastifyRequest>();

/** Each REST request's URL as it arrived (Fastify's `originalUrl` is computed lazily, too late). */
const originalUrls = new WeakMap<FastifyRequest, string>();

function rememberUrls(scope: FastifyInstance): void {
  scope.addHook('onRequest', (request, _reply, done) => {
    originalUrls.set(request, request.raw.url ?? request.url);
    done();
  });
}

/**
 * The adapter's handler calls `reply.send()` and resolves with `undefined` without waiting
 * for it. When an `onSend` hook yields (the equal-timing floor on sign-ins does), Fastify
 * sees the handler done, no reply sent yet, and answers with an empty body. Returning the
 * reply from the handler is Fastify's way of saying "the answer is on its way". The wrapped
 * handler is handed back for the paths that need a route of their own (a bigger body limit).
 */
function awaitAdapterReplies(scope: FastifyInstance): { handler?: RouteHandlerMethod } {
  const adapter: { handler?: RouteHandlerMethod } = {};
  scope.addHook('onRoute', (route) => {
    const handler = route.handler;
    // Only the adapter's catch-all: our own routes send their answers themselves.
    if (!route.url.endsWith('/*')) return;
    route.handler = async function (this: FastifyInstance, request, reply) {
      await handler.call(this, request, reply);
      return reply;
    };
    adapter.handler = route.handler;
  });
  return adapter;
}

/**
 * A POST with no body at all (`curl -X POST …/auth/email/verify-request`) counts as `{}`,
 * and so does an empty JSON body: otherwise the caller gets a 415 or 400 for sending
 * nothing to an operation that needs nothing. Malformed JSON is still a 400.
 */
function acceptEmptyBodies(scope: FastifyInstance): void {
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, {});
    return parseJson(request, body as string, done);
  });
  scope.addHook('preHandler', (request, _reply, done) => {
    const takesBody = request.method === 'POST' || request.method === 'PATCH' || request.method === 'PUT';
    if (takesBody && request.body === undefined && request.headers['content-type'] === undefined) {
      request.headers = { 'content-type': 'application/json' };
      request.body = {};
    }
    done();
  });
}

function warnAboutProceduresWithoutRest(app: FastifyInstance): void {
  const procedures = restRouter._def.procedures as Record<string, { _def: { meta?: { openapi?: unknown } } }>;
  const missing = Object.entries(procedures)
    .filter(([, procedure]) => !procedure._def.meta?.openapi)
    .map(([path]) => path);
  if (missing.length)
    app.log.warn(
      { procedures: missing },
      `procedures without REST metadata: missing from ${REST_BASE}, ${OPENAPI_PATH} and ${DOCS_PATH}`,
    );
}
