import type { RouterInputs } from '@tessera/api';
import { errorCode, fieldErrors, type TesseraClient } from '@tessera/client';
import { captureQueries, createStores, explainQuery } from '@tessera/db';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_FIELDS } from './helpers/accounts.js';
import {
  startTestServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestServer,
  rejection,
} from './helpers/server.js';

type ListInput = Exclude<RouterInputs['users']['list'], void | undefined>;

let server: TestServer;
let manager: TesseraClient;
let managerId: string;

/** Names that exercise case-folding and LIKE's metacharacters. */
const NAMES = [
  'Percent 100% Sure',
  'Under_Score Person',
  'Back\\Slash Person',
  'abc Plain',
  'a_c Literal',
  'Zed Zebra',
  'ZEDD Upper',
  'Ünïcode Näme',
  'Mary Major',
  'Mary Minor',
];

beforeAll(async () => {
  server = await startTestServer();
  const email = uniqueEmail('list-manager');
  const { user, accessToken } = await server
    .client()
    .auth.register.mutate({ name: 'List Manager', email, password: STRONG_PASSWORD });
  await server.database.db.updateTable('users').set({ role: 'manager' }).where('id', '=', user.id).execute();
  manager = server.client(accessToken);
  managerId = user.id;

  // 60 accounts straight into the table (no passwords needed to be listed), with created_at
  // values that collide exactly and that differ only in microseconds.
  const rows = Array.from({ length: 60 }, (_, i) => ({
    email: i === 7 ? 'zed.mail@zed-example.com' : `seed-${String(i).padStart(2, '0')}@list.example.com`,
    name: NAMES[i % NAMES.length]!,
    role: (['user', 'user', 'user', 'manager', 'admin'] as const)[i % 5]!,
    created_at: `2026-01-01T00:00:00.${String(Math.floor(i / 3)).padStart(6, '0')}Z`,
    disabled_at: i % 4 === 0 ? new Date() : null,
  }));
  await server.database.db.insertInto('users').values(rows).execute();
});
afterAll(() => server?.close());

/** Every id of a listing, following nextCursor to the end. */
async function walk(input: ListInput, between?: (page: number, idsSoFar: string[]) => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const result = await manager.users.list.query({ ...input, cursor });
    expect(result.items.length).toBeLessThanOrEqual(input.limit ?? 20);
    ids.push(...result.items.map((u) => u.id));
    if (!result.nextCursor) return ids;
    expect(result.items).toHaveLength(input.limit ?? 20);
    cursor = result.nextCursor;
    await between?.(page, ids);
  }
}

/** The same listing from one plain ORDER BY query: the oracle for keyset paging. */
async function ordered(sort: 'createdAt' | 'name' | 'email', order: 'asc' | 'desc') {
  const column = { createdAt: 'created_at', name: 'name', email: 'email' } as const;
  let query = server.database.db.selectFrom('users').select('id').orderBy(column[sort], order);
  if (sort !== 'email') query = query.orderBy('id', order);
  return (await query.execute()).map((r) => r.id);
}

async function allRows() {
  return server.database.db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'disabled_at'])
    .execute();
}

