// `pnpm bench`: the built Tessera server on a fresh PostgreSQL database, loaded by autocannon
// from another process, next to a bare-Fastify ceiling and the machine's argon2 rate.
// Settings: config.ts (README.md). Results: printed, and written to results/latest.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureArgon2Rate } from './argon2-rate.js';
import { parseBenchConfig, type BenchConfig } from './config.js';
import { cpuByPid, cpuSeconds, cpuSince, mainThreadCpuSeconds } from './cpu.js';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';
import { createBenchDatabase } from './postgres.js';
import { freePort, productionEnv, startNode, type NodeProcess } from './processes.js';
import { formatTable, ratios, writeResults, type BenchResults, type Measurement } from './report.js';
import { summarizeProfile } from './profile.js';
import { readRss, sampleRss } from './rss.js';
import { buildServer, getJson, login, register, repoRoot, startTessera, type Account } from './tessera.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(benchDir, 'results');
const ceilingEntry = fileURLToPath(new URL('./ceiling-server.ts', import.meta.url));
const PASSWORD = 'correct horse battery staple';
const AUDIENCE = 'tessera';

/** Undone in reverse order on the way out, whether the run succeeded, failed or was interrupted. */
const cleanups: (() => unknown)[] = [];

async function cleanUp() {
  for (let task = cleanups.pop(); task; task = cleanups.pop()) {
    try {
      await task();
    } catch (error) {
      console.error('clean-up step failed:', error);
    }
  }
}

const log = (message: string) => console.error(`[bench] ${message}`);

async function main() {
  const config = parseBenchConfig();
  if (config.build) buildServer(log);
  const loadAverageAtStart = loadavg();

  const database = await createBenchDatabase(config.postgresUrl);
  cleanups.push(() => database.drop());
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const profileDir = config.cpuProfile ? join(resultsDir, 'profiles', stamp()) : undefined;

  const tessera = await startTessera({
    port: await freePort(),
    databaseUrl: database.url,
    dataDir,
    argon2Env: config.argon2Env,
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    nodeOptions: config.serverNodeOptions,
  });
  cleanups.push(() => tessera.stop());
  log(`Tessera pid ${tessera.pid} at ${tessera.url} on database ${database.name}`);

  const accounts = await registerAccounts(tessera.url, config.loginUsers);
  const first = accounts[0]!;
  const idleRssBytes = readRss(tessera.pid);
  const databasePids = () => database.backendPids();
  let argon2: BenchResults['argon2'];

  if (config.scenarios.has('argon2')) {
    log(`argon2: ${config.cores} verifies in flight for ${config.argon2Seconds} s`);
    argon2 = await measureArgon2Rate(config.argon2, config.cores, config.argon2Seconds);
  }

  let ceiling: NodeProcess | undefined;
  if (config.scenarios.has('ceiling')) {
    ceiling = await startCeiling(tessera.url, database.url);
    cleanups.push(() => ceiling?.stop());
  }

  // Rounds interleave the scenarios, so each one sees the same share of whatever else the
  // machine is doing; the reported figure is the median round.
  const runs = { ceiling: [] as Measurement[], me: [] as Measurement[], login: [] as Measurement[] };
  for (let round = 1; round <= config.rounds; round++) {
    if (config.rounds > 1) log(`round ${round} of ${config.rounds}`);
    // A fresh token per round, so a long run never outlives the 15-minute TTL.
    const token = await login(tessera.url, first.email, first.password);
    const bearer = { authorization: `Bearer ${token}` };
    if (ceiling) {
      await expectUser(`${ceiling.url}/me`, token, first.id, (body) => body);
      runs.ceiling.push(
        await measure(
          config,
          'ceiling: Fastify + jose + pg',
          { pid: ceiling.pid, databasePids },
          {
            url: `${ceiling.url}/me`,
            method: 'GET',
            headers: bearer,
          },
        ),
      );
    }
    if (config.scenarios.has('me')) {
      await expectUser(`${tessera.url}/trpc/users.me`, token, first.id, (body) => body.result?.data);
      runs.me.push(
        await measure(
          config,
          'users.me (Tessera, signed in)',
          { pid: tessera.pid, databasePids },
          {
            url: `${tessera.url}/trpc/users.me`,
            method: 'GET',
            headers: bearer,
          },
        ),
      );
    }
    if (config.scenarios.has('login')) {
      runs.login.push(
        await measure(
          config,
          `auth.login (Tessera, ${accounts.length} users)`,
          { pid: tessera.pid, databasePids },
          {
            url: `${tessera.url}/trpc/auth.login`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            bodies: accounts.map((a) => JSON.stringify({ email: a.email, password: a.password })),
          },
          // A sign-in cut off when autocannon's clock runs out still costs the server its argon2
          // verify but is never answered, so the rate would count work it did not report. These
          // runs end on a count of answers instead.
          { drainAtRate: argon2?.verifiesPerSecond ?? 50 },
        ),
      );
    }
  }
  await ceiling?.stop();
  const scenarios: BenchResults['scenarios'] = {};
  for (const name of ['ceiling', 'me', 'login'] as const) {
    const median = medianRound(runs[name]);
    if (median) scenarios[name] = median;
  }

  // Stopping gracefully is also what makes --cpu-prof write its profile.
  await tessera.stop();

  const partial: Omit<BenchResults, 'ratios'> = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cores: config.cores,
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      // Other work on the machine skews every figure; these say how busy it was.
      loadAverageAtStart,
      loadAverageAtEnd: loadavg(),
    },
    settings: {
      connections: config.connections,
      durationSeconds: config.durationSeconds,
      warmupSeconds: config.warmupSeconds,
      loginUsers: config.loginUsers,
      rounds: config.rounds,
      argon2: config.argon2,
    },
    server: { idleRssBytes },
    scenarios,
    ...(argon2 ? { argon2 } : {}),
  };
  const results: BenchResults = { ...partial, ratios: ratios(partial) };
  const file = join(resultsDir, 'latest.json');
  writeResults(file, results);
  console.log(formatTable(results));
  console.log(`\nresults written to ${file}`);

  if (profileDir) {
    for (const name of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')))
      console.log(`\n${summarizeProfile(join(profileDir, name))}`);
  }
}

