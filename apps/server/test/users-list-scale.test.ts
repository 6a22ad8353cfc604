import type { UserListQuery } from '@tessera/api';
import { errorCode, errorReason } from '@tessera/client';
import { captureQueries, createStores, type DatabaseHandle } from '@tessera/db';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngine } from './helpers/database.js';
import { rejection, startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';

/**
 * `count` accounts in one INSERT … SELECT: names from a small list (so prefixes repeat),
 * one in `adminEvery` an admin, one in `disabledEvery` disabled, a minute apart.
 */
async function seed(
  database: DatabaseHandle,
  count: number,
  { adminEvery, disabledEvery }: { adminEvery: number; disabledEvery: number },
) {
  await sql`
    insert into users (email, name, role, disabled_at, created_at)
    select lower(first || '.' || last || g || '@example.com'), first || ' ' || last,
           case when g % ${adminEvery}::int = 0 then 'admin' when g % 50 = 0 then 'manager' else 'user' end,
           case when g % ${disabledEvery}::int = 0 then now() end,
           timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
    from generate_series(1, ${count}::int) g
    cross join lateral (
      select (array['Ada', 'Alan', 'Grace', 'John', 'Linus', 'Margaret', 'Radia', 'Tim'])[1 + g % 8] as first,
             (array['Hopper', 'Johnson', 'Knuth', 'Lovelace', 'Smith', 'Turing', 'Wirth'])[1 + g % 7] as last
    ) v`.execute(database.db);
  await sql`analyze users`.execute(database.db);
}

/** The plan PostgreSQL picks for the query the user store really sends (no planner settings changed). */
async function planOf(database: DatabaseHandle, query: Omit<UserListQuery, 'limit'>): Promise<string> {
  const [compiled] = await captureQueries((db) => createStores(db).users.list({ ...query, limit: 21 }));
  const { rows } = await database.db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain ${compiled!.sql}`, [...compiled!.parameters]),
  );
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('users.list at scale: every listing is served by an index', () => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    // Rare admins and disabled accounts, and a rare prefix: what made the old queries read
    // the whole table to fill one page.
    await seed(database, 20_000, { adminEvery: 2_000, disabledEvery: 500 });
    await sql`insert into users (email, name, role) values
      ('zq.one@example.com', 'Quentin Zed', 'user'), ('zz.two@example.com', 'Zq Someone', 'user')`.execute(
      database.db,
    );
    await sql`analyze users`.execute(database.db);
  }, 120_000);
  afterAll(() => database?.close());

  it.each([
    ['a short search (prefix of email or name)', { search: 'zq' }, /users_(email|name)_prefix_idx/],
    [
      'a short search, sorted by name',
      { search: 'zq', sort: 'name', order: 'asc' },
      /users_(email|name)_prefix_idx/,
    ],
    ['disabled=true, newest first', { disabled: true }, /users_disabled_created_idx/],
    [
      'disabled=true, sorted by name',
      { disabled: true, sort: 'name', order: 'asc' },
      /users_disabled_(name|created|email)_idx/,
    ],
    [
      'disabled=true, sorted by email',
      { disabled: true, sort: 'email', order: 'desc' },
      /users_disabled_(name|created|email)_idx/,
    ],
    ['role=admin, sorted by name', { role: 'admin', sort: 'name', order: 'asc' }, /users_role_name_idx/],
    ['role=admin, sorted by email', { role: 'admin', sort: 'email', order: 'asc' }, /users_role_email_idx/],
    ['role=admin, newest first', { role: 'admin' }, /users_role_idx/],
  ] as const)('%s', async (_case, input, index) => {
    const plan = await planOf(database, { sort: 'createdAt', order: 'desc', ...input });
    expect(plan).toMatch(index);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});

describe.runIf(testEngine === 'postgres')('users.list past LIST_QUERY_TIMEOUT_MS', () => {
  it('is cancelled by the database and answered 503 list_timeout, not 500', async () => {
    const server = await startTestServer({ LIST_QUERY_TIMEOUT_MS: '1' });
    try {
      // Every account disabled: "enabled accounts" finds none, after reading them all.
      await seed(server.database, 40_000, { adminEvery: 1_000_000, disabledEvery: 1 });
      const { user, accessToken } = await server
        .client()
        .auth.register.mutate({ name: 'Lister', email: uniqueEmail('timeout'), password: STRONG_PASSWORD });
      await server.database.db
        .updateTable('users')
        .set({ role: 'manager' })
        .where('id', '=', user.id)
        .execute();
      const error = await rejection(
        server.client(accessToken).users.list.query({ disabled: false, role: 'user', sort: 'name' }),
      );
      expect(errorCode(error)).toBe('SERVICE_UNAVAILABLE');
      expect(errorReason(error)).toBe('list_timeout');
      // The timeout was the listing's own: the connection it used serves the next request unharmed.
      expect((await server.client(accessToken).users.me.query()).id).toBe(user.id);
      const setting = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(
        server.database.db,
      );
      expect(setting.rows[0]!.statement_timeout).toBe('0');
    } finally {
      await server.close();
    }
  }, 120_000);
});
