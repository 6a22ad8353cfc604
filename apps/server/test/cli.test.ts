import { resolve } from 'node:path';
import { errorCode } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { cliPerFile, run, SERVER_DIR } from './helpers/cli.js';
import { STRONG_PASSWORD, rejection } from './helpers/server.js';

const ADMIN_PASSWORD = 'a passphrase typed at the terminal';

const { cli, env, withServer } = cliPerFile();

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
      const { user } = await client().auth.login.mutate({
        email: 'ops@example.com',
        password: ADMIN_PASSWORD,
      });
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
      const { user } = await client().auth.login.mutate({ email, password: ADMIN_PASSWORD });
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
