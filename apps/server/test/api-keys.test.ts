import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, type RouterOutputs } from '@tessera/api';
import { errorCode, errorReason } from '@tessera/client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RestError } from '../src/http/rest/errors.js';
import { signUp, type SignedIn } from './helpers/accounts.js';
import { perFile } from './helpers/per-file.js';
import {
  rejection,
  startTestServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestServer,
} from './helpers/server.js';

const a = perFile(() => startTestServer());
// A second node on the same database (same signing key), with a small per-key budget.
const b = perFile(async () => {
  const key = readFileSync(join(a.dataDir, 'jwt-ed25519.pem'), 'utf8');
  return startTestServer({ JWT_PRIVATE_KEY: key, API_KEY_RATE_LIMIT: '5' }, { sharedDatabase: a.database });
});
let admin: SignedIn;

beforeAll(async () => {
  admin = await signUp(a, { role: 'admin', prefix: 'keys-admin' });
});

const createKey = (input: { name?: string; role?: 'admin' | 'manager' | 'user'; expiresAt?: string } = {}) =>
  admin.client.apiKeys.create.mutate({ name: input.name ?? 'svc', role: input.role ?? 'manager', ...input });

async function rest<Body>(server: TestServer, path: string, token: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}/api${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as Body, headers: response.headers };
}

