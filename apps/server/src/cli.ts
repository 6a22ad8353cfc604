#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, parseConfig } from './config.js';

const USAGE = `Usage: tessera <command> [options]

Commands:
  create-admin --email <address> [--name <name>] [--promote]
      Creates an admin account. The password is asked for (twice) on a terminal, or read
      from standard input when it is not one:  printf '%s' "$PASSWORD" | tessera create-admin --email …
      --promote  if the email already has an account, make it an enabled admin, set the
                 password and sign it out everywhere (recovery when no admin can sign in)

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
  if (command !== 'create-admin') throw new UsageError(`Unknown command "${command}".`);

  const { values } = parseArgs({
    args: rest,
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
  const [
    { createStores, createTransact, migrateToLatest, migrationsApplied, openDatabase },
    { createAdmin },
    { createPasswordHasher },
  ] = await Promise.all([
    import('@tessera/db'),
    import('./ops/first-admin.js'),
    import('./auth/password-hasher.js'),
  ]);
  const database = await openDatabase(config.database);
  try {
    if (config.migrateOnStart) await migrateToLatest(database.db);
    else if (!(await migrationsApplied(database.db)))
      throw new Refusal(
        'The database has pending migrations; start the server once, or set MIGRATE_ON_START=true.',
      );
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
    const where =
      database.engine === 'postgres' ? 'PostgreSQL' : `embedded database in ${config.database.dataDir}`;
    console.log(
      `${result.outcome === 'created' ? 'Created' : 'Promoted'} admin ${email.data} (id ${result.id}) in the ${where}.`,
    );
    return 0;
  } finally {
    await database.close();
  }
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
    console.error(`create-admin failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
