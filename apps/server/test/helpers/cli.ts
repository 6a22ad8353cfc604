import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from '@tessera/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createTestDatabase } from './database.js';

export const SERVER_DIR = resolve(import.meta.dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The settings a test file's CLI runs share (made before its tests, cleaned up after): PostgreSQL
 * when the suite runs on it (a fresh database), otherwise an embedded database in a fresh
 * DATA_DIR — the two set-ups the README documents. `cli` runs `tessera <args>` as a user would
 * (a child process, `input` on a piped stdin); `withServer` starts the server on the same
 * database for as long as `work` runs.
 */
export function cliPerFile() {
  const env: Record<string, string> = {};
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    Object.assign(env, {
      DATA_DIR: dataDir,
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      LOG_LEVEL: 'silent',
    });
    if (process.env.TEST_DATABASE_URL) {
      const database = await createTestDatabase();
      env.DATABASE_URL = database.url!;
      // The CLI and the app open their own pools; this handle only drops the database at the end.
      dropDatabase = () => database.close();
    }
  });
  afterAll(async () => {
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    env,
    dataDir: () => dataDir,
    cli: (args: string[], input = '', extraEnv: Record<string, string> = {}) =>
      runCli(args, { ...env, ...extraEnv }, input),
    withServer: async <T>(
      work: (client: (token?: string) => ReturnType<typeof createClient>) => Promise<T>,
    ) => {
      const app: FastifyInstance = await buildApp(parseConfig({ ...env, PORT: '0' }));
      try {
        await app.listen({ port: 0, host: '127.0.0.1' });
        const address = app.server.address();
        const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
        return await work((token) => createClient({ url, ...(token ? { token } : {}) }));
      } finally {
        await app.close();
      }
    },
  };
}

/**
 * An entry point as deployed: the build (`dist/main.js`, `dist/cli.js`), which the test command
 * makes before it tests. Children run it rather than the sources through tsx: the same code at
 * a third of the CPU per start (tsx compiled every module on each start).
 */
export function builtEntry(name: 'main' | 'cli'): string {
  const path = join(SERVER_DIR, `dist/${name}.js`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm build\` first (npm test does)`);
  return path;
}

/** Runs `tessera <args>` as a user would (a child process, only `env` set), with `input` on a piped stdin. */
export function runCli(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  return run(SERVER_DIR, process.execPath, [builtEntry('cli'), ...args], input, env);
}

/** Runs a command in `cwd` with only `childEnv` (plus PATH and HOME), `input` on its stdin. */
export function run(
  cwd: string,
  command: string,
  args: string[],
  input: string,
  childEnv: Record<string, string>,
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...childEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
