import { z } from 'zod';

/** Seconds, up to an hour. */
export const seconds = (fallback: number) => z.coerce.number().positive().max(3600).default(fallback);

/** A whole number from `min` to `max`. */
export const count = (fallback: number, max: number, min = 1) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** `true`/`false` (or `1`/`0`). */
export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

/** The settings both benchmarks read. */
export const commonEnv = {
  /** Build the server and its packages first (`pnpm turbo run build --filter=@tessera/server...`). */
  BENCH_BUILD: flag(true),
  /** A PostgreSQL server where the bench may create and drop databases. */
  BENCH_POSTGRES_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
};

/**
 * Parses the BENCH_* variables of `shape` (an empty one counts as unset); a bad value stops
 * the run with a line naming the variable. Only the benchmarks' config files call this.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined>,
): z.infer<z.ZodObject<S>> {
  const parsed = z.object(shape).safeParse(present(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid bench configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The variables that are set to something. */
export function present(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}
