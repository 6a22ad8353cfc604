import type { Role } from '@tessera/api';
import { errorCode } from '@tessera/client';
import { beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, rejection } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

// Its own server: these tests need to know exactly how many admins exist.
const server = perFile(() => startTestServer());

beforeEach(async () => {
  // Start every test with no admin at all; each creates the ones it needs.
  await server.database.db.deleteFrom('users').where('role', '=', 'admin').execute();
});

async function account(role: Role = 'user') {
  const email = uniqueEmail(role);
  const result = await server
    .client()
    .auth.register.mutate({ name: 'Admin Person', email, password: STRONG_PASSWORD });
  if (role !== 'user')
    await server.database.db.updateTable('users').set({ role }).where('id', '=', result.user.id).execute();
  return { id: result.user.id, email, client: server.client(result.accessToken) };
}

async function enabledAdmins(): Promise<string[]> {
  const rows = await server.database.db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

describe('the last enabled admin', () => {
  it("can't delete their own account", async () => {
    const admin = await account('admin');
    const refused = await rejection(admin.client.users.deleteMe.mutate({ password: STRONG_PASSWORD }));
    expect(errorCode(refused)).toBe('CONFLICT');
    expect((refused as Error).message).toMatch(/last enabled admin/);
    expect(await enabledAdmins()).toEqual([admin.id]);
  });

  it('can leave once another admin exists, and that one becomes the last', async () => {
    const [first, second] = [await account('admin'), await account('admin')];
    await first.client.users.deleteMe.mutate({ password: STRONG_PASSWORD });
    expect(await enabledAdmins()).toEqual([second.id]);
    expect(
      errorCode(await rejection(second.client.users.deleteMe.mutate({ password: STRONG_PASSWORD }))),
    ).toBe('CONFLICT');
  });

  it('another admin can demote, disable or delete admins while one enabled admin remains', async () => {
    const [a, b, c, d] = [
      await account('admin'),
      await account('admin'),
      await account('admin'),
      await account('admin'),
    ];
    await a.client.users.update.mutate({ id: b.id, role: 'manager' });
    await a.client.users.update.mutate({ id: c.id, disabled: true });
    await a.client.users.delete.mutate({ id: d.id });
    expect(await enabledAdmins()).toEqual([a.id]);
  });

  it('a disabled admin does not count: demoting or deleting it is fine', async () => {
    const [a, b] = [await account('admin'), await account('admin')];
    await a.client.users.update.mutate({ id: b.id, disabled: true });
    await a.client.users.update.mutate({ id: b.id, role: 'user' });
    await a.client.users.delete.mutate({ id: b.id });
    expect(await enabledAdmins()).toEqual([a.id]);
  });
});

describe('racing admins never leave zero enabled admins', () => {
  const rounds = 5;

  it.each([
    [
      'demote each other',
      (from: Admin, to: Admin) => from.client.users.update.mutate({ id: to.id, role: 'user' }),
    ],
    [
      'disable each other',
      (from: Admin, to: Admin) => from.client.users.update.mutate({ id: to.id, disabled: true }),
    ],
    ['delete each other', (from: Admin, to: Admin) => from.client.users.delete.mutate({ id: to.id })],
  ] as const)('two admins who %s at once: one wins, one is refused', async (_label, act) => {
    for (let round = 0; round < rounds; round++) {
      await server.database.db.deleteFrom('users').where('role', '=', 'admin').execute();
      const [a, b] = [await account('admin'), await account('admin')];
      const results = await Promise.allSettled([act(a, b), act(b, a)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      // The loser is refused either by the last-admin rule, or because it is no longer an
      // admin (or no longer exists) by the time its change runs.
      expect(['CONFLICT', 'FORBIDDEN', 'UNAUTHORIZED']).toContain(errorCode(refusal.reason));
      expect(await enabledAdmins()).toHaveLength(1);
    }
  });

  it('three admins demoting each other in a ring keep at least one', async () => {
    for (let round = 0; round < rounds; round++) {
      await server.database.db.deleteFrom('users').where('role', '=', 'admin').execute();
      const admins = [await account('admin'), await account('admin'), await account('admin')];
      await Promise.allSettled(
        admins.map((from, i) =>
          from.client.users.update.mutate({ id: admins[(i + 1) % 3]!.id, role: 'manager' }),
        ),
      );
      expect((await enabledAdmins()).length).toBeGreaterThanOrEqual(1);
    }
  });
});

type Admin = Awaited<ReturnType<typeof account>>;
