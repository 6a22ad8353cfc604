import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminQuery, createBenchDatabase } from '../postgres.js';
import { commonEnv, count, parseEnv, seconds } from '../env.js';
import { freePort } from '../processes.js';
import { buildServer, register, startTessera } from '../tessera.js';

/**
 * Webhook delivery latency: from the change (the event's `timestamp`, taken in the change's
 * transaction) to the receiver's socket, while BENCH_CONNECTIONS loops change users as fast
 * as they can through an API key (PATCH /api/users/{id}: one `user.updated` each), then with
 * the server idle. The built server on PostgreSQL; the receiver runs in this process.
 *
 *   pnpm --filter @tessera/bench bench:webhooks   (BENCH_DURATION=10 BENCH_CONNECTIONS=10)
 */
const env = parseEnv(
  {
    ...commonEnv,
    BENCH_DURATION: seconds(10),
    BENCH_CONNECTIONS: count(10, 200),
    BENCH_USERS: count(50, 10_000),
  },
  process.env,
);
const log = (message: string) => console.log(`[bench:webhooks] ${message}`);

if (env.BENCH_BUILD) buildServer(log);
const database = await createBenchDatabase(env.BENCH_POSTGRES_URL);
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-webhooks-'));
const latencies: number[] = [];
let received = 0;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    const arrived = Date.now();
    latencies.push(arrived - Date.parse((JSON.parse(body) as { timestamp: string }).timestamp));
    received += 1;
    res.writeHead(204).end();
  });
});
await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
const receiverAddress = receiver.address();
const receiverUrl = `http://127.0.0.1:${typeof receiverAddress === 'object' && receiverAddress ? receiverAddress.port : 0}/`;

const tessera = await startTessera({
  port: await freePort(),
  databaseUrl: database.url,
  dataDir,
  argon2Env: {},
  extraEnv: { WEBHOOK_ALLOW_PRIVATE: 'true', API_KEY_RATE_LIMIT: '1000000' },
});
try {
  const url = tessera.url;
  const admin = await register(url, 'Bench Admin', 'bench-admin@example.com', 'correct horse battery staple');
  await adminQuery(database.url, "update users set role = 'admin' where id = $1", [admin.id]);
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const key = (await call('POST', '/api-keys', admin.accessToken, { name: 'bench', role: 'admin' }))
    .secret as string;
  await call('POST', '/webhooks', key, { url: receiverUrl, events: ['user.updated'] });
  // Users made straight in the database: the bench measures deliveries, not sign-ups.
  const ids = (
    await adminQuery<{ id: string }>(
      database.url,
      `insert into users (email, name, role) select 'bench' || g || '@example.com', 'Bench ' || g, 'user'
       from generate_series(1, ${env.BENCH_USERS}) g returning id`,
    )
  ).map((row) => row.id);

  const update = (i: number) =>
    call('PATCH', `/users/${ids[i % ids.length]!}`, key, { name: `Bench ${i}-${Math.random()}` });
  const waitForAll = async (expected: number) => {
    const deadline = Date.now() + 120_000;
    while (received < expected && Date.now() < deadline) await new Promise((done) => setTimeout(done, 5));
  };
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return `p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)} ms (n=${sorted.length})`;
  };

  log(`load: ${env.BENCH_CONNECTIONS} loops changing users for ${env.BENCH_DURATION} s through an API key`);
  let sent = 0;
  const until = Date.now() + env.BENCH_DURATION * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: env.BENCH_CONNECTIONS }, async () => {
      while (Date.now() < until) await update(sent++);
    }),
  );
  const loadSeconds = (Date.now() - started) / 1000;
  await waitForAll(sent);
  const drainedMs = Date.now() - started - loadSeconds * 1000;
  log(
    `${sent} changes in ${loadSeconds.toFixed(1)} s (${(sent / loadSeconds).toFixed(0)}/s); ${received} delivered, the last ${drainedMs} ms after the load stopped`,
  );
  log(`under load, change → receiver: ${summary(latencies)}`);

  const underLoad = latencies.length;
  for (let i = 0; i < 30; i++) {
    await update(sent++);
    await waitForAll(sent);
    await new Promise((done) => setTimeout(done, 50));
  }
  log(`idle, one change at a time: ${summary(latencies.slice(underLoad))}`);
} finally {
  await tessera.stop();
  receiver.close();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
