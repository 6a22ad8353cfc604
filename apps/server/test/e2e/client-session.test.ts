import {
  createSession,
  errorCode,
  memoryStore,
  type RefreshTokenStore,
  type SessionEvent,
} from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { perFile } from '../helpers/per-file.js';

// The token handling the web app relies on (packages/client/src/session.ts), against a real
// server: what the browser tests cannot easily count.

const server = perFile(() => startTestServer());

// Past the access token lifetime (900 s) and the server's clock-skew allowance.
const ACCESS_TTL_MS = 910_000;

/** A session whose requests are counted by procedure path, with a clock we move. */
function countingSession<S extends RefreshTokenStore>(store: S) {
  const calls: string[] = [];
  let offset = 0;
  const events: SessionEvent[] = [];
  const session = createSession({
    url: server.url,
    store,
    now: () => Date.now() + offset,
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      calls.push(new URL(url).pathname.replace('/trpc/', ''));
      return fetch(input, init);
    },
  });
  session.subscribe((event) => events.push(event));
  return {
    session,
    store,
    calls,
    events,
    count: (path: string) => calls.filter((c) => c === path).length,
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

async function signedIn() {
  const email = uniqueEmail('session');
  const counted = countingSession(memoryStore());
  const result = await counted.session.client.auth.register.mutate({
    name: 'Session User',
    email,
    password: STRONG_PASSWORD,
  });
  counted.session.accept(result);
  return { ...counted, email, userId: result.user.id };
}

describe('client sessions (createSession)', () => {
  it('keeps the access token in memory and only the refresh token in the store', async () => {
    const store = memoryStore();
    const { session } = countingSession(store);
    const result = await server.client().auth.register.mutate({
      name: 'Memory',
      email: uniqueEmail('memory'),
      password: STRONG_PASSWORD,
    });
    session.accept(result);
    expect(store.get()).toBe(result.refreshToken);
    expect(session.accessToken()).toBe(result.accessToken);
    expect((await session.client.users.me.query()).id).toBe(result.user.id);
  });

  it('shares one refresh among concurrent callers once the access token is due', async () => {
    const s = await signedIn();
    s.advance(ACCESS_TTL_MS);
    server.advance(ACCESS_TTL_MS);
    const answers = await Promise.all(Array.from({ length: 8 }, () => s.session.client.users.me.query()));
    expect(answers.map((u) => u.id)).toEqual(Array(8).fill(s.userId));
    expect(s.count('auth.refresh')).toBe(1);
    expect(s.events.filter((e) => e.type === 'refreshed')).toHaveLength(1);
  });

  it('refreshes and retries once when the server says UNAUTHORIZED', async () => {
    const s = await signedIn();
    // The server's clock has passed the token's expiry; the client's has not noticed.
    server.advance(ACCESS_TTL_MS);
    const [a, b] = await Promise.all([s.session.client.users.me.query(), s.session.client.users.me.query()]);
    expect(a.id).toBe(s.userId);
    expect(b.id).toBe(s.userId);
    expect(s.count('auth.refresh')).toBe(1);
    expect(s.count('users.me')).toBe(4);
  });

  it('signs out, saying the session expired, when the refresh is refused', async () => {
    const s = await signedIn();
    // Another device ends this session (by its refresh token), then the access token lapses.
    await server.client().auth.logout.mutate({ refreshToken: s.store.get()! });
    server.advance(ACCESS_TTL_MS);
    const failure = await s.session.client.users.me.query().catch((error: unknown) => error);
    expect(errorCode(failure)).toBe('UNAUTHORIZED');
    expect(s.count('auth.refresh')).toBe(1);
    expect(s.session.signedIn).toBe(false);
    expect(s.session.accessToken()).toBeNull();
    expect(s.events.at(-1)).toEqual({ type: 'signed-out', reason: 'expired' });
  });

  it('never refreshes for a refused password: that UNAUTHORIZED is the answer', async () => {
    const s = await signedIn();
    const failure = await s.session.client.auth.login
      .mutate({ email: s.email, password: 'not the password at all, sorry' })
      .catch((error: unknown) => error);
    expect(errorCode(failure)).toBe('UNAUTHORIZED');
    expect(s.count('auth.refresh')).toBe(0);
    expect(s.session.signedIn).toBe(true);
  });

  it('ends the server session on signOut and forgets the tokens', async () => {
    const store = memoryStore();
    const s = countingSession(store);
    const result = await server.client().auth.register.mutate({
      name: 'Leaving',
      email: uniqueEmail('leaving'),
      password: STRONG_PASSWORD,
    });
    s.session.accept(result);
    await s.session.signOut();
    expect(store.get()).toBeNull();
    expect(s.events.at(-1)).toEqual({ type: 'signed-out', reason: 'signed-out' });
    const refused = await server
      .client()
      .auth.refresh.mutate({ refreshToken: result.refreshToken })
      .catch((error: unknown) => error);
    expect(errorCode(refused)).toBe('UNAUTHORIZED');
  });

  it('works with an async token store (React Native, server frameworks): a new session picks the token up', async () => {
    // A store that answers later, like SecureStore or a session database.
    const saved = new Map<string, string>();
    const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 5));
    const store = {
      get: () => later(saved.get('refresh') ?? null),
      set: async (token: string | null) => {
        await later(undefined);
        if (token) saved.set('refresh', token);
        else saved.delete('refresh');
      },
    };
    const email = uniqueEmail('async-store');
    const first = countingSession(store);
    first.session.accept(
      await server.client().auth.register.mutate({ name: 'Async', email, password: STRONG_PASSWORD }),
    );
    await expect.poll(() => saved.has('refresh')).toBe(true);
    // A fresh process with the same store: it holds no access token and refreshes first.
    const second = countingSession(store);
    expect((await second.session.client.users.me.query()).email).toBe(email);
    expect(second.count('auth.refresh')).toBe(1);
    expect(saved.get('refresh')).not.toBe(undefined);
    await second.session.signOut();
    expect(saved.has('refresh')).toBe(false);
  });
});
