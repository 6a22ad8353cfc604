import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { procedureCalls, replyWithError, type ProcedureCalls } from '../http/procedure-calls.js';
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
  for (const [bucket, limit] of Object.entries(settings) as [Bucket, Limit | undefined][]) {
    if (!limit) continue;
    limiters[bucket] = app.createRateLimit({
      max: limit.max,
      timeWindow: limit.windowSeconds * 1000,
      keyGenerator: (request) => addressKey(bucket, request),
    });
  }

  app.addHook('onRequest', async (request, reply) => {
    // Every limited procedure is a mutation: tRPC refuses a GET for one, REST twins are POST.
    if (request.method !== 'POST') return;
    const target = procedureCalls(request);
    if (!target) return;

    for (const procedure of target.calls) {
      if (!Object.hasOwn(BUCKET_BY_PROCEDURE, procedure)) continue;
      const bucket = BUCKET_BY_PROCEDURE[procedure]!;
      const limiter = limiters[bucket];
      if (!limiter) continue;
      let result;
      try {
        result = await limiter(request);
      } catch (error) {
        // The counter store is down: fail open, so a Redis outage does not take sign-in and
        // sign-up down with it, and say so loudly.
        request.log.error({ err: error }, 'rate-limit store unavailable; request not counted');
        continue;
      }
      if (result.isAllowed) continue;
      if (bucket === 'signIn') remember(request, { key: result.key, batched: target.calls.length > 1 });
      if (result.isExceeded) return tooMany(reply, target, bucket, result.ttlInSeconds);
    }
  });

  // A sign-in slot is given back unless the attempt failed (401): a success, a refusal by a
  // limit (429) or a server error checked no password against this address's budget.
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

const MESSAGES: Record<Bucket, string> = {
  signIn: 'Too many failed sign-ins from your network',
  register: 'Too many sign-ups from your network',
  mail: 'Too many emails requested from your network',
  tokens: 'Too many link redemptions from your network',
  refresh: 'Too many session refreshes from your network',
  passwordChecks: 'Too many password checks from your network',
};

function tooMany(reply: FastifyReply, target: ProcedureCalls, bucket: Bucket, retryAfterSeconds: number) {
  const seconds = Math.max(1, retryAfterSeconds);
  const minutes = Math.ceil(seconds / 60);
  const message = `${MESSAGES[bucket]}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  reply.header('Retry-After', String(seconds));
  return replyWithError(reply, target, 429, 'TOO_MANY_REQUESTS', 'rate_limited', message);
}
