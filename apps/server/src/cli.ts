#!/usr/bin/env node
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { DatabaseHandle } from '@tessera/db';
import { ConfigError, parseConfig, type Config } from './config.js';
import { boundHeapGrowth } from './ops/heap.js';

boundHeapGrowth();

const USAGE = `Usage: tessera <command> [options]

Commands:
  create-admin --email <address> [--name <name>] [--promote]
      Creates an admin account. The password is asked for (twice) on a terminal, or read
      from standard input when it is not one:  printf '%s' "$PASSWORD" | tessera create-admin --email …
      --promote  if the email already has an account, make it an enabled admin, set the
                 password and sign it out everywhere (recovery when no admin can sign in)
  migrate [--status]
      Applies pending migrations (for MIGRATE_ON_START=false: run it once per release, before
      the new version starts). --status lists every migration, applied or pending, and changes nothing.
  mail retry-failed
      Puts mail that failed for good back in the queue; the running servers send it.
  users import FILE [--dry-run] [--on-conflict skip|update|fail] [--format csv|jsonl|django]
                    [--rejected PATH]
      Imports users from CSV (a header row naming email, name, role, passwordHash,
      emailVerified, disabled, locale), JSON Lines (one such object a line) or a Django
      \`dumpdata\` file of the user model (.json), 1,000 rows per transaction, with a progress
      bar. Old password hashes keep working (see the README). Refused rows are written to
      PATH (default FILE.rejected.jsonl). --on-conflict: what an email that already has an
      account does (default fail: stop, writing nothing of that batch).
  users export [--format csv|jsonl]
      Writes every user to standard output (CSV by default), never a password hash.

Exit codes: 0 done, 1 refused or failed, 2 wrong usage.
Uses the same settings as the server: DATABASE_URL for PostgreSQL, otherwise the embedded
database under DATA_DIR (stop the server first: an embedded database has one user at a time).`;

/** Exit codes: 0 done, 1 refused or failed, 2 wrong usage. */
class UsageError extends Error {}

/** A refusal to show as is (exit 1); AdminSetupError from first-admin.ts is one too. */
class Refusal extends Error {}

const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'create-admin') return createAdminCommand(rest);
  if (command === 'migrate') return migrateCommand(rest);
  if (command === 'mail') return mailCommand(rest);
  if (command === 'users') return usersCommand(rest);
  throw new UsageError(`Unknown command "${command}".`);
}

async function createAdminCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      name: { type: 'string', default: 'Admin' },
      promote: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.email) throw new UsageError('--email is required.');
  const email = emailSchema.safeParse(values.email);
  if (!email.success) throw new UsageError(`--email: "${values.email}" is not a valid email address.`);
  // The one rule for names every API path uses (loaded here, so `--help` stays instant).
  const { name: nameRule, issueMessage } = await import('@tessera/api');
  const parsedName = nameRule.safeParse(values.name);
  if (!parsedName.success)
    throw new UsageError(`--name: ${parsedName.error.issues.map((i) => issueMessage(i, 'en')).join('; ')}.`);
  const name = parsedName.data;

  const config = parseConfig();
  const password = await readPassword();

  // Loaded only now, so `--help` and usage errors answer at once.
  const [{ createStores, createTransact }, { createAdmin }, { createPasswordHasher }] = await Promise.all([
    import('@tessera/db'),
    import('./ops/first-admin.js'),
    import('./auth/password-hasher.js'),
  ]);
  return withMigratedDatabase(config, async (database, where) => {
    const result = await createAdmin(
      {
        stores: createStores(database.db),
        transact: createTransact(database.db),
        hasher: createPasswordHasher(config.argon2),
        clock: { now: () => new Date() },
        settings: config.auth,
      },
      { email: email.data, name, password, promote: values.promote },
    );
    console.log(
      `${result.outcome === 'created' ? 'Created' : 'Promoted'} admin ${email.data} (id ${result.id}) in the ${where}.`,
    );
    return 0;
  });
}

