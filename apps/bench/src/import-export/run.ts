// `pnpm bench:import`: the built CLI imports BENCH_IMPORT_ROWS users (bcrypt hashes) from a
// CSV file into PostgreSQL, then `tessera users export` and GET /api/users/export write
// BENCH_EXPORT_USERS users; each timed, with the peak RSS of the process doing the work.
// Results: printed, and written to results/import-export/latest.json.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStores, createTransact, migrateToLatest, openDatabase } from '@tessera/db';
import { parseConfig } from '@tessera/server/config';
import { createAdmin } from '@tessera/server/first-admin';
import { createPasswordHasher } from '@tessera/server/password-hasher';
import { commonEnv, count, parseEnv } from '../env.js';
import { createBenchDatabase } from '../postgres.js';
import { freePort, productionEnv } from '../processes.js';
import { readRss, sampleRss } from '../rss.js';
import { buildServer, login, serverDir, startTessera } from '../tessera.js';
import { ensureDatabase, seedUsers } from '../users-list/seed.js';

const config = parseEnv(
  {
    BENCH_IMPORT_ROWS: count(100_000, 10_000_000, 1_000),
    BENCH_EXPORT_USERS: count(1_000_000, 20_000_000, 1_000),
    ...commonEnv,
  },
  process.env,
);
const resultsFile = fileURLToPath(new URL('../../results/import-export/latest.json', import.meta.url));
const cliEntry = join(serverDir, 'dist', 'cli.js');
const log = (message: string) => console.error(`[bench:import] ${message}`);
const ADMIN = {
  email: 'bench.admin@example.com',
  name: 'Bench Admin',
  password: 'bench admin passphrase for export',
};

interface Measured {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

/** Runs the built CLI with `env`, stdout to `stdoutPath`; times it and samples its RSS. */
async function runCli(args: string[], env: Record<string, string>, stdoutPath = '/dev/null') {
  const out = createWriteStream(stdoutPath);
  await once(out, 'open');
  const started = performance.now();
  const child = spawn(process.execPath, [cliEntry, ...args], {
    cwd: serverDir,
    env: { ...productionEnv(), ...env },
    stdio: ['ignore', out, 'inherit'],
  });
  const rss = sampleRss(child.pid!, 50);
  const [code] = (await once(child, 'close')) as [number | null];
  const peak = rss.stop();
  out.close();
  if (code !== 0) throw new Error(`tessera ${args.join(' ')} exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, peakRssMb: peak / 2 ** 20 };
}

const measured = (rows: number, run: { seconds: number; peakRssMb: number }): Measured => ({
  rows,
  seconds: Number(run.seconds.toFixed(1)),
  rowsPerSecond: Math.round(rows / run.seconds),
  peakRssMb: Number(run.peakRssMb.toFixed(0)),
});

/** A CSV of `rows` users, each with a bcrypt-format hash at cost 12 (import checks the format, never runs it). */
function writeImportFile(path: string, rows: number) {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const lines = ['email,name,role,passwordHash,emailVerified,disabled'];
  for (let i = 0; i < rows; i++) {
    const salt = [...randomBytes(53)].map((b) => alphabet[b % 64]).join('');
    lines.push(
      `user${i}@import.example,"Imported, User ${i}",${i % 50 === 0 ? 'manager' : 'user'},$2b$12$${salt},true,false`,
    );
  }
  writeFileSync(path, `${lines.join('\r\n')}\r\n`);
}

async function main() {
  if (config.BENCH_BUILD) buildServer(log);
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-import-'));
  const results: Record<string, unknown> = {
    machine: { cpus: cpus().length, loadAverageAtStart: loadavg() },
  };
  try {
    // Import: a fresh database, the file through `tessera users import`.
    const importDb = await createBenchDatabase(config.BENCH_POSTGRES_URL);
    try {
      const file = join(work, 'users.csv');
      writeImportFile(file, config.BENCH_IMPORT_ROWS);
      log(
        `importing ${config.BENCH_IMPORT_ROWS.toLocaleString('en')} rows (${(statSync(file).size / 2 ** 20).toFixed(1)} MiB CSV)`,
      );
      const env = { DATABASE_URL: importDb.url, DATA_DIR: join(work, 'data'), LOG_LEVEL: 'warn' };
      const run = await runCli(['users', 'import', file, '--on-conflict', 'skip'], env);
      results.import = measured(config.BENCH_IMPORT_ROWS, run);
      log(`import: ${JSON.stringify(results.import)}`);
    } finally {
      await importDb.drop();
    }

    // Export: the seeded database of `pnpm bench:users` (kept between runs), or a new one.
    const name = `tessera_bench_users_${config.BENCH_EXPORT_USERS}`;
    const target = await ensureDatabase(config.BENCH_POSTGRES_URL, name, false);
    const database = await openDatabase({ url: target.url, dataDir: 'memory://', poolMax: 2 });
    try {
      await migrateToLatest(database.db);
      await seedUsers({ url: target.url, users: config.BENCH_EXPORT_USERS, log });
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
      const users = Number(
        (
          await database.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
      const dataDir = fileURLToPath(new URL(`../../results/users-list/data-${name}`, import.meta.url));
      mkdirSync(dataDir, { recursive: true });
      const env = { DATABASE_URL: target.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      const exportFile = join(work, 'export.csv');
      log(`exporting ${users.toLocaleString('en')} users with the CLI`);
      results.cliExport = {
        ...measured(users, await runCli(['users', 'export'], env, exportFile)),
        megabytes: Number((statSync(exportFile).size / 2 ** 20).toFixed(0)),
      };
      log(`CLI export: ${JSON.stringify(results.cliExport)}`);
      rmSync(exportFile, { force: true });

      const server = await startTessera({
        port: await freePort(),
        databaseUrl: target.url,
        dataDir,
        argon2Env: {},
      });
      try {
        const token = await login(server.url, ADMIN.email, ADMIN.password);
        const rssBefore = readRss(server.pid);
        const rss = sampleRss(server.pid, 50);
        const started = performance.now();
        const response = await fetch(`${server.url}/api/users/export?format=jsonl`, {
          headers: { authorization: `Bearer ${token}` },
        });
        let bytes = 0;
        for await (const chunk of response.body!) bytes += (chunk as Uint8Array).length;
        const seconds = (performance.now() - started) / 1000;
        results.restExport = {
          ...measured(users, { seconds, peakRssMb: rss.stop() / 2 ** 20 }),
          serverRssBeforeMb: Number((rssBefore / 2 ** 20).toFixed(0)),
          megabytes: Number((bytes / 2 ** 20).toFixed(0)),
        };
        log(`REST export (jsonl): ${JSON.stringify(results.restExport)}`);
      } finally {
        await server.stop();
      }
    } finally {
      await database.close();
    }
    mkdirSync(dirname(resultsFile), { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
