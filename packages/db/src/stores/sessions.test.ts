import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditEvent, NewSession } from '@tessera/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../engine.js';
import { freshDatabase, insertTestUser, type FreshDatabase } from '../testing.js';
import { migrateToLatest } from '../migrate.js';
import { createStores, createTransact } from './index.js';

let fresh: FreshDatabase;
let database: DatabaseHandle;

beforeAll(async () => {
  fresh = await freshDatabase('sessions');
  database = fresh.database;
  await migrateToLatest(database.db);
}, 120_000);
afterAll(async () => {
  await fresh?.dispose();
});

async function newUser() {
  const user = await insertTestUser(database);
  // A failed attempt on record, which a sign-in clears.
  await createStores(database.db).users.recordLoginFailure(user.id);
  return user;
}

function sessionFor(userId: string): NewSession {
  return {
    userId,
    refreshTokenHash: randomBytes(32).toString('hex'),
    userAgent: 'test-agent',
    ip: '203.0.113.7',
    expiresAt: new Date(Date.now() + 3_600_000),
  };
}

function loginEvent(userId: string): AuditEvent {
  return {
    actorId: userId,
    action: 'auth.login',
    targetId: userId,
    ip: '203.0.113.7',
    userAgent: 'test-agent',
  };
}

describe('sessions.signIn: a sign-in in one statement', () => {
  it('records the sign-in, the audit event, the session and its first refresh token', async () => {
    const user = await newUser();
    const stores = createStores(database.db);
    const at = new Date();
    const session = sessionFor(user.id);

    const signedIn = await stores.sessions.signIn(session, at, loginEvent(user.id));

    expect(signedIn?.user).toMatchObject({ id: user.id, failedLoginCount: 0, lockedUntil: null });
    expect(signedIn?.user.lastLoginAt?.getTime()).toBe(at.getTime());
    expect(signedIn?.session).toMatchObject({
      userId: user.id,
      refreshTokenHash: session.refreshTokenHash,
      userAgent: 'test-agent',
      ip: '203.0.113.7',
      expiresAt: session.expiresAt,
      revokedAt: null,
      rotations: 0,
    });
    expect(await stores.users.findById(user.id)).toMatchObject({ failedLoginCount: 0, lastLoginAt: at });
    // The token family knows the first token, so a replay of it is recognised later.
    expect((await stores.sessions.findByTokenHash(session.refreshTokenHash))?.id).toBe(signedIn?.session.id);
    expect((await stores.sessions.findLive(signedIn!.session.id, new Date()))?.user.id).toBe(user.id);
    const audit = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('actor_id', '=', user.id)
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        target_id: user.id,
        ip: '203.0.113.7',
        user_agent: 'test-agent',
        metadata: {},
      }),
    ]);
  });

  it('writes nothing for a user deleted before the sign-in lands', async () => {
    const user = await newUser();
    await database.db.deleteFrom('users').where('id', '=', user.id).execute();
    const session = sessionFor(user.id);

    const signedIn = await createStores(database.db).sessions.signIn(
      session,
      new Date(),
      loginEvent(user.id),
    );

    expect(signedIn).toBeUndefined();
    const sessions = await database.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .execute();
    const family = await database.db
      .selectFrom('session_refresh_tokens')
      .select('session_id')
      .where('token_hash', '=', session.refreshTokenHash)
      .execute();
    const audit = await database.db
      .selectFrom('audit_events')
      .select('id')
      .where('actor_id', '=', user.id)
      .execute();
    expect([sessions, family, audit]).toEqual([[], [], []]);
  });
});

describe('sessions.findLive: compiled once, on the pool and in transactions alike', () => {
  it('finds a live session and stops at once when it is revoked or past its expiry', async () => {
    const user = await newUser();
    const stores = createStores(database.db);
    const signedIn = await stores.sessions.signIn(sessionFor(user.id), new Date(), loginEvent(user.id));
    const id = signedIn!.session.id;
    const transact = createTransact(database.db);

    expect((await stores.sessions.findLive(id, new Date()))?.session.id).toBe(id);
    expect((await transact((trx) => trx.sessions.findLive(id, new Date())))?.user.email).toBe(user.email);
    expect(await stores.sessions.findLive(id, new Date(Date.now() + 7_200_000))).toBeUndefined();
    expect(await stores.sessions.findLive(randomUUID(), new Date())).toBeUndefined();

    await stores.sessions.revoke(id, new Date());
    expect(await stores.sessions.findLive(id, new Date())).toBeUndefined();
    expect(await transact((trx) => trx.sessions.findLive(id, new Date()))).toBeUndefined();
  });
});

describe('sessions.rotate: one statement, compare-and-set', () => {
  it('moves the session to the new hash and adds it to the family, once, however many race', async () => {
    const user = await newUser();
    const stores = createStores(database.db);
    const first = sessionFor(user.id);
    const signedIn = await stores.sessions.signIn(first, new Date(), loginEvent(user.id));
    const id = signedIn!.session.id;
    const next = randomBytes(32).toString('hex');

    const results = await Promise.all(
      Array.from({ length: 4 }, () => stores.sessions.rotate(id, first.refreshTokenHash, next, new Date())),
    );

    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    // The winner reads back the rotated session with its user, as the refresh answers.
    expect(winners[0]).toMatchObject({
      session: { id, refreshTokenHash: next, rotations: 1 },
      user: { id: user.id, email: user.email },
    });
    const session = await stores.sessions.findByTokenHash(next);
    expect(session).toMatchObject({ id, refreshTokenHash: next, rotations: 1 });
    // The first token stays in the family, so a replay of it is still recognised.
    expect((await stores.sessions.findByTokenHash(first.refreshTokenHash))?.id).toBe(id);
    expect(
      await stores.sessions.rotate(id, first.refreshTokenHash, randomBytes(32).toString('hex'), new Date()),
    ).toBeUndefined();
    await stores.sessions.revoke(id, new Date());
    expect(
      await stores.sessions.rotate(id, next, randomBytes(32).toString('hex'), new Date()),
    ).toBeUndefined();
    const family = await database.db
      .selectFrom('session_refresh_tokens')
      .select('token_hash')
      .where('session_id', '=', id)
      .execute();
    expect(family.map((row) => row.token_hash).sort()).toEqual([first.refreshTokenHash, next].sort());
  });
});
