import type { Role } from '@tessera/api';
import { errorCode } from '@tessera/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { postJson, raw, rejection, startServer, STRONG_PASSWORD, uniqueEmail } from './helpers/harness.js';
import { signUp, tokensOf } from '../helpers/accounts.js';
import { perFile } from '../helpers/per-file.js';

const server = perFile(() => startServer());

type Account = Awaited<ReturnType<typeof account>>;

/** A signed-in account of `role` (registered through the API, then given the role in the database). */
async function account(role: Role = 'user') {
  const signedIn = await signUp(server, { role, name: `A ${role}` });
  return {
    ...signedIn,
    rest: (method: string, path: string, body?: unknown) =>
      raw(`${server.url}/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${signedIn.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}

const row = (id: string) =>
  server.database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    return errorCode(error) ?? String(error);
  }
}

describe('another user’s id (IDOR)', () => {
  let mallory: Account;
  let victim: Account;

  beforeAll(async () => {
    [mallory, victim] = [await account(), await account()];
  });

  it('cannot be read, changed or deleted by a plain user, on tRPC or REST', async () => {
    const before = await row(victim.id);
    const attempts = {
      'tRPC get': code(mallory.client.users.get.query({ id: victim.id })),
      'tRPC update name': code(mallory.client.users.update.mutate({ id: victim.id, name: 'Pwned' })),
      'tRPC update email': code(
        mallory.client.users.update.mutate({ id: victim.id, email: uniqueEmail('takeover') }),
      ),
      'tRPC disable': code(mallory.client.users.update.mutate({ id: victim.id, disabled: true })),
      'tRPC delete': code(mallory.client.users.delete.mutate({ id: victim.id })),
    };
    for (const [what, outcome] of Object.entries(attempts)) expect(await outcome, what).toBe('FORBIDDEN');
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'Pwned', email: uniqueEmail('takeover') }],
      ['DELETE', undefined],
    ] as const) {
      const response = await mallory.rest(method, `/users/${victim.id}`, body);
      expect(response.status, method).toBe(403);
    }
    expect(await row(victim.id)).toEqual(before);
    expect((await victim.client.users.me.query()).name).toBe('A user');
  });

  it('cannot sign another user’s device out', async () => {
    const [victimSession] = await victim.client.auth.sessions.query();
    expect(await code(mallory.client.auth.revokeSession.mutate({ id: victimSession!.id }))).toBe('NOT_FOUND');
    const rest = await raw(`${server.url}/api/auth/sessions?id=${victimSession!.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${mallory.token}` },
    });
    expect(rest.status).toBe(404);
    expect((await victim.client.users.me.query()).id).toBe(victim.id);
  });

  it('cannot be reached by swapping the id in a REST path against the one in the body', async () => {
    const response = await mallory.rest('PATCH', `/users/${mallory.id}`, { id: victim.id, name: 'Swapped' });
    expect(response.status).toBeLessThan(500);
    expect((await row(victim.id))!.name).toBe('A user');
  });
});

describe('fields a client must never set (mass assignment)', () => {
  const privileged = {
    role: 'admin',
    emailVerified: true,
    email_verified_at: '2020-01-01T00:00:00Z',
    id: '00000000-0000-4000-8000-000000000001',
    passwordHash:
      '$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    password_hash: 'plain',
    disabled: false,
    failedLoginCount: -1000,
    createdAt: '2000-01-01T00:00:00Z',
  };

  it('are ignored on sign-up, on tRPC and REST', async () => {
    for (const via of ['trpc', 'rest'] as const) {
      const email = uniqueEmail(`mass-${via}`);
      const input = { ...privileged, name: 'Mass', email, password: STRONG_PASSWORD };
      const path = via === 'trpc' ? '/trpc/auth.register' : '/api/auth/register';
      const response = await postJson(`${server.url}${path}`, input);
      expect(response.status, via).toBeLessThan(300);
      const stored = await server.database.db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirstOrThrow();
      expect(stored.role, via).toBe('user');
      expect(stored.email_verified_at, via).toBeNull();
      expect(stored.id, via).not.toBe(privileged.id);
      expect(stored.password_hash, via).not.toBe(privileged.passwordHash);
      expect(stored.failed_login_count, via).toBe(0);
      expect(stored.created_at.getFullYear(), via).toBeGreaterThan(2020);
      // The password given is the one that works.
      expect(
        tokensOf(await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD })).user.email,
      ).toBe(email);
    }
  });

  it('are ignored when users change their own account', async () => {
    const me = await account();
    const before = await row(me.id);
    await me.client.users.updateMe.mutate({ ...privileged, name: 'Renamed' });
    const rest = await me.rest('PATCH', '/users/me', { ...privileged, name: 'Renamed again' });
    expect(rest.status).toBe(200);
    const after = await row(me.id);
    expect(after).toMatchObject({
      name: 'Renamed again',
      role: 'user',
      email_verified_at: null,
      password_hash: before!.password_hash,
      failed_login_count: 0,
      disabled_at: null,
    });
    expect(await code(me.client.users.update.mutate({ id: me.id, role: 'admin' }))).toBe('FORBIDDEN');
    expect((await row(me.id))!.role).toBe('user');
  });

  it('are ignored or refused when managers create and change users', async () => {
    const manager = await account('manager');
    const email = uniqueEmail('created');
    const created = await manager.client.users.create.mutate({
      ...privileged,
      role: 'user',
      name: 'Created',
      email,
      password: STRONG_PASSWORD,
    } as never);
    const stored = await row(created.id);
    expect(stored).toMatchObject({ role: 'user', email_verified_at: null, failed_login_count: 0 });
    expect(created.id).not.toBe(privileged.id);

    // role and disabled are real fields of users.update (the policy guards them); the rest are not.
    const { role: _role, disabled: _disabled, ...notFields } = privileged;
    await manager.client.users.update.mutate({ ...notFields, id: created.id, name: 'Managed' });
    const changed = await row(created.id);
    expect(changed).toMatchObject({ name: 'Managed', role: 'user', email_verified_at: null });
    expect(changed!.password_hash).toBe(stored!.password_hash);

    expect(
      await code(manager.client.users.create.mutate({ name: 'X', email: uniqueEmail(), role: 'admin' })),
    ).toBe('FORBIDDEN');
    expect(await code(manager.client.users.update.mutate({ id: created.id, role: 'manager' }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe('manager and admin limits', () => {
  it('lets a manager act only on plain users, and never on roles or the audit log', async () => {
    const [manager, otherManager, admin, plain] = [
      await account('manager'),
      await account('manager'),
      await account('admin'),
      await account(),
    ];
    const m = manager.client;
    const outcomes = {
      'read admin': await code(m.users.get.query({ id: admin.id })),
      'list users': await code(m.users.list.query({})),
      'rename user': await code(m.users.update.mutate({ id: plain.id, name: 'Managed' })),
      'rename manager': await code(m.users.update.mutate({ id: otherManager.id, name: 'Nope' })),
      'rename admin': await code(m.users.update.mutate({ id: admin.id, name: 'Nope' })),
      'disable admin': await code(m.users.update.mutate({ id: admin.id, disabled: true })),
      'demote admin': await code(m.users.update.mutate({ id: admin.id, role: 'user' })),
      'promote self': await code(m.users.update.mutate({ id: manager.id, role: 'admin' })),
      'promote user': await code(m.users.update.mutate({ id: plain.id, role: 'manager' })),
      'delete manager': await code(m.users.delete.mutate({ id: otherManager.id })),
      'delete admin': await code(m.users.delete.mutate({ id: admin.id })),
      'create manager': await code(
        m.users.create.mutate({ name: 'X', email: uniqueEmail(), role: 'manager' }),
      ),
      'read audit log': await code(m.audit.list.query({})),
    };
    expect(outcomes).toEqual({
      'read admin': 'OK',
      'list users': 'OK',
      'rename user': 'OK',
      'rename manager': 'FORBIDDEN',
      'rename admin': 'FORBIDDEN',
      'disable admin': 'FORBIDDEN',
      'demote admin': 'FORBIDDEN',
      'promote self': 'FORBIDDEN',
      'promote user': 'FORBIDDEN',
      'delete manager': 'FORBIDDEN',
      'delete admin': 'FORBIDDEN',
      'create manager': 'FORBIDDEN',
      'read audit log': 'FORBIDDEN',
    });
    expect(await row(admin.id)).toMatchObject({ role: 'admin', disabled_at: null });
    expect(await row(otherManager.id)).toMatchObject({ role: 'manager' });
  });

  it('keeps plain users out of every administrative procedure', async () => {
    const plain = await account();
    const other = await account();
    const outcomes = [
      await code(plain.client.users.list.query({})),
      await code(plain.client.users.create.mutate({ name: 'X', email: uniqueEmail() })),
      await code(plain.client.users.update.mutate({ id: other.id, name: 'X' })),
      await code(plain.client.users.delete.mutate({ id: other.id })),
      await code(plain.client.audit.list.query({})),
    ];
    expect(outcomes).toEqual(Array(5).fill('FORBIDDEN'));
    for (const path of ['/users', '/audit']) expect((await plain.rest('GET', path)).status, path).toBe(403);
  });

  it('takes a demotion or a disable into account on the very next call with an old token', async () => {
    const [admin, deputy, other] = [await account('admin'), await account('admin'), await account('admin')];
    expect(await code(deputy.client.audit.list.query({}))).toBe('OK');
    // A demotion ends the sessions: the old token (whose role claim says admin) stops working.
    await admin.client.users.update.mutate({ id: deputy.id, role: 'user' });
    expect(await code(deputy.client.audit.list.query({}))).toBe('UNAUTHORIZED');
    expect(await code(deputy.client.users.me.query())).toBe('UNAUTHORIZED');
    // Even a role lowered behind the API's back is read from the database, not from the token.
    await server.database.db.updateTable('users').set({ role: 'user' }).where('id', '=', other.id).execute();
    expect(await code(other.client.audit.list.query({}))).toBe('FORBIDDEN');
    expect(await code(other.client.users.list.query({}))).toBe('FORBIDDEN');
    await admin.client.users.update.mutate({ id: other.id, disabled: true });
    expect(await code(other.client.users.me.query())).toBe('UNAUTHORIZED');
  });

  it('refuses to let the last enabled admin be removed, by anyone', async () => {
    const solo = await startServer();
    try {
      const email = uniqueEmail('solo-admin');
      const { user, accessToken } = await solo
        .client()
        .auth.register.mutate({ name: 'Solo', email, password: STRONG_PASSWORD });
      await solo.database.db.updateTable('users').set({ role: 'admin' }).where('id', '=', user.id).execute();
      const client = solo.client({ token: accessToken });
      expect(await code(client.users.update.mutate({ id: user.id, role: 'user' }))).toBe('FORBIDDEN');
      expect(errorCode(await rejection(client.users.deleteMe.mutate({ password: STRONG_PASSWORD })))).toBe(
        'CONFLICT',
      );
      expect((await client.users.me.query()).role).toBe('admin');
    } finally {
      await solo.close();
    }
  });
});
