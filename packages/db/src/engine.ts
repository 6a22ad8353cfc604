import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  CompiledQuery,
} from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { prepareHotQueries } from './prepared-statements.js';

export interface DatabaseOptions {
  /** `postgres://…`: use a pg Pool. Unset: embedded PGlite. */
  url?: string | undefined;
  /** Where PGlite keeps its files; `memory://` for a throw-away database. */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolMax?: number;
  /**
   * Send the hot queries as named prepared statements: always (true), never (false), or when
   * a connection reaches PostgreSQL without a pooler in between (unset).
   */
  preparedStatements?: boolean | undefined;
  /** Told when a pooled connection fails while idle (see {@link PoolErrorListener}); stderr by default. */
  onError?: PoolErrorListener | undefined;
}

/**
 * Hears about a pooled connection that failed while idle: a database restart, failover or
 * `pg_terminate_backend` drops it. The pool forgets it and opens a new one on next use, so
 * this is for the log; node-postgres would crash the process if nobody listened.
 */
export type PoolErrorListener = (error: Error) => void;

const toStderr: PoolErrorListener = (error) =>
  console.error(`Database connection lost while idle (the pool opens a new one): ${error.message}`);

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: 'postgres' | 'pglite';
  /** The pool's connections right now (the metrics read it at each scrape). */
  poolStats(): PoolStats;
  /** Closes the pool and, for PGlite, the database itself. */
  close(): Promise<void>;
}

/** Connections of a pool: open ones lent out to queries, open ones idle, and callers waiting for one. */
export interface PoolStats {
  inUse: number;
  idle: number;
  waiting: number;
}

const statsOf = (pool: pg.Pool) => (): PoolStats => ({
  inUse: pool.totalCount - pool.idleCount,
  idle: pool.idleCount,
  waiting: pool.waitingCount,
});

/** Opens the database DESIGN.md asks for: PostgreSQL when a URL is given, PGlite otherwise. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: 5_000,
    });
    pool.on('error', options.onError ?? toStderr);
    if (options.preparedStatements !== false) prepareHotQueries(pool, options.preparedStatements ?? 'auto');
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', poolStats: statsOf(pool), close: () => db.destroy() };
  }
  if (!options.dataDir.startsWith('memory://')) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await createPGlite(options.dataDir);
  return fromPGlite(pglite, true, options.onError);
}

/**
 * A PGlite with the extensions the schema uses, empty or loaded from a `dumpDataDir()` tarball.
 * Loaded only for the embedded engine: a PostgreSQL deployment never pays for the WASM.
 */
export async function createPGlite(dataDir: string, loadDataDir?: Blob): Promise<PGlite> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ]);
  return PGlite.create(dataDir, { extensions: { pg_trgm }, ...(loadDataDir ? { loadDataDir } : {}) });
}

/** Wraps an open PGlite (tests clone a migrated one) in Kysely with real `pg` result types. */
export async function fromPGlite(
  pglite: PGlite,
  ownsPGlite: boolean,
  onError: PoolErrorListener = toStderr,
): Promise<DatabaseHandle> {
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const pool = new pg.Pool(createPgConfig(pglite));
  pool.on('error', onError);
  // Planning is dearer still in WASM: 0.58–0.70 ms a query unnamed, 0.24–0.29 ms named.
  prepareHotQueries(pool, true);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: 'pglite',
    poolStats: statsOf(pool),
    async close() {
      await db.destroy();
      if (ownsPGlite) await pglite.close();
    },
  };
}

/**
 * The SQL `run` sends, compiled and captured but never executed: a store's own queries, for
 * an EXPLAIN in a test or a benchmark that checks the plan of the query that really runs.
 */
export async function captureQueries(
  run: (db: Kysely<Database>) => Promise<unknown>,
): Promise<CompiledQuery[]> {
  const captured: CompiledQuery[] = [];
  const dryRun = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  await run(dryRun);
  return captured;
}

/**
 * PostgreSQL's plan for a captured query (see captureQueries), one line per row. `options`
 * go inside EXPLAIN's parentheses, e.g. `analyze, costs off`. Run it in a transaction to
 * plan under `set local` settings.
 */
export async function explainQuery(
  db: Kysely<Database>,
  query: CompiledQuery,
  options?: string,
): Promise<string[]> {
  const explain = options ? `explain (${options})` : 'explain';
  const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]),
  );
  return rows.map((row) => row['QUERY PLAN']);
}

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
]);

/**
 * SQLSTATEs that mean "no usable connection right now": connection exceptions (08), operator
 * intervention such as shutdown (57P), insufficient resources (53), database not accepting
 * connections (55000), gone (3D000) or refusing our credentials (28P01).
 */
const UNAVAILABLE_SQLSTATE = /^(08|57P|53)|^(55000|3D000|28P01|28000)$/;

/** Errors that mean "the database is not reachable right now" (they become 503, not 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    // pg reports these without a code.
    if (
      /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(
        e.message,
      )
    )
      return true;
  }
  return false;
}
