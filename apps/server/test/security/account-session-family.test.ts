import { MAX_REFRESH_ROTATIONS } from '@tessera/api';
import { errorCode } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, tokensOf } from '../helpers/accounts.js';
import { rejection, startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.js';

// Every refresh token of a session is kept (its family) so a replay of any of them is caught.
// Before, nothing bounded it: one row per refresh, kept as long as the session row, and no
// session row was ever deleted. Now one session's family ends at MAX_REFRESH_ROTATIONS, and
// sessions ended more than a day ago are deleted with their families by the outbox worker.
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ MAIL_POLL_INTERVAL_MS: '20' });
});
afterAll(async () => {
  await server?.close();
});

const DAY_MS = 24 * 3_600_000;

const refresh = (refreshToken: string) => server.client().auth.refresh.mutate({ refreshToken });

async function familySize(sessionId: string): Promise<number> {
  const { n } = await server.database.db
    .selectFrom('session_refresh_tokens')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

async function sessionIdOf(userId: string): Promise<string> {
  const row = await server.database.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe('one session’s refresh-token family', () => {
  it('ends the session at MAX_REFRESH_ROTATIONS, audited; its owner signs in again', async () => {
    const user = await signUp(server);
    const sessionId = await sessionIdOf(user.id);
    let token = (await refresh(user.refreshToken)).refreshToken;
    token = (await refresh(token)).refreshToken;
    expect(await familySize(sessionId)).toBe(3);
    const { rotations } = await server.database.db
      .selectFrom('sessions')
      .select('rotations')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(rotations).toBe(2);

    // Stand in for MAX - 3 more refreshes (the counter, not the rows, decides).
    await server.database.db
      .updateTable('sessions')
      .set({ rotations: MAX_REFRESH_ROTATIONS - 1 })
      .where('id', '=', sessionId)
      .execute();
    token = (await refresh(token)).refreshToken; // the last rotation allowed
    const refused = await rejection(refresh(token));
    expect(errorCode(refused)).toBe('UNAUTHORIZED');
    const session = await server.database.db
      .selectFrom('sessions')
      .select(['revoked_at', 'rotations'])
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(session.revoked_at).not.toBeNull();
    expect(session.rotations).toBe(MAX_REFRESH_ROTATIONS);
    expect(await familySize(sessionId)).toBe(4);
    const events = await server.database.db
      .selectFrom('audit_events')
      .select(['action', 'metadata'])
      .where('target_id', '=', user.id)
      .where('action', 'like', 'auth.refresh.%')
      .execute();
    expect(events).toEqual([{ action: 'auth.refresh.limit', metadata: { sessionId } }]);
    // The access token of the ended session is dead too; signing in starts a new family.
    expect(errorCode(await rejection(user.client.users.me.query()))).toBe('UNAUTHORIZED');
    const again = await server
      .client()
      .auth.login.mutate({ email: user.email, password: STRONG_PASSWORD })
      .then(tokensOf);
    await refresh(again.refreshToken);
  });
});

describe('ended sessions', () => {
  it('are deleted with their families a day after they were revoked or expired; live ones stay', async () => {
    const user = await signUp(server);
    const signIn = () =>
      server.client().auth.login.mutate({ email: user.email, password: STRONG_PASSWORD }).then(tokensOf);
    const live = user.refreshToken;
    const revokedLongAgo = (await signIn()).refreshToken;
    const expired = (await signIn()).refreshToken;
    const revokedToday = (await signIn()).refreshToken;
    const sessions = await server.database.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .orderBy('created_at')
      .execute();
    expect(sessions).toHaveLength(4);
    const [liveId, revokedId, expiredId, todayId] = sessions.map((s) => s.id) as [
      string,
      string,
      string,
      string,
    ];

    // A long family for one of them: more rows than one deleting batch (500) holds.
    await server.database.db
      .insertInto('session_refresh_tokens')
      .values(
        Array.from({ length: 1_200 }, (_, i) => ({
          token_hash: `old-${revokedId}-${i}`,
          session_id: revokedId,
        })),
      )
      .execute();
    await server.client().auth.logout.mutate({ refreshToken: revokedLongAgo });
    await server.database.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', expiredId)
      .execute();

    server.advance(DAY_MS + 3_600_000);
    await server.client().auth.logout.mutate({ refreshToken: revokedToday });

    const deadline = Date.now() + 15_000;
    for (;;) {
      const left = await server.database.db
        .selectFrom('sessions')
        .select('id')
        .where('id', 'in', [revokedId, expiredId])
        .execute();
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error('ended sessions were not deleted');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await familySize(revokedId)).toBe(0);
    expect(await familySize(expiredId)).toBe(0);
    // Revoked a moment ago (by the server's clock): kept for now. The live one keeps working.
    expect(await familySize(todayId)).toBe(1);
    expect(await familySize(liveId)).toBe(1);
    await refresh(live);
    // A token of a deleted session is unknown, answered as one of an ended session is.
    expect(errorCode(await rejection(refresh(revokedLongAgo)))).toBe('UNAUTHORIZED');
    expect(errorCode(await rejection(refresh(expired)))).toBe('UNAUTHORIZED');
  });
});
