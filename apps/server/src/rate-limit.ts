import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import { appRouter } from '@tessera/api';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { normalizePath } from 'trpc-to-openapi';
import { memoryCounterStore, redisCounterStore, type CounterStore } from './rate-limit-store.js';

/** At most `max` per client address in each window of `windowSeconds`. */
export interface Limit {
  max: number;
  windowSeconds: number;
}

/**
 * Per-address limits on the unauthenticated (and password-checking) procedures. They sit on
 * top of the per-account sign-in throttle (LOGIN_MAX_ATTEMPTS), which stops guessing one
 * account's password; these stop one address from spraying many accounts, mass sign-ups,
 * mail floods and token guessing.
 */
export interface RateLimitSettings {
  /** Failed sign-ins (auth.login answered 401) per address, counted atomically. */
  signIn: Limit;
  /** auth.register calls per address. */
  register: Limit;
  /** Calls that send mail: auth.requestPasswordReset, auth.requestEmailVerification. */
  mail: Limit;
  /** Redemptions of emailed tokens: auth.resetPassword, auth.verifyEmail. */
  tokens: Limit;
  /** auth.refresh and auth.logout calls per address. */
  refresh: Limit;
  /** Calls that check the current password of a signed-in user: auth.changePassword, users.deleteMe. */
  passwordChecks: Limit;
}

/** Production defaults; see the README's security section for the reasoning. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  signIn: { max: 50, windowSeconds: 15 * 60 },
  register: { max: 10, windowSeconds: 60 * 60 },
  mail: { max: 10, windowSeconds: 60 * 60 },
  tokens: { max: 30, windowSeconds: 15 * 60 },
  refresh: { max: 300, windowSeconds: 5 * 60 },
  passwordChecks: { max: 20, windowSeconds: 15 * 60 },
};

type Bucket = keyof RateLimitSettings;

const BUCKETS: Readonly<Record<Bucket, true>> = {
  signIn: true,
  register: true,
  mail: true,
  tokens: true,
  refresh: true,
  passwordChecks: true,
};

/** Which limit each procedure counts against; procedures not listed are not limited here. */
const BUCKET_BY_PROCEDURE: Readonly<Record<string, Bucket>> = {
  'auth.login': 'signIn',
  'auth.register': 'register',
  'auth.requestPasswordReset': 'mail',
  'auth.requestEmailVerification': 'mail',
  'auth.resetPassword': 'tokens',
  'auth.verifyEmail': 'tokens',
  'auth.refresh': 'refresh',
  'auth.logout': 'refresh',
  'auth.changePassword': 'passwordChecks',
  'users.deleteMe': 'passwordChecks',
};

const TRPC_PREFIX = '/trpc/';
const REST_PREFIX = '/api';

interface Reservation {
  key: string;
  /** True when the request carried more calls than this one (a tRPC batch). */
  batched: boolean;
}

const reservations = new WeakMap<FastifyRequest, Reservation[]>();

/**
 * Registers @fastify/rate-limit (memory, or Redis when REDIS_URL is set) and one onRequest
 * hook that finds the limited procedures a request calls — on /trpc, batched or not, and
 * on their REST twins under /api — and counts each against its limit for the client address
 * (`request.ip`, which honours X-Forwarded-For only under TRUST_PROXY).
 */
export async function registerRateLimits(
  app: FastifyInstance,
  settings: Partial<RateLimitSettings>,
  redis: Redis | undefined,
): Promise<void> {
  const { Store, store } = redis ? redisCounterStore(redis) : memoryCounterStore();
  await app.register(fastifyRateLimit, { global: false, store: Store });

  const limiters: Partial<Record<Bucket, ReturnType<FastifyInstance['createRateLimit']>>> = {};
  for (const bucket of Object.keys(BUCKETS) as Bucket[]) {
    const limit = settings[bucket];
    if (!limit) continue;
    limiters[bucket] = app.createRateLimit({
      max: limit.max,
      timeWindow: limit.windowSeconds * 1000,
      keyGenerator: (request) => addressKey(bucket, request),
    });
  }

  const restPaths = restProcedurePaths();

  app.addHook('onRequest', async (request, reply) => {
    const target = limitedCalls(request, restPaths);
    if (!target) return;

    for (const procedure of target.limited) {
      const bucket = BUCKET_BY_PROCEDURE[procedure]!;
      const limiter = limiters[bucket];
      if (!limiter) continue;
      let result;
      try {
        result = await limiter(request);
      } catch (error) {
        // The counter store is down: fail open (the per-account throttle still stands) and say so.
        request.log.error({ err: error }, 'rate-limit store unavailable; request not counted');
        continue;
      }
      if (result.isAllowed) continue;
      if (bucket === 'signIn') remember(request, { key: result.key, batched: target.calls.length > 1 });
      if (result.isExceeded) return tooMany(reply, target, bucket, result.ttlInSeconds);
    }
  });

  // A sign-in slot is given back unless the attempt failed on its credentials (401): a
  // success, a bad input, or a refusal by the per-account throttle checked no password.
  // Calls in a multi-call batch keep their slot, since one status cannot speak for each.
  app.addHook('onResponse', async (request, reply) => {
    const reserved = reservations.get(request);
    if (!reserved) return;
    reservations.delete(request);
    const failedOnCredentials = reply.statusCode === 401;
    for (const { key, batched } of reserved) {
      if (reply.statusCode === 429 || (!failedOnCredentials && !batched)) await release(store, key, request);
    }
  });
}

