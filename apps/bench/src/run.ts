// `pnpm bench`: the built Tessera server on a fresh PostgreSQL database, loaded by autocannon
// from another process, next to a bare-Fastify ceiling and the machine's argon2 rate.
// Settings: config.ts (README.md). Results: printed, and written to results/latest.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureArgon2Rate } from './argon2-rate.js';
import { parseBenchConfig, type BenchConfig } from './config.js';
import { cpuByPid, cpuSeconds, cpuSince, mainThreadCpuSeconds } from './cpu.js';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';
import { createBenchDatabase } from './postgres.js';
import { freePort, productionEnv, startNode, type NodeProcess } from './processes.js';
import {
  formatTable,
  goals,
  scenarioKeys,
  writeResults,
  type BenchResults,
  type ColdStart,
  type Measurement,
  usersListFigures,
  type SavedUsersList,
} from './report.js';
import { summarizeProfile } from './profile.js';
import { readRss, sampleRss } from './rss.js';
import {
  buildServer,
  getJson,
  login,
  register,
  repoRoot,
  signIn,
  startTessera,
  type Account,
  type TesseraOptions,
} from './tessera.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(benchDir, 'results');
/** What `pnpm bench:users` last measured, for the users.list line of the goals table. */
const usersListFile = join(resultsDir, 'users-list', 'latest.json');
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

  const serverOptions: Omit<TesseraOptions, 'port'> = {
    databaseUrl: database.url,
    dataDir,
    argon2Env: config.argon2Env,
    nodeOptions: config.serverNodeOptions,
  };
  const tessera = await startTessera({
    ...serverOptions,
    port: await freePort(),
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
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
  const runs: Record<(typeof scenarioKeys)[number], Measurement[]> = {
    ceiling: [],
    me: [],
    login: [],
    refresh: [],
    storm: [],
  };
  const meSpec = (bearer: Record<string, string>): Omit<LoadSpec, 'connections' | 'durationSeconds'> => ({
    url: `${tessera.url}/trpc/users.me`,
    method: 'GET',
    headers: bearer,
  });
  const loginSpec: Omit<LoadSpec, 'connections' | 'durationSeconds'> = {
    url: `${tessera.url}/trpc/auth.login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    bodies: accounts.map((a) => JSON.stringify({ email: a.email, password: a.password })),
  };
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
          meSpec(bearer),
        ),
      );
    }
    if (config.scenarios.has('login')) {
      runs.login.push(
        await measure(
          config,
          `auth.login (Tessera, ${accounts.length} users)`,
          { pid: tessera.pid, databasePids },
          loginSpec,
          // A sign-in cut off when autocannon's clock runs out still costs the server its argon2
          // verify but is never answered, so the rate would count work it did not report. These
          // runs end on a count of answers instead.
          { drainAtRate: argon2?.verifiesPerSecond ?? 50 },
        ),
      );
    }
    if (config.scenarios.has('refresh')) {
      runs.refresh.push(
        await measure(
          config,
          'auth.refresh (Tessera, rotating)',
          { pid: tessera.pid, databasePids },
          {
            url: `${tessera.url}/trpc/auth.refresh`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
          },
          // Every run follows fresh rotation chains, one per connection: a token the warm-up
          // already spent would be taken for a replay.
          {
            fresh: async () => ({
              refreshChains: await refreshTokens(tessera.url, accounts, config.connections),
            }),
          },
        ),
      );
    }
    if (config.scenarios.has('storm')) {
      runs.storm.push(
        await measureDuringStorm(config, { pid: tessera.pid, databasePids }, meSpec(bearer), loginSpec),
      );
    }
  }
  await ceiling?.stop();
  const scenarios: BenchResults['scenarios'] = {};
  for (const name of scenarioKeys) {
    const median = medianRound(runs[name]);
    if (median) scenarios[name] = median;
  }

  // Stopping gracefully is also what makes --cpu-prof write its profile.
  await tessera.stop();
  const coldStart = config.scenarios.has('coldstart')
    ? await measureColdStarts(config, serverOptions)
    : undefined;

  const partial: Omit<BenchResults, 'goals'> = {
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
    ...(coldStart ? { coldStart } : {}),
    ...(existsSync(usersListFile)
      ? { usersList: usersListFigures(JSON.parse(readFileSync(usersListFile, 'utf8')) as SavedUsersList) }
      : {}),
  };
  const results: BenchResults = { ...partial, goals: goals(partial) };
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

/** `count` fresh sessions (cycling through the accounts): the first refresh token of each. */
async function refreshTokens(url: string, accounts: Account[], count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const account = accounts[i % accounts.length]!;
    tokens.push((await signIn(url, account.email, account.password)).refreshToken);
  }
  return tokens;
}

/**
 * users.me measured (warm-up, then the measured run) while a sign-in storm keeps every argon2
 * slot busy and more sign-ins waiting: what a signed-in user sees when a crowd signs in. The
 * storm starts a second early and ends after the measured run.
 */
async function measureDuringStorm(
  config: BenchConfig,
  server: { pid: number; databasePids: () => Promise<number[]> },
  me: Omit<LoadSpec, 'connections' | 'durationSeconds'>,
  signIns: Omit<LoadSpec, 'connections' | 'durationSeconds'>,
): Promise<Measurement> {
  const stormLabel = `auth.login storm (c=${config.connections})`;
  log(`${stormLabel}: starting`);
  const storm = runLoad({
    ...signIns,
    connections: config.connections,
    durationSeconds: config.warmupSeconds + config.durationSeconds + 2,
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const measured = await measure(config, 'users.me during a sign-in storm', server, me);
  const background = await storm;
  return {
    ...measured,
    alongside: {
      label: stormLabel,
      requestsPerSecond: background.requestsPerSecond,
      non2xx: background.non2xx,
    },
  };
}

/**
 * The server started afresh on the database the run migrated (as a restart or a new node
 * finds it), timed from spawn to the first 200 from /healthz, polled every 5 ms; then its RSS
 * after a second with nothing to do.
 */
async function measureColdStarts(
  config: BenchConfig,
  options: Omit<TesseraOptions, 'port'>,
): Promise<ColdStart> {
  const result: ColdStart = { seconds: [], idleRssBytes: [] };
  for (let i = 1; i <= config.coldStarts; i++) {
    log(`cold start ${i} of ${config.coldStarts}`);
    const port = await freePort();
    const started = performance.now();
    const server = await startTessera({ ...options, port, readyPath: '/healthz', readyPollMs: 5 });
    result.seconds.push((performance.now() - started) / 1000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      result.idleRssBytes.push(readRss(server.pid));
    } finally {
      await server.stop();
    }
  }
  return result;
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
  options: {
    /** End each run on a number of answers (about the given rate × the duration), not on a clock. */
    drainAtRate?: number;
    /** Settings made afresh for each run (the warm-up and the measured one). */
    fresh?: () => Promise<Partial<LoadSpec>>;
  } = {},
): Promise<Measurement> {
  const { connections, warmupSeconds, durationSeconds } = config;
  const amount = (rate: number | undefined, seconds: number) =>
    rate === undefined ? {} : { amount: Math.max(connections * 2, Math.ceil(rate * seconds)) };
  log(`${label}: warm-up ${warmupSeconds} s`);
  const warmup = await runLoad({
    ...spec,
    ...(await options.fresh?.()),
    connections,
    durationSeconds: warmupSeconds,
    ...amount(options.drainAtRate, warmupSeconds),
  });
  const measured = {
    ...spec,
    ...(await options.fresh?.()),
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
