import { appRouter, errorMessage, type Reason, type ReasonParamsArg } from '@tessera/api';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { FastifyReply, FastifyRequest } from 'fastify';
// Declares `request.locale`.
import type {} from './language.js';
import { normalizePath } from 'trpc-to-openapi';
import { recordFailure } from './outcomes.js';

const TRPC_PREFIX = '/trpc/';
const REST_PREFIX = '/api';

/** The procedures one HTTP request calls, found before any of them runs. */
export interface ProcedureCalls {
  transport: 'trpc' | 'rest';
  /** Procedure names in call order (a tRPC batch calls several). */
  calls: string[];
  /** A tRPC batch (`?batch=1`): its answer is an array, one entry per call. */
  batch: boolean;
}

/**
 * The procedures a request calls: any on /trpc, batched or not, and the POST twins under
 * /api (the only REST operations anything here needs to recognise); undefined otherwise.
 */
export function procedureCalls(request: FastifyRequest): ProcedureCalls | undefined {
  // Asked by several hooks of one request; the answer cannot change in between.
  if (known.has(request)) return known.get(request);
  const calls = findCalls(request);
  known.set(request, calls);
  return calls;
}

const known = new WeakMap<FastifyRequest, ProcedureCalls | undefined>();

function findCalls(request: FastifyRequest): ProcedureCalls | undefined {
  const url = request.url;
  if (url.startsWith(TRPC_PREFIX)) {
    const query = url.indexOf('?');
    const batch = query >= 0 && new URLSearchParams(url.slice(query + 1)).get('batch') === '1';
    const path = trpcPath(request);
    if (path === undefined) return undefined;
    // Without ?batch=1 tRPC looks the whole path up as one name (a comma makes it unknown).
    return { transport: 'trpc', calls: batch ? path.split(',') : [path], batch };
  }
  if (request.method === 'POST' && url.startsWith(`${REST_PREFIX}/`)) {
    const procedure = REST_POST_PATHS.get(restRouteKey(url.slice(REST_PREFIX.length)));
    return procedure ? { transport: 'rest', calls: [procedure], batch: false } : undefined;
  }
  return undefined;
}

/**
 * The `:path` parameter, percent-decoded once (by Fastify's router). The /trpc route reads
 * its procedure names from here too, so what runs is what the limits counted.
 */
function trpcPath(request: FastifyRequest): string | undefined {
  const params = request.params as { path?: unknown } | undefined;
  if (typeof params?.path === 'string') return params.path;
  const pathname = request.url.slice(TRPC_PREFIX.length).split('?')[0] ?? '';
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
}

/**
 * The key trpc-to-openapi matches a REST path by: it resolves `.` and `..` segments (WHATWG
 * URL), drops one leading and trailing slash, and compares case-insensitively. Normalising
 * the same way means `/api/AUTH/login/` or `/api/x/../auth/login` are recognised too.
 */
function restRouteKey(path: string): string {
  let pathname: string;
  try {
    pathname = new URL(`http://127.0.0.1${path.startsWith('/') ? path : `/${path}`}`).pathname;
  } catch {
    return '';
  }
  return normalizePath(pathname).toLowerCase();
}

/** REST path (as `restRouteKey` gives it) → procedure, for every POST twin, from the routers' own metadata. */
const REST_POST_PATHS: ReadonlyMap<string, string> = (() => {
  const paths = new Map<string, string>();
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { meta?: { openapi?: { method: string; path: string } } } }
  >;
  for (const [name, procedure] of Object.entries(procedures)) {
    const openapi = procedure._def.meta?.openapi;
    // Paths with parameters (`/users/{id}`) are never POST twins we look for.
    if (openapi?.method === 'POST' && !openapi.path.includes('{'))
      paths.set(normalizePath(openapi.path).toLowerCase(), name);
  }
  return paths;
})();

/**
 * Answers an error in the shape the caller's transport uses: tRPC's error envelope (one per
 * call for a batch, so the client can match them up), or the REST `{ code, message }` body
 * for everything else; worded from its reason in the request's language.
 */
export function replyWithError<R extends Reason>(
  reply: FastifyReply,
  target: ProcedureCalls | undefined,
  status: number,
  code: TRPC_ERROR_CODE_KEY,
  reason: R,
  ...params: ReasonParamsArg<R>
): FastifyReply {
  const message = errorMessage(reason, reply.request.locale, params[0]);
  reply.code(status).header('Cache-Control', 'no-store');
  for (const call of target?.calls ?? [undefined]) recordFailure(reply.request, call, reason);
  if (target?.transport !== 'trpc') return reply.send({ code, message, data: { reason } });
  const envelope = (path: string) => ({
    error: {
      message,
      code: TRPC_ERROR_CODES_BY_KEY[code],
      data: { code, httpStatus: status, path, reason, zodError: null, fieldErrors: null },
    },
  });
  return reply.send(target.batch ? target.calls.map(envelope) : envelope(target.calls[0] ?? ''));
}
