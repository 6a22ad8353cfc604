// `pnpm bench:soak [minutes]`: two Tessera nodes on one PostgreSQL and one Redis, a mixed
// workload for a bounded time, and what must hold over time: no 5xx, p99 per procedure,
// memory that does not grow, an outbox that keeps up, every reset mail delivered exactly once.
// Settings: soak/config.ts (README.md). Results: printed, and written to results/soak.json.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase } from '../postgres.js';
import { freePort, type NodeProcess } from '../processes.js';
import { readRss } from '../rss.js';
import { buildServer, startTessera } from '../tessera.js';
import { parseSoakConfig } from './config.js';
import { startMailSink } from './mail-sink.js';
import { runWorkload, type Outcome } from './workload.js';

const METRICS_TOKEN = randomBytes(24).toString('hex');
const ADMIN = { email: 'soak.admin@example.com', password: 'soak admin passphrase of some length' };
const SAMPLE_MS = 5_000;

const config = parseSoakConfig(process.argv.slice(2));
const log = (message: string) => console.log(`[soak] ${message}`);
if (config.build) buildServer(log);

const database = await createBenchDatabase(config.postgresUrl);
const mail = await startMailSink();
const dataDirs: string[] = [];
const nodes: NodeProcess[] = [];
try {
  const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const env = {
    JWT_PRIVATE_KEY: key,
    // One service behind one origin: the same PUBLIC_URL (the tokens' issuer) on both nodes.
    PUBLIC_URL: 'http://tessera.soak.test',
    REDIS_URL: config.redisUrl,
    SMTP_URL: mail.url,
    MAIL_POLL_INTERVAL_MS: '200',
    METRICS_TOKEN,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // One address drives everything: the per-address and per-account limits would measure themselves.
    RATE_LIMIT_SIGN_IN: '1000000',
    RATE_LIMIT_MAIL: '1000000',
    RATE_LIMIT_TOKENS: '1000000',
    RATE_LIMIT_PASSWORD_CHECKS: '1000000',
    LOGIN_MAX_ATTEMPTS: '1000',
  };
  for (let i = 0; i < 2; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-soak-'));
    dataDirs.push(dataDir);
    // One after the other: the first migrates and creates the admin, the second joins.
    nodes.push(
      await startTessera({
        port: await freePort(),
        databaseUrl: database.url,
        dataDir,
        argon2Env: config.argon2Env,
        extraEnv: env,
      }),
    );
  }
  log(
    `two nodes up (${nodes.map((n) => n.url).join(', ')}); ${config.clients} clients for ${config.minutes} min`,
  );

  const rss = nodes.map(() => [] as { t: number; bytes: number }[]);
  const lag: number[] = [];
  const load: number[] = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    nodes.forEach((node, i) => rss[i]!.push({ t: Date.now() - started, bytes: readRss(node.pid) }));
    load.push(loadavg()[0]!);
    void scrape(nodes[0]!.url).then((text) => {
      const age = /^tessera_outbox_oldest_age_seconds (\S+)$/m.exec(text)?.[1];
      if (age !== undefined) lag.push(Number(age));
    });
  }, SAMPLE_MS);

  const outcomes = await runWorkload({
    urls: nodes.map((n) => n.url),
    admin: ADMIN,
    clients: config.clients,
    until: started + config.minutes * 60_000,
  });
  clearInterval(sampler);

  // Delivery: every reset asked for must arrive once; wait for the outbox to drain.
  const resets = outcomes.resetsRequested;
  const deadline = Date.now() + 120_000;
  const resetMails = () => mail.received.filter((m) => m.subject.startsWith('Reset your'));
  while (resetMails().length < resets.size && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 500));
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // room for a duplicate to show
  const perRecipient = new Map<string, number>();
  for (const m of resetMails()) perRecipient.set(m.to, (perRecipient.get(m.to) ?? 0) + 1);
  const missing = [...resets.keys()].filter((email) => !perRecipient.has(email)).length;
  const duplicated = [...perRecipient.values()].filter((n) => n > 1).length;
  const deliveryMs = resetMails()
    .map((m) => m.at - (resets.get(m.to) ?? m.at))
    .sort((a, b) => a - b);

  const results = {
    minutes: config.minutes,
    clients: config.clients,
    requests: outcomes.total,
    serverErrors: outcomes.serverErrors,
    otherFailures: outcomes.otherFailures,
    failures: Object.fromEntries(outcomes.failures),
    procedures: summarize(outcomes.byProcedure),
    rss: rss.map((samples, i) => ({
      node: i + 1,
      startMb: mb(samples[0]?.bytes ?? 0),
      endMb: mb(samples.at(-1)?.bytes ?? 0),
      // Past the first fifth (warm-up: JIT, pools, caches filling).
      slopeMbPerMinute: slope(samples.slice(Math.floor(samples.length / 5))),
    })),
    outbox: {
      maxOldestAgeSeconds: Math.max(0, ...lag),
      resetDeliveryMs: { p50: at(deliveryMs, 0.5), p99: at(deliveryMs, 0.99), max: deliveryMs.at(-1) ?? 0 },
    },
    resetMails: { requested: resets.size, delivered: resetMails().length, missing, duplicated },
    machineLoad1m: {
      mean: round(load.reduce((a, b) => a + b, 0) / Math.max(1, load.length)),
      max: round(Math.max(0, ...load)),
    },
  };
  print(results);
  const dir = fileURLToPath(new URL('../../results', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'soak.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${join(dir, 'soak.json')}`);
} finally {
  for (const node of nodes) await node.stop();
  await mail.close();
  await database.drop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
}

async function scrape(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    return await response.text();
  } catch {
    return '';
  }
}

