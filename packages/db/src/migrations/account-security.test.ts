import { sql } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../engine.js';
import { freshDatabase, type FreshDatabase } from '../testing.js';
import * as initialSchema from './2026-11-26-001-initial-schema.js';
import * as auditActionIndex from './2026-11-27-001-audit-action-index.js';
import * as accountSecurity from './2026-12-01-001-account-security.js';

// The account-security migration on a database that already holds users, links and
// sessions: what was issued before keeps working, bound and recognised as after.
const migrations: Record<string, Migration> = {
  '2026-11-26-001-initial-schema': initialSchema,
  '2026-11-27-001-audit-action-index': auditActionIndex,
  '2026-12-01-001-account-security': accountSecurity,
};

let fresh: FreshDatabase;
let database: DatabaseHandle;

beforeAll(async () => {
  fresh = await freshDatabase('migration', 2);
  database = fresh.database;
}, 120_000);
afterAll(async () => {
  await fresh?.dispose();
});

const migrator = () =>
  new Migrator({ db: database.db, provider: { getMigrations: () => Promise.resolve(migrations) } });

async function migrateTo(name: string) {
  const { error } = await migrator().migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
}

describe('2026-12-01-001-account-security', () => {
  it('binds links already out to the account’s address and keeps every session’s tokens known', async () => {
    await migrateTo('2026-11-27-001-audit-action-index');
    const db = database.db;
    const { rows: users } = await sql<{ id: string }>`
      insert into users (email, name) values ('ada@example.com', 'Ada') returning id`.execute(db);
    const userId = users[0]!.id;
    await sql`
      insert into one_time_tokens (purpose, user_id, token_hash, expires_at)
      values ('password_reset', ${userId}, 'reset-hash', now() + interval '1 hour')`.execute(db);
    await sql`
      insert into sessions (user_id, refresh_token_hash, previous_token_hash, rotated_at, expires_at)
      values (${userId}, 'current-hash', 'previous-hash', now(), now() + interval '1 day'),
             (${userId}, 'fresh-hash', null, null, now() + interval '1 day')`.execute(db);

    await migrateTo('2026-12-01-001-account-security');
    const { rows: links } = await sql<{ email: string }>`select email from one_time_tokens`.execute(db);
    expect(links).toEqual([{ email: 'ada@example.com' }]);
    const { rows: family } = await sql<{ token_hash: string }>`
      select token_hash from session_refresh_tokens order by token_hash`.execute(db);
    expect(family.map((r) => r.token_hash)).toEqual(['current-hash', 'fresh-hash', 'previous-hash']);
    const { rows: pending } = await sql<{ pending_email: string | null }>`
      select pending_email from users`.execute(db);
    expect(pending).toEqual([{ pending_email: null }]);
    // Stored in one normal form, like `email`.
    await expect(
      sql`update users set pending_email = ' Ada@Example.com' where id = ${userId}`.execute(db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('rolls back cleanly', async () => {
    await migrateTo('2026-11-27-001-audit-action-index');
    const { rows } = await sql<{ column_name: string }>`
      select column_name from information_schema.columns
      where table_name = 'sessions' and column_name = 'previous_token_hash'`.execute(database.db);
    expect(rows).toHaveLength(1);
    await migrateTo('2026-12-01-001-account-security');
  });
});
