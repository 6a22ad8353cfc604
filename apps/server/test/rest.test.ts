import { request as httpRequest } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { RouterOutputs } from '@tessera/api';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { RestError } from '../src/http/rest/errors.js';
import { mailSinkPerFile, tokenFromLink } from './helpers/mail-sink.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

// The REST twins driven the way a non-TypeScript caller would: plain fetch and JSON.

const PUBLIC_URL = 'https://id.example.test';
const ADMIN_EMAIL = 'rest-admin@example.com';
const ADMIN_PASSWORD = 'the admin passphrase for rest tests';
const NEW_PASSWORD = 'a brand new passphrase for tessera';
const MISSING_ID = '5b0c4a43-7d3e-4f4a-9a51-3b7d2f0c9e11';

const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({
    SMTP_URL: sink.url,
    PUBLIC_URL,
    MAIL_POLL_INTERVAL_MS: '20',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
  }),
);

type AuthResult = RouterOutputs['auth']['login'];
type User = RouterOutputs['users']['me'];
type UserPage = RouterOutputs['users']['list'];

/** An answer whose body the caller names: an operation's output, or a RestError. */
interface Answer<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
  text: string;
}

/** Every (method, path, status) answered by an operation, checked against /openapi.json at the end. */
const seen: { method: string; path: string; status: number }[] = [];

