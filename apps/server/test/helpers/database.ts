import { migrateToLatest, type DatabaseHandle } from '@tessera/db';
import { freshDatabase, freshFromTemplate } from '@tessera/db/testing';
import { inject } from 'vitest';

/** Which engine this run tests: PostgreSQL when TEST_DATABASE_URL is set, PGlite otherwise. */
export const testEngine = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

/** A test database; `url` is set on PostgreSQL (for tools such as pg_dump). */
export type TestDatabase = DatabaseHandle & { url?: string };

/**
 * A fresh, migrated database for one test file: an in-memory PGlite, or a new database on
 * the PostgreSQL server of TEST_DATABASE_URL that is dropped again on close.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  // On PGlite, a copy of the suite's migrated template (helpers/pglite-template.ts).
  const template = testEngine === 'pglite' ? inject('pgliteTemplate') : undefined;
  if (template) {
    const copy = await freshFromTemplate(template);
    return { ...copy.database, close: () => copy.dispose() };
  }
  const fresh = await freshDatabase('test', 20);
  await migrateToLatest(fresh.database.db);
  return { ...fresh.database, ...(fresh.url ? { url: fresh.url } : {}), close: () => fresh.dispose() };
}
