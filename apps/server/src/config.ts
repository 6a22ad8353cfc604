import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { locales, roles, type Role } from '@tessera/api/shared';
import { z } from 'zod';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './limits/rate-limit-settings.js';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

const int = (fallback: number, min: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .max(max)
    .optional()
    .transform((v) => v ?? fallback);

const url = (protocols: RegExp) =>
  z
    .string()
    .url()
    .refine((v) => protocols.test(new URL(v).protocol), 'has an unsupported protocol')
    .optional();

/** A PEM that node:crypto reads as an Ed25519 key of the given kind. */
const pem = (kind: 'private' | 'public') =>
  z.string().refine(
    (value) => {
      try {
        const key = kind === 'private' ? createPrivateKey(value) : createPublicKey(value);
        return key.asymmetricKeyType === 'ed25519';
      } catch {
        return false;
      }
    },
    `must be an Ed25519 ${kind} key in PEM form${kind === 'private' ? ' (PKCS8)' : ''}`,
  );

function isAddressOrCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length || !address || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(address) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}

/**
 * Hashes that may wait per hash running, when ARGON2_MAX_QUEUE is unset. At the default cost
 * (~10 ms a hash here) a full line clears in about half a second; past it, sign-ins get 503.
 */
export const ARGON2_QUEUE_PER_SLOT = 50;

