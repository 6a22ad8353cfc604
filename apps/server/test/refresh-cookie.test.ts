import { describe, expect, it } from 'vitest';
import { perFile } from './helpers/per-file.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';

// The web app's refresh token lives in an HttpOnly cookie (DESIGN.md, Tokens; README,
// Security): opted into with `X-Tessera-Session: cookie`, set by every AuthResult, spent by
// auth.refresh and auth.logout, on tRPC and REST; every other client keeps the body token.

const server = perFile(() => startTestServer({ MFA_REQUIRED_ROLES: 'admin' }));
const httpsServer = perFile(() => startTestServer({ PUBLIC_URL: 'https://tessera.example' }));

const COOKIE_MODE = { 'x-tessera-session': 'cookie', 'sec-fetch-site': 'same-origin' };

interface Answer {
  status: number;
  body: Record<string, unknown>;
  cookies: string[];
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  // tRPC wraps a result in { result: { data } }; REST answers the data itself.
  const data = (json.result as { data?: Record<string, unknown> } | undefined)?.data ?? json;
  return { status: response.status, body: data, cookies: response.headers.getSetCookie() };
}

/** The `name=value` pair of the first Set-Cookie, as a browser would send it back. */
const pair = (cookies: string[]) => cookies[0]!.split(';', 1)[0]!;

async function register(base: string, path: string, headers: Record<string, string>) {
  const email = uniqueEmail('cookie');
  return post(`${base}${path}`, { name: 'Cookie', email, password: STRONG_PASSWORD }, headers);
}

describe('refresh token in an HttpOnly cookie', () => {
  it('on tRPC: every AuthResult sets it instead of the body, refresh and logout spend it', async () => {
    const signedUp = await register(server.url, '/trpc/auth.register', COOKIE_MODE);
    expect(signedUp.status).toBe(200);
    expect(signedUp.body).toHaveProperty('accessToken');
    expect(signedUp.body).not.toHaveProperty('refreshToken');
    expect(JSON.stringify(signedUp.body)).not.toMatch(/refresh/i);
    // Scoped to the two procedures that spend it, HttpOnly, SameSite=Strict, not Secure over http.
    expect(signedUp.cookies.map((c) => /Path=([^;]+)/.exec(c)?.[1]).sort()).toEqual([
      '/trpc/auth.logout',
      '/trpc/auth.refresh',
    ]);
    for (const cookie of signedUp.cookies) {
      expect(cookie).toMatch(/^tessera_refresh=[\w-]{40,};/);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Strict/);
      expect(cookie).toMatch(/; Max-Age=2592000/);
      expect(cookie).not.toMatch(/Secure/);
    }

    const refreshed = await post(
      `${server.url}/trpc/auth.refresh`,
      {},
      { ...COOKIE_MODE, cookie: pair(signedUp.cookies) },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).not.toHaveProperty('refreshToken');
    expect(pair(refreshed.cookies)).not.toBe(pair(signedUp.cookies));

    // A password change returns an AuthResult too: it rotates the cookie the same way.
    const changed = await fetch(`${server.url}/trpc/auth.changePassword`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${refreshed.body.accessToken as string}`,
        ...COOKIE_MODE,
      },
      body: JSON.stringify({ currentPassword: STRONG_PASSWORD, newPassword: `${STRONG_PASSWORD} again` }),
    });
    expect(changed.status).toBe(200);
    expect(await changed.text()).not.toMatch(/refreshToken/);
    const current = pair(changed.headers.getSetCookie());

    const out = await post(`${server.url}/trpc/auth.logout`, {}, { ...COOKIE_MODE, cookie: current });
    expect(out.status).toBe(200);
    expect(out.cookies).toHaveLength(2);
    for (const cookie of out.cookies) expect(cookie).toMatch(/^tessera_refresh=;.*Max-Age=0/);

    // The session is over: the cookie no longer refreshes, and the refusal clears it.
    const after = await post(`${server.url}/trpc/auth.refresh`, {}, { ...COOKIE_MODE, cookie: current });
    expect(after.status).toBe(401);
    expect(after.cookies[0]).toMatch(/Max-Age=0/);
    // No cookie at all: the same 401, not a 400 about a missing field.
    const none = await post(`${server.url}/trpc/auth.refresh`, {}, COOKIE_MODE);
    expect(none.status).toBe(401);
  });

  it('on REST the same, scoped to the REST paths', async () => {
    const signedUp = await register(server.url, '/api/auth/register', COOKIE_MODE);
    expect(signedUp.status).toBe(201);
    expect(signedUp.body).not.toHaveProperty('refreshToken');
    expect(signedUp.cookies.map((c) => /Path=([^;]+)/.exec(c)?.[1]).sort()).toEqual([
      '/api/auth/logout',
      '/api/auth/refresh',
    ]);
    const refreshed = await post(
      `${server.url}/api/auth/refresh`,
      {},
      { ...COOKIE_MODE, cookie: pair(signedUp.cookies) },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toHaveProperty('accessToken');
    expect(refreshed.body).not.toHaveProperty('refreshToken');
  });

  it('leaves every other client on the body token, cookies or not', async () => {
    const plain = await register(server.url, '/trpc/auth.register', {});
    expect(typeof plain.body.refreshToken).toBe('string');
    expect(plain.cookies).toEqual([]);

    // A cookie without the opt-in header is ignored: the body token is required.
    const viaCookie = await register(server.url, '/trpc/auth.register', COOKIE_MODE);
    const ignored = await post(`${server.url}/trpc/auth.refresh`, {}, { cookie: pair(viaCookie.cookies) });
    expect(ignored.status).toBe(400);

    // Another site's request (Fetch Metadata) gets no cookie treatment either.
    const crossSite = await register(server.url, '/trpc/auth.register', {
      ...COOKIE_MODE,
      'sec-fetch-site': 'same-site',
    });
    expect(crossSite.cookies).toEqual([]);
    expect(typeof crossSite.body.refreshToken).toBe('string');

    // The opt-in header is not one a page of another origin may send (CORS preflight).
    const preflight = await fetch(`${server.url}/trpc/auth.refresh`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-tessera-session',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers') ?? '').not.toMatch(/x-tessera-session/);
  });

  it('is Secure and __Secure- prefixed when PUBLIC_URL is https', async () => {
    const signedUp = await register(httpsServer.url, '/trpc/auth.register', COOKIE_MODE);
    for (const cookie of signedUp.cookies) expect(cookie).toMatch(/^__Secure-tessera_refresh=.*; Secure/);
    const refreshed = await post(
      `${httpsServer.url}/trpc/auth.refresh`,
      {},
      { ...COOKIE_MODE, cookie: pair(signedUp.cookies) },
    );
    expect(refreshed.status).toBe(200);
  });
});

describe('meta.settings', () => {
  it('tells a front end the settings it shows, on tRPC and REST', async () => {
    const expected = {
      passwordMinLength: 15,
      resetTokenTtlSeconds: 1800,
      registrationOpen: true,
      locales: ['en', 'fr'],
      defaultLocale: 'en',
      mfaRequiredRoles: ['admin'],
      passkeys: true,
    };
    expect(await server.client().meta.settings.query()).toEqual(expected);
    const rest = await fetch(`${server.url}/api/settings`);
    expect(rest.status).toBe(200);
    expect(await rest.json()).toEqual(expected);
  });
});
