import { existsSync } from 'node:fs';
import { admitCaller, appRouter, reasonOf, type Context, type Deps } from '@tessera/api';
import {
  createStores,
  createTransact,
  isDatabaseUnavailable,
  migrateToLatest,
  migrationsApplied,
  openDatabase,
  deliveryBacklog,
  outboxBacklog,
  type DatabaseHandle,
} from '@tessera/db';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { createAccessTokens } from './auth/access-tokens.js';
import type { Config } from './config.js';
import { ensureFirstAdmin } from './ops/first-admin.js';
import { agreeOnSigningKey } from './auth/key-agreement.js';
import {
  deriveMailKey,
  deriveRefreshTokenKey,
  deriveSecondFactorKey,
  deriveWebhookKey,
  loadSigningKeys,
} from './auth/keys.js';
import { refreshTokenDeriver } from './auth/refresh-tokens.js';
import { startOutboxWorker, type OutboxWorker } from './mail/outbox-worker.js';
import { createMailTransport } from './mail/transport.js';
import { registerRequestIds, requestIdGenerator } from './http/request-id.js';
import { recordFailure } from './http/outcomes.js';
import { createPasswordHasher, type ServerPasswordHasher } from './auth/password-hasher.js';
import { createSignInFloor } from './auth/sign-in-floor.js';
import { spendingPaths } from './http/refresh-cookie.js';
import { registerLanguage } from './http/language.js';
import { requestInfo } from './http/request-info.js';
import {
  answerErrorsInShape,
  frameworkErrors,
  originForm,
  refuseBodiesOnReads,
} from './http/request-guards.js';
import { registerRest } from './http/rest/index.js';
import { ENUMERATION_FLOOR_MS, registerSecurity } from './http/security.js';
import { registerTrpcRoute } from './http/trpc-route.js';
import { counterThrottle, memoryCounters, redisCounters } from './limits/counters.js';
import { registerWeb } from './http/web.js';
import { startDeliveryWorker, type DeliveryWorker } from './webhooks/delivery-worker.js';
import { webhookTargetGuard, type ResolveHost } from './webhooks/targets.js';

export interface AppOverrides {
  /** An already open database (tests); otherwise one is opened from the config. */
  database?: DatabaseHandle;
  /** A clock for tests that travel in time. */
  now?: () => number;
  /** Where log lines go instead of stdout (tests read them back). */
  logStream?: NodeJS.WritableStream;
  /** How webhook hosts are resolved (tests map names to addresses without DNS). */
  resolveHost?: ResolveHost;
}

/** Largest request body we read; anything bigger is answered 413 before it is parsed. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The body limit of users.import (alone, not batched): 1,000 rows of a typical export take
 * ~250 KiB; this leaves room for long names and hashes.
 */
export const IMPORT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Only a caller users.import admits has its 2 MiB body read (the procedure checks again). */
const admitImport = (ctx: Context) => admitCaller(ctx, 'users.import', 'users.import');

