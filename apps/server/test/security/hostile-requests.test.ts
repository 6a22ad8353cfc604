import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rawPath,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type RawResponse,
  type SecurityServer,
} from './helpers/harness.js';

let server: SecurityServer;
let token: string;

beforeAll(async () => {
  server = await startServer();
  ({ accessToken: token } = await server
    .client()
    .auth.register.mutate({ name: 'Hostile', email: uniqueEmail('hostile-req'), password: STRONG_PASSWORD }));
});
afterAll(() => server?.close());

const json = { 'content-type': 'application/json' };
const reasonOf = (response: RawResponse) =>
  (response.json as { data?: { reason?: string }; error?: { data?: { reason?: string } } } | undefined)?.data
    ?.reason ??
  (response.json as { error?: { data?: { reason?: string } } } | undefined)?.error?.data?.reason;

/**
 * Sends `method path` announcing a body of `bytes`, and keeps writing it after the answer
 * arrives: resolves with the status and how much of the body the server took before it
 * closed the connection (all of it, when it reads and discards the body).
 */
function sendBody(method: string, path: string, bytes: number, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(server.url);
  return new Promise<{ status: number; written: number }>((resolve) => {
    let status = 0;
    let written = 0;
    let closed = false;
    const req = httpRequest({
      hostname,
      port,
      path,
      method,
      headers: { 'content-length': String(bytes), ...headers },
    });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.resume();
    });
    const finish = () => {
      if (closed) return;
      closed = true;
      resolve({ status, written });
    };
    req.on('error', finish);
    req.on('close', finish);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const pump = () => {
      while (!closed && written < bytes) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!closed) req.end();
    };
    pump();
  });
}

/**
 * One request on a connection of its own, byte for byte (like the harness's rawPath): a 431
 * is written straight to the socket and closes it, and a pooled socket would meet that as a
 * hang-up on the next request.
 */