async function api<Body = unknown>(
  method: string,
  path: string,
  options: { json?: unknown; body?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer<Body>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${server.url}/api${path}`, { method, headers, body });
  const text = await response.text();
  seen.push({ method, path: path.split('?')[0]!, status: response.status });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as Body, text };
}

/** An error answer must be our JSON shape and say nothing about our insides. */
function expectError(answer: Answer, status: number, code: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  const body = answer.body as RestError;
  expect(body).toMatchObject({ code, data: { code, httpStatus: status } });
  expect(typeof body.message).toBe('string');
  expect(
    Object.keys(body).every((k) => ['code', 'message', 'fieldErrors', 'issues', 'data'].includes(k)),
  ).toBe(true);
  expect(answer.text).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|select |insert |stack/i);
}

async function register(email = uniqueEmail('rest'), name = 'Ada Lovelace') {
  const answer = await api<AuthResult>('POST', '/auth/register', {
    json: { name, email, password: STRONG_PASSWORD },
  });
  expect(answer.status, answer.text).toBe(201);
  return { email, ...answer.body };
}

async function login(email: string, password: string) {
  const answer = await api<AuthResult>('POST', '/auth/login', { json: { email, password } });
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
}

describe('REST: sign-up and sign-in', () => {
  it('registers with 201 and an AuthResult, then refuses the same email with 409', async () => {
    const email = uniqueEmail('rest');
    const answer = await api<AuthResult>('POST', '/auth/register', {
      json: { name: 'Ada Lovelace', email, password: STRONG_PASSWORD },
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { email, name: 'Ada Lovelace', role: 'user', emailVerified: false, disabled: false },
    });
    expect(answer.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(answer.body.refreshToken).toMatch(/^[\w-]{43}$/);
    expect(answer.body.user).not.toHaveProperty('passwordHash');

    const again = await api<RestError>('POST', '/auth/register', {
      json: { name: 'Someone Else', email: email.toUpperCase(), password: STRONG_PASSWORD },
    });
    expectError(again, 409, 'CONFLICT');
    expect(again.body.message).toBe('An account with this email already exists');
  });

  it('logs in and reads /users/me with the bearer token', async () => {
    const { email, user } = await register();
    const session = await login(email, STRONG_PASSWORD);
    expect(session.user.id).toBe(user.id);
    const me = await api<User>('GET', '/users/me', { token: session.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, email });
    expect(me.body.lastLoginAt).not.toBeNull();
  });

  it("gives an access token another service verifies offline with jose's createRemoteJWKSet (README)", async () => {
    const { accessToken, user } = await register();
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', server.url));
    const { payload } = await jwtVerify(accessToken, jwks, {
      issuer: PUBLIC_URL,
      audience: 'tessera',
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
    });
    expect(payload).toMatchObject({ sub: user.id, role: 'user' });
    await expect(
      jwtVerify(accessToken, jwks, { issuer: 'https://elsewhere.example', audience: 'tessera' }),
    ).rejects.toThrow();
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const { email } = await register();
    const wrong = await api<RestError>('POST', '/auth/login', {
      json: { email, password: 'not the password at all' },
    });
    const unknown = await api<RestError>('POST', '/auth/login', {
      json: { email: uniqueEmail('nobody'), password: STRONG_PASSWORD },
    });
    for (const answer of [wrong, unknown]) {
      expectError(answer, 401, 'UNAUTHORIZED');
      expect(answer.body.message).toBe('Invalid email or password');
    }
  });

  it('throttles repeated wrong passwords with 429 and a Retry-After header', async () => {
    const { email } = await register();
    let throttled: Answer | undefined;
    // LOGIN_MAX_ATTEMPTS is 10 by default: the 11th try at the latest is refused unchecked.
    for (let attempt = 1; attempt <= 11 && !throttled; attempt += 1) {
      const answer = await api('POST', '/auth/login', {
        json: { email, password: `wrong guess number ${attempt}` },
      });
      if (answer.status === 429) throttled = answer;
      else expectError(answer, 401, 'UNAUTHORIZED');
    }
    expect(throttled).toBeDefined();
    expectError(throttled!, 429, 'TOO_MANY_REQUESTS');
    expect(Number(throttled!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits: the throttle does not tell guesses apart.
    expectError(
      await api('POST', '/auth/login', { json: { email, password: STRONG_PASSWORD } }),
      429,
      'TOO_MANY_REQUESTS',
    );
  });

  it('refuses missing, malformed, foreign-scheme and tampered tokens with 401', async () => {
    const { accessToken } = await register();
    const [header, payload, signature] = accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;

    expectError(await api('GET', '/users/me'), 401, 'UNAUTHORIZED');
    for (const authorization of [
      'Bearer garbage',
      'Bearer a.b.c',
      `Basic ${accessToken}`,
      `Bearer ${tampered}`,
    ]) {
      const answer = await api('GET', '/users/me', { headers: { authorization } });
      expectError(answer, 401, 'UNAUTHORIZED');
    }
  });

  it('rotates the refresh token, and logout ends the session', async () => {
    const first = await register();
    const refreshed = await api<AuthResult>('POST', '/auth/refresh', {
      json: { refreshToken: first.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(first.refreshToken);

    const out = await api('POST', '/auth/logout', { json: { refreshToken: refreshed.body.refreshToken } });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true });
    expectError(await api('GET', '/users/me', { token: refreshed.body.accessToken }), 401, 'UNAUTHORIZED');
    expectError(
      await api('POST', '/auth/refresh', { json: { refreshToken: refreshed.body.refreshToken } }),
      401,
      'UNAUTHORIZED',
    );
  });
});

describe('REST: bad requests', () => {
  it('answers malformed JSON with 400', async () => {
    const answer = await api<RestError>('POST', '/auth/register', {
      body: '{"name": "A", "email":',
      headers: { 'content-type': 'application/json' },
    });
    expectError(answer, 400, 'BAD_REQUEST');
    expect(answer.body.message).toMatch(/not valid JSON/);
  });

  it('answers missing fields with 400, field errors and zod issues, and creates nothing', async () => {
    const before = await countUsers();
    const answer = await api<RestError>('POST', '/auth/register', { json: { email: 'not-an-email' } });
    expectError(answer, 400, 'BAD_REQUEST');
    expect(Object.keys(answer.body.fieldErrors ?? {}).sort()).toEqual(['email', 'name', 'password']);
    expect(answer.body.fieldErrors?.email).toEqual(['Enter a valid email address']);
    expect(answer.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: ['email'], message: 'Enter a valid email address' }),
      ]),
    );
    // Like tRPC, the message names the first problem rather than a generic "validation failed".
    expect(answer.body.message).toMatch(/^(name|email|password): /);
    expect(await countUsers()).toBe(before);
  });

  it('reports a password-policy refusal as a field error too', async () => {
    const answer = await api<RestError>('POST', '/auth/register', {
      json: { name: 'A', email: uniqueEmail('weak'), password: 'passwordpassword' },
    });
    expectError(answer, 400, 'BAD_REQUEST');
    expect(answer.body.fieldErrors?.password?.[0]).toEqual(expect.any(String));
  });

  it('answers a 5 MB body with 413 before reading it', async () => {
    const answer = await rawPost('/api/auth/login', 'x'.repeat(5 * 1024 * 1024));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text) as unknown).toEqual({
      data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, reason: 'payload_too_large' },
      code: 'PAYLOAD_TOO_LARGE',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
      message: expect.any(String),
    });
  });

  it('answers a body that is not JSON with 415', async () => {
    const answer = await api('POST', '/auth/login', {
      body: 'email=a@example.com',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    expectError(await api('GET', '/no-such-thing'), 404, 'NOT_FOUND');
    expectError(await api('PUT', '/users/me', { json: {} }), 404, 'NOT_FOUND');
    const bare = await fetch(`${server.url}/api`);
    expect(bare.status).toBe(404);
    expect(await bare.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('treats a POST with no body as {} (operations that need no input just work)', async () => {
    const { accessToken } = await register();
    const answer = await api('POST', '/auth/email/verify-request', { token: accessToken });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ ok: true });
    // An empty body sent as JSON is the same.
    const empty = await api<RestError>('POST', '/auth/register', {
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    expectError(empty, 400, 'BAD_REQUEST');
    expect(Object.keys(empty.body.fieldErrors ?? {}).sort()).toEqual(['email', 'name', 'password']);
  });

  it('hides an unexpected failure behind a bare 500, and a lost database behind a 503', async () => {
    const { accessToken } = await register();
    const findLive = vi.spyOn(server.app.deps.stores.sessions, 'findLive');
    try {
      findLive.mockRejectedValue(
        new Error(
          'syntax error at or near "select password_hash from users" (/srv/app/node_modules/pg/lib/client.js:1)',
        ),
      );
      const failed = await api('GET', '/users/me', { token: accessToken });
      expectError(failed, 500, 'INTERNAL_SERVER_ERROR');
      expect(failed.body).toEqual({
        data: {
          code: 'INTERNAL_SERVER_ERROR',
          httpStatus: 500,
          reason: 'internal_error',
          // The request's id (X-Request-Id), to find its log lines.
          requestId: failed.headers.get('x-request-id'),
        },
        code: 'INTERNAL_SERVER_ERROR',
        message: 'Internal server error',
      });

      findLive.mockRejectedValue(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      );
      const down = await api('GET', '/users/me', { token: accessToken });
      expectError(down, 503, 'SERVICE_UNAVAILABLE');
      expect(down.text).not.toMatch(/ECONNREFUSED|5432/);
    } finally {
      findLive.mockRestore();
    }
    expect((await api('GET', '/users/me', { token: accessToken })).status).toBe(200);
  });
});

describe('REST: the admin console', () => {
  let admin: string;
  let manager: string;
  let plain: { token: string; id: string };
  const tag = `zq${Date.now().toString(36)}`;
  const created: string[] = [];

  beforeAll(async () => {
    admin = (await login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
    const managerEmail = uniqueEmail('manager');
    const made = await api('POST', '/users', {
      token: admin,
      json: { name: 'Mona Manager', email: managerEmail, password: STRONG_PASSWORD, role: 'manager' },
    });
    expect(made.status, made.text).toBe(201);
    manager = (await login(managerEmail, STRONG_PASSWORD)).accessToken;
    const registered = await register();
    plain = { token: registered.accessToken, id: registered.user.id };
  });

  it('creates users with 201 (an invite without a password), and 409 for a taken email', async () => {
    for (let i = 0; i < 5; i += 1) {
      const answer = await api<User>('POST', '/users', {
        token: admin,
        json: { name: `Member ${tag} ${i}`, email: `${tag}.${i}@example.com` },
      });
      expect(answer.status, answer.text).toBe(201);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.body).toMatchObject({ email: `${tag}.${i}@example.com`, role: 'user', disabled: false });
      created.push(answer.body.id);
    }
    await sink.waitFor(`${tag}.0@example.com`);
    const taken = await api('POST', '/users', {
      token: manager,
      json: { name: 'Again', email: `${tag}.0@example.com`.toUpperCase() },
    });
    expectError(taken, 409, 'CONFLICT');
  });

  it('lists, searches and pages through users with a cursor', async () => {
    const search = await api<UserPage>('GET', `/users?search=${tag}&limit=2&sort=email&order=asc`, {
      token: manager,
    });
    expect(search.status, search.text).toBe(200);
    expect(search.body.items.map((u) => u.email)).toEqual([`${tag}.0@example.com`, `${tag}.1@example.com`]);
    expect(search.body.nextCursor).toEqual(expect.any(String));

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = new URLSearchParams({
        search: tag,
        limit: '2',
        sort: 'email',
        order: 'asc',
        ...(cursor ? { cursor } : {}),
      }).toString();
      const page = await api<UserPage>('GET', `/users?${query}`, { token: admin });
      expect(page.status, page.text).toBe(200);
      pages.push(page.body.items.map((u) => u.id));
      cursor = page.body.nextCursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(created);

    const managers = await api<UserPage>('GET', '/users?role=manager&limit=100', { token: admin });
    expect(managers.body.items.length).toBeGreaterThan(0);
    expect(managers.body.items.every((u) => u.role === 'manager')).toBe(true);

    expectError(await api('GET', '/users', { token: plain.token }), 403, 'FORBIDDEN');
    const badLimit = await api<RestError>('GET', '/users?limit=500', { token: admin });
    expectError(badLimit, 400, 'BAD_REQUEST');
    expect(badLimit.body.fieldErrors?.limit).toEqual(expect.any(Array));
  });

  it('reads one user, with 404 for an unknown id and 400 for a malformed one', async () => {
    const one = await api('GET', `/users/${created[0]}`, { token: manager });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: created[0], email: `${tag}.0@example.com` });
    expectError(await api('GET', `/users/${MISSING_ID}`, { token: admin }), 404, 'NOT_FOUND');
    const malformed = await api<RestError>('GET', '/users/not-a-uuid', { token: admin });
    expectError(malformed, 400, 'BAD_REQUEST');
    expect(malformed.body.fieldErrors?.id).toEqual(expect.any(Array));
    // /users/me is its own route, not /users/{id} with id "me".
    expect((await api<User>('GET', '/users/me', { token: admin })).body.email).toBe(ADMIN_EMAIL);
  });

  it('updates a user, and a disabled user can no longer sign in', async () => {
    const email = uniqueEmail('victim');
    const made = await api<User>('POST', '/users', {
      token: admin,
      json: { name: 'Vic Tim', email, password: STRONG_PASSWORD },
    });
    const { accessToken } = await login(email, STRONG_PASSWORD);

    const renamed = await api('PATCH', `/users/${made.body.id}`, {
      token: manager,
      json: { name: 'Victoria Tim', disabled: true },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ id: made.body.id, name: 'Victoria Tim', disabled: true });
    expectError(await api('GET', '/users/me', { token: accessToken }), 401, 'UNAUTHORIZED');
    expectError(
      await api('POST', '/auth/login', { json: { email, password: STRONG_PASSWORD } }),
      401,
      'UNAUTHORIZED',
    );

    const typo = await api<RestError>('PATCH', `/users/${made.body.id}`, {
      token: admin,
      json: { disabled: 'false' },
    });
    expectError(typo, 400, 'BAD_REQUEST');
    expect(typo.body.fieldErrors?.disabled).toEqual(expect.any(Array));

    const adminId = (await api<User>('GET', '/users/me', { token: admin })).body.id;
    expectError(
      await api('PATCH', `/users/${adminId}`, { token: manager, json: { name: 'Demoted' } }),
      403,
      'FORBIDDEN',
    );
    const taken = await api('PATCH', `/users/${made.body.id}`, {
      token: admin,
      json: { email: ADMIN_EMAIL },
    });
    expectError(taken, 409, 'CONFLICT');
  });

  it('deletes a user with DELETE /users/{id}', async () => {
    const id = created.at(-1)!;
    const answer = await api('DELETE', `/users/${id}`, { token: admin });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ ok: true });
    expectError(await api('GET', `/users/${id}`, { token: admin }), 404, 'NOT_FOUND');
    expectError(await api('DELETE', `/users/${id}`, { token: admin }), 404, 'NOT_FOUND');
    expectError(await api('DELETE', `/users/${created[0]}`, { token: plain.token }), 403, 'FORBIDDEN');
  });

  it('reads the audit log (admins only)', async () => {
    const log = await api<RouterOutputs['audit']['list']>('GET', `/audit?limit=5`, { token: admin });
    expect(log.status, log.text).toBe(200);
    expect(log.body.items.length).toBeGreaterThan(0);
    expect(log.body.items.length).toBeLessThanOrEqual(5);
    expectError(await api('GET', '/audit', { token: manager }), 403, 'FORBIDDEN');
  });
});

describe('REST: my own account', () => {
  it('updates and deletes me, and lists and revokes my sessions (DELETE input in the query)', async () => {
    const { email, user } = await register();
    const first = await login(email, STRONG_PASSWORD);
    const second = await login(email, STRONG_PASSWORD);

    const renamed = await api('PATCH', '/users/me', { token: first.accessToken, json: { name: 'Ada King' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ id: user.id, name: 'Ada King' });

    const sessions = await api<RouterOutputs['auth']['sessions']>('GET', '/auth/sessions', {
      token: first.accessToken,
    });
    expect(sessions.status).toBe(200);
    // register, then two sign-ins: three devices, of which this request's is the current one.
    expect(sessions.body).toHaveLength(3);
    expect(sessions.body.filter((s) => s.current)).toHaveLength(1);

    const secondSid = (
      JSON.parse(Buffer.from(second.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }
    ).sid;
    const revoked = await api('DELETE', `/auth/sessions?id=${secondSid}`, { token: first.accessToken });
    expect(revoked.status, revoked.text).toBe(200);
    expectError(await api('GET', '/users/me', { token: second.accessToken }), 401, 'UNAUTHORIZED');

    const wrong = await api<RestError>('POST', '/users/me/delete', {
      token: first.accessToken,
      json: { password: 'wrong wrong wrong' },
    });
    expectError(wrong, 400, 'BAD_REQUEST');
    expect(wrong.body.fieldErrors?.password).toEqual(expect.any(Array));
    const deleted = await api('POST', '/users/me/delete', {
      token: first.accessToken,
      json: { password: STRONG_PASSWORD },
    });
    expect(deleted.status, deleted.text).toBe(200);
    expectError(
      await api('POST', '/auth/login', { json: { email, password: STRONG_PASSWORD } }),
      401,
      'UNAUTHORIZED',
    );
  });
});

describe('REST: forgotten password', () => {
  it('mails a link on /auth/password/forgot, and /auth/password/reset sets the new password once', async () => {
    const { email } = await register();
    const before = sink.received.length;
    const forgot = await api('POST', '/auth/password/forgot', { json: { email } });
    expect(forgot.status).toBe(200);
    expect(forgot.body).toEqual({ ok: true });
    const unknown = await api('POST', '/auth/password/forgot', { json: { email: uniqueEmail('nobody') } });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ ok: true });

    const mail = await sink.waitFor(email, /Reset your Tessera password/);
    expect(sink.received.length).toBeGreaterThan(before);
    const token = tokenFromLink(mail.link);

    const reset = await api('POST', '/auth/password/reset', { json: { token, password: NEW_PASSWORD } });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body).toEqual({ ok: true });
    await login(email, NEW_PASSWORD);
    expectError(
      await api('POST', '/auth/login', { json: { email, password: STRONG_PASSWORD } }),
      401,
      'UNAUTHORIZED',
    );

    const reuse = await api<RestError>('POST', '/auth/password/reset', {
      json: { token, password: 'yet another long passphrase here' },
    });
    expectError(reuse, 400, 'BAD_REQUEST');
    expect(reuse.body.fieldErrors?.token).toEqual(expect.any(Array));
  });
});

describe('REST: the document tells the truth', () => {
  it('documents every status an operation answered in this file', async () => {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: object }>>;
    };
    const operations = Object.entries(document.paths);
    const undocumented = new Set<string>();
    let checked = 0;
    for (const { method, path, status } of seen) {
      const match = operations.find(
        ([template, item]) =>
          item[method.toLowerCase()] && new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
      );
      if (!match) continue; // unknown routes answer 404 by design and have no operation
      checked += 1;
      const [template, item] = match;
      if (!(String(status) in item[method.toLowerCase()]!.responses))
        undocumented.add(`${method} ${template} → ${status}`);
    }
    expect(checked).toBeGreaterThan(50);
    expect([...undocumented]).toEqual([]);
  });
});

async function countUsers(): Promise<number> {
  const row = await server.database.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A POST through node:http, so a server that answers and closes before the body is fully
 * written (Fastify's 413 on Content-Length) still gives us its answer rather than EPIPE.
 */
function rawPost(path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    let answered = false;
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}
