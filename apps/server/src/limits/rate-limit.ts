import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { procedureCalls, replyWithError, type ProcedureCalls } from '../http/procedure-calls.js';
import { addressBudget } from './client-address.js';
import type { Counters } from './counters.js';
import type { RateLimitSettings } from './rate-limit-settings.js';

/** The windowed limits, counted in the shared counters. */
type Bucket = Exclude<keyof RateLimitSettings, 'passwordChecksInFlight'>;

/** Which limit each procedure counts against; procedures not listed are not limited here. */
const BUCKET_BY_PROCEDURE: Readonly<Record<string, Bucket>> = {
  'auth.login': 'signIn',
  'auth.verifyMfa': 'signIn',
  'auth.passkeyLogin': 'signIn',
  'auth.passkeyOptions': 'refresh',
  'auth.register': 'register',
  'auth.requestPasswordReset': 'mail',
  'auth.requestEmailVerification': 'mail',
  'auth.resetPassword': 'tokens',
  'auth.verifyEmail': 'tokens',
  'auth.refresh': 'refresh',
  'auth.logout': 'refresh',
  'auth.changePassword': 'passwordChecks',
  'users.deleteMe': 'passwordChecks',
  'mfa.totpSetup': 'passwordChecks',
  'mfa.totpDisable': 'passwordChecks',
  'mfa.regenerateRecoveryCodes': 'passwordChecks',
};

/** The limit a procedure counts against, if any (the metrics label refusals with it). */
export function bucketOf(procedure: string): Bucket | undefined {
  return Object.hasOwn(BUCKET_BY_PROCEDURE, procedure) ? BUCKET_BY_PROCEDURE[procedure] : undefined;
}

/** Sign-in slots a request holds until its answer shows whether it failed on credentials. */
interface SignInSlots {
  key: string;
  points: number;
}

/**
 * One onRequest hook finds the limited procedures a request calls — on /trpc, batched or not,
 * and their REST twins under /api — and counts them against their limits for the client
 * address (`request.ip`, which honours X-Forwarded-For only under TRUST_PROXY; IPv6 per /64),
 * in the shared counters (memory, or Redis under REDIS_URL). A request over a limit is
 * answered 429 before any of it runs.
 */
export function registerRateLimits(
  app: FastifyInstance,
  settings: Partial<RateLimitSettings>,
  counters: Counters,
): void {
  const signInSlots = new WeakMap<FastifyRequest, SignInSlots>();

  app.addHook('onRequest', async (request, reply) => {
    // Every limited procedure is a mutation: tRPC refuses a GET for one, REST twins are POST.
    if (request.method !== 'POST') return;
    const target = procedureCalls(request);
    if (!target) return;
    const address = addressBudget(request.ip);
    for (const [bucket, calls] of callsPerBucket(target.calls, settings)) {
      const limit = settings[bucket]!;
      const key = `rate-limit:${bucket}:${address}`;
      // A batch takes all its calls' slots at once, and is refused whole if they do not fit.
      const { count, resetInSeconds } = await counters.add(key, calls, limit.windowSeconds);
      // Every sign-in takes its slot before its password is checked, so parallel guesses
      // cannot all slip past the limit; onSend gives back those that did not fail.
      if (bucket === 'signIn') signInSlots.set(request, { key, points: calls });
      if (count > limit.max) return tooMany(reply, target, bucket, resetInSeconds);
    }
  });

  // The give-back is decided where the status is known, in onSend, which runs for every
  // answer — also when the client has already gone (onResponse does not run then, and an
  // abandoned sign-in would keep its slot). A slot stays taken only when the attempt failed
  // on its credentials: 401, or 207 (a batch whose calls answered differently, which one
  // status cannot speak for). A success, a refusal by a limit (429), an aborted upload (400)
  // or a server error checked no password against this address's budget.
  app.addHook('onSend', async (request, reply, payload) => {
    const slots = signInSlots.get(request);
    if (!slots) return payload;
    signInSlots.delete(request);
    const status = reply.statusCode;
    if (status === 401 || status === 207) return payload;
    await counters.giveBack(slots.key, slots.points);
    return payload;
  });
}

/** How many calls of a request count against each configured limit. */
function callsPerBucket(calls: string[], settings: Partial<RateLimitSettings>): Map<Bucket, number> {
  const counts = new Map<Bucket, number>();
  for (const procedure of calls) {
    if (!Object.hasOwn(BUCKET_BY_PROCEDURE, procedure)) continue;
    const bucket = BUCKET_BY_PROCEDURE[procedure]!;
    if (settings[bucket]) counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return counts;
}

function tooMany(reply: FastifyReply, target: ProcedureCalls, bucket: Bucket, retryAfterSeconds: number) {
  const seconds = Math.max(1, retryAfterSeconds);
  reply.header('Retry-After', String(seconds));
  // The message names what was counted (its words: the error catalogue's `rate_limited`).
  return replyWithError(reply, target, 429, 'TOO_MANY_REQUESTS', 'rate_limited', {
    retryAfterSeconds: seconds,
    what: bucket,
  });
}