/** Every environment variable Tessera reads, with its default. Nothing else reads process.env. */
const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(/^postgres(ql)?:$/),
  DATABASE_POOL_MAX: int(10, 1, 200),
  // Unset: each connection finds out whether a pooler sits in between (prepared-statements.ts).
  DATABASE_PREPARED_STATEMENTS: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  SMTP_URL: url(/^smtps?:$/),
  MAIL_FROM: z.string().min(3).default('Tessera <no-reply@localhost>'),
  JWT_PRIVATE_KEY: pem('private').optional(),
  JWT_PREVIOUS_PUBLIC_KEY: pem('public').optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().min(1).default('tessera'),
  REDIS_URL: url(/^rediss?:$/),
  ADMIN_EMAIL: z.string().trim().toLowerCase().pipe(z.email()).optional(),
  ADMIN_PASSWORD: z.string().optional(),
  TRUST_PROXY: z
    .string()
    .default('false')
    .refine(
      (v) =>
        ['true', 'false', '1', '0'].includes(v) || v.split(',').every((part) => isAddressOrCidr(part.trim())),
      'must be true, false, or a comma-separated list of IP addresses/CIDRs',
    ),
  CORS_ORIGINS: z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      try {
        allowedOrigins(splitList(value));
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MIGRATE_ON_START: bool(true),
  ACCESS_TOKEN_TTL_SECONDS: int(900, 1, 86_400),
  REFRESH_TOKEN_TTL_SECONDS: int(30 * 86_400, 1, 365 * 86_400),
  REFRESH_REUSE_GRACE_SECONDS: int(10, 0, 10),
  RESET_TOKEN_TTL_SECONDS: int(1800, 1, 86_400),
  VERIFICATION_TOKEN_TTL_SECONDS: int(86_400, 1, 30 * 86_400),
  INVITE_TOKEN_TTL_SECONDS: int(7 * 86_400, 1, 30 * 86_400),
  LOGIN_MAX_ATTEMPTS: int(10, 1, 1000),
  LOGIN_WINDOW_SECONDS: int(900, 1, 86_400),
  RATE_LIMIT_SIGN_IN: int(DEFAULT_RATE_LIMITS.signIn.max, 1, 1_000_000),
  RATE_LIMIT_REGISTER: int(DEFAULT_RATE_LIMITS.register.max, 1, 1_000_000),
  RATE_LIMIT_MAIL: int(DEFAULT_RATE_LIMITS.mail.max, 1, 1_000_000),
  RATE_LIMIT_TOKENS: int(DEFAULT_RATE_LIMITS.tokens.max, 1, 1_000_000),
  RATE_LIMIT_REFRESH: int(DEFAULT_RATE_LIMITS.refresh.max, 1, 1_000_000),
  RATE_LIMIT_PASSWORD_CHECKS: int(DEFAULT_RATE_LIMITS.passwordChecks.max, 1, 1_000_000),
  RATE_LIMIT_PASSWORD_CHECKS_IN_FLIGHT: int(DEFAULT_RATE_LIMITS.passwordChecksInFlight, 1, 1_000_000),
  MAIL_MAX_ATTEMPTS: int(10, 1, 100),
  MAIL_RETRY_BASE_MS: int(5_000, 10, 3_600_000),
  MAIL_POLL_INTERVAL_MS: int(1_000, 10, 60_000),
  MAIL_RETENTION_HOURS: int(168, 1, 87_600),
  MAIL_FAILED_RETENTION_HOURS: int(720, 1, 87_600),
  LIST_QUERY_TIMEOUT_MS: int(2_000, 1, 60_000),
  // Compared in constant time; long and printable so it can travel as a bearer token.
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .min(16, 'must be at least 16 characters')
    .max(512)
    .optional(),
  PASSWORD_MIN_LENGTH: int(15, 8, 256),
  DEFAULT_LOCALE: z.enum(locales).default('en'),
  /** Roles whose members must set up a second factor before doing anything else. */
  MFA_REQUIRED_ROLES: z
    .string()
    .default('')
    .refine(
      (v) => splitList(v).every((role) => (roles as readonly string[]).includes(role)),
      `must be a comma-separated list of roles (${roles.join(', ')})`,
    ),
  WEBHOOK_MAX_ATTEMPTS: int(8, 1, 100),
  WEBHOOK_RETRY_BASE_MS: int(5_000, 10, 3_600_000),
  WEBHOOK_ALLOW_PRIVATE: bool(false),
  WEBHOOK_POLL_INTERVAL_MS: int(1_000, 10, 60_000),
  /** Requests per minute one API key may make. */
  API_KEY_RATE_LIMIT: int(600, 1, 1_000_000),
  REGISTRATION_OPEN: bool(true),
  ARGON2_MEMORY_KIB: int(19_456, 8_192, 1_048_576),
  ARGON2_TIME_COST: int(2, 1, 20),
  ARGON2_PARALLELISM: int(1, 1, 16),
  ARGON2_MAX_CONCURRENCY: int(2, 1, 64),
  /** Unset: ARGON2_QUEUE_PER_SLOT per concurrent hash. */
  ARGON2_MAX_QUEUE: z.coerce.number().int().min(0).max(100_000).optional(),
  WEB_DIST: z.string().optional(),
  /** OTLP/HTTP collector; unset, no tracing code is even loaded. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(/^https?:$/),
});

/** Every setting's name: the variables .env.example and the README list (a test holds them to it). */
export const SETTING_NAMES: readonly string[] = Object.keys(envSchema.shape);

export type Config = ReturnType<typeof parseConfig>;

/** Thrown for a bad setting; the message names each offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the settings once; a bad value stops start-up naming the variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env) {
  // An empty variable means "not set", as in most deployment tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.ADMIN_EMAIL && !e.ADMIN_PASSWORD)
    throw new ConfigError('Invalid configuration:\n  ADMIN_PASSWORD: required when ADMIN_EMAIL is set');
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const dataDir = resolve(e.DATA_DIR);
  const languages = { supported: locales, default: e.DEFAULT_LOCALE };
  const mfaRequiredRoles = splitList(e.MFA_REQUIRED_ROLES) as Role[];
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    database: {
      url: e.DATABASE_URL,
      dataDir: resolve(dataDir, 'pglite'),
      poolMax: e.DATABASE_POOL_MAX,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    migrateOnStart: e.MIGRATE_ON_START,
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      dir: resolve(dataDir, 'mail'),
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
      retryBaseMs: e.MAIL_RETRY_BASE_MS,
      pollIntervalMs: e.MAIL_POLL_INTERVAL_MS,
      retentionHours: e.MAIL_RETENTION_HOURS,
      failedRetentionHours: e.MAIL_FAILED_RETENTION_HOURS,
    },
    /** Bearer token /metrics asks for; unset, /metrics is not served at all. */
    metricsToken: e.METRICS_TOKEN,
    /** statement_timeout of users.list queries (PostgreSQL; PGlite has no timer to enforce it). */
    listQueryTimeoutMs: e.LIST_QUERY_TIMEOUT_MS,
    jwt: {
      privateKeyPem: e.JWT_PRIVATE_KEY,
      previousPublicKeyPem: e.JWT_PREVIOUS_PUBLIC_KEY,
      keyFile: resolve(dataDir, 'jwt-ed25519.pem'),
      issuer: e.JWT_ISSUER ?? publicUrl,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    },
    auth: {
      publicUrl,
      passwordMinLength: e.PASSWORD_MIN_LENGTH,
      registrationOpen: e.REGISTRATION_OPEN,
      defaultLocale: e.DEFAULT_LOCALE,
      verificationTokenTtlSeconds: e.VERIFICATION_TOKEN_TTL_SECONDS,
      inviteTokenTtlSeconds: e.INVITE_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
      refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
      loginMaxAttempts: e.LOGIN_MAX_ATTEMPTS,
      loginWindowSeconds: e.LOGIN_WINDOW_SECONDS,
      resetTokenTtlSeconds: e.RESET_TOKEN_TTL_SECONDS,
      // meta.settings shows these; passkeys are always offered.
      locales: languages,
      mfaRequiredRoles,
      passkeys: true,
      // The same two limits as below, for the calls the services count (an email change).
      addressLimits: {
        mail: { ...DEFAULT_RATE_LIMITS.mail, max: e.RATE_LIMIT_MAIL },
        passwordChecks: { ...DEFAULT_RATE_LIMITS.passwordChecks, max: e.RATE_LIMIT_PASSWORD_CHECKS },
      },
      apiKeyLimit: { max: e.API_KEY_RATE_LIMIT, windowSeconds: 60 },
    },
    argon2: {
      memoryCost: e.ARGON2_MEMORY_KIB,
      timeCost: e.ARGON2_TIME_COST,
      parallelism: e.ARGON2_PARALLELISM,
      maxConcurrency: e.ARGON2_MAX_CONCURRENCY,
      maxQueue: e.ARGON2_MAX_QUEUE ?? ARGON2_QUEUE_PER_SLOT * e.ARGON2_MAX_CONCURRENCY,
    },
    locales: languages,
    mfa: { requiredRoles: mfaRequiredRoles },
    webhooks: {
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
    },
    redisUrl: e.REDIS_URL,
    admin:
      e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    corsOrigins: splitList(e.CORS_ORIGINS),
    /** Per-address limits (see rate-limit.ts); a limit left out of a test config is not applied. */
    rateLimits: {
      signIn: { ...DEFAULT_RATE_LIMITS.signIn, max: e.RATE_LIMIT_SIGN_IN },
      register: { ...DEFAULT_RATE_LIMITS.register, max: e.RATE_LIMIT_REGISTER },
      mail: { ...DEFAULT_RATE_LIMITS.mail, max: e.RATE_LIMIT_MAIL },
      tokens: { ...DEFAULT_RATE_LIMITS.tokens, max: e.RATE_LIMIT_TOKENS },
      refresh: { ...DEFAULT_RATE_LIMITS.refresh, max: e.RATE_LIMIT_REFRESH },
      passwordChecks: { ...DEFAULT_RATE_LIMITS.passwordChecks, max: e.RATE_LIMIT_PASSWORD_CHECKS },
      passwordChecksInFlight: e.RATE_LIMIT_PASSWORD_CHECKS_IN_FLIGHT,
    } as Partial<RateLimitSettings>,
    logLevel: e.LOG_LEVEL,
    /** Where traces go over OTLP/HTTP; undefined: tracing is off. */
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    webDist: e.WEB_DIST,
  };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Fastify's `trustProxy`: false, true, or a list of addresses/CIDRs. */
function parseTrustProxy(value: string): boolean | string[] {
  if (value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
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
