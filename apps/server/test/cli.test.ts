import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient, errorCode } from '@tessera/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { createTestDatabase } from './helpers/database.js';
import { STRONG_PASSWORD, rejection } from './helpers/server.js';
import { tokensOf } from './helpers/accounts.js';

const SERVER_DIR = resolve(import.meta.dirname, '..');
const ADMIN_PASSWORD = 'a passphrase typed at the terminal';

/**
 * The environment the CLI runs with: PostgreSQL when the suite runs on it (a fresh database),
 * otherwise an embedded database in a fresh DATA_DIR — the two set-ups the README documents.
 */
let env: Record<string, string>;
let dataDir: string;
let dropDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  env = { DATA_DIR: dataDir, ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' };
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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tessera <args>` as a user would (a child process), with `input` on a piped stdin. */
function cli(args: string[], input = '', extraEnv: Record<string, string> = {}): Promise<Run> {
  return run(
    SERVER_DIR,
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'src/cli.ts', ...args],
    input,
    {
      ...env,
      ...extraEnv,
    },
  );
}

function run(
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

/** Starts the server on the same settings (same database) for as long as `work` runs. */
async function withServer<T>(
  work: (client: (token?: string) => ReturnType<typeof createClient>) => Promise<T>,
) {
  const app: FastifyInstance = await buildApp(parseConfig({ ...env, PORT: '0' }));
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return await work((token) => createClient({ url, ...(token ? { token } : {}) }));
  } finally {
    await app.close();
  }
}

// Each case starts a process (and the server on the same database) on a shared, busy machine.
describe('tessera create-admin', { timeout: 180_000 }, () => {
  it('creates an admin from a password on stdin; the server signs them in', async () => {
    const result = await cli(
      ['create-admin', '--email', ' Ops@Example.com ', '--name', 'Ops Team'],
      `${ADMIN_PASSWORD}\n`,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Created admin ops@example\.com \(id [0-9a-f-]{36}\)/);
    await withServer(async (client) => {
      const { user } = await client()
        .auth.login.mutate({
          email: 'ops@example.com',
          password: ADMIN_PASSWORD,
        })
        .then(tokensOf);
      expect(user).toMatchObject({ name: 'Ops Team', role: 'admin', emailVerified: true });
    });
  });

  it('refuses an address that already has an account unless told to --promote it', async () => {
    const again = await cli(['create-admin', '--email', 'ops@example.com'], ADMIN_PASSWORD);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists.*--promote/);
  });

  it('--promote makes an existing account an enabled admin with the new password and ends its sessions', async () => {
    const email = 'plain.person@example.com';
    const { refreshToken } = await withServer(async (client) =>
      client().auth.register.mutate({ name: 'Plain Person', email, password: STRONG_PASSWORD }),
    );
    const promoted = await cli(['create-admin', '--email', email, '--promote'], ADMIN_PASSWORD);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toMatch(/^Promoted admin plain\.person@example\.com/);
    await withServer(async (client) => {
      expect(errorCode(await rejection(client().auth.refresh.mutate({ refreshToken })))).toBe('UNAUTHORIZED');
      expect(
        errorCode(await rejection(client().auth.login.mutate({ email, password: STRONG_PASSWORD }))),
      ).toBe('UNAUTHORIZED');
      const { user } = await client().auth.login.mutate({ email, password: ADMIN_PASSWORD }).then(tokensOf);
      expect(user.role).toBe('admin');
    });
  });

  it('refuses a weak password with the reason, and creates nothing', async () => {
    const result = await cli(['create-admin', '--email', 'weak@example.com'], 'short');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('password: Password must be at least 15 characters');
    const again = await cli(['create-admin', '--email', 'weak@example.com'], ADMIN_PASSWORD);
    expect(again.code).toBe(0);
  });

  it('explains wrong usage with exit code 2', async () => {
    for (const args of [
      ['create-admin'],
      ['create-admin', '--email', 'not-an-email'],
      ['create-admin', '--email', 'x@example.com', '--role', 'admin'],
      ['make-me-admin'],
    ]) {
      const result = await cli(args, ADMIN_PASSWORD);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Usage: tessera/);
    }
    const empty = await cli(['create-admin', '--email', 'nobody@example.com'], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/No password on standard input/);
  });

  it('reads its settings through the server config: a bad one is named', async () => {
    const result = await cli(['create-admin', '--email', 'x@example.com'], ADMIN_PASSWORD, {
      DATABASE_URL: 'mysql://nope',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL/);
  });

  it('runs as `pnpm tessera create-admin` from the repository root', async () => {
    const result = await run(
      resolve(SERVER_DIR, '../..'),
      'pnpm',
      ['--silent', 'tessera', 'create-admin', '--email', 'via.pnpm@example.com'],
      ADMIN_PASSWORD,
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Created admin via\.pnpm@example\.com/);
    expect(result.code).toBe(0);
  });
});
