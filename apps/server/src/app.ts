import { existsSync } from 'node:fs';
import { appRouter, type Context, type Deps } from '@tessera/api';
import {
  createStores,
  createTransact,
  isDatabaseUnavailable,
  migrateToLatest,
  migrationsApplied,
  openDatabase,
  type DatabaseHandle,
} from '@tessera/db';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { createAccessTokens } from './auth/access-tokens.js';
import type { Config } from './config.js';
import { ensureFirstAdmin } from './ops/first-admin.js';
import { agreeOnSigningKey } from './auth/key-agreement.js';
import { deriveMailKey, deriveRefreshTokenKey, loadSigningKeys } from './auth/keys.js';
import { refreshTokenDeriver } from './auth/refresh-tokens.js';
import { startOutboxWorker, type OutboxWorker } from './mail/outbox-worker.js';
import { createMailTransport } from './mail/transport.js';
import { registerMetrics } from './ops/metrics.js';
import { createPasswordHasher } from './auth/password-hasher.js';
import { registerLanguage } from './http/language.js';
import { requestInfo } from './http/request-info.js';
import {
  answerErrorsInShape,
  frameworkErrors,
  originForm,
  refuseBodiesOnReads,
} from './http/request-guards.js';
import { registerRest } from './http/rest/index.js';
import { registerSecurity } from './http/security.js';
import { registerTrpcRoute } from './http/trpc-route.js';
import { counterThrottle, memoryCounters, redisCounters } from './limits/counters.js';
import { registerWeb } from './http/web.js';

export interface AppOverrides {
  /** An already open database (tests); otherwise one is opened from the config. */
  database?: DatabaseHandle;
  /** A clock for tests that travel in time. */
  now?: () => number;
  /** Where log lines go instead of stdout (tests read them back). */
  logStream?: NodeJS.WritableStream;
}

/** Largest request body we read; anything bigger is answered 413 before it is parsed. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Calls one tRPC batch may hold. */
const MAX_BATCH_SIZE = 10;

/**
 * Fastify answers 414 to a route parameter longer than this (its default is 100). A tRPC
 * batch is one parameter, the procedure names joined by commas: room for the batch cap of
 * the longest names, and one more, so an oversized batch gets tRPC's own clear refusal.
 */
const MAX_PARAM_LENGTH =
  (Math.max(...Object.keys(appRouter._def.procedures).map((name) => name.length)) + 1) * (MAX_BATCH_SIZE + 1);

/**
 * Builds the whole server: database, keys, ports, tRPC at /trpc and the operational
 * endpoints. It never listens (main.ts does); everything it opens closes in `onClose`.
 */
export async function buildApp(config: Config, overrides: AppOverrides = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.token'],
        censor: '[redacted]',
      },
      serializers: {
        // Never the query string: a form posted by GET would put a password in the log.
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: req.url.split('?')[0],
          host: req.host,
          remoteAddress: req.ip,
        }),
      },
      ...(overrides.logStream ? { stream: overrides.logStream } : {}),
    },
    trustProxy: config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors(config.locales),
    rewriteUrl: originForm,
  });
  registerLanguage(app, config.locales);
  answerErrorsInShape(app);
  refuseBodiesOnReads(app);

  const database =
    overrides.database ??
    (await openDatabase({
      ...config.database,
      onError: (err) =>
        app.log.error({ err }, 'database connection lost while idle; the pool opens a new one'),
    }));
  if (config.migrateOnStart) await migrateToLatest(database.db);
  const keys = await loadSigningKeys(config.jwt);
  const keyAgreement = await agreeOnSigningKey(app, database, keys, config.jwt.privateKeyPem === undefined);

  // One store for every limit and the sign-in throttle; it outlives a Redis outage (counters.ts).
  const counters = config.redisUrl ? await redisCounters(config.redisUrl, app.log) : memoryCounters();

  const mailKey = deriveMailKey(keys);
  const now = overrides.now ?? Date.now;
  const deps: Deps = {
    stores: createStores(database.db, { mailKey, listTimeoutMs: config.listQueryTimeoutMs }),
    transact: createTransact(database.db, {
      mailKey,
      listTimeoutMs: config.listQueryTimeoutMs,
      onRetry: (code) =>
        app.log.warn({ code }, 'transaction retried after a deadlock or serialization failure'),
    }),
    hasher: createPasswordHasher(config.argon2),
    accessTokens: createAccessTokens({
      keys,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTtlSeconds,
      now,
    }),
    clock: { now: () => new Date(now()) },
    throttle: counterThrottle(counters),
    refreshTokens: refreshTokenDeriver(deriveRefreshTokenKey(keys)),
    settings: config.auth,
    isUnavailable: isDatabaseUnavailable,
  };
  app.decorate('deps', deps);
  if (config.admin && (await ensureFirstAdmin(deps, config.admin)) === 'created')
    app.log.info({ email: config.admin.email }, 'created the first admin from ADMIN_EMAIL');

  const transport = createMailTransport(config.mail, app.log);
  const outbox = startOutboxWorker({
    db: database.db,
    transport,
    mailKey,
    log: app.log,
    now,
    ready: keyAgreement.ready,
    ...config.mail,
  });
  app.decorate('outbox', outbox);
  app.addHook('onClose', async () => {
    // Order matters: the worker needs the database until it has stopped.
    await outbox.stop();
    transport.close();
    await database.close();
    await counters.close();
  });

  await registerSecurity(app, config, { counters });
  registerMetrics(app, database.db, config.metricsToken);

  await registerTrpcRoute(app, '/trpc', {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: (req, reply): Context => ({ deps, request: requestInfo(req, reply) }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        app.log.error({ err: error.cause ?? error, path }, 'procedure failed');
    },
  });

  await registerRest(app, deps);

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(database.db);
      if (!(await migrationsApplied(database.db)))
        return reply.code(503).send({ status: 'migrations pending' });
      const agreement = await keyAgreement.check();
      if (agreement !== 'agreed')
        return reply.code(503).send({
          status: agreement === 'refused' ? 'signing key mismatch' : 'signing key not checked',
        });
      return { status: 'ready', database: database.engine };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Public keys, for any service or page to verify tokens: readable from every origin.
    reply.headers({
      'Cache-Control': 'public, max-age=300',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    return keys.jwks;
  });

  const webDist = config.webDist ?? defaultWebDist();
  if (webDist && existsSync(webDist)) await registerWeb(app, webDist);

  return app;
}

/** The web app's production build, next to this app in the monorepo. */
function defaultWebDist(): string | undefined {
  const url = new URL('../../web/dist', import.meta.url);
  return url.protocol === 'file:' ? url.pathname : undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: Deps;
    /** The mail outbox worker (tests call `drain()` to send now). */
    outbox: OutboxWorker;
  }
}
