import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { ConfigError, type Config } from './config.js';
import { DEFAULT_RATE_LIMITS, registerRateLimits, type RateLimitSettings } from './rate-limit.js';

export { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './rate-limit.js';

export interface SecurityResources {
  /** Shared counter store when REDIS_URL is set. */
  redis: Redis | undefined;
}

/** The settings this module reads. */
export type SecurityConfig = Pick<Config, 'publicUrl' | 'corsOrigins'> & { rateLimits?: RateLimitSettings };

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

/**
 * Until config.ts reads the RATE_LIMIT_* settings, only the failed-sign-in limit is on: it is
 * the one that leaves honest traffic alone (successes give their slot back), while sign-up
 * or refresh limits at production values would trip the test suites and the benchmark,
 * which drive everything from one address.
 */
const UNCONFIGURED_RATE_LIMITS: Partial<RateLimitSettings> = { signIn: DEFAULT_RATE_LIMITS.signIn };

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

  await registerRateLimits(app, config.rateLimits ?? UNCONFIGURED_RATE_LIMITS, resources.redis);

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

function isApiPath(url: string): boolean {
  return url.startsWith('/trpc') || url.startsWith('/api/');
}

/**
 * CORS_ORIGINS as exact origins. A wildcard, `null` (sandboxed frames, file: pages) or an
 * entry with a path would widen or break the allow-list, so they stop start-up instead.
 */
export function allowedOrigins(entries: readonly string[]): Set<string> {
  const origins = new Set<string>();
  const problems: string[] = [];
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    const isOrigin =
      url !== undefined &&
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      (url.pathname === '/' || url.pathname === '') &&
      !url.search &&
      !url.hash &&
      !url.username &&
      !entry.includes('*');
    if (isOrigin) origins.add(url!.origin);
    else problems.push(entry);
  }
  if (problems.length)
    throw new ConfigError(
      `Invalid configuration:\n  CORS_ORIGINS: ${problems.map((p) => JSON.stringify(p)).join(', ')} ${problems.length === 1 ? 'is not an origin' : 'are not origins'} (expected e.g. https://app.example.com; wildcards are not allowed)`,
    );
  return origins;
}
