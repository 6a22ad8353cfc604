import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedOrigins } from '../../src/config.js';
import {
  freshAddress,
  postJson,
  raw,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type RawResponse,
  type SecurityServer,
} from './helpers/harness.js';

const APP_ORIGIN = 'https://app.example.com';
const DEV_ORIGIN = 'http://localhost:5173';

let server: SecurityServer;
/** Plain HTTP, no CORS_ORIGINS: the defaults. */
let plain: SecurityServer;
let webDist: string;

beforeAll(async () => {
  // A stand-in for the built web app, so page headers are checked whether or not it was built.
  webDist = mkdtempSync(join(tmpdir(), 'tessera-web-'));
  mkdirSync(join(webDist, 'assets'));
  writeFileSync(
    join(webDist, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/app-abcdef12.js"></script></head><body></body></html>',
  );
  writeFileSync(join(webDist, 'assets', 'app-abcdef12.js'), 'console.log("tessera")');
  writeFileSync(join(webDist, 'routes.json'), JSON.stringify(['/', '/reset-password', '/admin/users']));
  [server, plain] = await Promise.all([
    startServer({
      env: {
        PUBLIC_URL: 'https://id.example.com',
        CORS_ORIGINS: `${APP_ORIGIN}, ${DEV_ORIGIN}`,
        WEB_DIST: webDist,
        TRUST_PROXY: '127.0.0.1',
      },
    }),
    startServer({ env: { PUBLIC_URL: 'http://localhost:3000' } }),
  ]);
});
afterAll(async () => {
  await server?.close();
  await plain?.close();
  rmSync(webDist, { recursive: true, force: true });
});

/** What every answer must carry, whatever produced it. */
function expectBaseline(response: RawResponse, what: string) {
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(response.headers.get('x-powered-by'), what).toBeNull();
  expect(response.headers.get('content-security-policy'), what).toMatch(/frame-ancestors 'none'/);
  expect(response.headers.get('strict-transport-security'), what).toBe('max-age=31536000; includeSubDomains');
  // Never `*` together with credentials; `*` alone is only for the public keys.
  expect(response.headers.get('access-control-allow-credentials'), what).toBeNull();
  if (what !== '/.well-known/jwks.json')
    expect(response.headers.get('access-control-allow-origin'), what).toBeNull();
}

async function signUp() {
  const email = uniqueEmail('headers');
  const response = await postJson(
    `${server.url}/api/auth/register`,
    { name: 'Header Check', email, password: STRONG_PASSWORD },
    { 'x-forwarded-for': freshAddress() },
  );
  return { email, response, body: response.json as { accessToken: string; refreshToken: string } };
}

describe('security headers', () => {
  it('send nosniff, a no-framing CSP, no X-Powered-By and no-store on every API answer, success or error', async () => {
    const { email, response: registered, body } = await signUp();
    const answers: [string, RawResponse][] = [
      ['REST register', registered],
      ['tRPC login', await postJson(`${server.url}/trpc/auth.login`, { email, password: STRONG_PASSWORD })],
      ['REST login', await postJson(`${server.url}/api/auth/login`, { email, password: STRONG_PASSWORD })],
      ['REST refresh', await postJson(`${server.url}/api/auth/refresh`, { refreshToken: body.refreshToken })],
      ['tRPC bad login', await postJson(`${server.url}/trpc/auth.login`, { email, password: 'x' })],
      ['REST 401', await raw(`${server.url}/api/users/me`)],
      [
        'tRPC me',
        await raw(`${server.url}/trpc/users.me`, {
          headers: { authorization: `Bearer ${body.accessToken}` },
        }),
      ],
      ['REST unknown', await raw(`${server.url}/api/nope`)],
      ['tRPC unknown', await raw(`${server.url}/trpc/nope`)],
      ['bad JSON', await postJson(`${server.url}/api/auth/login`, '{"email":')],
      ['too large', await postJson(`${server.url}/api/auth/login`, { email, password: 'p'.repeat(70_000) })],
    ];
    for (const [what, response] of answers) {
      expectBaseline(response, what);
      expect(response.headers.get('cache-control'), what).toBe('no-store');
      // Data is never a document: nothing in an API answer may run or load.
      expect(response.headers.get('content-security-policy'), what).toMatch(/^default-src 'none'/);
    }
    expect(answers.map(([, r]) => r.status)).toEqual([201, 200, 200, 200, 401, 401, 200, 404, 404, 400, 413]);
  });

  it('give pages a strict policy (scripts and styles from this origin only, no inline script) and no referrer', async () => {
    for (const path of ['/', '/reset-password', '/admin/users']) {
      const page = await raw(`${server.url}${path}`, { headers: { accept: 'text/html' } });
      expect(page.status, path).toBe(200);
      expectBaseline(page, path);
      const csp = page.headers.get('content-security-policy')!;
      const directive = (name: string) =>
        csp
          .split(';')
          .map((d) => d.trim())
          .find((d) => d.startsWith(`${name} `));
      expect(directive('script-src'), path).toBe("script-src 'self'");
      expect(directive('style-src') ?? directive('default-src'), path).not.toMatch(/unsafe-inline|\*/);
      expect(csp, path).not.toMatch(/unsafe-eval/);
      expect(page.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(page.headers.get('x-frame-options'), path).toBe('DENY');
    }
    const asset = await raw(`${server.url}/assets/app-abcdef12.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
    expect(asset.headers.get('x-powered-by')).toBeNull();
  });

  it('cover the operational endpoints and the API reference too', async () => {
    for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json', '/openapi.json', '/docs']) {
      const response = await raw(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expectBaseline(response, path);
    }
    const jwks = await raw(`${server.url}/.well-known/jwks.json`);
    // Public keys are meant to be cached by verifiers; they carry no secret.
    expect(jwks.headers.get('cache-control')).toMatch(/^public/);
  });

  it('send HSTS only when PUBLIC_URL is https', async () => {
    for (const path of ['/healthz', '/trpc/users.me', '/api/users/me']) {
      const response = await raw(`${plain.url}${path}`);
      expect(response.headers.get('strict-transport-security'), path).toBeNull();
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path = '/trpc/auth.login') =>
    raw(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('lets an allow-listed origin call the API, without credentials', async () => {
    for (const origin of [APP_ORIGIN, DEV_ORIGIN]) {
      const before = await preflight(origin);
      expect(before.status, origin).toBe(204);
      expect(before.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(before.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(before.headers.get('access-control-allow-headers')?.toLowerCase(), origin).toContain(
        'authorization',
      );
      expect(before.headers.get('vary')?.toLowerCase(), origin).toContain('origin');

      const call = await postJson(
        `${server.url}/trpc/auth.login`,
        { email: uniqueEmail(), password: 'x' },
        { origin },
      );
      expect(call.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(call.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(call.headers.get('access-control-expose-headers')?.toLowerCase(), origin).toContain(
        'retry-after',
      );
    }
  });

  it('grants nothing to look-alike, null or other origins, and never a wildcard', async () => {
    const hostile = [
      'https://evil.example',
      'null',
      'http://app.example.com',
      'https://app.example.com.evil.example',
      'https://evilapp.example.com',
      'https://app.example.com:8443',
      'https://APP.example.com.',
    ];
    for (const origin of hostile) {
      for (const response of [
        await preflight(origin),
        await preflight(origin, '/api/users/me'),
        await postJson(`${server.url}/api/auth/login`, { email: uniqueEmail(), password: 'x' }, { origin }),
        await raw(`${server.url}/trpc/users.me`, { headers: { origin } }),
      ]) {
        expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
        expect(response.headers.get('access-control-allow-credentials'), origin).toBeNull();
      }
    }
  });

  it('allows no origin at all by default', async () => {
    const response = await raw(`${plain.url}/trpc/auth.login`, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const call = await postJson(
      `${plain.url}/trpc/auth.login`,
      { email: uniqueEmail(), password: 'x' },
      { origin: APP_ORIGIN },
    );
    expect(call.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an allow-list that is not a list of exact origins', () => {
    expect([...allowedOrigins(['https://app.example.com/', 'HTTP://LOCALHOST:5173'])]).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const entry of [
      '*',
      'null',
      'https://*.example.com',
      'https://app.example.com/path',
      'app.example.com',
      'file:///x',
    ])
      expect(() => allowedOrigins([entry]), entry).toThrow(/CORS_ORIGINS/);
  });
});
