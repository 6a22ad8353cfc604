// Found by an attack on a live server: an absolute-form request target, forged cursor dates, a
// quoted Content-Type and a repeated ?input=. Each test failed before its fix.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../helpers/server.js';

let server: TestServer;
let port: number;
beforeAll(async () => {
  server = await startTestServer({
    RATE_LIMIT_SIGN_IN: '3',
    RATE_LIMIT_MAIL: '2',
    LOGIN_MAX_ATTEMPTS: '1000',
  });
  port = Number(new URL(server.url).port);
});
afterAll(async () => server?.close());

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

/** One HTTP/1.1 request with the request-target written as given (absolute-form allowed). */
function raw(
  method: string,
  target: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (body !== undefined)
      lines.push('content-type: application/json', `content-length: ${Buffer.byteLength(body)}`);
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`),
    );
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', rest = ''] = out.split(/\r\n\r\n([\s\S]*)/);
      const [statusLine, ...headerLines] = head.split('\r\n');
      const hdrs: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        hdrs[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({
        status: Number(statusLine?.split(' ')[1]),
        headers: hdrs,
        body: rest,
        ms: performance.now() - started,
      });
    });
  });
}

const absolute = (path: string) => `http://127.0.0.1:${port}${path}`;
const login = (i: number) =>
  JSON.stringify({ email: `spray${i}-${Math.random()}@example.com`, password: 'wrong-password-xyz' });

describe('absolute-form request-target (POST http://host/api/...) is routed but not seen by the hooks', () => {
  it('counts failed sign-ins against the per-address limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await raw('POST', absolute('/api/auth/login'), login(i))).status);
    // RATE_LIMIT_SIGN_IN=3: at most three 401s, then 429.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
    expect(statuses).toContain(429);
  });

  it('holds a failed sign-in to the 200 ms enumeration floor', async () => {
    const answer = await raw('POST', absolute('/api/auth/login'), login(99));
    expect([401, 429]).toContain(answer.status);
    if (answer.status === 401) expect(answer.ms).toBeGreaterThanOrEqual(190);
  });

  it('holds a password-reset request to the floor and the mail limit', async () => {
    const statuses: number[] = [];
    let fastest = Infinity;
    for (let i = 0; i < 4; i++) {
      const a = await raw(
        'POST',
        absolute('/api/auth/password/forgot'),
        JSON.stringify({ email: `nobody${i}@example.com` }),
      );
      statuses.push(a.status);
      if (a.status === 200) fastest = Math.min(fastest, a.ms);
    }
    expect(statuses).toContain(429); // RATE_LIMIT_MAIL=2
    expect(fastest).toBeGreaterThanOrEqual(190);
  });

  it('marks an answer carrying tokens Cache-Control: no-store', async () => {
    const email = `abs-${Date.now()}@example.com`;
    const answer = await raw(
      'POST',
      absolute('/api/auth/register'),
      JSON.stringify({ name: 'Abs', email, password: STRONG_PASSWORD }),
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toContain('refreshToken');
    expect(answer.headers['cache-control']).toBe('no-store');
  });
});

describe('users.list / audit.list cursors', () => {
  async function adminToken(): Promise<string> {
    const email = `admin-${Date.now()}@example.com`;
    const reg = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Adm', email, password: STRONG_PASSWORD }),
    }).then((r) => r.json() as Promise<{ user: { id: string }; accessToken: string }>);
    await server.database.db
      .updateTable('users')
      .set({ role: 'admin' })
      .where('id', '=', reg.user.id)
      .execute();
    return reg.accessToken;
  }
  const cursor = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const id = '00000000-0000-4000-8000-000000000000';

  for (const v of [
    '2026-02-30T00:00:00.000000Z',
    '0000-01-01T00:00:00.000000Z',
    '2026-13-45T99:99:99.000000Z',
  ]) {
    it(`answers a forged createdAt cursor (${v}) 400 invalid_cursor, not 500`, async () => {
      const token = await adminToken();
      const users = await fetch(
        `${server.url}/trpc/users.list?input=${encodeURIComponent(JSON.stringify({ cursor: cursor({ s: 'createdAt', o: 'desc', v, id }) }))}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      expect(users.status).toBe(400);
      const audit = await fetch(
        `${server.url}/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ cursor: cursor({ at: v, id }) }))}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      expect(audit.status).toBe(400);
    });
  }
});

describe('error answers never echo input', () => {
  it('does not quote the Content-Type header back in a 415', async () => {
    const r = await fetch(`${server.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: { 'content-type': 'text/html; <img src=x onerror=alert(1)>' },
      body: '{}',
    });
    expect(r.status).toBe(415);
    expect(await r.text()).not.toContain('onerror');
    const unknownType = await fetch(`${server.url}/trpc/auth.logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-<script>' },
      body: '{}',
    });
    expect(unknownType.status).toBe(415);
    expect(await unknownType.text()).not.toContain('script');
  });
});

describe('a repeated ?input=', () => {
  it('is refused, not joined into one input behind the depth check', async () => {
    const email = `repeat-${Date.now()}@example.com`;
    const registered = await server
      .client()
      .auth.register.mutate({ name: 'Repeat', email, password: STRONG_PASSWORD });
    const deep = '['.repeat(20);
    const r = await fetch(`${server.url}/trpc/users.get?input=${deep}&input=${']'.repeat(20)}`, {
      headers: { authorization: `Bearer ${registered.accessToken}` },
    });
    expect(r.status).toBe(400);
    // The reason for a request tRPC cannot read (the catalogue words it in the caller's language).
    expect(((await r.json()) as { error: { data: { reason: string } } }).error.data.reason).toBe(
      'malformed_request',
    );
  });
});
