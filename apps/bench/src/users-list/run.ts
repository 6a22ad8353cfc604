// `pnpm bench:users`: seeds a million users into PostgreSQL and times
// users.list over HTTP against the built server: first page, a page half a million rows deep
// (reached by following cursors), searches, filters; then shows the query plans at that size.
// Settings: ./config.ts (README.md). Results: printed, and written to results/users-list/latest.json.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserListQuery } from '@tessera/api';
import {
  captureQueries,
  createStores,
  createTransact,
  explainQuery,
  openDatabase,
  type Database,
} from '@tessera/db';
import { parseConfig } from '@tessera/server/config';
import { createAdmin } from '@tessera/server/first-admin';
import { createPasswordHasher } from '@tessera/server/password-hasher';
import type { CompiledQuery, Kysely } from 'kysely';
import { freePort } from '../processes.js';
import { buildServer, login, startTessera } from '../tessera.js';
import { parseUsersBenchConfig } from './config.js';
import { ensureDatabase, seedUsers } from './seed.js';

const resultsFile = fileURLToPath(new URL('../../results/users-list/latest.json', import.meta.url));
const ADMIN = {
  email: 'bench.admin@example.com',
  name: 'Bench Admin',
  password: 'bench admin passphrase for the list',
};

const log = (message: string) => console.error(`[bench:users] ${message}`);

interface ListInput {
  cursor?: string;
  limit?: number;
  search?: string;
  role?: 'admin' | 'manager' | 'user';
  disabled?: boolean;
  sort?: 'createdAt' | 'name' | 'email';
  order?: 'asc' | 'desc';
}

interface Scenario {
  name: string;
  /** users.list input; none for the users.me baseline. */
  input?: ListInput;
}

