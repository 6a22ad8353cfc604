import { createHash, timingSafeEqual } from 'node:crypto';
import { appRouter } from '@tessera/api';
import type { Database } from '@tessera/db';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { refusalBody } from '../http/rest/errors.js';

/** Upper bounds (seconds) of the request-duration histogram buckets. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

/**
 * Prometheus text metrics at /metrics: request counts and durations by route and status,
 * the mail outbox backlog, and process memory. Routes are Fastify's route patterns (or the
 * tRPC procedure), never raw URLs, so ids and tokens cannot become label values.
 *
 * Served only to `Authorization: Bearer <token>` (the outbox backlog moves when a reset is
 * asked for a known email, so it must not be public); without a token the route does not
 * exist and nothing is collected.
 */
export function registerMetrics(app: FastifyInstance, db: Kysely<Database>, token: string | undefined): void {
  if (token === undefined) return;
  const isToken = bearerCheck(token);
  const series = new Map<string, Series>();
  const procedures = new Set(Object.keys(appRouter._def.procedures));

  app.addHook('onResponse', async (request, reply) => {
    const route = routeLabel(request.routeOptions.url, request.url, procedures);
    const key = `method="${request.method}",route="${route}",status="${reply.statusCode}"`;
    let s = series.get(key);
    if (!s) {
      s = { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      series.set(key, s);
    }
    const seconds = reply.elapsedTime / 1000;
    s.count += 1;
    s.sum += seconds;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) s.buckets[i]! += 1;
    });
  });

  app.get('/metrics', async (request, reply) => {
    if (!isToken(request.headers.authorization)) {
      reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return reply.code(401).send(refusalBody(401, 'metrics_token_required', request.locale));
    }
    const lines = [
      '# HELP tessera_http_request_duration_seconds HTTP request duration by route and status.',
      '# TYPE tessera_http_request_duration_seconds histogram',
    ];
    for (const [labels, s] of series) {
      BUCKETS.forEach((bound, i) =>
        lines.push(`tessera_http_request_duration_seconds_bucket{${labels},le="${bound}"} ${s.buckets[i]}`),
      );
      lines.push(`tessera_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      lines.push(`tessera_http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      lines.push(`tessera_http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    const outbox = await db
      .selectFrom('email_outbox')
      .select(['status', sql<string>`count(*)`.as('n')])
      .groupBy('status')
      .execute()
      .catch(() => []);
    lines.push(
      '# HELP tessera_outbox_mails Mails in the outbox by status.',
      '# TYPE tessera_outbox_mails gauge',
    );
    for (const row of outbox) lines.push(`tessera_outbox_mails{status="${row.status}"} ${Number(row.n)}`);
    const memory = process.memoryUsage();
    lines.push(
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${memory.rss}`,
      '# HELP nodejs_heap_used_bytes V8 heap in use.',
      '# TYPE nodejs_heap_used_bytes gauge',
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
    );
    reply.type('text/plain; version=0.0.4');
    return `${lines.join('\n')}\n`;
  });
}

/**
 * A bounded label: the route pattern, or for tRPC the procedure name when it is one of ours
 * (anything else, batches included, is `/trpc/*`, so junk URLs cannot grow the series).
 */
function routeLabel(pattern: string | undefined, url: string, procedures: ReadonlySet<string>): string {
  if (url.startsWith('/trpc/')) {
    const path = url.slice('/trpc/'.length).split('?')[0] ?? '';
    return procedures.has(path) ? `/trpc/${path}` : '/trpc/*';
  }
  return pattern ?? 'unmatched';
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
