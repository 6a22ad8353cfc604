import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import pg from 'pg';
import { createPGlite, fromPGlite, openDatabase, type DatabaseHandle } from './engine.js';
import { migrateToLatest } from './migrate.js';
import { createStores } from './stores/index.js';

/** A database for one test file, and how to be rid of it (`@tessera/db/testing`, for tests only). */
export interface FreshDatabase {
  database: DatabaseHandle;
  /** Its connection string on PostgreSQL (for tools such as pg_dump); undefined on PGlite. */
  url?: string;
  /** Closes it, and drops it on PostgreSQL. */
  dispose(): Promise<void>;
}

/**
 * An empty database for one test file: in-memory PGlite, or a new database named
 * `tessera_<purpose>_<random>` on the server of TEST_DATABASE_URL. Migrations are the caller's
 * choice (most run them all; a migration's own test applies them one by one).
 */
export async function freshDatabase(purpose: string, poolMax = 4): Promise<FreshDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({ dataDir: 'memory://' });
    return { database, dispose: () => database.close() };
  }
  const name = `tessera_${purpose}_${randomBytes(6).toString('hex')}`;
  await administer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), dataDir: 'memory://', poolMax });
  return {
    database,
    url: url.toString(),
    async dispose() {
      await database.close();
      await administer(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function administer(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Writes to `path` a PGlite data directory with every migration applied, for
 * {@link freshFromTemplate}. Starting PGlite runs initdb in WASM, seconds of CPU per test
 * file; a suite makes this once (a vitest globalSetup) and every file loads a copy instead.
 */
export async function writeMigratedTemplate(path: string): Promise<void> {
  const pglite = await createPGlite('memory://');
  const handle = await fromPGlite(pglite, false);
  await migrateToLatest(handle.db);
  await handle.close();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
}

/** An in-memory PGlite loaded from a template written by {@link writeMigratedTemplate}: migrated, and its own. */
export async function freshFromTemplate(path: string): Promise<FreshDatabase> {
  const pglite = await createPGlite('memory://', new Blob([await readFile(path)]));
  const database = await fromPGlite(pglite, true);
  return { database, dispose: () => database.close() };
}

/** A plain account with a unique email and a hash that matches no password, for store tests. */
export function insertTestUser(database: DatabaseHandle) {
  return createStores(database.db).users.insert({
    email: `${randomUUID()}@example.com`,
    name: 'Ada',
    passwordHash: 'not-a-real-hash',
    role: 'user',
    locale: 'en',
  });
}
