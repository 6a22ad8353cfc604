import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../database.js';
import { compileOnce } from './compile-once.js';

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('compileOnce', () => {
  it('builds the query once and fills in each call’s parameters in their places', () => {
    let builds = 0;
    const query = compileOnce((kysely, { email, limit }: { email: string; limit: number }) => {
      builds++;
      return kysely
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .where('failed_login_count', '<', 5)
        .limit(limit);
    });

    const first = query(db, { email: 'a@example.com', limit: 1 });
    const second = query(db, { email: 'b@example.com', limit: 7 });

    expect(builds).toBe(1);
    expect(second.sql).toBe(first.sql);
    // The constant 5 stays where it was; only the arguments change.
    expect(first.parameters).toEqual(['a@example.com', 5, 1]);
    expect(second.parameters).toEqual(['b@example.com', 5, 7]);
  });

  it('refuses a builder that does not pass an argument through as a parameter', () => {
    const query = compileOnce((kysely, { email }: { email: string; unused: string }) =>
      kysely.selectFrom('users').select('id').where('email', '=', email),
    );
    expect(() => query(db, { email: 'a@example.com', unused: 'x' })).toThrow(/unused did not become/);
  });
});