interface Timing {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

interface Result {
  scenario: string;
  input?: ListInput;
  rows: number;
  sequential: Timing;
  concurrent: Timing & { requestsPerSecond: number };
}

async function main() {
  const config = parseUsersBenchConfig();
  const loadAverageAtStart = loadavg();
  if (config.build) buildServer(log);

  // One database per size, so a quick small run never throws away the million-row seed.
  const databaseName = `tessera_bench_users_${config.users}`;
  const target = await ensureDatabase(config.postgresUrl, databaseName, config.reseed);
  const cleanups: (() => unknown)[] = [];
  if (config.drop) cleanups.push(() => target.drop());
  else log(`keeping database ${databaseName} for the next run (BENCH_USERS_DROP=true drops it)`);

  try {
    // The built server migrates the database itself, so the schema is the one it runs with.
    // Its data folder (and so its generated signing key) lives as long as the seeded database:
    // a node with another key is refused by a database that recorded one.
    const dataDir = fileURLToPath(new URL(`../../results/users-list/data-${databaseName}`, import.meta.url));
    mkdirSync(dataDir, { recursive: true });
    if (config.drop) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = await startTessera({
      port: await freePort(),
      databaseUrl: target.url,
      dataDir,
      argon2Env: {},
    });
    cleanups.push(() => server.stop());
    log(`built Tessera pid ${server.pid} at ${server.url}`);

    const seeded = await seedUsers({ url: target.url, users: config.users, log });
    const database = await openDatabase({ url: target.url, dataDir: 'memory://', poolMax: 2 });
    cleanups.push(() => database.close());
    // The admin who lists, made the way `tessera create-admin --promote` makes one.
    const serverConfig = parseConfig({});
    await createAdmin(
      {
        stores: createStores(database.db),
        transact: createTransact(database.db),
        hasher: createPasswordHasher(serverConfig.argon2),
        clock: { now: () => new Date() },
        settings: serverConfig.auth,
      },
      { ...ADMIN, promote: true },
    );
    const token = () => login(server.url, ADMIN.email, ADMIN.password);

    log(`following cursors ${config.deepRows.toLocaleString('en')} rows deep, 100 a page`);
    const walk = await walkTo(server.url, await token(), config.deepRows);
    log(
      `walked ${walk.pages} pages in ${(walk.ms / 1000).toFixed(1)} s (${(walk.ms / walk.pages).toFixed(1)} ms a page)`,
    );

    const scenarios: Scenario[] = [
      // The same server path without a list query: what every signed-in request costs here.
      { name: 'baseline: users.me (no list)' },
      { name: 'first page, newest first (default)', input: {} },
      { name: 'first page, sorted by name', input: { sort: 'name', order: 'asc' } },
      {
        name: `deep page (row ${config.deepRows.toLocaleString('en')}), newest first`,
        input: { cursor: walk.cursor },
      },
      { name: 'search "smith" (a last name, ~2% of rows)', input: { search: 'smith' } },
      { name: 'search "4242" (an email fragment, rare)', input: { search: '4242' } },
      {
        name: 'search "ada.lovelace" sorted by email',
        input: { search: 'ada.lovelace', sort: 'email', order: 'asc' },
      },
      { name: 'filter disabled=true (~1%)', input: { disabled: true } },
      { name: 'filter role=manager, sorted by name', input: { role: 'manager', sort: 'name', order: 'asc' } },
    ];

    const results: Result[] = [];
    for (const scenario of scenarios) {
      const bearer = await token();
      const input = scenario.input;
      const call = input ? () => list(server.url, bearer, input) : () => me(server.url, bearer);
      const rows = input ? (await list(server.url, bearer, input)).items.length : 1;
      const warmup = Math.max(5, Math.floor(config.samples / 10));
      await sequential(call, warmup);
      const seq = await sequential(call, config.samples);
      const conc = await concurrent(call, config.samples, config.concurrency);
      results.push({
        scenario: scenario.name,
        ...(input ? { input } : {}),
        rows,
        sequential: summarize(seq),
        concurrent: { ...summarize(conc.latencies), requestsPerSecond: conc.requestsPerSecond },
      });
      log(`${scenario.name}: p50 ${results.at(-1)!.sequential.p50.toFixed(1)} ms`);
    }

    const plans = await explainAll(database.db, scenarios);
    const report = {
      date: new Date().toISOString(),
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverageAtStart,
        loadAverageAtEnd: loadavg(),
      },
      database: { users: seeded.users, seedSeconds: seeded.seedSeconds, indexSeconds: seeded.indexSeconds },
      settings: { samples: config.samples, concurrency: config.concurrency, deepRows: config.deepRows },
      walk: { pages: walk.pages, seconds: walk.ms / 1000, msPerPage: walk.ms / walk.pages },
      results,
      plans,
    };
    mkdirSync(dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(formatReport(report));
    console.log(`\nresults written to ${resultsFile}`);
  } finally {
    for (let task = cleanups.pop(); task; task = cleanups.pop()) await task();
  }
}

/** One users.list call over HTTP, as the typed client makes it (tRPC GET, JSON input). */
async function list(url: string, token: string, input: ListInput) {
  const response = await fetch(`${url}/trpc/users.list?input=${encodeURIComponent(JSON.stringify(input))}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as {
    result?: { data: { items: unknown[]; nextCursor: string | null } };
  };
  if (!response.ok || !body.result)
    throw new Error(`users.list answered ${response.status}: ${JSON.stringify(body)}`);
  return body.result.data;
}

async function walkTo(url: string, token: string, rows: number) {
  let cursor: string | undefined;
  let pages = 0;
  const started = performance.now();
  while (pages * 100 < rows) {
    const page = await list(url, token, { limit: 100, ...(cursor ? { cursor } : {}) });
    if (!page.nextCursor) throw new Error(`the list ended after ${pages + 1} pages`);
    cursor = page.nextCursor;
    pages++;
  }
  return { cursor: cursor!, pages, ms: performance.now() - started };
}

/** users.me: the baseline of a signed-in request (token, session and user checks, no list). */
async function me(url: string, token: string) {
  const response = await fetch(`${url}/trpc/users.me`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`users.me answered ${response.status}: ${await response.text()}`);
  return response.json();
}

type Call = () => Promise<unknown>;

async function sequential(call: Call, samples: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

async function concurrent(call: Call, samples: number, concurrency: number) {
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < samples) {
        issued++;
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, requestsPerSecond: (samples / (performance.now() - started)) * 1000 };
}

function summarize(latencies: number[]): Timing {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    p50: at(50),
    p99: at(99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    max: sorted.at(-1)!,
  };
}

/** EXPLAIN ANALYZE of the SQL the user store really sends for each scenario (captured, not copied). */
async function explainAll(db: Kysely<Database>, scenarios: Scenario[]) {
  const plans: Record<string, string[]> = {};
  for (const scenario of scenarios) {
    if (!scenario.input) continue;
    const query = await storeQuery(toStoreQuery(scenario.input));
    plans[scenario.name] = await explainQuery(db, query, 'analyze, costs off, buffers off');
  }
  return plans;
}

async function storeQuery(query: UserListQuery): Promise<CompiledQuery> {
  const [compiled] = await captureQueries((db) => createStores(db).users.list(query));
  return compiled!;
}

/** The store query the service builds for an input (the cursor format is the service's, read here for the plan only). */
function toStoreQuery(input: ListInput): UserListQuery {
  const cursor = input.cursor
    ? (JSON.parse(Buffer.from(input.cursor, 'base64url').toString('utf8')) as { v: string; id: string })
    : undefined;
  return {
    search: input.search,
    role: input.role,
    disabled: input.disabled,
    sort: input.sort ?? 'createdAt',
    order: input.order ?? 'desc',
    after: cursor && { value: cursor.v, id: cursor.id },
    limit: (input.limit ?? 20) + 1,
  };
}

function formatReport(report: {
  database: { users: number; seedSeconds?: number | undefined; indexSeconds?: number | undefined };
  settings: { samples: number; concurrency: number };
  walk: { pages: number; seconds: number; msPerPage: number };
  machine: { cores: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  results: Result[];
  plans: Record<string, string[]>;
}): string {
  const ms = (n: number) => n.toFixed(1);
  const lines = [
    `users.list on ${report.database.users.toLocaleString('en')} users (PostgreSQL, built server, tRPC over HTTP)`,
    report.database.seedSeconds !== undefined
      ? `seeded in ${report.database.seedSeconds.toFixed(1)} s (of which index rebuild ${report.database.indexSeconds!.toFixed(1)} s)`
      : 'seed reused from an earlier run',
    `machine: ${report.machine.cores} cores, load average ${report.machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${report.machine.loadAverageAtEnd.map((l) => l.toFixed(1)).join(' ')} at end`,
    `cursor walk: ${report.walk.pages} pages of 100 in ${report.walk.seconds.toFixed(1)} s (${ms(report.walk.msPerPage)} ms a page)`,
    '',
    `| scenario | rows | p50 ms | p99 ms | p50 ms @${report.settings.concurrency} | p99 ms @${report.settings.concurrency} | req/s @${report.settings.concurrency} |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...report.results.map(
      (r) =>
        `| ${r.scenario} | ${r.rows} | ${ms(r.sequential.p50)} | ${ms(r.sequential.p99)} | ${ms(r.concurrent.p50)} | ${ms(r.concurrent.p99)} | ${r.concurrent.requestsPerSecond.toFixed(0)} |`,
    ),
    '',
    `${report.settings.samples} sequential requests per scenario after a warm-up, then the same number with ${report.settings.concurrency} in flight.`,
    '',
    "Query plans (EXPLAIN ANALYZE of the store's own SQL):",
  ];
  for (const [name, plan] of Object.entries(report.plans)) {
    lines.push(
      '',
      `-- ${name}`,
      ...plan.filter((l) => /Scan|Sort|Limit|BitmapOr|Execution Time|Index Cond|Recheck/.test(l)),
    );
  }
  return lines.join('\n');
}

await main();
