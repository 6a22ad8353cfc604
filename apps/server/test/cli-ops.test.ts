import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStores, migrationStatus, openDatabase, type DatabaseHandle } from '@tessera/db';
import { freshDatabase } from '@tessera/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

/**
 * `tessera migrate` and `tessera mail retry-failed` against an empty database: a fresh one on
 * PostgreSQL when the suite runs there, else an embedded one in a fresh DATA_DIR.
 */
let env: Record<string, string>;
let dataDir: string;
let dispose: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-ops-'));
  env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', MIGRATE_ON_START: 'false' };
  if (process.env.TEST_DATABASE_URL) {
    const fresh = await freshDatabase('cli_ops');
    await fresh.database.close();
    env.DATABASE_URL = fresh.url!;
    dispose = () => fresh.dispose();
  }
});
afterAll(async () => {
  await dispose?.();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The CLI's database, opened for a moment (the embedded one admits one process at a time). */
async function withDatabase<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openDatabase({ url: env.DATABASE_URL, dataDir: join(dataDir, 'pglite') });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

describe('tessera migrate', { timeout: 180_000 }, () => {
  it('--status lists pending migrations and changes nothing; mail commands refuse a database behind', async () => {
    const status = await runCli(['migrate', '--status'], env);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^pending +2026-11-26-001-initial-schema$/m);
    expect(status.stdout).toMatch(/(\d+) of \1 migrations pending .*run `tessera migrate`/);
    const retry = await runCli(['mail', 'retry-failed'], env);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(/pending migrations; run `tessera migrate` first/);
  });

  it('applies them, then has nothing left to do', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Applied \d+ migrations to the .*: 2026-11-26-001-initial-schema, /);
    expect((await withDatabase((d) => migrationStatus(d.db))).every((m) => m.executedAt)).toBe(true);
    const again = await runCli(['migrate'], env);
    expect(again.stdout).toMatch(/already up to date/);
    const status = await runCli(['migrate', '--status'], env);
    expect(status.stdout).toMatch(/^applied \d{4}-\d\d-\d\dT.* 2026-11-26-001-initial-schema$/m);
    expect(status.stdout).toMatch(/is up to date \(\d+ migrations\)/);
  });

  it('answers wrong usage with exit code 2 and the usage', async () => {
    for (const args of [['migrate', '--force'], ['mail'], ['mail', 'resend']]) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/Usage: tessera/);
    }
  });
});

describe('tessera mail retry-failed', { timeout: 180_000 }, () => {
  it('puts failed mail back in the queue, due now, with fresh attempts', async () => {
    const recipients = await withDatabase(async (database) => {
      const stores = createStores(database.db, { mailKey: new Uint8Array(32).fill(3) });
      const to = ['failed.one@example.com', 'failed.two@example.com', 'still.pending@example.com'];
      for (const recipient of to)
        await stores.outbox.enqueue({
          to: recipient,
          subject: 's',
          text: 't',
          html: 'h',
          language: 'en',
          secret: true,
        });
      await database.db
        .updateTable('email_outbox')
        .set({ status: 'failed', attempts: 10, last_error: '550 no such user' })
        .where('recipient', 'in', to.slice(0, 2))
        .execute();
      // One whose body was unreadable when it failed: nothing to send again.
      await database.db
        .insertInto('email_outbox')
        .values({ recipient: 'lost@example.com', subject: 's', body: null, status: 'failed', attempts: 1 })
        .execute();
      return to;
    });
    const result = await runCli(['mail', 'retry-failed'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Queued 2 failed mails again in the .*; 1 could not be/);
    const rows = await withDatabase((database) =>
      database.db
        .selectFrom('email_outbox')
        .select(['recipient', 'status', 'attempts', 'last_error'])
        .orderBy('recipient')
        .execute(),
    );
    expect(rows).toEqual([
      { recipient: recipients[0], status: 'pending', attempts: 0, last_error: null },
      { recipient: recipients[1], status: 'pending', attempts: 0, last_error: null },
      { recipient: 'lost@example.com', status: 'failed', attempts: 1, last_error: null },
      { recipient: recipients[2], status: 'pending', attempts: 0, last_error: null },
    ]);
  });
});