describe('API keys', () => {
  it('shows the secret once (tsk_ + 32 random bytes base64url), keeps only its SHA-256, and lists it by prefix', async () => {
    const { apiKey, secret } = await createKey({ name: 'billing', role: 'manager' });
    expect(secret).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ name: 'billing', role: 'manager', prefix: secret.slice(0, 12) });
    expect(apiKey.prefix).toHaveLength(12);
    const row = await a.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', apiKey.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(secret));
    expect(JSON.stringify(row)).not.toContain(secret.slice(12));
    const listed = await admin.client.apiKeys.list.query();
    expect(listed.find((k) => k.id === apiKey.id)).toEqual(apiKey);
    expect(Object.keys(apiKey).sort()).toEqual(
      ['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role'].sort(),
    );
  });

  it('works as a bearer token on tRPC and REST, with the key’s role, and notes when it was last used', async () => {
    const { apiKey, secret } = await createKey({ role: 'manager' });
    const service = a.client(secret);
    const created = await service.users.create.mutate({
      name: 'Made By Service',
      email: uniqueEmail('by-key'),
      password: STRONG_PASSWORD,
    });
    const fetched = await rest<RouterOutputs['users']['get']>(a, `/users/${created.id}`, secret);
    expect(fetched.status).toBe(200);
    expect(fetched.body.email).toBe(created.email);
    // A manager key may not make admins, as a manager may not.
    const refused = await rejection(
      service.users.create.mutate({ name: 'Nope', email: uniqueEmail('no'), role: 'admin' }),
    );
    expect(errorCode(refused)).toBe('FORBIDDEN');
    const listed = await admin.client.apiKeys.list.query();
    expect(listed.find((k) => k.id === apiKey.id)?.lastUsedAt).not.toBeNull();

    // The audit log names the key as the actor.
    const audit = await admin.client.audit.list.query({ targetId: created.id, action: 'users.create' });
    expect(audit.items[0]).toMatchObject({ actorId: apiKey.id, actorKind: 'api_key' });
  });

  it('refuses a key every procedure about one’s own person (FORBIDDEN api_key_not_allowed), on tRPC and REST', async () => {
    const { secret } = await createKey({ role: 'admin' });
    const service = a.client(secret);
    const calls: [string, () => Promise<unknown>][] = [
      ['users.me', () => service.users.me.query()],
      ['users.updateMe', () => service.users.updateMe.mutate({ name: 'Key' })],
      ['users.deleteMe', () => service.users.deleteMe.mutate({ password: STRONG_PASSWORD })],
      [
        'auth.changePassword',
        () =>
          service.auth.changePassword.mutate({
            currentPassword: STRONG_PASSWORD,
            newPassword: `${STRONG_PASSWORD}!`,
          }),
      ],
      ['auth.sessions', () => service.auth.sessions.query()],
      ['auth.revokeSession', () => service.auth.revokeSession.mutate({ id: admin.id })],
      ['auth.requestEmailVerification', () => service.auth.requestEmailVerification.mutate({})],
    ];
    for (const [name, call] of calls) {
      const error = await rejection(call());
      expect([name, errorCode(error), errorReason(error)]).toEqual([
        name,
        'FORBIDDEN',
        'api_key_not_allowed',
      ]);
    }
    const me = await rest<RestError>(a, '/users/me', secret);
    expect([me.status, me.body.data.reason]).toEqual([403, 'api_key_not_allowed']);
    const sessions = await rest<RestError>(a, '/auth/sessions', secret);
    expect([sessions.status, sessions.body.data.reason]).toEqual([403, 'api_key_not_allowed']);
    // …while the same key does an admin's work.
    expect((await service.users.list.query({ limit: 1 })).items).toHaveLength(1);
  });

  it('is refused on the other node from the moment it is revoked', async () => {
    const { apiKey, secret } = await createKey({ role: 'manager' });
    expect((await b.client(secret).users.list.query({ limit: 1 })).items).toHaveLength(1);
    await admin.client.apiKeys.revoke.mutate({ id: apiKey.id });
    const error = await rejection(b.client(secret).users.list.query({ limit: 1 }));
    expect([errorCode(error), errorReason(error)]).toEqual(['UNAUTHORIZED', 'not_signed_in']);
    const viaRest = await rest<RestError>(b, '/users', secret);
    expect(viaRest.status).toBe(401);
    const listed = await admin.client.apiKeys.list.query();
    expect(listed.find((k) => k.id === apiKey.id)?.revokedAt).not.toBeNull();
    // Revoking again is fine; an unknown key is not found.
    await admin.client.apiKeys.revoke.mutate({ id: apiKey.id });
    const unknown = await rejection(
      admin.client.apiKeys.revoke.mutate({ id: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(errorReason(unknown)).toBe('api_key_not_found');
  });

  it('is refused once it expires', async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const { secret } = await createKey({ role: 'manager', expiresAt });
    expect((await a.client(secret).users.list.query({ limit: 1 })).items).toHaveLength(1);
    a.advance(61_000);
    try {
      expect(errorCode(await rejection(a.client(secret).users.list.query({ limit: 1 })))).toBe(
        'UNAUTHORIZED',
      );
    } finally {
      a.advance(-61_000);
    }
    const past = await rejection(createKey({ expiresAt: new Date(Date.now() - 1000).toISOString() }));
    expect(errorReason(past)).toBe('invalid_expiry');
  });

  it('has a budget of requests per key (API_KEY_RATE_LIMIT), then 429 with Retry-After', async () => {
    const { secret } = await createKey({ role: 'manager' });
    const other = await createKey({ role: 'manager' });
    for (let i = 0; i < 5; i++) await b.client(secret).users.list.query({ limit: 1 });
    const over = await rest<RestError>(b, '/users?limit=1', secret);
    expect([over.status, over.body.data.reason]).toEqual([429, 'rate_limited']);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key has its own budget.
    expect((await b.client(other.secret).users.list.query({ limit: 1 })).items).toHaveLength(1);
  });

  it('is for admins to manage: a manager (or a manager’s key) cannot create, list or revoke keys', async () => {
    const manager = await signUp(a, { role: 'manager', prefix: 'keys-manager' });
    for (const call of [
      () => manager.client.apiKeys.create.mutate({ name: 'x', role: 'user' }),
      () => manager.client.apiKeys.list.query(),
    ]) {
      const error = await rejection(call());
      expect(errorCode(error)).toBe('FORBIDDEN');
    }
    const { secret } = await createKey({ role: 'manager' });
    expect(errorCode(await rejection(a.client(secret).apiKeys.list.query()))).toBe('FORBIDDEN');
    // Not even an admin key manages keys: a child key would outlive its parent's expiry or
    // revocation, so a leaked key could not be contained.
    const { secret: adminSecret } = await createKey({ role: 'admin' });
    for (const call of [
      () => a.client(adminSecret).apiKeys.create.mutate({ name: 'child', role: 'admin' }),
      () => a.client(adminSecret).apiKeys.list.query(),
    ])
      expect(errorReason(await rejection(call()))).toBe('api_key_not_allowed');
    // A bearer that only looks like a key is just not signed in.
    expect(errorCode(await rejection(a.client(`tsk_${'A'.repeat(43)}`).users.list.query()))).toBe(
      'UNAUTHORIZED',
    );
  });

  it('stops a key mid-flight: once revoke answers, no request with it succeeds on either node', async () => {
    const { apiKey, secret } = await createKey({ role: 'manager' });
    const before = Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? a : b)
        .client(secret)
        .users.list.query({ limit: 1 })
        .then(
          () => 'ok',
          (error: unknown) => errorCode(error),
        ),
    );
    await admin.client.apiKeys.revoke.mutate({ id: apiKey.id });
    await Promise.all(before);
    const after = await Promise.all(
      [a, b, a, b].map((node) =>
        rejection(node.client(secret).users.create.mutate({ name: 'Late', email: uniqueEmail('late') })),
      ),
    );
    expect(after.map(errorCode)).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);
  });
});
