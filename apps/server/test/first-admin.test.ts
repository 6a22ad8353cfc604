import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, errorCode } from '@tessera/client';
import { openDatabase } from '@tessera/db';
import { beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { AdminSetupError, ensureFirstAdmin } from '../src/ops/first-admin.js';
import { createTestDatabase, testEngine } from './helpers/database.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, rejection } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';
import { tokensOf } from './helpers/accounts.js';

const ADMIN_EMAIL = 'first.admin@example.com';
const ADMIN_PASSWORD = 'the very first admin passphrase';

describe('ADMIN_EMAIL + ADMIN_PASSWORD on start', () => {
  const server = perFile(() =>
    startTestServer({ ADMIN_EMAIL: ` ${ADMIN_EMAIL.toUpperCase()} `, ADMIN_PASSWORD }),
  );

  it('creates an admin who can sign in, with a verified email and an audit event', async () => {
    const { user } = await server
      .client()
      .auth.login.mutate({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .then(tokensOf);
    expect(user).toMatchObject({ email: ADMIN_EMAIL, role: 'admin', emailVerified: true, disabled: false });
    const events = await server.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('target_id', '=', user.id)
      .where('action', '=', 'users.create')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: null, metadata: { role: 'admin', via: 'ADMIN_EMAIL' } });
  });

  it('does nothing on later starts: no second admin, the password is not reset', async () => {
    const deps = server.app.deps;
    expect(await ensureFirstAdmin(deps, { email: ADMIN_EMAIL, password: 'a different passphrase now' })).toBe(
      'exists',
    );
    expect(
      await ensureFirstAdmin(deps, { email: 'someone.else@example.com', password: ADMIN_PASSWORD }),
    ).toBe('exists');
    const admins = await server.database.db
      .selectFrom('users')
      .select('email')
      .where('role', '=', 'admin')
      .execute();
    expect(admins).toEqual([{ email: ADMIN_EMAIL }]);
    await server.client().auth.login.mutate({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).then(tokensOf);
    expect(
      errorCode(
        await rejection(
          server.client().auth.login.mutate({ email: ADMIN_EMAIL, password: 'a different passphrase now' }),
        ),
      ),
    ).toBe('UNAUTHORIZED');
  });
});

describe('ensureFirstAdmin', () => {
  const server = perFile(() => startTestServer());
  beforeEach(async () => {
    await server.database.db.deleteFrom('users').execute();
  });

  it('creates exactly one admin when called many times at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ensureFirstAdmin(server.app.deps, { email: `racer.${i}@example.com`, password: ADMIN_PASSWORD }),
      ),
    );
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    const admins = await server.database.db.selectFrom('users').select('role').execute();
    expect(admins).toEqual([{ role: 'admin' }]);
  });

  it('creates one when the only admins left are disabled', async () => {
    const { user } = await server
      .client()
      .auth.register.mutate({ name: 'Old', email: uniqueEmail(), password: STRONG_PASSWORD });
    await server.database.db
      .updateTable('users')
      .set({ role: 'admin', disabled_at: new Date() })
      .where('id', '=', user.id)
      .execute();
    expect(await ensureFirstAdmin(server.app.deps, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).toBe(
      'created',
    );
  });

  it('refuses a weak ADMIN_PASSWORD, naming the variable and the reason', async () => {
    const error = await rejection(
      ensureFirstAdmin(server.app.deps, { email: ADMIN_EMAIL, password: 'short' }),
    );
    expect(error).toBeInstanceOf(AdminSetupError);
    expect((error as Error).message).toBe('ADMIN_PASSWORD: Password must be at least 15 characters');
    const error2 = await rejection(
      ensureFirstAdmin(server.app.deps, { email: ADMIN_EMAIL, password: 'first.admin is my password' }),
    );
    expect((error2 as Error).message).toMatch(/^ADMIN_PASSWORD: .*email/);
    expect(await server.database.db.selectFrom('users').select('id').execute()).toEqual([]);
  });

  it('refuses to promote an existing non-admin account that holds ADMIN_EMAIL', async () => {
    // Someone registered the address first: making that account an admin would hand it over.
    const { user } = await server
      .client()
      .auth.register.mutate({ name: 'Squatter', email: ADMIN_EMAIL, password: STRONG_PASSWORD });
    const error = await rejection(
      ensureFirstAdmin(server.app.deps, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    );
    expect(error).toBeInstanceOf(AdminSetupError);
    expect((error as Error).message).toMatch(/^ADMIN_EMAIL: .*--promote/);
    const row = await server.database.db
      .selectFrom('users')
      .select('role')
      .where('id', '=', user.id)
      .executeTakeFirst();
    expect(row?.role).toBe('user');
  });
});

describe.runIf(testEngine === 'postgres')('two nodes starting at once against one PostgreSQL', () => {
  it('create exactly one admin, whichever ADMIN_EMAIL each was given', async () => {
    const database = await createTestDatabase();
    const second = await openDatabase({ url: database.url!, dataDir: 'memory://' });
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-two-nodes-'));
    const config = (email: string) =>
      parseConfig({
        LOG_LEVEL: 'silent',
        DATA_DIR: dataDir,
        ARGON2_MEMORY_KIB: '8192',
        ARGON2_TIME_COST: '1',
        ADMIN_EMAIL: email,
        ADMIN_PASSWORD,
      });
    const apps = await Promise.all([
      buildApp(config('node.one@example.com'), { database }),
      buildApp(config('node.two@example.com'), { database: second }),
    ]);
    try {
      const admins = await database.db
        .selectFrom('users')
        .select('email')
        .where('role', '=', 'admin')
        .execute();
      expect(admins).toHaveLength(1);
      await apps[1].listen({ port: 0, host: '127.0.0.1' });
      const address = apps[1].server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const { user } = await createClient({ url: `http://127.0.0.1:${port}` })
        .auth.login.mutate({
          email: admins[0]!.email,
          password: ADMIN_PASSWORD,
        })
        .then(tokensOf);
      expect(user.role).toBe('admin');
    } finally {
      await apps[1].close();
      await apps[0].close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
