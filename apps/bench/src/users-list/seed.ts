import pg from 'pg';
import { adminQuery } from '../postgres.js';

export interface SeedResult {
  users: number;
  /** Seconds spent seeding, or undefined when the users were already there. */
  seedSeconds?: number;
  /** Seconds spent rebuilding the users indexes after the bulk insert. */
  indexSeconds?: number;
}

const FIRST_NAMES =
  'Ada Alan Barbara Brian Claude Dennis Donald Edsger Frances Grace Hedy Ivan Jean John Ken Katherine Leslie Linus Margaret Niklaus Radia Richard Shafi Sophie Tim Vint Whitfield Yukihiro Zhang Émilie'.split(
    ' ',
  );
const LAST_NAMES =
  'Allen Backus Berners-Lee Cerf Dijkstra Diffie Goldwasser Hamilton Hopper Johnson Kay Knuth Lamarr Lamport Liskov Lovelace McCarthy Matsumoto Perlman Ritchie Sammet Shannon Smith Stallman Sutherland Thompson Torvalds Turing Wilson Wirth Yao Zuse Bartik Clarke Engelbart Feigenbaum Floyd Gray Hoare Iverson Kahn Lampson McIlroy Milner Naur Pnueli Rabin Scott Tarjan Wilkes'.split(
    ' ',
  );

/** The benchmark's database on the PostgreSQL server of `serverUrl`, created if missing (or if `fresh`). */
export async function ensureDatabase(serverUrl: string, name: string, fresh: boolean) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
  };
  const exists =
    (await adminQuery(serverUrl, 'select 1 from pg_database where datname = $1', [name])).length > 0;
  if (exists && fresh) await drop();
  if (!exists || fresh) await adminQuery(serverUrl, `create database ${name}`);
  return { name, url: url.toString(), drop };
}

/**
 * Makes the (migrated) database at `url` hold at least `users` accounts. One that already
 * does is reused (seeding a million rows takes a minute or two). Seeding is one INSERT …
 * SELECT over generate_series: the users table's secondary indexes are dropped first and
 * rebuilt from their own definitions afterwards, several times faster than maintaining two
 * trigram GIN indexes row by row.
 */
export async function seedUsers(options: {
  url: string;
  users: number;
  log: (message: string) => void;
}): Promise<SeedResult> {
  const { url, users, log } = options;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from users');
    const present = Number(rows[0]!.n);
    if (present >= users) {
      log(`reusing ${present.toLocaleString('en')} seeded users (BENCH_USERS_RESEED=true seeds afresh)`);
      return { users: present };
    }

    log(`seeding ${users.toLocaleString('en')} users`);
    const started = performance.now();
    await client.query('begin');
    await client.query(`set local maintenance_work_mem = '512MB'`);
    await client.query('set local synchronous_commit = off');
    await client.query('truncate users cascade');
    // Every index but the primary key, with its definition, to rebuild exactly as migrated.
    const indexes = await client.query<{ indexname: string; indexdef: string }>(`
      select indexname, indexdef from pg_indexes
      where schemaname = current_schema() and tablename = 'users'
        and indexname not in (select conname from pg_constraint where conrelid = 'users'::regclass)`);
    for (const index of indexes.rows) await client.query(`drop index ${index.indexname}`);
    await client.query(
      `insert into users (email, name, role, email_verified_at, disabled_at, created_at, updated_at)
       select lower(replace(first, 'É', 'e') || '.' || replace(last, '-', '') || g || '@' ||
                    (array['example.com', 'mail.test', 'corp.example', 'tessera.dev'])[1 + g % 4]),
              first || ' ' || last,
              case when g % 50 = 0 then 'manager' else 'user' end,
              case when g % 3 = 0 then at end,
              case when g % 97 = 0 then at + interval '1 day' end,
              at, at
       from generate_series(1, $1::int) as g
       -- Every 100th row takes its neighbour's exact timestamp: ties the id must break.
       cross join lateral (select g - (g % 100 = 1)::int as t) tie
       cross join lateral (
         select ($2::text[])[1 + abs(hashint4(g)) % cardinality($2::text[])] as first,
                ($3::text[])[1 + abs(hashint4(g + 7919)) % cardinality($3::text[])] as last,
                -- One a minute from 2020 on, with microseconds.
                timestamptz '2020-01-01 00:00:00+00' + (tie.t * interval '1 minute')
                  + ((abs(hashint4(tie.t)) % 1000000) * interval '1 microsecond') as at
       ) v`,
      [users, FIRST_NAMES, LAST_NAMES],
    );
    const inserted = performance.now();
    log(`inserted in ${((inserted - started) / 1000).toFixed(1)} s; rebuilding ${indexes.rowCount} indexes`);
    for (const index of indexes.rows) await client.query(index.indexdef);
    await client.query('commit');
    await client.query('analyze users');
    const done = performance.now();
    return {
      users,
      seedSeconds: (done - started) / 1000,
      indexSeconds: (done - inserted) / 1000,
    };
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
