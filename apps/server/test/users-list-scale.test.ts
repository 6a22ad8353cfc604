import type { UserListQuery } from '@tessera/api';
import { errorCode, errorReason } from '@tessera/client';
import { captureQueries, createStores, explainQuery, type DatabaseHandle } from '@tessera/db';
import { sql } from 'kysely';
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

/**
 * The plans PostgreSQL picks for the queries the user store really sends (no planner settings
 * changed): one, or for a search both steps (the walk of the order, then the collection of
 * matches, which a dry run always reaches).
 */
async function plansOf(database: DatabaseHandle, query: Omit<UserListQuery, 'limit'>): Promise<string[]> {
  const captured = await captureQueries((db) => createStores(db).users.list({ ...query, limit: 21 }));
  return Promise.all(
    captured.map(async (compiled) => (await explainQuery(database.db, compiled)).join('\n')),
  );
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
    const plans = await plansOf(database, { sort: 'createdAt', order: 'desc', ...input });
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatch(index);
    expect(plans[0]).not.toMatch(/Seq Scan/);
  });

  it.each([
    [
      'a short search (prefix of email or name)',
      { search: 'zq' },
      /users_email_prefix_idx[^]*users_name_prefix_idx/,
    ],
    [
      'a short search, sorted by name',
      { search: 'zq', sort: 'name', order: 'asc' },
      /users_(email|name)_prefix_idx/,
    ],
    ['a search sorted by email, admins only', { search: 'tim', role: 'admin', sort: 'email' }, /users_role_/],
  ] as const)(
    '%s: a bounded walk of the order, then the matches through their index',
    async (_case, input, index) => {
      const [walk, collect] = await plansOf(database, { sort: 'createdAt', order: 'desc', ...input });
      expect(walk).toMatch(/Index Scan/);
      expect(walk).toMatch(/Limit[^]*Limit/);
      expect(collect).toMatch(index);
      for (const plan of [walk, collect]) expect(plan).not.toMatch(/Seq Scan/);
    },
  );

  it.each([
    ['tim', 'name', 'asc', {}],
    ['tim', 'name', 'desc', { role: 'user' as const }],
    ['smith', 'createdAt', 'desc', {}],
    ['jo', 'email', 'asc', {}],
    ['a', 'name', 'desc', { disabled: false }],
    ['zq', 'createdAt', 'asc', {}],
    ['knuth', 'email', 'desc', { disabled: true }],
  ] as const)(
    'finds every match of "%s" sorted by %s %s, page after page, in order',
    async (term, sort, order, filters) => {
      const users = createStores(database.db).users;
      const pattern = /[a-z0-9]{3}/.test(term) ? `%${term}%` : `${term}%`;
      const column = { createdAt: 'created_at', name: 'name', email: 'email' }[sort];
      let oracle = database.db
        .selectFrom('users')
        .select('id')
        .where(sql<boolean>`(email like ${pattern} or lower(name) like ${pattern})`)
        .orderBy(column as 'name', order);
      if (sort !== 'email') oracle = oracle.orderBy('id', order);
      if ('role' in filters) oracle = oracle.where('role', '=', filters.role);
      if ('disabled' in filters)
        oracle = oracle.where('disabled_at', filters.disabled ? 'is not' : 'is', null);
      const expected = (await oracle.execute()).map((r) => r.id);

      const ids: string[] = [];
      let after: UserListQuery['after'];
      for (;;) {
        const rows = await users.list({ search: term, sort, order, ...filters, after, limit: 500 });
        ids.push(...rows.map((r) => r.user.id));
        if (rows.length < 500) break;
        const last = rows.at(-1)!;
        after = { value: last.sortValue, id: last.user.id };
      }
      expect(ids).toEqual(expected);
    },
  );
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
