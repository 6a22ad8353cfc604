import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argon2Rate } from './argon2-rate.js';
import type { LoadResult } from './load.js';

export interface Measurement {
  label: string;
  load: LoadResult;
  /** Largest VmRSS of the server under load, in bytes. */
  maxRssBytes: number;
  /**
   * CPU time (user + system) per 2xx answer: the server process (and of that, its main
   * thread, i.e. the event loop), its database backends, autocannon.
   */
  cpuMsPerRequest: { server: number; serverMainThread: number; database: number; loadGenerator: number };
  /**
   * Set when other load shared the server during the run (the sign-in storm): its CPU figures
   * then count that load's work too and are not printed as this scenario's.
   */
  alongside?: { label: string; requestsPerSecond: number; non2xx: number };
  /** With BENCH_ROUNDS > 1: the rate of every round (the figures above are the median round's). */
  roundsRequestsPerSecond?: number[];
  roundsMaxRssBytes?: number[];
}

/** One figure of the goals table, measured in this run. */
export interface Goal {
  figure: string;
  value: number;
  /** How many decimals to print. */
  digits: number;
  target: string;
  met: boolean;
}

export interface ColdStart {
  /** Spawn to the first 200 from /healthz, on a migrated PostgreSQL database, each start. */
  seconds: number[];
  /** RSS of each freshly started server, no request served but /healthz, after a second's rest. */
  idleRssBytes: number[];
}

export interface BenchResults {
  date: string;
  commit: string;
  machine: {
    cores: number;
    cpu: string;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    loginUsers: number;
    rounds: number;
    argon2: { memoryCost: number; timeCost: number; parallelism: number; maxConcurrency: number };
  };
  /** Tessera's RSS once started and with the accounts registered, before any load. */
  server: { idleRssBytes: number };
  scenarios: Partial<Record<ScenarioKey, Measurement>>;
  argon2?: Argon2Rate;
  coldStart?: ColdStart;
  /** users.list at 1M users, from the last `pnpm bench:users` run (its own, slower benchmark). */
  usersList?: UsersListFigures;
  /** The goals table, every figure this run measured, in the table's order. */
  goals: Goal[];
}

/** The goal's three `users.list` requests, one after another: their p99 in ms, and when measured. */
export interface UsersListFigures {
  date: string;
  p99Ms: { request: string; value: number }[];
}

/** The scenarios of `pnpm bench:users` (by how their names start) the goal names: first page, deep page, a 3+-character search. */
const USERS_LIST_GOAL = [
  ['first page', 'first page, newest first'],
  ['deep page', 'deep page ('],
  ['search "smith"', 'search "smith"'],
] as const;

/** The part of `pnpm bench:users`'s results file (results/users-list/latest.json) the goal reads. */
export interface SavedUsersList {
  date: string;
  results: { scenario: string; sequential: { p99: number } }[];
}

export function usersListFigures(saved: SavedUsersList): UsersListFigures {
  const p99Ms = USERS_LIST_GOAL.flatMap(([request, scenario]) => {
    const found = saved.results.find((r) => r.scenario.startsWith(scenario));
    return found ? [{ request, value: found.sequential.p99 }] : [];
  });
  return { date: saved.date, p99Ms };
}

export const scenarioKeys = ['me', 'ceiling', 'login', 'refresh', 'storm'] as const;
export type ScenarioKey = (typeof scenarioKeys)[number];

/** CPU per answer of everything a request touches on this machine. */
const cost = (m: Measurement) =>
  m.cpuMsPerRequest.server + m.cpuMsPerRequest.database + m.cpuMsPerRequest.loadGenerator;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

/**
 * The goals table of the performance issue, checked against one run's figures. Each rate
 * ratio comes with the same comparison by total CPU per request (server + database + load
 * generator): what the ratio would be on an otherwise idle machine if both sides were
 * CPU-bound. It moves far less than rates do when other work shares the machine.
 */
export function goals(results: Omit<BenchResults, 'goals'>): Goal[] {
  const { me, ceiling, login, refresh, storm } = results.scenarios;
  const out: Goal[] = [];
  const goal = (figure: string, value: number, digits: number, target: string, met: boolean) =>
    out.push({ figure, value, digits, target, met });
  const atLeast = (figure: string, value: number, min: number) => {
    // No 2xx answer, no CPU per answer: nothing to compare.
    if (Number.isFinite(value)) goal(figure, value, 2, `≥ ${min}`, value >= min);
  };
  if (me && ceiling) {
    atLeast('users.me / ceiling (req/s)', me.load.requestsPerSecond / ceiling.load.requestsPerSecond, 0.8);
    atLeast('  the same, by CPU per request', cost(ceiling) / cost(me), 0.8);
  }
  if (login && results.argon2) {
    atLeast(
      'auth.login / argon2 verifies per second',
      login.load.requestsPerSecond / results.argon2.verifiesPerSecond,
      0.9,
    );
    // argon2's CPU per verify over a sign-in's whole CPU cost.
    atLeast('  the same, by CPU per request', results.argon2.cpuMsPerVerify / cost(login), 0.9);
  }
  if (storm) {
    const p99 = storm.load.latencyMs.p99;
    goal('users.me p99 during a sign-in storm (ms)', p99, 0, '< 50', p99 < 50);
  }
  if (refresh && ceiling) {
    atLeast(
      'auth.refresh / ceiling (req/s)',
      refresh.load.requestsPerSecond / ceiling.load.requestsPerSecond,
      0.5,
    );
    atLeast('  the same, by CPU per request', cost(ceiling) / cost(refresh), 0.5);
  }
  const underLoad = [me, login, refresh, storm].filter((m) => m !== undefined).map((m) => m.maxRssBytes);
  if (underLoad.length) {
    const value = Math.max(...underLoad) / 2 ** 20;
    goal('server RSS under load (MB, max)', value, 0, '< 200', value < 200);
  }
  if (results.coldStart) {
    const idle = median(results.coldStart.idleRssBytes) / 2 ** 20;
    goal('server RSS idle, fresh start (MB, median)', idle, 0, '< 120', idle < 120);
    const seconds = median(results.coldStart.seconds);
    goal('cold start to /healthz (s, median)', seconds, 2, '< 1.5', seconds < 1.5);
  }
  for (const { request, value } of results.usersList?.p99Ms ?? [])
    goal(`users.list p99 at 1M: ${request} (ms)`, value, 1, '< 20', value < 20);
  return out;
}

