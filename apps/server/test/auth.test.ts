import { errorCode, fieldErrors } from '@tessera/client';
import {
  createLocalJWKSet,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, rejection } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';
import { tokensOf } from './helpers/accounts.js';

const server = perFile(() => startTestServer());

async function register(email = uniqueEmail()) {
  return server.client().auth.register.mutate({ name: 'Ada Lovelace', email, password: STRONG_PASSWORD });
}

describe('auth.register', () => {
  it('creates a user and returns an AuthResult whose token verifies against the JWKS', async () => {
    const email = uniqueEmail();
    const result = await register(email);
    expect(result.tokenType).toBe('Bearer');
    expect(result.expiresIn).toBe(900);
    expect(result.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.user).toMatchObject({
      email,
      name: 'Ada Lovelace',
      role: 'user',
      emailVerified: false,
      disabled: false,
    });
    expect(result.user).not.toHaveProperty('passwordHash');

    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(result.accessToken, createLocalJWKSet(jwks), {
      audience: 'tessera',
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(protectedHeader.kid).toBe(jwks.keys[0]?.kid);
    expect(payload).toMatchObject({ sub: result.user.id, role: 'user' });
    expect(payload.sid).toEqual(expect.any(String));
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('refuses a taken email in any case or spacing with CONFLICT', async () => {
    const email = uniqueEmail();
    await register(email);
    for (const variant of [email, email.toUpperCase(), `  ${email}  `]) {
      expect(errorCode(await rejection(register(variant)))).toBe('CONFLICT');
    }
  });

  it('lets exactly one of 20 racing registrations of one email win', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => register(email)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [errorCode(r.reason)] : []));
    expect(won).toHaveLength(1);
    expect(codes).toEqual(Array(19).fill('CONFLICT'));
    const rows = await server.database.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('never lets a client choose its role', async () => {
    const result = await server.client().auth.register.mutate({
      name: 'Mallory',
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
      role: 'admin',
    } as never);
    expect(result.user.role).toBe('user');
  });
});

describe('auth.login', () => {
  it('answers malformed sign-in input like any failed sign-in', async () => {
    for (const input of [
      { email: 'not-an-email', password: STRONG_PASSWORD },
      { email: uniqueEmail(), password: '' },
    ]) {
      const error = await rejection(server.client().auth.login.mutate(input));
      expect(errorCode(error)).toBe('UNAUTHORIZED');
      expect((error as Error).message).toBe('Invalid email or password');
    }
  });

  it('signs in with the right password', async () => {
    const email = uniqueEmail();
    await register(email);
    const result = await server
      .client()
      .auth.login.mutate({ email: email.toUpperCase(), password: STRONG_PASSWORD })
      .then(tokensOf);
    expect(result.user.email).toBe(email);
    expect(result.user.lastLoginAt).not.toBeNull();
    const me = await server.client(result.accessToken).users.me.query();
    expect(me.id).toBe(result.user.id);
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const email = uniqueEmail();
    await register(email);
    const wrong = await rejection(
      server.client().auth.login.mutate({ email, password: 'not the password at all' }),
    );
    const unknown = await rejection(
      server.client().auth.login.mutate({ email: uniqueEmail('nobody'), password: STRONG_PASSWORD }),
    );
    for (const error of [wrong, unknown]) {
      expect(errorCode(error)).toBe('UNAUTHORIZED');
      expect((error as Error).message).toBe('Invalid email or password');
    }
  });

  it('still runs one argon2 verify for an unknown email', async () => {
    // Counts the calls and lets each one through to the real hasher.
    const verify = vi.spyOn(server.app.deps.hasher, 'verify');
    try {
      await rejection(
        server.client().auth.login.mutate({ email: uniqueEmail('ghost'), password: STRONG_PASSWORD }),
      );
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it('counts failed attempts on the account', async () => {
    const email = uniqueEmail();
    const { user } = await register(email);
    await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        server.client().auth.login.mutate({ email, password: 'wrong password guess' }),
      ),
    );
    const row = await server.database.db
      .selectFrom('users')
      .select('failed_login_count')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_login_count).toBe(5);
  });
});

describe('sign-in throttling per account', () => {
  it('lets at most LOGIN_MAX_ATTEMPTS of 100 parallel guesses be checked, for known and unknown emails alike', async () => {
    const known = uniqueEmail('victim');
    await register(known);
    for (const email of [known, uniqueEmail('ghost')]) {
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, () =>
          server.client().auth.login.mutate({ email, password: 'guess guess guess guess' }),
        ),
      );
      const codes = results.map((r) => (r.status === 'rejected' ? errorCode(r.reason) : 'OK'));
      expect(codes.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(10);
      expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(90);
    }
    // Even the right password waits out the window now; the answer says when to retry.
    const response = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: known, password: STRONG_PASSWORD }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('users.me with bad tokens', () => {
  it('refuses no token, garbage, alg none, a foreign key and an expired token', async () => {
    const { user, accessToken } = await register();
    const [header, payload] = accessToken.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload;

    const none = new UnsecuredJWT(claims).encode();
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({
        alg: 'EdDSA',
        typ: 'at+jwt',
        kid: (JSON.parse(Buffer.from(header, 'base64url').toString()) as JWTHeaderParameters).kid,
      })
      .sign((await generateKeyPair('EdDSA')).privateKey);
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${accessToken.split('.')[2]}`;

    for (const token of [undefined, 'garbage', 'a.b.c', none, foreign, tampered]) {
      const error = await rejection(server.client(token).users.me.query());
      expect(errorCode(error), String(token)).toBe('UNAUTHORIZED');
    }

    server.advance(901_000 + 5_000);
    try {
      expect(errorCode(await rejection(server.client(accessToken).users.me.query()))).toBe('UNAUTHORIZED');
    } finally {
      server.advance(-906_000);
    }
    expect((await server.client(accessToken).users.me.query()).id).toBe(user.id);
  });

  it('refuses the access token as soon as its session is logged out', async () => {
    const { accessToken, refreshToken } = await register();
    await server.client(accessToken).users.me.query();
    expect(await server.client().auth.logout.mutate({ refreshToken })).toEqual({ ok: true });
    expect(errorCode(await rejection(server.client(accessToken).users.me.query()))).toBe('UNAUTHORIZED');
    expect(errorCode(await rejection(server.client().auth.refresh.mutate({ refreshToken })))).toBe(
      'UNAUTHORIZED',
    );
  });
});

describe('auth.refresh', () => {
  it('rotates the refresh token and keeps the session', async () => {
    const first = await register();
    const second = await server.client().auth.refresh.mutate({ refreshToken: first.refreshToken });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await server.client(second.accessToken).users.me.query()).id).toBe(first.user.id);
    const third = await server.client().auth.refresh.mutate({ refreshToken: second.refreshToken });
    expect((await server.client(third.accessToken).users.me.query()).id).toBe(first.user.id);
  });

  it('honours a just-rotated token within the grace period (two tabs)', async () => {
    const first = await register();
    const [a, b] = await Promise.all([
      server.client().auth.refresh.mutate({ refreshToken: first.refreshToken }),
      server.client().auth.refresh.mutate({ refreshToken: first.refreshToken }),
    ]);
    expect((await server.client(a.accessToken).users.me.query()).id).toBe(first.user.id);
    expect((await server.client(b.accessToken).users.me.query()).id).toBe(first.user.id);
    // Both tabs hold the same successor, so whichever stores it last keeps a working token.
    expect(b.refreshToken).toBe(a.refreshToken);
    const later = await server.client().auth.refresh.mutate({ refreshToken: a.refreshToken });
    expect((await server.client(later.accessToken).users.me.query()).id).toBe(first.user.id);
  });

  it('answers a token presented again within the grace period with the same successor', async () => {
    const first = await register();
    const a = await server.client().auth.refresh.mutate({ refreshToken: first.refreshToken });
    server.advance(5_000);
    try {
      const b = await server.client().auth.refresh.mutate({ refreshToken: first.refreshToken });
      expect(b.refreshToken).toBe(a.refreshToken);
    } finally {
      server.advance(-5_000);
    }
  });

  it('revokes the session when a rotated token is replayed after the grace period', async () => {
    const first = await register();
    const second = await server.client().auth.refresh.mutate({ refreshToken: first.refreshToken });
    server.advance(11_000);
    try {
      const replay = await rejection(
        server.client().auth.refresh.mutate({ refreshToken: first.refreshToken }),
      );
      expect(errorCode(replay)).toBe('UNAUTHORIZED');
      // The thief's replay burns the whole session, including the legitimate holder's tokens.
      expect(errorCode(await rejection(server.client(second.accessToken).users.me.query()))).toBe(
        'UNAUTHORIZED',
      );
      expect(
        errorCode(
          await rejection(server.client().auth.refresh.mutate({ refreshToken: second.refreshToken })),
        ),
      ).toBe('UNAUTHORIZED');
    } finally {
      server.advance(-11_000);
    }
  });

  it('refuses an unknown refresh token', async () => {
    const error = await rejection(server.client().auth.refresh.mutate({ refreshToken: 'x'.repeat(43) }));
    expect(errorCode(error)).toBe('UNAUTHORIZED');
  });
});

describe('invalid input', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a bad email', { name: 'A', email: 'not-an-email', password: STRONG_PASSWORD }, 'email'],
    ['a short password', { name: 'A', email: 'short@example.com', password: 'short' }, 'password'],
    ['a missing name', { email: 'noname@example.com', password: STRONG_PASSWORD }, 'name'],
    [
      'a 10,000-character password',
      { name: 'A', email: 'long@example.com', password: 'x'.repeat(10_000) },
      'password',
    ],
    [
      'a common password',
      { name: 'A', email: 'common@example.com', password: 'passwordpassword' },
      'password',
    ],
    [
      'a password holding the email name',
      { name: 'A', email: 'ada.lovelace@example.com', password: 'my name is ada.lovelace!!' },
      'password',
    ],
    ['a NUL in the name', { name: 'A\u0000B', email: 'nul@example.com', password: STRONG_PASSWORD }, 'name'],
  ];

  it.each(cases)('refuses %s with a field error and writes nothing', async (_label, input, field) => {
    const before = await countUsers();
    const error = await rejection(server.client().auth.register.mutate(input as never));
    expect(errorCode(error)).toBe('BAD_REQUEST');
    expect(fieldErrors(error)?.[field]?.length).toBeGreaterThan(0);
    expect(await countUsers()).toBe(before);
  });

  it('answers malformed JSON with 400, not 5xx', async () => {
    const response = await fetch(`${server.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "A", "email":',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('answers a 5 MB body with 413 and writes nothing', async () => {
    const before = await countUsers();
    const body = JSON.stringify({ name: 'A', email: uniqueEmail(), password: 'x'.repeat(5 * 1024 * 1024) });
    const response = await fetch(`${server.url}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).catch((error: Error & { cause?: Error }) => error);
    // Fastify answers 413 as soon as it reads the length; a client still writing may see EPIPE.
    if (response instanceof Response) expect(response.status).toBe(413);
    else expect(String(response.cause ?? response)).toMatch(/EPIPE|ECONNRESET|other side closed|SocketError/);
    expect(await countUsers()).toBe(before);
  });
});

async function countUsers(): Promise<number> {
  const row = await server.database.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
