import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailSink, type MailSink } from '../helpers/mail-sink.js';
import {
  postJson,
  raw,
  rawPath,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type RawResponse,
  type SecurityServer,
} from './helpers/harness.js';

const PUBLIC_URL = 'https://id.example.com';

let server: SecurityServer;
let sink: MailSink;
let webDist: string;
let admin: { id: string; token: string };

/** SQL an injection would try; every one must be data, never syntax. */
const SQL_PAYLOADS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  "') OR 1=1 --",
  "1'; select pg_sleep(5); --",
  "x' UNION SELECT password_hash, email FROM users --",
  '%',
  '_',
  '\\',
  '$1',
  "E'\\x00'",
  '*/ select 1 /*',
];

beforeAll(async () => {
  sink = await startMailSink();
  webDist = mkdtempSync(join(tmpdir(), 'tessera-web-'));
  mkdirSync(join(webDist, 'assets'));
  writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(webDist, 'assets', 'app-abcdef12.js'), '0');
  writeFileSync(join(webDist, 'routes.json'), JSON.stringify(['/', '/reset-password']));
  server = await startServer({
    env: { PUBLIC_URL, SMTP_URL: sink.url, MAIL_POLL_INTERVAL_MS: '20', WEB_DIST: webDist },
  });
  const email = uniqueEmail('hostile-admin');
  const result = await server
    .client()
    .auth.register.mutate({ name: 'Admin', email, password: STRONG_PASSWORD });
  await server.database.db
    .updateTable('users')
    .set({ role: 'admin' })
    .where('id', '=', result.user.id)
    .execute();
  admin = { id: result.user.id, token: result.accessToken };
});
afterAll(async () => {
  await server?.close();
  await sink?.stop();
  rmSync(webDist, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${admin.token}` });

/** Every procedure that takes input, with a valid input to start from (strings get the payload). */
function procedureInputs(text: string): [string, 'mutation' | 'query', Record<string, unknown>][] {
  const id = admin.id;
  return [
    [
      'auth.register',
      'mutation',
      { name: text, email: uniqueEmail(), password: `${text} ${STRONG_PASSWORD}` },
    ],
    ['auth.login', 'mutation', { email: text, password: text }],
    ['auth.refresh', 'mutation', { refreshToken: text }],
    ['auth.logout', 'mutation', { refreshToken: text }],
    ['auth.requestPasswordReset', 'mutation', { email: text }],
    ['auth.resetPassword', 'mutation', { token: text, password: text }],
    ['auth.verifyEmail', 'mutation', { token: text }],
    ['auth.changePassword', 'mutation', { currentPassword: text, newPassword: text }],
    ['auth.revokeSession', 'mutation', { id: text }],
    ['users.updateMe', 'mutation', { name: text }],
    ['users.deleteMe', 'mutation', { password: text }],
    ['users.list', 'query', { search: text }],
    ['users.list', 'query', { cursor: text }],
    ['users.list', 'query', { sort: text, order: text, role: text }],
    ['users.get', 'query', { id: text }],
    ['users.create', 'mutation', { name: text, email: text, password: text, role: text }],
    ['users.update', 'mutation', { id, name: text, email: text, expectedUpdatedAt: text }],
    ['users.update', 'mutation', { id: text, role: text }],
    ['users.delete', 'mutation', { id: text }],
    ['audit.list', 'query', { action: text, cursor: text }],
    ['audit.list', 'query', { actorId: text, targetId: text }],
  ];
}

function call(procedure: string, kind: 'mutation' | 'query', input: unknown): Promise<RawResponse> {
  if (kind === 'query')
    return raw(`${server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, {
      headers: auth(),
    });
  return postJson(`${server.url}/trpc/${procedure}`, input, auth());
}

describe('SQL metacharacters', () => {
  it('are data in every string field of every procedure: never a 5xx, never a delay, nothing dropped', async () => {
    const failures: string[] = [];
    for (const payload of SQL_PAYLOADS)
      await Promise.all(
        procedureInputs(payload).map(async ([procedure, kind, input]) => {
          const started = performance.now();
          const response = await call(procedure, kind, input);
          const took = performance.now() - started;
          if (response.status >= 500)
            failures.push(`${procedure} ${JSON.stringify(input)} → ${response.status}`);
          // pg_sleep(5) would have run had the text reached SQL as syntax.
          if (took > 4000) failures.push(`${procedure} ${JSON.stringify(input)} took ${Math.round(took)} ms`);
        }),
      );
    expect(failures).toEqual([]);
    // The tables are all there, the admin is still who they were.
    const admins = await server.database.db
      .selectFrom('users')
      .select('role')
      .where('id', '=', admin.id)
      .execute();
    expect(admins).toEqual([{ role: 'admin' }]);
  }, 120_000);

  it('are stored and searched literally', async () => {
    const name = "Robert'); DROP TABLE users;-- 100% _sure_ \\o/";
    const email = uniqueEmail("o'brien");
    const created = await server.client().auth.register.mutate({ name, email, password: STRONG_PASSWORD });
    expect(created.user).toMatchObject({ name, email });
    const client = server.client({ token: admin.token });
    const search = async (text: string) =>
      (await client.users.list.query({ search: text, limit: 100 })).items;
    expect((await search("'); DROP TABLE")).map((u) => u.id)).toEqual([created.user.id]);
    expect((await search('100% _sure_')).map((u) => u.id)).toEqual([created.user.id]);
    expect((await search("o'brien")).map((u) => u.id)).toContain(created.user.id);
    // Wildcards match themselves only: a lone % or _ (too short to match anywhere, so matched
    // at the start) finds the names or emails that begin with one, not everyone.
    const wild = async (name: string) =>
      (
        await server
          .client()
          .auth.register.mutate({ name, email: uniqueEmail('wild'), password: STRONG_PASSWORD })
      ).user.id;
    const percentFirst = await wild('%_ Wild Card');
    const underscoreFirst = await wild('_% Wild Card');
    const everyone = (await client.users.list.query({ limit: 100 })).items.length;
    for (const [wildcard, expected] of [
      ['%', [percentFirst]],
      ['_', [underscoreFirst]],
      ['%_', [percentFirst]],
      ['_%', [underscoreFirst]],
    ] as const) {
      const found = await search(wildcard);
      expect(found.length, wildcard).toBeLessThan(everyone);
      expect(
        found.map((u) => u.id),
        wildcard,
      ).toEqual(expect.arrayContaining([...expected]));
      expect(
        found.map((u) => u.id),
        wildcard,
      ).not.toContain(expected[0] === percentFirst ? underscoreFirst : percentFirst);
      expect(
        found.every((u) => u.name.startsWith(wildcard) || u.email.startsWith(wildcard)),
        wildcard,
      ).toBe(true);
    }
  });
});

describe('malformed and hostile bodies', () => {
  const endpoints = ['/trpc/auth.login', '/api/auth/login'];

  it('answer 4xx to 10,000-level nesting, in a field and as the whole body', async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    for (const path of endpoints)
      for (const body of [
        `{"email":${deep(10_000)},"password":"x"}`,
        `{"email":"a@b.co","password":"x","extra":${deepObject(10_000)}}`,
        deep(30_000),
      ]) {
        const response = await postJson(`${server.url}${path}`, body);
        expect(response.status, `${path} ${body.slice(0, 30)}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${path} ${body.slice(0, 30)}`).toBeLessThan(500);
      }
    const query = await raw(
      `${server.url}/trpc/users.list?input=${encodeURIComponent(`{"search":${deep(3_000)}}`)}`,
      { headers: auth() },
    );
    expect(query.status).toBeGreaterThanOrEqual(400);
    expect(query.status).toBeLessThan(500);
  });

  it('cannot pollute prototypes or smuggle fields through __proto__ or constructor', async () => {
    const bodies = (email: string) => [
      `{"__proto__":{"role":"admin","isAdmin":true},"name":"Proto","email":"${email}","password":"${STRONG_PASSWORD}"}`,
      `{"constructor":{"prototype":{"role":"admin","isAdmin":true}},"name":"Proto","email":"${email}","password":"${STRONG_PASSWORD}"}`,
      `{"name":"Proto","email":"${email}","password":"${STRONG_PASSWORD}","__proto__":{"__proto__":{"role":"admin"}}}`,
    ];
    for (const path of ['/trpc/auth.register', '/api/auth/register'])
      for (const body of bodies(uniqueEmail('proto'))) {
        const response = await postJson(`${server.url}${path}`, body);
        expect(response.status, `${path} ${body.slice(0, 40)}`).toBeLessThan(500);
        if (response.status < 300) {
          const created = response.json as {
            user?: { role: string };
            result?: { data: { user: { role: string } } };
          };
          expect(created.user?.role ?? created.result?.data.user.role).toBe('user');
        }
      }
    // The server runs in this process: its Object.prototype is ours.
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    const stored = await server.database.db
      .selectFrom('users')
      .select('role')
      .where('name', '=', 'Proto')
      .execute();
    expect(stored.every((u) => u.role === 'user')).toBe(true);
  });

  it('refuses bodies that are not JSON, or claim another media type, with 4xx and no sign-in', async () => {
    const credentials = { email: uniqueEmail('ct'), password: STRONG_PASSWORD };
    await server.client().auth.register.mutate({ name: 'CT', ...credentials });
    const form = `email=${encodeURIComponent(credentials.email)}&password=${encodeURIComponent(credentials.password)}`;
    const cases: [string | undefined, string][] = [
      ['text/plain', JSON.stringify(credentials)],
      ['application/x-www-form-urlencoded', form],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${credentials.email}\r\n--x--`,
      ],
      ['application/xml', `<login><email>${credentials.email}</email></login>`],
      ['application/json', '{"email":'],
      ['application/json', 'null'],
      ['application/json', '[]'],
      ['application/json', '"just a string"'],
      ['application/json', '{"email": 12, "password": ["x"]}'],
      ['application/json', '{"email": null, "password": {"$gt": ""}}'],
      ['application/json', `{"email":"${'a'.repeat(60_000)}@x.co","password":"x"}`],
      ['application/json', '{"email":"a@b.co","password":"x\\u0000y"}'],
      ['application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1')],
    ];
    for (const path of endpoints)
      for (const [type, body] of cases) {
        const response = await raw(`${server.url}${path}`, {
          method: 'POST',
          headers: type ? { 'content-type': type } : {},
          body,
        });
        expect(response.status, `${path} ${type} ${body.slice(0, 30)}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${path} ${type} ${body.slice(0, 30)}`).toBeLessThan(500);
      }
  });

  it('answers 413 to bodies over the limit, whether announced or streamed', async () => {
    const huge = JSON.stringify({ email: 'a@b.co', password: 'p'.repeat(100_000) });
    for (const path of [...endpoints, '/trpc/auth.register', '/api/users/me']) {
      const announced = await postJson(`${server.url}${path}`, huge, auth());
      expect(announced.status, path).toBe(413);
      const streamed = await raw(`${server.url}${path}`, {
        method: path.endsWith('/me') ? 'PATCH' : 'POST',
        headers: { 'content-type': 'application/json', ...auth() },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(huge));
            controller.close();
          },
        }),
        duplex: 'half',
      });
      expect(streamed.status, `${path} chunked`).toBe(413);
    }
  });

  it('survives an oversized Authorization header and odd bearer values with 401 or 431', async () => {
    for (const value of [
      `Bearer ${'a'.repeat(12_000)}`,
      'Bearer',
      'Bearer  x.y.z',
      'Basic YWRtaW46YWRtaW4=',
      `Bearer ${'.'.repeat(500)}`,
    ]) {
      const response = await raw(`${server.url}/trpc/users.me`, { headers: { authorization: value } });
      expect([401, 431], value.slice(0, 20)).toContain(response.status);
    }
  });

  it('still serves normally after all of that', async () => {
    const me = await server.client({ token: admin.token }).users.me.query();
    expect(me.id).toBe(admin.id);
  });
});

describe('hostile requests beyond the body', () => {
  it('never takes an emailed link’s origin from Host or X-Forwarded-Host', async () => {
    const email = uniqueEmail('host');
    await server.client().auth.register.mutate({ name: 'Host', email, password: STRONG_PASSWORD });
    await rawPath(server.url, '/api/auth/password/forgot', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
      },
      body: JSON.stringify({ email }),
    });
    const mail = await sink.waitFor(email, /Reset/);
    expect(mail.link?.startsWith(`${PUBLIC_URL}/reset-password#token=`)).toBe(true);
    expect(mail.text + mail.html).not.toContain('evil.example');
  });

  it('serves no file outside the web app, however the path is spelled', async () => {
    for (const path of [
      '/../../../../etc/passwd',
      '/assets/../../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..\\..\\package.json',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/assets/app-abcdef12.js%00.html',
    ]) {
      const response = await rawPath(server.url, path);
      expect(response.status, path).toBeLessThan(500);
      expect(response.text, path).not.toMatch(/root:|"name":\s*"@tessera/);
    }
  });
});
