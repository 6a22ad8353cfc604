import { z } from 'zod';

const count = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

/** Every BENCH_USERS_* variable (and the shared BENCH_BUILD / BENCH_POSTGRES_URL), with defaults. */
const env = z.object({
  BENCH_USERS_COUNT: count(1_000_000, 1_000, 20_000_000),
  /** Sequential requests timed per scenario (after a warm-up of a tenth as many). */
  BENCH_USERS_SAMPLES: count(300, 10, 100_000),
  /** Requests in flight for the concurrent pass. */
  BENCH_USERS_CONCURRENCY: count(8, 1, 256),
  /** How far into the list the deep page starts (reached by following cursors, 100 rows a page). */
  BENCH_USERS_DEEP_ROWS: count(500_000, 100, 20_000_000),
  /** Rebuild the seeded database even if one of the right size exists. */
  BENCH_USERS_RESEED: flag(false),
  /** Drop the seeded database at the end (it is kept by default: seeding takes a while). */
  BENCH_USERS_DROP: flag(false),
  BENCH_BUILD: flag(true),
  BENCH_POSTGRES_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
});

export type UsersBenchConfig = ReturnType<typeof parseUsersBenchConfig>;

export function parseUsersBenchConfig(source: Record<string, string | undefined> = process.env) {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid bench configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
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