function remember(request: FastifyRequest, reservation: Reservation): void {
  const list = reservations.get(request) ?? [];
  list.push(reservation);
  reservations.set(request, list);
}

async function release(store: CounterStore, key: string, request: FastifyRequest): Promise<void> {
  try {
    await store.release(key);
  } catch (error) {
    request.log.warn({ err: error }, 'could not give a sign-in slot back');
  }
}

/** One counter per limit and address; IPv6 addresses count per /64, as one subscriber gets. */
function addressKey(bucket: Bucket, request: FastifyRequest): string {
  return `${bucket}:${normalizeIP(request.ip || 'unknown')}`;
}

interface LimitedRequest {
  transport: 'trpc' | 'rest';
  /** Every procedure the request calls (tRPC batches call several). */
  calls: string[];
  /** The calls that count against a limit. */
  limited: string[];
  batch: boolean;
}

/** The rate-limited calls of a request, or undefined when it makes none. */
function limitedCalls(request: FastifyRequest, restPaths: Map<string, string>): LimitedRequest | undefined {
  // Every limited procedure is a mutation: tRPC refuses a GET for one, REST twins are POST.
  if (request.method !== 'POST') return undefined;
  const url = request.url;
  if (url.startsWith(TRPC_PREFIX)) {
    const query = url.indexOf('?');
    const batch = query >= 0 && new URLSearchParams(url.slice(query + 1)).get('batch') === '1';
    const path = trpcPath(request);
    if (path === undefined) return undefined;
    // Without ?batch=1 tRPC looks the whole path up as one name (a comma makes it unknown).
    const calls = batch ? path.split(',') : [path];
    const limited = calls.filter((call) => Object.hasOwn(BUCKET_BY_PROCEDURE, call));
    if (!limited.length) return undefined;
    return { transport: 'trpc', calls, limited, batch };
  }
  if (url.startsWith(`${REST_PREFIX}/`)) {
    const procedure = restPaths.get(restRouteKey(url.slice(REST_PREFIX.length)));
    if (!procedure) return undefined;
    return { transport: 'rest', calls: [procedure], limited: [procedure], batch: false };
  }
  return undefined;
}

/** The `:path` parameter exactly as the tRPC adapter reads it (already percent-decoded). */
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
 * The key trpc-to-openapi would match a REST path by: it resolves `.` and `..` segments
 * (WHATWG URL), drops one leading and trailing slash, and compares case-insensitively. We
 * normalise the same way, so `/api/AUTH/login/` or `/api/x/../auth/login` count too.
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

/** REST path (as `restRouteKey` gives it) → procedure, from the routers' own metadata. */
function restProcedurePaths(): Map<string, string> {
  const paths = new Map<string, string>();
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { meta?: { openapi?: { method: string; path: string } } } }
  >;
  for (const [name, procedure] of Object.entries(procedures)) {
    const openapi = procedure._def.meta?.openapi;
    if (!Object.hasOwn(BUCKET_BY_PROCEDURE, name) || !openapi || openapi.method !== 'POST') continue;
    paths.set(normalizePath(openapi.path).toLowerCase(), name);
  }
  return paths;
}

const MESSAGES: Record<Bucket, string> = {
  signIn: 'Too many failed sign-ins from your network',
  register: 'Too many sign-ups from your network',
  mail: 'Too many emails requested from your network',
  tokens: 'Too many link redemptions from your network',
  refresh: 'Too many session refreshes from your network',
  passwordChecks: 'Too many password checks from your network',
};

function tooMany(reply: FastifyReply, target: LimitedRequest, bucket: Bucket, retryAfterSeconds: number) {
  const seconds = Math.max(1, retryAfterSeconds);
  const minutes = Math.ceil(seconds / 60);
  const message = `${MESSAGES[bucket]}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  reply.header('Retry-After', String(seconds));
  return sendError(reply, target, 429, 'TOO_MANY_REQUESTS', message);
}

/**
 * Answers in the shape the caller's transport uses: tRPC's error envelope (one per call
 * for a batch, so the client can match them up) or the REST `{ code, message }` body.
 */
function sendError(
  reply: FastifyReply,
  target: LimitedRequest,
  status: number,
  code: 'TOO_MANY_REQUESTS',
  message: string,
) {
  reply.code(status).header('Cache-Control', 'no-store');
  if (target.transport === 'rest') return reply.send({ code, message });
  const envelope = (path: string) => ({
    error: {
      message,
      code: TRPC_ERROR_CODES_BY_KEY[code],
      data: { code, httpStatus: status, path, zodError: null, fieldErrors: null },
    },
  });
  return reply.send(target.batch ? target.calls.map(envelope) : envelope(target.calls[0] ?? ''));
}
