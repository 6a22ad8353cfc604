import { errorCode, errorReason } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/accounts.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

// DESIGN.md: every refresh token ever issued for a session is recognised; presenting any one
// that is not the current token, after the grace period (10 s), revokes the session.
const AFTER_GRACE_MS = 11_000;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const refresh = (refreshToken: string) => server.client().auth.refresh.mutate({ refreshToken });

/** A session refreshed twice: T0 → T1 → T2. */
async function family() {
  const account = await signUp(server);
  const t1 = await refresh(account.refreshToken);
  const t2 = await refresh(t1.refreshToken);
  return { account, t0: account.refreshToken, t1: t1.refreshToken, t2 };
}

async function sessionRevoked(userId: string): Promise<boolean> {
  const rows = await server.database.db
    .selectFrom('sessions')
    .select('revoked_at')
    .where('user_id', '=', userId)
    .execute();
  return rows.length === 1 && rows[0]!.revoked_at !== null;
}

async function withClockAhead<T>(ms: number, work: () => Promise<T>): Promise<T> {
  server.advance(ms);
  try {
    return await work();
  } finally {
    server.advance(-ms);
  }
}

describe('refresh token family', () => {
  for (const which of ['t0', 't1'] as const)
    it(`revokes the session when ${which === 't0' ? 'T0' : 'T1'} comes back after T0 → T1 → T2`, async () => {
      const tokens = await family();
      await withClockAhead(AFTER_GRACE_MS, async () => {
        const replay = await rejection(refresh(tokens[which]));
        expect(errorCode(replay)).toBe('UNAUTHORIZED');
        expect(errorReason(replay)).toBe('invalid_refresh_token');
        expect(await sessionRevoked(tokens.account.id)).toBe(true);
        // The holder of the current token is signed out too: either one may be the thief.
        expect(errorCode(await rejection(refresh(tokens.t2.refreshToken)))).toBe('UNAUTHORIZED');
        expect(errorCode(await rejection(server.client(tokens.t2.accessToken).users.me.query()))).toBe(
          'UNAUTHORIZED',
        );
      });
      const audit = await server.database.db
        .selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', tokens.account.id)
        .where('action', '=', 'auth.refresh.reuse')
        .execute();
      expect(audit).toHaveLength(1);
    });

  it('gives grace only to the token rotated last: T0 within 10 s of T1 → T2 is still a replay', async () => {
    const tokens = await family();
    expect(errorCode(await rejection(refresh(tokens.t0)))).toBe('UNAUTHORIZED');
    expect(await sessionRevoked(tokens.account.id)).toBe(true);
  });

  it('still lets two tabs present the token just rotated within the grace period', async () => {
    const tokens = await family();
    const again = await withClockAhead(5_000, () => refresh(tokens.t1));
    expect(again.refreshToken).toBe(tokens.t2.refreshToken);
    expect(await sessionRevoked(tokens.account.id)).toBe(false);
    // …and the family goes on from there.
    const t3 = await refresh(tokens.t2.refreshToken);
    expect((await server.client(t3.accessToken).users.me.query()).id).toBe(tokens.account.id);
  });

  it('recognises every token of a long family, however many rotations ago', async () => {
    const account = await signUp(server);
    const issued = [account.refreshToken];
    for (let i = 0; i < 12; i++) issued.push((await refresh(issued.at(-1)!)).refreshToken);
    await withClockAhead(AFTER_GRACE_MS, async () => {
      expect(errorCode(await rejection(refresh(issued[3]!)))).toBe('UNAUTHORIZED');
    });
    expect(await sessionRevoked(account.id)).toBe(true);
    const family = await server.database.db
      .selectFrom('session_refresh_tokens')
      .innerJoin('sessions', 'sessions.id', 'session_refresh_tokens.session_id')
      .select('token_hash')
      .where('sessions.user_id', '=', account.id)
      .execute();
    expect(family).toHaveLength(issued.length);
  });

  it('logs out with any token of the family', async () => {
    const tokens = await family();
    await server.client().auth.logout.mutate({ refreshToken: tokens.t0 });
    expect(await sessionRevoked(tokens.account.id)).toBe(true);
  });
});
