import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureQueries, explainQuery, openDatabase, type DatabaseHandle } from './engine.js';
import { migrateToLatest } from './migrate.js';
import { createStores } from './stores/index.js';

describe('captureQueries', () => {
  it('returns the SQL a store sends, with its parameters, without a database', async () => {
    const [query, ...rest] = await captureQueries((db) =>
      createStores(db).audit.list({ action: 'users.delete', limit: 51 }),
    );
    expect(rest).toEqual([]);
    expect(query?.sql).toMatch(/^select .* from "audit_events"/);
    expect(query?.parameters).toEqual(expect.arrayContaining(['users.delete', 51]));
  });
});

describe('explainQuery', () => {
  // A migrated database is set-up, not what this test measures: it opens in a hook.
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
  });
  afterAll(() => database.close());

  it("returns PostgreSQL's plan for a captured query, with EXPLAIN's options", async () => {
    const [query] = await captureQueries((db) =>
      createStores(db).audit.list({ action: 'users.delete', limit: 51 }),
    );
    const plan = await explainQuery(database.db, query!);
    expect(plan.join('\n')).toMatch(/audit_events/);
    expect(plan.join('\n')).toMatch(/cost=/);
    const analysed = await explainQuery(database.db, query!, 'analyze, costs off');
    expect(analysed.join('\n')).toMatch(/actual/);
    expect(analysed.join('\n')).not.toMatch(/cost=/);
  });
});
