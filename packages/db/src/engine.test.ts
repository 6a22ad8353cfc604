import { describe, expect, it } from 'vitest';
import { captureQueries } from './engine.js';
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