function fresh(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: init.method ?? 'GET', headers: init.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('a body where none belongs', () => {
  it('GET and HEAD with a body are refused (400 unexpected_body) and the rest of the body is not read', async () => {
    const size = 50 * 1024 * 1024;
    for (const [method, path] of [
      ['GET', '/healthz'],
      ['GET', '/.well-known/jwks.json'],
      ['GET', '/trpc/users.me'],
      ['HEAD', '/readyz'],
      ['GET', '/api/users/me'],
    ] as const) {
      const { status, written } = await sendBody(method, path, size);
      expect(status, `${method} ${path}`).toBe(400);
      // Before: 200, and all 50 MB read and thrown away.
      expect(written, `${method} ${path}`).toBeLessThan(size);
    }
    const answer = await rawPath(server.url, '/healthz', { headers: { 'content-length': '2' }, body: '{}' });
    expect(answer.status).toBe(400);
    expect(reasonOf(answer)).toBe('unexpected_body');
    // An empty body is no body.
    expect((await rawPath(server.url, '/healthz', { headers: { 'content-length': '0' } })).status).toBe(200);
  });
});

describe('URLs Fastify cannot route', () => {
  it('a path parameter past the limit is 414 uri_too_long, without the URL in the answer', async () => {
    const path = `/trpc/${'users.me,'.repeat(60)}users.me?batch=1`;
    const response = await rawPath(server.url, path, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(414);
    expect(reasonOf(response)).toBe('uri_too_long');
    expect(response.text).not.toContain('users.me');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('broken percent-encoding in the path is 400 malformed_url, without the URL in the answer', async () => {
    for (const path of ['/trpc/users.%ZZme', '/api/users/%E0%A4%A', '/trpc/%']) {
      const response = await rawPath(server.url, path);
      expect(response.status, path).toBe(400);
      expect(reasonOf(response), path).toBe('malformed_url');
      expect(response.text, path).not.toMatch(/%ZZ|%E0|FST_/);
    }
  });
});

describe('bodies Fastify refuses before tRPC sees them', () => {
  it('answer in the documented error shape, with a reason', async () => {
    const cases: [Record<string, string>, string, number, string][] = [
      [{ 'content-type': 'application/vnd.api+json' }, '{}', 415, 'unsupported_media_type'],
      [{}, '{"email":"a@b.co","password":"x"}', 415, 'unsupported_media_type'],
      [{ 'content-type': ';;;' }, '{}', 415, 'unsupported_media_type'],
    ];
    for (const [headers, body, status, reason] of cases) {
      const response = await rawPath(server.url, '/trpc/auth.login', { method: 'POST', headers, body });
      expect(response.status, JSON.stringify(headers)).toBe(status);
      expect(reasonOf(response), JSON.stringify(headers)).toBe(reason);
      expect(response.text).not.toContain('FST_');
    }
    const tooLarge = await rawPath(server.url, '/trpc/auth.login', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'a@b.co', password: 'p'.repeat(70_000) }),
    });
    expect(tooLarge.status).toBe(413);
    expect(reasonOf(tooLarge)).toBe('payload_too_large');
    const noRoute = await rawPath(server.url, '/nope', { method: 'POST', headers: json, body: '{"a":' });
    expect(noRoute.status).toBeLessThan(500);
    expect(noRoute.text).not.toContain('"a":');
  });
});

describe('every other odd request', () => {
  it('ends in a 4xx, never a 5xx', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const cases: [string, string, { method?: string; headers?: Record<string, string>; body?: string }][] = [
      ['unknown procedure', '/trpc/nope.nothing', {}],
      ['unknown procedure by POST', '/trpc/nope.nothing', { method: 'POST', headers: json, body: '{}' }],
      ['empty procedure name', '/trpc/', {}],
      ['commas only', '/trpc/,,,?batch=1', {}],
      ['a mutation by GET', '/trpc/auth.login?input=%7B%7D', {}],
      ['a query by POST', '/trpc/users.me', { method: 'POST', headers: { ...json, ...auth }, body: '{}' }],
      ['a query by PUT', '/trpc/users.me', { method: 'PUT', headers: json, body: '{}' }],
      ['input that is not JSON', '/trpc/users.list?input=%7Bnope', { headers: auth }],
      ['input broken percent-encoding', '/trpc/users.list?input=%E0%A4%A', { headers: auth }],
      ['input null', '/trpc/users.list?input=null', { headers: auth }],
      ['batch input an array', '/trpc/users.me?batch=1&input=%5B1%5D', { headers: auth }],
      ['batch body null', '/trpc/auth.logout?batch=1', { method: 'POST', headers: json, body: 'null' }],
      ['batch of nothing', '/trpc/?batch=1', { headers: auth }],
      ['an 11-call batch', `/trpc/${Array(11).fill('users.me').join(',')}?batch=1`, { headers: auth }],
      ['a query string past 16 KiB', `/trpc/users.list?input=${'a'.repeat(20_000)}`, { headers: auth }],
      [
        'a gzip body',
        '/trpc/auth.login',
        { method: 'POST', headers: { ...json, 'content-encoding': 'gzip' }, body: '\u001f\u008b' },
      ],
      [
        'a number past double',
        '/trpc/auth.logout',
        { method: 'POST', headers: json, body: '{"refreshToken":1e999999}' },
      ],
      ['OPTIONS without CORS', '/trpc/users.me', { method: 'OPTIONS' }],
      ['NUL in a procedure name', '/trpc/users.me%00', { headers: auth }],
      ['REST id not a uuid', '/api/users/not-a-uuid', { headers: auth }],
      ['REST encoded traversal', '/api/users/..%2F..%2Fme', { headers: auth }],
      ['REST repeated parameter', '/api/users?limit=1&limit=2', { headers: auth }],
      ['REST bad boolean', '/api/users?disabled=maybe', { headers: auth }],
      ['REST cursor with NUL', '/api/users?cursor=%00%00', { headers: auth }],
      [
        'REST body not JSON',
        '/api/users/me',
        { method: 'PATCH', headers: { 'content-type': 'text/plain', ...auth }, body: 'x' },
      ],
      [
        'REST broken JSON on DELETE',
        '/api/auth/sessions/x',
        { method: 'DELETE', headers: { ...json, ...auth }, body: '{bad' },
      ],
      ['REST unknown operation', '/api/nope', { headers: auth }],
      [
        'Authorization past the header limit',
        '/trpc/users.me',
        { headers: { authorization: `Bearer ${'a'.repeat(20_000)}` } },
      ],
      [
        'a refresh cookie of junk',
        '/trpc/auth.refresh',
        { method: 'POST', headers: { ...json, cookie: `tessera_refresh=${'%'.repeat(3000)}` }, body: '{}' },
      ],
      [
        'X-Forwarded-For of junk',
        '/trpc/auth.login',
        {
          method: 'POST',
          headers: { ...json, 'x-forwarded-for': 'not-an-ip, ::::, 999.1.1.1' },
          body: '{"email":"nobody@example.com","password":"not the password at all"}',
        },
      ],
      [
        'Accept-Language of junk',
        '/trpc/users.me',
        { headers: { 'accept-language': `${'x'.repeat(4000)};q=abc,,,;;` } },
      ],
      ['two bearer tokens', '/trpc/users.me', { headers: { authorization: `Bearer ${token} ${token}` } }],
    ];
    const failures: string[] = [];
    for (const [name, path, init] of cases) {
      const response = await fresh(path, init).catch((error: Error) => ({ status: 0, text: error.message }));
      if (response.status < 400 || response.status >= 500)
        failures.push(`${name}: ${response.status} ${response.text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(server.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });
});