const loads = (l: number[]) => l.map((n) => n.toFixed(2)).join(' ');
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The human-readable table printed at the end of a run. */
export function formatTable(results: BenchResults): string {
  const { settings: s, machine: m } = results;
  const lines = [
    `Tessera bench ${results.date} · commit ${results.commit} · ${m.cores} cores (${m.cpu}) · Node ${m.node}`,
    `autocannon c=${s.connections}, ${s.durationSeconds} s each after ${s.warmupSeconds} s warm-up` +
      (s.rounds > 1 ? `, median of ${s.rounds} interleaved rounds · ` : ' · ') +
      `argon2id m=${s.argon2.memoryCost} t=${s.argon2.timeCost} p=${s.argon2.parallelism}, ` +
      `ARGON2_MAX_CONCURRENCY=${s.argon2.maxConcurrency}`,
    `load average (1/5/15 min) at start ${loads(m.loadAverageAtStart)}, at end ${loads(m.loadAverageAtEnd)}` +
      (m.loadAverageAtStart[0]! > m.cores / 2 ? ' (busy machine: figures are low and noisy)' : ''),
    '',
    row([
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'errors',
      'max RSS MB',
      'CPU ms/req: srv (loop) db ac',
    ]),
    row(['-'.repeat(31), '-----', '------', '------', '-------', '------', '----------', '-'.repeat(28)]),
  ];
  const measured = scenarioKeys.map((key) => results.scenarios[key]);
  for (const m of measured) {
    if (!m) continue;
    const l = m.load;
    const cpu = m.cpuMsPerRequest;
    lines.push(
      row([
        m.label,
        int(l.requestsPerSecond),
        String(l.latencyMs.p50),
        String(l.latencyMs.p99),
        String(l.non2xx),
        String(l.errors),
        mb(m.maxRssBytes),
        m.alongside
          ? 'shared with the storm'
          : `${cpu.server.toFixed(2).padStart(6)} (${cpu.serverMainThread.toFixed(2)})` +
            [cpu.database, cpu.loadGenerator].map((ms) => ms.toFixed(2).padStart(6)).join(''),
      ]),
    );
  }
  lines.push(
    `  Tessera RSS before load: ${mb(results.server.idleRssBytes)} MB. CPU ms/req: the server process ` +
      '(its event-loop thread), its PostgreSQL backends, autocannon.',
  );
  for (const m of measured) {
    if (m?.alongside)
      lines.push(
        `  ${m.label}: ${m.alongside.label} ran alongside at ${int(m.alongside.requestsPerSecond)} req/s` +
          (m.alongside.non2xx ? ` (${m.alongside.non2xx} non-2xx)` : ''),
      );
  }
  for (const m of measured) {
    if (m?.roundsRequestsPerSecond)
      lines.push(
        `  rounds of ${m.label}: ${m.roundsRequestsPerSecond.map(int).join(' / ')} req/s, ` +
          `max RSS ${(m.roundsMaxRssBytes ?? []).map(mb).join(' / ')} MB`,
      );
  }
  if (results.argon2) {
    const a = results.argon2;
    lines.push(
      '',
      `argon2id verify, ${a.concurrency} in flight (one per core): ${int(a.verifiesPerSecond)} verifies/s, ` +
        `${a.msPerVerify.toFixed(1)} ms each, ${a.cpuMsPerVerify.toFixed(1)} ms CPU (${a.verifies} in ${a.seconds.toFixed(1)} s)`,
    );
  }
  if (results.coldStart) {
    const c = results.coldStart;
    lines.push(
      '',
      `cold start to /healthz on PostgreSQL (migrated): ${c.seconds.map((x) => x.toFixed(2)).join(' / ')} s; ` +
        `idle RSS then ${c.idleRssBytes.map(mb).join(' / ')} MB`,
    );
  }
  lines.push('', row(['goal', 'value', 'target', 'met'], [42, 7, 7, 4]));
  for (const g of results.goals)
    lines.push(row([g.figure, g.value.toFixed(g.digits), g.target, g.met ? 'yes' : 'NO'], [42, 7, 7, 4]));
  lines.push(
    results.usersList
      ? `  users.list: from pnpm bench:users of ${results.usersList.date} (requests one after another)`
      : row(['users.list p99 at 1M users (ms)', '–', '< 20', '–'], [42, 7, 7, 4]) +
          '  (run pnpm bench:users first: it measures it)',
  );
  return lines.join('\n');
}

function row(cells: string[], widths = [31, 7, 7, 7, 8, 7, 11, 29]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' ');
}

/** Writes the figures as JSON (apps/bench/results/ is git-ignored). */
export function writeResults(file: string, results: BenchResults): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
