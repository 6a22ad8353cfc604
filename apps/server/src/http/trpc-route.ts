import type { AnyTRPCRouter, inferRouterContext } from '@trpc/server';
import type { TRPCResponse } from '@trpc/server/rpc';
import {
  getErrorShape,
  getHTTPStatusCode,
  getProcedureAtPath,
  getTRPCErrorFromUnknown,
  TRPCError,
  type DefaultErrorShape,
  type ProcedureType,
  type RootConfig,
} from '@trpc/server/unstable-core-do-not-import';
import { apiError } from '@tessera/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { procedureCalls } from './procedure-calls.js';

export interface TrpcRouteOptions<TRouter extends AnyTRPCRouter> {
  router: TRouter;
  createContext(req: FastifyRequest, reply: FastifyReply): inferRouterContext<TRouter>;
  maxBatchSize: number;
  /** Procedures called alone that may send a bigger body than the app's limit (bytes, by procedure path). */
  bodyLimits?: Readonly<Record<string, number>>;
  /**
   * Asked before such a procedure's body is read: throws what the procedure would answer for
   * a caller who may not call it, so the bigger limit is only ever spent on one who may.
   */
  admitBigBody?(ctx: inferRouterContext<TRouter>, path: string): Promise<void>;
  onError?(opts: { error: TRPCError; path: string | undefined; req: FastifyRequest }): void;
}

/** Which HTTP method each procedure type answers, as tRPC's own handler has it (no method override). */
const METHOD_BY_TYPE: Readonly<Record<ProcedureType, string>> = {
  query: 'GET',
  mutation: 'POST',
  subscription: 'GET',
};

/**
 * Serves a router at `prefix/:path` with tRPC's HTTP protocol (plain JSON, batching with
 * `?batch=1`), answering as `fastifyTRPCPlugin` does for the queries and mutations Tessera
 * has (test/trpc-route.test.ts compares the two). It calls procedures straight from
 * Fastify's request: the official adapter turns every request into a Fetch `Request` and
 * every answer into a `Response`, which cost more CPU per call than a signed-in read itself.
 *
 * Request-level refusals (a batch too large, procedure types mixed, a malformed batch input)
 * carry their own reason and words (`batch_too_large`, `malformed_request`) where tRPC's
 * answer only says `invalid_input`. Two more deliberate differences, both security fixes:
 * - The procedure names are the ones `procedureCalls` finds, the same the rate limits and
 *   the enumeration floor count: the path is percent-decoded once, by Fastify. tRPC's own
 *   handler decodes it a second time, so `auth%252Elogin` ran `auth.login` unseen by them.
 * - Streamed answers (`trpc-accept: application/jsonl`) are refused: their status is sent
 *   before any call has run, so no hook could tell a failed sign-in from a good one.
 *   Subscriptions and form-data bodies are not served either (no procedure uses them).
 */
export async function registerTrpcRoute<TRouter extends AnyTRPCRouter>(
  app: FastifyInstance,
  prefix: string,
  options: TrpcRouteOptions<TRouter>,
): Promise<void> {
  await app.register((scope, _options, registered) => {
    // Bodies stay text until a procedure asks for its input, as in tRPC's own handler, so a
    // malformed body is that call's BAD_REQUEST, not a framework error.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'string' },
      (_req, body, done) => done(null, body),
    );
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    scope.all(`${prefix}/:path`, (req, reply) => handle(options, req, reply));
    // A static path wins over `:path`; a batch naming the procedure keeps the app's limit.
    for (const [path, bodyLimit] of Object.entries(options.bodyLimits ?? {}))
      scope.all(
        `${prefix}/${path}`,
        { bodyLimit, onRequest: (req, reply) => admitBigBody(options, path, req, reply) },
        (req, reply) => handle(options, req, reply),
      );
    registered();
  });
}

interface Call {
  path: string;
  index: number;
}

async function handle<TRouter extends AnyTRPCRouter>(
  options: TrpcRouteOptions<TRouter>,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const { router } = options;
  if (req.method === 'HEAD') return void reply.code(204).send();
  reply.header('vary', 'trpc-accept, accept');

  const target = procedureCalls(req);
  const isBatch = target?.batch ?? false;
  // Made first, so that every error answer, even one about the request as a whole, is
  // worded in the caller's language (the error formatter reads it from the context).
  const ctx = options.createContext(req, reply);
  let calls: Call[] = [];
  let type: ProcedureType | 'unknown' = 'unknown';

  try {
    if (!target) throw apiError('BAD_REQUEST', 'malformed_url');
    assertContentType(req);
    assertNotStreaming(req);
    calls = target.calls.map((path, index) => ({ path, index }));
    if (isBatch && calls.length > options.maxBatchSize) throw apiError('BAD_REQUEST', 'batch_too_large');
    const procedures = await Promise.all(calls.map((call) => getProcedureAtPath(router, call.path)));
    const types = new Set(procedures.flatMap((p) => (p ? [p._def.type] : [])));
    if (types.size > 1) throw apiError('BAD_REQUEST', 'malformed_request');
    type = types.values().next().value ?? 'unknown';
    const inputs = lazyInputs(req, isBatch, calls.length);
    const results = await Promise.all(
      calls.map(async (call): Promise<TRPCResponse> => {
        const procedure = procedures[call.index];
        try {
          if (!procedure)
            throw new TRPCError({ code: 'NOT_FOUND', message: `No procedure found on path "${call.path}"` });
          const procedureType = procedure._def.type;
          if (METHOD_BY_TYPE[procedureType] !== req.method) {
            reply.header('allow', METHOD_BY_TYPE[procedureType]);
            throw new TRPCError({
              code: 'METHOD_NOT_SUPPORTED',
              message: `Unsupported ${req.method}-request to ${procedureType} procedure at path "${call.path}"`,
            });
          }
          if (procedureType === 'subscription')
            throw new TRPCError({
              code: 'METHOD_NOT_SUPPORTED',
              message: 'Subscriptions are not served here',
            });
          const data: unknown = await procedure({
            path: call.path,
            getRawInput: () => inputs.read(call.index),
            ctx,
            type: procedureType,
            signal: undefined,
            batchIndex: call.index,
          });
          return { result: { data } };
        } catch (cause) {
          return errorResponse(
            options,
            req,
            cause,
            ctx,
            call,
            procedure?._def.type ?? 'unknown',
            inputs.peek(call.index),
          );
        }
      }),
    );
    return send(reply, isBatch ? results : results[0]!);
  } catch (cause) {
    // The request as a whole failed (bad path encoding, media type, batch size): one error answer.
    return send(reply, errorResponse(options, req, cause, ctx, undefined, type, undefined));
  }
}

