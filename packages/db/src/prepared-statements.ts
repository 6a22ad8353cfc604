import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * The hot-path queries (those built by `compileOnce`), sent to PostgreSQL as named prepared
 * statements: each connection parses and plans one once, then only binds new parameters.
 * Sent unnamed, as everything else is, the signed-in check's join was parsed and planned on
 * every request — 0.70 ms a query against 0.25–0.32 ms named, measured side by side here.
 *
 * Off behind a transaction pooler that cannot carry prepared statements from one transaction
 * to the next (PgBouncer before 1.21, or with `max_prepared_statements = 0`): set
 * DATABASE_PREPARED_STATEMENTS=false there.
 */
const names = new Map<string, string>();

/** Marks `sql` as a hot query: from now on pools that prepare send it as a named statement. */
export function prepareByName(sql: string): void {
  if (!names.has(sql))
    names.set(sql, `tessera_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
}

/**
 * Makes every connection `pool` opens send the marked queries as named statements. Kysely
 * calls `client.query(sql, parameters)`; a marked text becomes `{ name, text, values }`,
 * every other call (cursors, `pool.query` with its callback) passes through untouched.
 */
export function prepareHotQueries(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const [text, values] = args;
      const name = typeof text === 'string' ? names.get(text) : undefined;
      if (name !== undefined && Array.isArray(values)) args.splice(0, 2, { name, text, values });
      return query(...args);
    }) as typeof client.query;
  });
}