async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { status: { type: 'boolean', default: false } },
    strict: true,
  });
  const config = parseConfig();
  const { migrateToLatest, migrationStatus, openDatabase } = await import('@tessera/db');
  const database = await openDatabase(config.database);
  try {
    const where = databaseName(database.engine, config);
    if (values.status) {
      const states = await migrationStatus(database.db);
      for (const state of states)
        console.log(
          `${state.executedAt ? `applied ${state.executedAt.toISOString()}` : 'pending'.padEnd(32)}  ${state.name}`,
        );
      const pending = states.filter((state) => !state.executedAt).length;
      console.log(
        pending === 0
          ? `The ${where} is up to date (${states.length} migrations).`
          : `${pending} of ${states.length} migrations pending in the ${where}: run \`tessera migrate\`.`,
      );
      return 0;
    }
    const result = await migrateToLatest(database.db);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    console.log(
      applied.length === 0
        ? `The ${where} is already up to date.`
        : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to the ${where}: ${applied.join(', ')}.`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function mailCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'retry-failed')
    throw new UsageError(sub ? `Unknown mail command "${sub}".` : 'mail: say what to do (retry-failed).');
  parseArgs({ args: rest, options: {}, strict: true });
  const config = parseConfig();
  const { retryFailedMail } = await import('@tessera/db');
  return withMigratedDatabase(config, async (database, where) => {
    const { queued, unsendable } = await retryFailedMail(database.db);
    console.log(
      `Queued ${queued} failed mail${queued === 1 ? '' : 's'} again in the ${where}${unsendable ? `; ${unsendable} could not be (their body could not be read when they failed)` : ''}.`,
    );
    return 0;
  });
}

/** `tessera users import|export …` */
async function usersCommand(argv: string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'import') return importUsers(rest);
  if (subcommand === 'export') return exportUsers(rest);
  throw new UsageError(
    subcommand ? `Unknown command "users ${subcommand}".` : 'users: say import or export.',
  );
}

async function importUsers(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean', default: false },
      'on-conflict': { type: 'string', default: 'fail' },
      format: { type: 'string' },
      rejected: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [path, ...extra] = positionals;
  if (!path || extra.length > 0) throw new UsageError('users import takes one FILE.');
  const { importConflictModes } = await import('@tessera/api');
  const { formatOfFile, userFileFormats } = await import('./ops/user-files.js');
  const onConflict = importConflictModes.find((mode) => mode === values['on-conflict']);
  if (!onConflict) throw new UsageError(`--on-conflict: one of ${importConflictModes.join(', ')}.`);
  const format = values.format ? userFileFormats.find((f) => f === values.format) : formatOfFile(path);
  if (!format)
    throw new UsageError(
      values.format
        ? `--format: one of ${userFileFormats.join(', ')}.`
        : `Cannot tell the format of "${path}" from its name: pass --format ${userFileFormats.join('|')}.`,
    );
  const { existsSync } = await import('node:fs');
  if (!existsSync(path)) throw new Refusal(`No such file: ${path}`);
  const rejectedPath = values.rejected ?? `${path}.rejected.jsonl`;

  const config = parseConfig();
  const [{ createTransact }, { importFile }, { progressBar }] = await Promise.all([
    import('@tessera/db'),
    import('./ops/import-file.js'),
    import('./ops/progress.js'),
  ]);
  return withMigratedDatabase(config, async (database) => {
    const summary = await importFile(
      { transact: createTransact(database.db), clock: { now: () => new Date() }, settings: config.auth },
      { path, format, dryRun: values['dry-run'], onConflict, rejectedPath, progress: progressBar() },
    );
    const verb = values['dry-run'] ? 'Dry run, nothing written: would have' : 'Done:';
    console.log(
      `${verb} created ${summary.created}, updated ${summary.updated}, skipped ${summary.skipped}, ` +
        `rejected ${summary.rejected} of ${summary.rows} rows.`,
    );
    if (summary.rejected > 0) console.log(`Rejected rows, with the reason for each: ${rejectedPath}`);
    if (summary.stoppedAt !== undefined)
      console.log(
        `Stopped at the batch starting at row ${summary.stoppedAt}: an email there already has an account ` +
          '(--on-conflict fail). Nothing from that batch on was written; rows before it were.',
      );
    return summary.rejected > 0 ? 1 : 0;
  });
}

async function exportUsers(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { format: { type: 'string', default: 'csv' } },
    strict: true,
  });
  const { exportFormats, startExport } = await import('@tessera/api');
  const format = exportFormats.find((f) => f === values.format);
  if (!format) throw new UsageError(`--format: one of ${exportFormats.join(', ')}.`);
  const config = parseConfig();
  const { createStores } = await import('@tessera/db');
  return withMigratedDatabase(config, async (database) => {
    const chunks = await startExport(
      { stores: createStores(database.db) },
      { actorId: null, ip: null, userAgent: 'tessera-cli' },
      format,
    );
    for await (const chunk of chunks) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    return 0;
  });
}

/** The settings' database, migrated as the server would (MIGRATE_ON_START), or a refusal when it is behind. */
async function withMigratedDatabase(
  config: Config,
  run: (database: DatabaseHandle, where: string) => Promise<number>,
): Promise<number> {
  const { migrateToLatest, migrationsApplied, openDatabase } = await import('@tessera/db');
  const database = await openDatabase(config.database);
  try {
    if (config.migrateOnStart) await migrateToLatest(database.db);
    else if (!(await migrationsApplied(database.db)))
      throw new Refusal('The database has pending migrations; run `tessera migrate` first.');
    return await run(database, databaseName(database.engine, config));
  } finally {
    await database.close();
  }
}

function databaseName(engine: DatabaseHandle['engine'], config: Config): string {
  return engine === 'postgres' ? 'PostgreSQL database' : `embedded database in ${config.database.dataDir}`;
}

/** The password: typed twice without echo on a terminal, or all of stdin (one final newline dropped). */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (!text) throw new UsageError('No password on standard input.');
    return text;
  }
  const first = await promptHidden('Password: ');
  const second = await promptHidden('Repeat password: ');
  if (first !== second) throw new Refusal('The passwords do not match.');
  if (!first) throw new Refusal('The password is empty.');
  return first;
}

/** Reads one line from the terminal with echo off. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows, so nothing typed right away is echoed.
  stdin.setRawMode(true);
  process.stdout.write(prompt);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let input = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stdout.write('\n');
      if (error) reject(error);
      else resolve(input);
    };
    const onData = (data: string) => {
      for (const char of data) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Refusal('Cancelled.'));
        if (char === '\u007f' || char === '\b') input = [...input].slice(0, -1).join('');
        else input += char;
      }
    };
    stdin.on('data', onData);
  });
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    // parseArgs reports unknown or malformed options as a TypeError with an ERR_PARSE_ARGS_* code.
    console.error(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (
    error instanceof ConfigError ||
    error instanceof Refusal ||
    (error instanceof Error && error.name === 'AdminSetupError')
  ) {
    console.error(error.message);
    process.exitCode = 1;
  } else {
    console.error(
      `tessera ${process.argv.slice(2, 4).join(' ')} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  }
}
