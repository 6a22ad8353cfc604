import { createHash, timingSafeEqual } from 'node:crypto';
import { appRouter } from '@tessera/api';
import { BACKLOG_COUNT_CAP, type PoolStats, type QueueBacklog } from '@tessera/db';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HashQueue } from '../auth/password-hasher.js';
import { failuresOf } from '../http/outcomes.js';
import { procedureCalls } from '../http/procedure-calls.js';
import { refusalBody } from '../http/rest/errors.js';
import { bucketOf } from '../limits/rate-limit.js';

/** Upper bounds (seconds) of the request-duration histogram buckets. */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Upper bounds (seconds) of the argon2 wait histogram: from "a slot was free" to "the line was full". */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Every procedure name, the only values the `procedure` label takes besides the three below. */
const PROCEDURES: ReadonlySet<string> = new Set(Object.keys(appRouter._def.procedures));

/** What the metrics read at scrape time; each is cheap (the backlog is one bounded query). */
export interface MetricSources {
  poolStats(): PoolStats;
  hashQueue: HashQueue;
  outboxBacklog: () => Promise<QueueBacklog>;
  webhookBacklog: () => Promise<QueueBacklog>;
}

/** The instruments something outside the request path feeds. */
export interface Metrics {
  registry: Registry;
  /** Seconds a hash waited for its argon2 slot (the hasher reports each). */
  argon2Wait: (seconds: number) => void;
}

/**
 * A fresh registry per app (tests build several apps in one process; prom-client's global
 * one would refuse the second set of names) with Node's default process and event-loop
 * metrics and Tessera's own.
 */
export function createMetrics(): Metrics & { instruments: Instruments } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const instruments: Instruments = {
    requestDuration: new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, procedure and status.',
      labelNames: ['method', 'route', 'procedure', 'status'],
      buckets: REQUEST_BUCKETS,
      registers: [registry],
    }),
    signIns: new Counter({
      name: 'tessera_sign_ins_total',
      help: 'auth.login calls by outcome: success, or the reason of the refusal.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'tessera_throttled_requests_total',
      help: 'Calls refused by a limit, by the limit (bucket) that refused them.',
      labelNames: ['bucket'],
      registers: [registry],
    }),
    argon2Wait: new Histogram({
      name: 'tessera_argon2_queue_wait_seconds',
      help: 'Time a password hash waited for an argon2 slot.',
      buckets: WAIT_BUCKETS,
      registers: [registry],
    }),
  };
  return { registry, instruments, argon2Wait: (seconds) => instruments.argon2Wait.observe(seconds) };
}

interface Instruments {
  requestDuration: Histogram<'method' | 'route' | 'procedure' | 'status'>;
  signIns: Counter<'outcome'>;
  throttled: Counter<'bucket'>;
  argon2Wait: Histogram;
}

/**
 * Prometheus text at /metrics, served only to `Authorization: Bearer <token>` (the outbox
 * backlog moves when a reset is asked for a known email, so it must not be public). Every
 * label takes values from a closed set: route patterns and procedure names, never raw URLs,
 * so ids, tokens and junk paths cannot become series.
 */