/** Calls one tRPC batch may hold. */
const MAX_BATCH_SIZE = 10;
const TRPC_BASE = '/trpc';

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
    genReqId: requestIdGenerator(config.trustProxy),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors(config.locales),
    rewriteUrl: originForm,
  });
  // First, so every answer, refusals by later hooks included, carries the id.
  registerRequestIds(app);
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

  // Nothing is collected without a token: the route would not exist to read it (and
  // prom-client is not even loaded).
  const metricsModule = config.metricsToken ? await import('./ops/metrics.js') : undefined;
  const metrics = metricsModule?.createMetrics();
  const mailKey = deriveMailKey(keys);
  const webhookKey = deriveWebhookKey(keys);
  const now = overrides.now ?? Date.now;
  const guard = webhookTargetGuard({
    allowPrivate: config.webhooks.allowPrivate,
    ...(overrides.resolveHost && { resolve: overrides.resolveHost }),
  });
  // Committed deliveries wake this node's worker at once; other nodes find them at their poll.
  const delivery: { worker?: DeliveryWorker } = {};
  const storeOptions = {
    mailKey,
    secretKey: deriveSecondFactorKey(keys),
    webhookKey,
    listTimeoutMs: config.listQueryTimeoutMs,
    onEventsQueued: () => delivery.worker?.wake(),
  };
  const stores = createStores(database.db, storeOptions);
  // The floor measures imported hashes through the hasher's queue, and the hasher tells the
  // floor when it meets one: each needs the other.
  const signInFloor = createSignInFloor({
    baseMs: ENUMERATION_FLOOR_MS,
    hasForeignHashes: () => stores.users.hasForeignPasswordHashes(),
    slowestForeignCheckMs: () => hasher.slowestForeignCheckMs(),
  });
  const hasher: ServerPasswordHasher = createPasswordHasher(config.argon2, {
    onForeignCheck: () => signInFloor.foreignHashSeen(),
    onForeignCheckDone: (ms) => signInFloor.foreignCheckTook(ms),
    onWait: metrics?.argon2Wait,
  });
  const deps: Deps = {
    stores,
    transact: createTransact(database.db, {
      ...storeOptions,
      onRetry: (code) =>
        app.log.warn({ code }, 'transaction retried after a deadlock or serialization failure'),
    }),
    hasher,
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
    webhookTargets: guard.targets,
    isUnavailable: isDatabaseUnavailable,
  };
  app.decorate('deps', deps);
  if (config.admin && (await ensureFirstAdmin(deps, config.admin)) === 'created')
    app.log.info({ email: config.admin.email }, 'created the first admin from ADMIN_EMAIL');

  const transport = createMailTransport(config.mail, app.log);
  const outbox = startOutboxWorker({
    db: database.db,
    transport,
    mailKey: storeOptions.mailKey,
    log: app.log,
    now,
    ready: keyAgreement.ready,
    ...config.mail,
  });
  app.decorate('outbox', outbox);
  const deliveries = startDeliveryWorker({
    db: database.db,
    guard,
    secretKey: webhookKey,
    log: app.log,
    now,
    ready: keyAgreement.ready,
    maxAttempts: config.webhooks.maxAttempts,
    retryBaseMs: config.webhooks.retryBaseMs,
    pollIntervalMs: config.webhooks.pollIntervalMs,
  });
  delivery.worker = deliveries;
  app.decorate('deliveries', deliveries);
  app.addHook('onClose', async () => {
    // Order matters: the workers need the database until they have stopped.
    await deliveries.stop();
    await outbox.stop();
    transport.close();
    await database.close();
    await counters.close();
  });

  await registerSecurity(app, config, { counters, signInFloor });
  await app.register(fastifyCookie);
  const publicUrlIsHttps = config.publicUrl.startsWith('https://');
  const trpcCookie = {
    paths: spendingPaths(appRouter, (path) => `${TRPC_BASE}/${path}`),
    publicUrlIsHttps,
  };
  if (metricsModule && metrics && config.metricsToken)
    metricsModule.registerMetrics(app, metrics, config.metricsToken, {
      poolStats: () => database.poolStats(),
      hashQueue: hasher.queue,
      outboxBacklog: () => outboxBacklog(database.db),
      webhookBacklog: () => deliveryBacklog(database.db),
    });

  await registerTrpcRoute(app, TRPC_BASE, {
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    bodyLimits: { 'users.import': IMPORT_BODY_LIMIT_BYTES },
    admitBigBody: admitImport,
    createContext: (req, reply): Context => ({ deps, request: requestInfo(req, reply, trpcCookie) }),
    onError({ error, path, req }) {
      recordFailure(req, path, reasonOf(error));
      if (error.code === 'INTERNAL_SERVER_ERROR')
        req.log.error({ err: error.cause ?? error, path }, 'procedure failed');
    },
  });

  await registerRest(app, deps, {
    publicUrlIsHttps,
    bodyLimits: { '/users/import': IMPORT_BODY_LIMIT_BYTES },
    admitBigBody: admitImport,
  });

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
      // Reported, not required: without Redis every node still enforces each limit, in its
      // own memory (counters.ts), so taking nodes out of rotation would do more harm than good.
      const redis = counters.ping ? ((await counters.ping()) ? 'ok' : 'unavailable') : undefined;
      return { status: 'ready', database: database.engine, ...(redis && { redis }) };
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
    /** The webhook delivery worker (tests call `drain()` to send now). */
    deliveries: DeliveryWorker;
  }
}