/** Accounts signed up through the API; `auth.login` cycles through them. */
async function registerAccounts(url: string, count: number): Promise<Account[]> {
  const run = Date.now().toString(36);
  const accounts: Account[] = [];
  // One at a time: the server bounds argon2 anyway, and this is not what we measure.
  for (let i = 0; i < count; i++)
    accounts.push(await register(url, `Bench User ${i}`, `bench-${run}-${i}@example.com`, PASSWORD));
  return accounts;
}

function startCeiling(tesseraUrl: string, databaseUrl: string): Promise<NodeProcess> {
  return freePort().then((port) =>
    startNode({
      label: 'ceiling',
      args: ['--import', 'tsx', ceilingEntry],
      cwd: benchDir,
      env: {
        ...productionEnv(),
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWKS_URL: `${tesseraUrl}/.well-known/jwks.json`,
        // startTessera sets PUBLIC_URL to its own URL, which is the default issuer.
        JWT_ISSUER: tesseraUrl,
        JWT_AUDIENCE: AUDIENCE,
      },
      port,
      readyPath: '/healthz',
    }),
  );
}

/** Fails the run early if an endpoint does not answer with the expected user. */
async function expectUser(
  url: string,
  token: string,
  id: string,
  pick: (body: { id?: string; result?: { data?: { id?: string } } }) => { id?: string } | undefined,
): Promise<void> {
  const body = (await getJson(url, token)) as Parameters<typeof pick>[0];
  if (pick(body)?.id !== id) throw new Error(`${url} answered ${JSON.stringify(body)}`);
}

/** The round with the median request rate, carrying every round's rate and RSS along (RSS that climbs round after round is a leak). */
function medianRound(rounds: Measurement[]): Measurement | undefined {
  if (rounds.length <= 1) return rounds[0];
  const sorted = [...rounds].sort((a, b) => a.load.requestsPerSecond - b.load.requestsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    ...median,
    roundsRequestsPerSecond: rounds.map((r) => r.load.requestsPerSecond),
    roundsMaxRssBytes: rounds.map((r) => r.maxRssBytes),
  };
}

/** A warm-up run, then the measured run with the server's RSS sampled throughout. */
async function measure(
  config: BenchConfig,
  label: string,
  server: { pid: number; databasePids: () => Promise<number[]> },
  spec: Omit<LoadSpec, 'connections' | 'durationSeconds'>,
  /** End each run on a number of answers (about the given rate × the duration), not on a clock. */
  options: { drainAtRate?: number } = {},
): Promise<Measurement> {
  const { connections, warmupSeconds, durationSeconds } = config;
  const amount = (rate: number | undefined, seconds: number) =>
    rate === undefined ? {} : { amount: Math.max(connections * 2, Math.ceil(rate * seconds)) };
  log(`${label}: warm-up ${warmupSeconds} s`);
  const warmup = await runLoad({
    ...spec,
    connections,
    durationSeconds: warmupSeconds,
    ...amount(options.drainAtRate, warmupSeconds),
  });
  const measured = {
    ...spec,
    connections,
    durationSeconds,
    // The warm-up's own rate sizes the measured run to about `durationSeconds`.
    ...amount(options.drainAtRate && (warmup.requestsPerSecond || options.drainAtRate), durationSeconds),
  };
  log(`${label}: measuring ${durationSeconds} s${measured.amount ? ` (${measured.amount} answers)` : ''}`);
  // After the warm-up the pool's connections are open: these backends serve the measured run.
  const databaseCpu = cpuByPid(await server.databasePids());
  const serverCpu = cpuSeconds(server.pid);
  const mainThreadCpu = mainThreadCpuSeconds(server.pid);
  const rss = sampleRss(server.pid);
  let maxRssBytes = 0;
  let load: LoadResult;
  try {
    load = await runLoad(measured);
  } finally {
    maxRssBytes = rss.stop();
  }
  if (load.non2xx || load.errors)
    log(`${label}: ${load.non2xx} non-2xx (${JSON.stringify(load.statusCodes)}), ${load.errors} errors`);
  const perRequest = (seconds: number) => (load.ok ? (seconds * 1000) / load.ok : 0);
  return {
    label,
    load,
    maxRssBytes,
    cpuMsPerRequest: {
      server: perRequest(cpuSeconds(server.pid) - serverCpu),
      serverMainThread: perRequest(mainThreadCpuSeconds(server.pid) - mainThreadCpu),
      database: perRequest(cpuSince(databaseCpu, await server.databasePids())),
      loadGenerator: perRequest(load.loadGeneratorCpuSeconds),
    },
  };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

process.once('SIGINT', () => {
  log('interrupted: cleaning up');
  void cleanUp().finally(() => process.exit(130));
});

try {
  await main();
} catch (error) {
  // fetch hides the reason (refused, reset) in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  console.error(error instanceof Error ? `${error.message}${cause}` : error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