/** Refuses, before a byte of it is read, the big body of a caller the procedure would refuse. */
async function admitBigBody<TRouter extends AnyTRPCRouter>(
  options: TrpcRouteOptions<TRouter>,
  path: string,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (!options.admitBigBody || req.method !== METHOD_BY_TYPE.mutation) return;
  const ctx = options.createContext(req, reply);
  try {
    await options.admitBigBody(ctx, path);
  } catch (cause) {
    // The unread body stays on the connection: close it rather than read it.
    reply.header('connection', 'close');
    return send(reply, errorResponse(options, req, cause, ctx, { path, index: 0 }, 'mutation', undefined));
  }
}

/** The root types getErrorShape needs: the router's context; error formatters extend tRPC's default shape. */
interface ErrorRoot<TRouter extends AnyTRPCRouter> {
  ctx: inferRouterContext<TRouter>;
  meta: object;
  errorShape: DefaultErrorShape;
  transformer: false;
}

function errorResponse<TRouter extends AnyTRPCRouter>(
  options: TrpcRouteOptions<TRouter>,
  req: FastifyRequest,
  cause: unknown,
  ctx: inferRouterContext<TRouter> | undefined,
  call: Call | undefined,
  type: ProcedureType | 'unknown',
  input: unknown,
): TRPCResponse {
  const error = getTRPCErrorFromUnknown(cause);
  options.onError?.({ error, path: call?.path, req });
  // AnyTRPCRouter types its config as `any`; name what it is.
  const config = options.router._def._config as unknown as RootConfig<ErrorRoot<TRouter>>;
  const shape = getErrorShape<ErrorRoot<TRouter>>({
    config,
    error,
    type,
    path: call?.path,
    input,
    ctx,
  });
  errors.set(shape, error);
  return { error: shape };
}

/** The TRPCError behind each error shape, for the status code (shapes only carry the JSON-RPC number). */
const errors = new WeakMap<object, TRPCError>();

function send(reply: FastifyReply, body: TRPCResponse | TRPCResponse[]) {
  const list = Array.isArray(body) ? body : [body];
  const status = getHTTPStatusCode(
    body,
    list.map((response) => ('error' in response ? errors.get(response.error) : undefined)),
  );
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
}

/** tRPC's streaming links ask for JSON Lines; this route answers whole JSON only. */
function assertNotStreaming(req: FastifyRequest): void {
  const accept = [req.headers['trpc-accept'], req.headers.accept].flat().join(',');
  if (accept.split(',').some((type) => type.trim() === 'application/jsonl'))
    throw apiError('BAD_REQUEST', 'streaming_not_supported');
}

/** JSON bodies only; a GET carries its input in the query string, whatever its content type says. */
function assertContentType(req: FastifyRequest): void {
  const header = req.headers['content-type'];
  const type = header?.split(';', 1)[0]?.trim().toLowerCase();
  if (type === 'application/json' || req.method === 'GET') return;
  throw new TRPCError({
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: header !== undefined ? `Unsupported content-type "${header}` : 'Missing content-type header',
  });
}

/**
 * Inputs read once, on first use, from `?input=` (GET) or the body: a malformed one fails each
 * call that asks for it, as BAD_REQUEST, the way tRPC's handler does.
 */
function lazyInputs(req: FastifyRequest, isBatch: boolean, count: number) {
  let parsed: Record<number, unknown> | undefined;
  let failure: TRPCError | undefined;
  function load(): Record<number, unknown> {
    if (parsed) return parsed;
    if (failure) throw failure;
    try {
      const query = (req.query as { input?: unknown }).input;
      // `?input=A&input=B` would parse as "A,B", past the depth limit, which saw a list.
      if (Array.isArray(query)) throw apiError('BAD_REQUEST', 'malformed_request');
      const text = req.method === 'GET' ? (query as string | undefined) : (req.body as string | undefined);
      const raw: unknown = text ? JSON.parse(text) : undefined;
      parsed = Object.create(null) as Record<number, unknown>;
      if (raw === undefined) return parsed;
      if (!isBatch) parsed[0] = raw;
      else if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw apiError('BAD_REQUEST', 'malformed_request');
      else
        for (let i = 0; i < count; i++)
          if ((raw as Record<number, unknown>)[i] !== undefined)
            parsed[i] = (raw as Record<number, unknown>)[i];
      return parsed;
    } catch (cause) {
      parsed = undefined;
      failure =
        cause instanceof TRPCError
          ? cause
          : new TRPCError({
              code: 'BAD_REQUEST',
              message: cause instanceof Error ? cause.message : 'Invalid input',
              cause,
            });
      throw failure;
    }
  }
  return {
    // tRPC's getRawInput is async; a sync failure becomes this promise's rejection.
    read: (index: number) => Promise.resolve().then(() => load()[index]),
    peek: (index: number) => parsed?.[index],
  };
}
