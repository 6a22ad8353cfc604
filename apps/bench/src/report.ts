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
  /** With BENCH_ROUNDS > 1: the rate of every round (the figures above are the median round's). */
  roundsRequestsPerSecond?: number[];
  roundsMaxRssBytes?: number[];
}

export interface Ratio {
  value: number;
  target: string;
  met: boolean;
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
  scenarios: { me?: Measurement; ceiling?: Measurement; login?: Measurement };
  argon2?: Argon2Rate;
  ratios: {
    meToCeiling?: Ratio;
    /**
     * The same comparison by total CPU per request (server + database + load generator): what
     * the rate ratio would be on an otherwise idle machine if both were CPU-bound. It moves
     * far less than rates do when other work shares the machine.
     */
    meToCeilingByCpu?: Ratio;
    loginToArgon2?: Ratio;
    /** argon2's CPU per verify over a sign-in's whole CPU cost: the same idea for auth.login. */
    loginToArgon2ByCpu?: Ratio;
    serverRssMb?: Ratio;
  };
}

/** CPU per answer of everything a request touches on this machine. */
const cost = (m: Measurement) =>
  m.cpuMsPerRequest.server + m.cpuMsPerRequest.database + m.cpuMsPerRequest.loadGenerator;

/** The targets of the foundation issue, checked against one run's figures. */
export function ratios(results: Omit<BenchResults, 'ratios'>): BenchResults['ratios'] {
  const { me, ceiling, login } = results.scenarios;
  const out: BenchResults['ratios'] = {};
  if (me && ceiling) {
    const value = me.load.requestsPerSecond / ceiling.load.requestsPerSecond;
    out.meToCeiling = { value, target: '≥ 0.7', met: value >= 0.7 };
    const byCpu = cost(ceiling) / cost(me);
    out.meToCeilingByCpu = { value: byCpu, target: '≥ 0.7', met: byCpu >= 0.7 };
  }
  if (login && results.argon2) {
    const value = login.load.requestsPerSecond / results.argon2.verifiesPerSecond;
    out.loginToArgon2 = { value, target: '≥ 0.9', met: value >= 0.9 };
    const byCpu = results.argon2.cpuMsPerVerify / cost(login);
    out.loginToArgon2ByCpu = { value: byCpu, target: '≥ 0.9', met: byCpu >= 0.9 };
  }
  const rss = [me, login].filter((m) => m !== undefined).map((m) => m.maxRssBytes);
  if (rss.length) {
    const value = Math.max(...rss) / 2 ** 20;
    out.serverRssMb = { value, target: '< 200', met: value < 200 };
  }
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
  for (const m of [results.scenarios.me, results.scenarios.ceiling, results.scenarios.login]) {
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
        `${cpu.server.toFixed(2).padStart(6)} (${cpu.serverMainThread.toFixed(2)})` +
          [cpu.database, cpu.loadGenerator].map((ms) => ms.toFixed(2).padStart(6)).join(''),
      ]),
    );
  }
  lines.push(
    `  Tessera RSS before load: ${mb(results.server.idleRssBytes)} MB. CPU ms/req: the server process ` +
      '(its event-loop thread), its PostgreSQL backends, autocannon.',
  );
  for (const m of [results.scenarios.me, results.scenarios.ceiling, results.scenarios.login]) {
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
  const r = results.ratios;
  lines.push('', row(['ratio', 'value', 'target', 'met'], [40, 7, 7, 4]));
  const ratioRow = (name: string, ratio: Ratio | undefined, digits: number) => {
    if (ratio)
      lines.push(
        row([name, ratio.value.toFixed(digits), ratio.target, ratio.met ? 'yes' : 'NO'], [40, 7, 7, 4]),
      );
  };
  ratioRow('users.me / ceiling', r.meToCeiling, 2);
  ratioRow('  the same, by CPU per request', r.meToCeilingByCpu, 2);
  ratioRow('auth.login / argon2 verifies per second', r.loginToArgon2, 2);
  ratioRow('  the same, by CPU per request', r.loginToArgon2ByCpu, 2);
  ratioRow('server max RSS (MB)', r.serverRssMb, 0);
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