export function registerMetrics(
  app: FastifyInstance,
  metrics: ReturnType<typeof createMetrics>,
  token: string,
  sources: MetricSources,
): void {
  const { registry, instruments } = metrics;
  const isToken = bearerCheck(token);
  registerGauges(registry, sources, app);

  app.addHook('onResponse', async (request, reply) => {
    const target = procedureCalls(request);
    const status = reply.statusCode;
    instruments.requestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        procedure: procedureLabel(target?.calls, target?.batch ?? false),
        status: String(status),
      },
      reply.elapsedTime / 1000,
    );
    const failures = failuresOf(request);
    for (const failure of failures) {
      const bucket = throttleBucket(failure.reason, failure.procedure);
      if (bucket) instruments.throttled.inc({ bucket });
    }
    // Every refusal of a call is recorded under its name (outcomes.ts); the others succeeded,
    // unless the whole answer failed before any call could say why (a framework error).
    const signIns = target?.calls.filter((call) => call === 'auth.login').length ?? 0;
    if (signIns === 0) return;
    const refused = failures.filter((failure) => failure.procedure === 'auth.login');
    for (const failure of refused) instruments.signIns.inc({ outcome: failure.reason });
    const rest = signIns - refused.length;
    if (rest > 0)
      instruments.signIns.inc({ outcome: status < 400 || status === 207 ? 'success' : 'other' }, rest);
  });

  app.get('/metrics', async (request, reply) => {
    if (!isToken(request.headers.authorization)) {
      reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return reply.code(401).send(refusalBody(401, 'metrics_token_required', request.locale));
    }
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

/** The gauges read at scrape time: pool, argon2 line, outbox and webhook backlogs. */
function registerGauges(registry: Registry, sources: MetricSources, app: FastifyInstance): void {
  new Gauge({
    name: 'tessera_db_pool_connections',
    help: 'Database pool connections by state (in_use: lent to a query; idle: open, free).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = sources.poolStats();
      this.set({ state: 'in_use' }, stats.inUse);
      this.set({ state: 'idle' }, stats.idle);
    },
  });
  new Gauge({
    name: 'tessera_db_pool_waiting',
    help: 'Queries waiting for a database pool connection.',
    registers: [registry],
    collect() {
      this.set(sources.poolStats().waiting);
    },
  });
  new Gauge({
    name: 'tessera_argon2_queue_depth',
    help: 'Password hashes waiting for an argon2 slot.',
    registers: [registry],
    collect() {
      this.set(sources.hashQueue.waiting());
    },
  });
  new Gauge({
    name: 'tessera_argon2_running',
    help: 'Password hashes running now.',
    registers: [registry],
    collect() {
      this.set(sources.hashQueue.running());
    },
  });
  backlogGauges(registry, app, 'outbox', 'Mail', sources.outboxBacklog);
  backlogGauges(registry, app, 'webhook', 'Webhook deliveries', sources.webhookBacklog);
}

/**
 * `tessera_<queue>_backlog` and `tessera_<queue>_oldest_age_seconds`: one bounded query
 * (queue-backlog.ts) serves both per scrape, the second gauge reading what the first fetched.
 */
function backlogGauges(
  registry: Registry,
  app: FastifyInstance,
  queue: 'outbox' | 'webhook',
  what: string,
  read: () => Promise<QueueBacklog>,
): void {
  let backlog: Promise<QueueBacklog | undefined> | undefined;
  const readBacklog = () =>
    read().catch((error: unknown) => {
      app.log.warn({ err: error }, `metrics could not read the ${queue} backlog`);
      return undefined;
    });
  new Gauge({
    name: `tessera_${queue}_backlog`,
    help: `${what} waiting to be sent (counted up to ${BACKLOG_COUNT_CAP}).`,
    registers: [registry],
    async collect() {
      backlog = readBacklog();
      const value = await backlog;
      if (value) this.set(value.pending);
    },
  });
  new Gauge({
    name: `tessera_${queue}_oldest_age_seconds`,
    help: `How long the most overdue pending item of ${what.toLowerCase()} has been due (0 when none is).`,
    registers: [registry],
    async collect() {
      const value = await (backlog ?? readBacklog());
      backlog = undefined;
      if (value) this.set(value.oldestDueAgeSeconds);
    },
  });
}

/** A bounded label: the procedure when it is one of ours, `batch` for several, `-` for no procedure call. */
function procedureLabel(calls: readonly string[] | undefined, batch: boolean): string {
  if (!calls) return '-';
  if (batch) return 'batch';
  const [call] = calls;
  return call !== undefined && PROCEDURES.has(call) ? call : 'unknown';
}

/**
 * The limit behind a refusal, or undefined when the failure was no throttling: the
 * per-address windows by name (rate-limit.ts), the in-flight bound, the per-account sign-in
 * throttle and the argon2 line's 503.
 */
function throttleBucket(reason: string, procedure: string | undefined): string | undefined {
  switch (reason) {
    case 'rate_limited':
      return (procedure && bucketOf(procedure)) ?? 'service';
    case 'too_many_in_flight':
      return 'passwordChecksInFlight';
    case 'too_many_attempts':
      return 'account';
    case 'overloaded':
      return 'argon2Queue';
    default:
      return undefined;
  }
}

/**
 * True for `Bearer <token>` (the scheme in any case, RFC 6750). Both tokens are hashed before
 * they are compared, so the time taken tells nothing about a guess's length or its first
 * wrong character.
 */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(token);
  return (header) => {
    const presented = /^bearer +(\S+) *$/i.exec(header ?? '')?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}
