import { setTimeout as sleep } from 'node:timers/promises';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allowedOrigins, type Config } from '../config.js';
import { procedureCalls, replyWithError, type ProcedureCalls } from './procedure-calls.js';
import type { SignInFloor } from '../auth/sign-in-floor.js';
import type { Counters } from '../limits/counters.js';
import { registerPasswordChecksInFlight } from '../limits/in-flight.js';
import { registerRateLimits } from '../limits/rate-limit.js';
import type { RateLimitSettings } from '../limits/rate-limit-settings.js';

export interface SecurityResources {
  /** The counters every limit uses (memory, or Redis when REDIS_URL is set). */
  counters: Counters;
  /** The least duration of a failed sign-in (it rises while imported hashes are left); ENUMERATION_FLOOR_MS without. */
  signInFloor?: SignInFloor;
}

/** The settings this module reads. */
export type SecurityConfig = Pick<Config, 'publicUrl' | 'corsOrigins'> & {
  /** A limit left out is not applied. */
  rateLimits?: Partial<RateLimitSettings>;
};

/**
 * A page policy for anything that does not set its own: only this origin, no inline script,
 * no framing. The web app's pages (web.ts) and the API reference (/docs) send their own
 * policies, which replace this one (route headers win over helmet's).
 */
const DEFAULT_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** API answers are data, never a document: nothing may load, run or frame them. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** One year, as ASVS 5.0 (3.4.1) asks; `preload` is left to whoever owns the parent domain. */
const HSTS_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

/** How long a browser may cache a CORS preflight answer. */
const CORS_MAX_AGE_SECONDS = 600;

/**
 * Response headers (helmet), the CORS allow-list and the per-address rate limits. Registered
 * before any route, so every answer — tRPC, REST, pages, 404s and errors — passes through it.
 */
export async function registerSecurity(
  app: FastifyInstance,
  config: SecurityConfig,
  resources: SecurityResources,
): Promise<void> {
  const corsOrigins = allowedOrigins(config.corsOrigins);

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: DEFAULT_CSP_DIRECTIVES },
    // HSTS only means something over TLS. PUBLIC_URL is the origin people use, so it decides,
    // even when TLS ends at a proxy in front of us.
    strictTransportSecurity: config.publicUrl.startsWith('https://')
      ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true, preload: false }
      : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });

  // Bearer tokens, not cookies, carry identity: credentials are never allowed, so the
  // allow-list can never turn into "any site may act as the signed-in user".
  await app.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && corsOrigins.has(origin)),
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after'],
    credentials: false,
    maxAge: CORS_MAX_AGE_SECONDS,
  });

  // The in-flight bound first: it needs no counter, and a request it refuses takes no slot.
  registerPasswordChecksInFlight(app, config.rateLimits?.passwordChecksInFlight);
  registerRateLimits(app, config.rateLimits ?? {}, resources.counters);
  registerEqualTiming(app, resources.signInFloor);
  registerDepthLimit(app);

  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.removeHeader('X-Powered-By');
    if (isApiPath(request.url)) {
      // API answers are per-caller and often carry tokens: never cache them.
      reply.header('Cache-Control', 'no-store');
      reply.header('Content-Security-Policy', API_CSP);
    }
  });
}

/**
 * The least time, from the first byte of the request, before a failed sign-in or any
 * password-reset request is answered. Both do different work for known and unknown
 * emails (a reset request queues a mail in a transaction only for a known one; a failed
 * sign-in also counts the failure on a known account), and that difference would show in
 * response times. Padded to a floor above their normal duration, both take the same time;
 * it also slows guessing a little, and costs a waiting socket, not a thread.
 */
export const ENUMERATION_FLOOR_MS = 200;

/** An overrun shorter than this is scheduling noise, not worth a log line. */
const FLOOR_OVERRUN_NOTICE_MS = 20;

function registerEqualTiming(app: FastifyInstance, signInFloor: SignInFloor | undefined): void {
  const started = new WeakMap<FastifyRequest, { at: number; target: ProcedureCalls }>();
  app.addHook('onRequest', (request, _reply, done) => {
    const target = procedureCalls(request);
    if (target?.calls.some((call) => call === 'auth.login' || call === 'auth.requestPasswordReset'))
      started.set(request, { at: performance.now(), target });
    done();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const start = started.get(request);
    if (!start || !needsFloor(start.target, reply.statusCode)) return payload;
    started.delete(request);
    const signsIn = start.target.calls.includes('auth.login');
    const floor = signsIn && signInFloor ? await signInFloor.floorMs() : ENUMERATION_FLOOR_MS;
    const wait = start.at + floor - performance.now();
    if (wait > 0) await sleep(wait);
    // Its own work outlasted the floor, so this answer's timing may tell (a machine far busier
    // than when the floor was measured): worth an operator's eye when it recurs.
    else if (wait < -FLOOR_OVERRUN_NOTICE_MS)
      request.log.warn(
        { floorMs: floor, overrunMs: Math.round(-wait) },
        'a failed sign-in outlasted its timing floor',
      );
    return payload;
  });
}

/**
 * A successful sign-in may be fast (it proves the account exists by succeeding); so may a
 * refusal by a rate limit or a 5xx, which are the same whoever the email belongs to.
 */
function needsFloor({ calls, batch }: ProcedureCalls, status: number): boolean {
  if (status === 429 || status >= 500) return false;
  if (calls.includes('auth.requestPasswordReset')) return true;
  return batch || status !== 200;
}

/**
 * How deeply a request's JSON may nest. No input of ours goes past three levels; a body
 * nested thousands deep parses fine but overflows the stack of whatever walks it next
 * (the REST adapter re-serialises bodies), which would be a 500 instead of a 400.
 */
export const MAX_JSON_DEPTH = 32;

function registerDepthLimit(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    // tRPC bodies arrive as text (its own parser), REST bodies as parsed JSON; a tRPC query
    // carries its input in the query string.
    const query = request.query as { input?: unknown } | undefined;
    const input = request.method === 'GET' ? query?.input : request.body;
    if (input === undefined || input === null || !nestedDeeperThan(input, MAX_JSON_DEPTH)) return;
    return replyWithError(reply, procedureCalls(request), 400, 'BAD_REQUEST', 'input_too_deep', {
      maxDepth: MAX_JSON_DEPTH,
    });
  });
}

/** Whether JSON text, or a parsed value, nests arrays and objects deeper than `limit`; never recursive. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value === 'string') {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (inString) {
        if (c === 0x5c)
          i++; // backslash: skip the escaped character
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > limit) return true;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    return false;
  }
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(node))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function isApiPath(url: string): boolean {
  return url.startsWith('/trpc') || url.startsWith('/api/');
}
