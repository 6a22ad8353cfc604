import { availableParallelism } from 'node:os';
import { parseConfig } from '@tessera/server/config';
import { z } from 'zod';
import { commonEnv, count, flag, parseEnv, present, seconds } from './env.js';

export const scenarioNames = ['argon2', 'ceiling', 'me', 'login', 'refresh', 'storm', 'coldstart'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** Every BENCH_* variable of `pnpm bench`, with its default (README.md explains each). */
const benchEnv = {
  BENCH_DURATION: seconds(10),
  BENCH_WARMUP: seconds(3),
  BENCH_CONNECTIONS: count(10, 1000),
  BENCH_ARGON2_SECONDS: seconds(5),
  BENCH_ROUNDS: count(1, 100),
  BENCH_LOGIN_USERS: count(10, 1000),
  BENCH_ONLY: z
    .string()
    .default(scenarioNames.join(','))
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(z.enum(scenarioNames)).min(1)),
  BENCH_CPU_PROF: flag(false),
  BENCH_SERVER_NODE_OPTIONS: z.string().default(''),
  ...commonEnv,
};

export type BenchConfig = ReturnType<typeof parseBenchConfig>;

/**
 * The bench settings. The argon2 cost comes from the server's own config parser (same
 * ARGON2_* variables, same defaults), so the bench can never measure a different cost
 * from the one the server runs with.
 */
export function parseBenchConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(benchEnv, env);
  const argon2Env = Object.fromEntries(Object.entries(present(env)).filter(([k]) => k.startsWith('ARGON2_')));
  return {
    durationSeconds: e.BENCH_DURATION,
    warmupSeconds: e.BENCH_WARMUP,
    connections: e.BENCH_CONNECTIONS,
    argon2Seconds: e.BENCH_ARGON2_SECONDS,
    rounds: e.BENCH_ROUNDS,
    loginUsers: e.BENCH_LOGIN_USERS,
    scenarios: new Set<ScenarioName>(e.BENCH_ONLY),
    build: e.BENCH_BUILD,
    cpuProfile: e.BENCH_CPU_PROF,
    /** NODE_OPTIONS for the server under test, e.g. `--max-old-space-size=128` to try a heap cap. */
    serverNodeOptions: e.BENCH_SERVER_NODE_OPTIONS,
    postgresUrl: e.BENCH_POSTGRES_URL,
    /** ARGON2_* exactly as given, handed on to the server. */
    argon2Env,
    argon2: parseConfig(argon2Env).argon2,
    /** Fresh starts of the server timed (and their idle RSS read) by the coldstart scenario. */
    coldStarts: 3,
    cores: availableParallelism(),
  };
}
