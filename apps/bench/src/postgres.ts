import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  name: string;
  /** DATABASE_URL for the servers under test. */
  url: string;
  /** Server processes serving this database right now (to account their CPU time). */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

/** A fresh, empty database for one run (the server migrates it), dropped again by `drop`. */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `tessera_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    backendPids: async () =>
      (
        await adminQuery<{ pid: number }>(serverUrl, 'select pid from pg_stat_activity where datname = $1', [
          name,
        ])
      ).map((r) => r.pid),
    // `with (force)` ends connections a crashed child may have left behind.
    drop: async () => {
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** One statement on its own connection: creating, dropping and inspecting databases. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
