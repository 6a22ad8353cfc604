import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../database.js';
import { prepareByName } from '../prepared-statements.js';

/**
 * A query for a hot path, built and compiled by Kysely once and then only given new
 * parameters: building and compiling a query costs more event-loop time than sending it
 * (a fifth of a signed-in request's CPU in a profile of users.me).
 *
 * `build` must pass every field of `args` straight through as a query parameter and shape
 * the query the same whatever the values: the first call compiles it with a placeholder per
 * field and remembers which parameter each one became. The SQL is the same for every pool
 * and transaction (one dialect), so one compilation serves them all; PostgreSQL also gets it
 * as a named prepared statement (prepared-statements.ts), planned once per connection.
 */
export function compileOnce<A extends Record<string, unknown>, O>(
  build: (db: Kysely<Database>, args: A) => Compilable<O>,
): (db: Kysely<Database>, args: A) => CompiledQuery<O> {
  let compiled: { query: CompiledQuery<O>; fields: (keyof A | undefined)[] } | undefined;
  return (db, args) => {
    if (!compiled) {
      const placeholders = new Map<symbol, keyof A>();
      const standIns: Record<string, symbol> = {};
      for (const key of Object.keys(args)) {
        const placeholder = Symbol(key);
        placeholders.set(placeholder, key);
        standIns[key] = placeholder;
      }
      const query = build(db, standIns as unknown as A).compile();
      const fields = query.parameters.map((p) => (typeof p === 'symbol' ? placeholders.get(p) : undefined));
      const missing = Object.keys(args).filter((key) => !fields.includes(key));
      if (missing.length > 0) throw new Error(`compileOnce: ${missing.join(', ')} did not become parameters`);
      prepareByName(query.sql);
      compiled = { query, fields };
    }
    const { query, fields } = compiled;
    const parameters = fields.map((key, i) => (key === undefined ? query.parameters[i] : args[key]));
    return { ...query, parameters };
  };
}
