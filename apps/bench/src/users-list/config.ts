import { commonEnv, count, flag, parseEnv } from '../env.js';

/** Every BENCH_USERS_* variable (and the common BENCH_BUILD / BENCH_POSTGRES_URL), with defaults. */
const usersEnv = {
  BENCH_USERS_COUNT: count(1_000_000, 20_000_000, 1_000),
  /** Sequential requests timed per scenario (after a warm-up of a tenth as many). */
  BENCH_USERS_SAMPLES: count(300, 100_000, 10),
  /** Requests in flight for the concurrent pass. */
  BENCH_USERS_CONCURRENCY: count(8, 256),
  /** How far into the list the deep page starts (reached by following cursors, 100 rows a page). */
  BENCH_USERS_DEEP_ROWS: count(500_000, 20_000_000, 100),
  /** Rebuild the seeded database even if one of the right size exists. */
  BENCH_USERS_RESEED: flag(false),
  /** Drop the seeded database at the end (it is kept by default: seeding takes a while). */
  BENCH_USERS_DROP: flag(false),
  ...commonEnv,
};

export type UsersBenchConfig = ReturnType<typeof parseUsersBenchConfig>;

export function parseUsersBenchConfig(source: Record<string, string | undefined> = process.env) {
  const e = parseEnv(usersEnv, source);
  return {
    users: e.BENCH_USERS_COUNT,
    samples: e.BENCH_USERS_SAMPLES,
    concurrency: e.BENCH_USERS_CONCURRENCY,
    deepRows: Math.min(e.BENCH_USERS_DEEP_ROWS, Math.floor(e.BENCH_USERS_COUNT / 2)),
    reseed: e.BENCH_USERS_RESEED,
    drop: e.BENCH_USERS_DROP,
    build: e.BENCH_BUILD,
    postgresUrl: e.BENCH_POSTGRES_URL,
  };
}