describe('users.list paging', () => {
  it.each([
    ['createdAt', 'asc'],
    ['createdAt', 'desc'],
    ['name', 'asc'],
    ['name', 'desc'],
    ['email', 'asc'],
    ['email', 'desc'],
  ] as const)('walks every user once, in order, sorted by %s %s', async (sort, order) => {
    const ids = await walk({ sort, order, limit: 7 });
    expect(ids).toEqual(await ordered(sort, order));
  });

  it('defaults to 20 newest first', async () => {
    const page = await manager.users.list.query();
    expect(page.items.map((u) => u.id)).toEqual((await ordered('createdAt', 'desc')).slice(0, 20));
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it('keeps timestamps to the microsecond: rows one microsecond apart or tied are neither skipped nor repeated', async () => {
    // Six rows inside one millisecond: a cursor built from a JS Date would lose their order.
    const stamps = ['.000001', '.000002', '.000002', '.000003', '.000999', '.000004'];
    const inserted = await server.database.db
      .insertInto('users')
      .values(
        stamps.map((s, i) => ({
          email: `micro-${i}@micro.example.com`,
          name: `Micro Stamp ${i}`,
          role: 'user' as const,
          created_at: `2027-06-01T12:00:00${s}Z`,
        })),
      )
      .returning(['id'])
      .execute();
    for (const order of ['asc', 'desc'] as const) {
      const ids = await walk({ search: 'micro stamp', sort: 'createdAt', order, limit: 1 });
      expect([...ids].sort()).toEqual(inserted.map((r) => r.id).sort());
      const oracle = await server.database.db
        .selectFrom('users')
        .select('id')
        .where('name', 'like', 'Micro Stamp %')
        .orderBy('created_at', order)
        .orderBy('id', order)
        .execute();
      expect(ids).toEqual(oracle.map((r) => r.id));
    }
  });

  it.each(['createdAt', 'name'] as const)(
    'stays correct while rows are inserted and deleted between pages (sort %s)',
    async (sort) => {
      const before = await ordered(sort, 'asc');
      const deleted = new Set<string>();
      const early: string[] = [];
      const late: string[] = [];
      const ids = await walk({ sort, order: 'asc', limit: 9 }, async (page, idsSoFar) => {
        if (page > 2) return;
        const seen = new Set(idsSoFar);
        // Delete two rows not reached yet and one already shown (never the caller).
        const unseen = before.filter((id) => !seen.has(id) && !deleted.has(id) && id !== managerId);
        const victims = [
          unseen[3]!,
          unseen[unseen.length - 1]!,
          idsSoFar.find((id) => id !== managerId && !deleted.has(id))!,
        ];
        await server.database.db.deleteFrom('users').where('id', 'in', victims).execute();
        victims.forEach((id) => deleted.add(id));
        // Insert one row that sorts before the cursor (never shown) and one after it (shown later).
        const [first, last] = await server.database.db
          .insertInto('users')
          .values([
            {
              email: `early-${sort.toLowerCase()}-${page}@churn.example.com`,
              name: `AAAA Early ${page}`,
              role: 'user',
              created_at: '2000-01-01T00:00:00Z',
            },
            {
              email: `late-${sort.toLowerCase()}-${page}@churn.example.com`,
              name: `zzzz Late ${page}`,
              role: 'user',
              created_at: '2100-01-01T00:00:00Z',
            },
          ])
          .returning('id')
          .execute();
        early.push(first!.id);
        late.push(last!.id);
      });
      // No duplicates; every row present throughout shows up exactly once; rows inserted
      // ahead of the cursor show up, rows inserted behind it do not; rows deleted before
      // we reached them do not.
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of before.filter((id) => !deleted.has(id))) expect(ids).toContain(id);
      for (const id of late) expect(ids).toContain(id);
      for (const id of early) expect(ids).not.toContain(id);
      expect(ids.filter((id) => deleted.has(id))).toHaveLength(3);
      expect(deleted.size).toBe(9);
      await server.database.db
        .deleteFrom('users')
        .where('id', 'in', [...early, ...late])
        .execute();
    },
  );
});
describe('users.list search and filters', () => {
  beforeAll(async () => {
    // Rows of its own, so the paging tests' deletions cannot leave a term with nothing to find.
    await server.database.db
      .insertInto('users')
      .values([
        ...NAMES.map((name, i) => ({ email: `search-${i}@search.example.com`, name, role: 'user' as const })),
        { email: 'zed.search@zed-example.com', name: 'Someone Else', role: 'manager' as const },
      ])
      .execute();
  });

  /** The documented rule: anywhere with three letters or digits in a row, else at the start. */
  const matches = async (term: string) => {
    const t = term.toLowerCase();
    const found = /[\p{L}\p{N}]{3}/u.test(term)
      ? (text: string) => text.toLowerCase().includes(t)
      : (text: string) => text.toLowerCase().startsWith(t);
    return (await allRows())
      .filter((r) => found(r.email) || found(r.name))
      .map((r) => r.id)
      .sort();
  };
  const search = async (term: string, extra: Partial<ListInput> = {}) =>
    (await walk({ search: term, limit: 100, ...extra })).sort();

  it('is a case-insensitive substring match on email and name', async () => {
    for (const term of ['ZED', 'zed', 'Zed-Example', 'mary m', 'MAJOR', 'ünïcode', 'list.example']) {
      const expected = await matches(term);
      expect(expected.length).toBeGreaterThan(0);
      expect(await search(term)).toEqual(expected);
    }
    expect(await search('no such person anywhere')).toEqual([]);
  });

  it('treats % _ and \\ in a search as literal characters', async () => {
    for (const term of ['%', '100%', '_', 'a_c', 'r_s', '\\', 'k\\s', '%%', '\\%']) {
      expect(await search(term)).toEqual(await matches(term));
    }
    // Concretely: "a_c" is not a pattern matching "abc".
    const names = (await manager.users.list.query({ search: 'a_c', limit: 100 })).items.map((u) => u.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set(['a_c Literal']));
    expect(
      new Set((await manager.users.list.query({ search: '100%', limit: 100 })).items.map((u) => u.name)),
    ).toEqual(new Set(['Percent 100% Sure']));
  });

  it('matches a search of fewer than three letters or digits in a row at the start of the email or name', async () => {
    for (const term of ['a', 'Ma', 'ze', 'ZE', 'er', 'pe', '_', '%', 'a_', 'ü', 'k\\', 's-', '@l', 'a b']) {
      expect(await search(term), term).toEqual(await matches(term));
    }
    // "er" is inside many names ("Person", "Upper") but starts none of them, nor any email.
    expect(await search('er')).toEqual([]);
    const names = async (term: string) =>
      new Set((await manager.users.list.query({ search: term, limit: 100 })).items.map((u) => u.name));
    // Three in a row: anywhere again.
    expect(await names('upp')).toEqual(new Set(['ZEDD Upper']));
  });

  it('ignores a search of only spaces', async () => {
    expect((await manager.users.list.query({ search: '   ', limit: 5 })).items).toHaveLength(5);
  });

  it('filters by role and by disabled, alone and combined with a search', async () => {
    const rows = await allRows();
    for (const role of ['admin', 'manager', 'user'] as const) {
      const ids = (await walk({ role, limit: 100 })).sort();
      expect(ids).toEqual(
        rows
          .filter((r) => r.role === role)
          .map((r) => r.id)
          .sort(),
      );
      expect(ids.length).toBeGreaterThan(0);
    }
    const disabled = (await walk({ disabled: true, limit: 100 })).sort();
    expect(disabled).toEqual(
      rows
        .filter((r) => r.disabled_at !== null)
        .map((r) => r.id)
        .sort(),
    );
    expect(disabled.length).toBeGreaterThan(0);
    const enabled = (await walk({ disabled: false, limit: 100 })).sort();
    expect(enabled).toEqual(
      rows
        .filter((r) => r.disabled_at === null)
        .map((r) => r.id)
        .sort(),
    );
    // As a REST query string would carry it.
    expect((await walk({ disabled: 'true', limit: 100 })).sort()).toEqual(disabled);

    const combined = (await walk({ search: 'mary', role: 'user', disabled: false, limit: 100 })).sort();
    expect(combined).toEqual(
      rows
        .filter((r) => r.name.toLowerCase().includes('mary') && r.role === 'user' && r.disabled_at === null)
        .map((r) => r.id)
        .sort(),
    );
  });

  it('returns User objects with the listed fields only', async () => {
    const [first] = (await manager.users.list.query({ limit: 1 })).items;
    expect(Object.keys(first!).sort()).toEqual(USER_FIELDS);
  });
});

describe('users.list refusals', () => {
  it('is for managers and admins only', async () => {
    const { accessToken } = await server
      .client()
      .auth.register.mutate({ name: 'Plain', email: uniqueEmail(), password: STRONG_PASSWORD });
    const refused = await rejection(server.client(accessToken).users.list.query());
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toBe('Only managers and admins can list users');
  });

  it('keeps limit within 1–100', async () => {
    for (const limit of [0, 101, 2.5, -1]) {
      const refused = await rejection(manager.users.list.query({ limit }));
      expect(errorCode(refused)).toBe('BAD_REQUEST');
      expect(fieldErrors(refused)?.limit?.[0]).toMatch(/Limit/);
    }
    expect((await manager.users.list.query({ limit: 100 })).items.length).toBeLessThanOrEqual(100);
    expect((await manager.users.list.query({ limit: 1 })).items).toHaveLength(1);
  });

  it('refuses bad, tampered and mismatched cursors with a cursor field error', async () => {
    const { nextCursor } = await manager.users.list.query({ sort: 'name', limit: 2 });
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad = [
      'garbage',
      '%%%',
      forge({
        s: 'createdAt',
        o: 'desc',
        v: '2026-01-01 00:00:00',
        id: '00000000-0000-4000-8000-000000000000',
      }),
      forge({ s: 'createdAt', o: 'desc', v: 'not a date', id: '00000000-0000-4000-8000-000000000000' }),
      forge({ s: 'name', o: 'asc', v: 'x\u0000y', id: '00000000-0000-4000-8000-000000000000' }),
      forge({ s: 'name', o: 'asc', v: 'x', id: 'nope' }),
      forge({ s: 'role', o: 'asc', v: 'x', id: '00000000-0000-4000-8000-000000000000' }),
    ];
    for (const cursor of bad) {
      const refused = await rejection(manager.users.list.query({ cursor }));
      expect(errorCode(refused)).toBe('BAD_REQUEST');
      expect(fieldErrors(refused)?.cursor).toBeDefined();
    }
    const mismatched = await rejection(manager.users.list.query({ cursor: nextCursor!, sort: 'email' }));
    expect(errorCode(mismatched)).toBe('BAD_REQUEST');
    expect((mismatched as Error).message).toMatch(/sorted by name desc/);
  });

  it('refuses unknown sorts, orders and roles', async () => {
    for (const input of [{ sort: 'password' }, { order: 'sideways' }, { role: 'owner' }]) {
      expect(errorCode(await rejection(manager.users.list.query(input as ListInput)))).toBe('BAD_REQUEST');
    }
  });
});

describe('users.list search uses the trigram indexes', () => {
  it("plans the store's own search query as bitmap scans of both trigram indexes", async () => {
    // The SQL the user store really sends for a search, captured without running it: a walk
    // of the requested order, then (the dry run finds nothing) the step that collects matches.
    const captured = await captureQueries((db) =>
      createStores(db).users.list({ search: 'zed', sort: 'createdAt', order: 'desc', limit: 21 }),
    );
    expect(captured).toHaveLength(2);
    const query = captured[1]!;
    expect(query.sql).toMatch(/like/);
    expect(query.sql).toMatch(/offset/);

    // A table this small is cheapest to read whole, so take the other plans away to show the
    // search expressions match the indexes (the 1M-row benchmark shows the planner choosing
    // them unprompted).
    const plan = await server.database.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      await sql`set local enable_indexscan = off`.execute(trx);
      return (await explainQuery(trx, query)).join('\n');
    });
    expect(plan).toMatch(/Bitmap Index Scan on users_email_trgm_idx/);
    expect(plan).toMatch(/Bitmap Index Scan on users_name_trgm_idx/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});