function summarize(byProcedure: Map<string, Outcome[]>) {
  return Object.fromEntries(
    [...byProcedure].map(([name, list]) => {
      const ms = list.map((o) => o.ms).sort((a, b) => a - b);
      return [
        name,
        {
          count: list.length,
          p50Ms: at(ms, 0.5),
          p99Ms: at(ms, 0.99),
          errors5xx: list.filter((o) => o.status >= 500).length,
        },
      ];
    }),
  );
}

/** Least-squares slope of RSS over time, in MB per minute. */
function slope(samples: { t: number; bytes: number }[]): number {
  if (samples.length < 2) return 0;
  const xs = samples.map((s) => s.t / 60_000);
  const ys = samples.map((s) => s.bytes / 2 ** 20);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const num = xs.reduce((sum, x, i) => sum + (x - mx) * (ys[i]! - my), 0);
  const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return round(den === 0 ? 0 : num / den);
}

function at(sorted: number[], q: number): number {
  return sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : 0;
}
function mb(bytes: number): number {
  return round(bytes / 2 ** 20);
}
function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function print(results: {
  minutes: number;
  requests: number;
  serverErrors: number;
  otherFailures: number;
  failures: Record<string, number>;
  procedures: Record<string, { count: number; p50Ms: number; p99Ms: number; errors5xx: number }>;
  rss: { node: number; startMb: number; endMb: number; slopeMbPerMinute: number }[];
  outbox: { maxOldestAgeSeconds: number; resetDeliveryMs: { p50: number; p99: number; max: number } };
  resetMails: { requested: number; delivered: number; missing: number; duplicated: number };
  machineLoad1m: { mean: number; max: number };
}): void {
  console.log(
    `\nsoak: ${results.minutes} min, ${results.requests} requests, 5xx: ${results.serverErrors} (goal 0), other failures: ${results.otherFailures}`,
  );
  for (const [what, n] of Object.entries(results.failures)) console.log(`  not a success: ${what} × ${n}`);
  console.log('procedure                        count   p50 ms   p99 ms   5xx');
  for (const [name, p] of Object.entries(results.procedures))
    console.log(
      `${name.padEnd(30)} ${String(p.count).padStart(7)} ${String(p.p50Ms).padStart(8)} ${String(p.p99Ms).padStart(8)} ${String(p.errors5xx).padStart(5)}`,
    );
  for (const r of results.rss)
    console.log(
      `node ${r.node} RSS: ${r.startMb} → ${r.endMb} MB, slope ${r.slopeMbPerMinute} MB/min after warm-up (goal ≈ 0)`,
    );
  console.log(
    `outbox: oldest due mail waited at most ${results.outbox.maxOldestAgeSeconds} s; reset mail delivered in p50 ${results.outbox.resetDeliveryMs.p50} ms, p99 ${results.outbox.resetDeliveryMs.p99} ms`,
  );
  const m = results.resetMails;
  console.log(
    `reset mails: ${m.requested} asked, ${m.delivered} delivered, ${m.missing} missing, ${m.duplicated} duplicated (goal: each exactly once)`,
  );
  console.log(`machine load (1 min): mean ${results.machineLoad1m.mean}, max ${results.machineLoad1m.max}`);
}
