import { z } from 'zod';
import { commonEnv, count, parseEnv, present } from '../env.js';

/** Every setting of `pnpm bench:soak`, with its default (README.md explains each). */
const soakEnv = {
  /** Minutes of load; `pnpm bench:soak 10` sets it too. */
  SOAK_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(2),
  /** Simulated clients, each with its own accounts, one request at a time. */
  SOAK_CLIENTS: count(8, 200),
  /** Redis the two nodes share (the machine's, by default). */
  SOAK_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  ...commonEnv,
};

export type SoakConfig = ReturnType<typeof parseSoakConfig>;

/** The soak settings; a first command-line argument is the minutes (it wins over SOAK_MINUTES). */
export function parseSoakConfig(argv: string[], env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(soakEnv, { ...env, ...(argv[0] ? { SOAK_MINUTES: argv[0] } : {}) });
  return {
    minutes: e.SOAK_MINUTES,
    clients: e.SOAK_CLIENTS,
    redisUrl: e.SOAK_REDIS_URL,
    build: e.BENCH_BUILD,
    postgresUrl: e.BENCH_POSTGRES_URL,
    /** ARGON2_* exactly as given, handed on to the servers. */
    argon2Env: Object.fromEntries(Object.entries(present(env)).filter(([k]) => k.startsWith('ARGON2_'))),
  };
}
