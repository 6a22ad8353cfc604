import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWeb } from '../src/http/web.js';
import { WEB_DIST } from './helpers/browser.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A built web app whose router knows one page the real one doesn't. */
function standInDist(routes?: string[]): string {
  const dist = mkdtempSync(join(tmpdir(), 'tessera-web-pages-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><html><body>stand-in</body></html>');
  if (routes) writeFileSync(join(dist, 'routes.json'), JSON.stringify(routes));
  return dist;
}

let server: TestServer;
let dist: string;

beforeAll(async () => {
  dist = standInDist(['/', '/brand-new-page']);
  server = await startTestServer({ WEB_DIST: dist });
});
afterAll(async () => {
  await server?.close();
  rmSync(dist, { recursive: true, force: true });
});

describe('page routes come from the web build (routes.json)', () => {
  it('answers every listed path with the page, whatever the client accepts', async () => {
    for (const path of ['/', '/brand-new-page']) {
      const response = await fetch(`${server.url}${path}`, { headers: { accept: '*/*' } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy'), path).toMatch(/^default-src 'self'/);
      expect(await response.text(), path).toContain('stand-in');
    }
  });

  it('answers a path the build does not list with JSON 404 outside a browser', async () => {
    const response = await fetch(`${server.url}/reset-password`, { headers: { accept: '*/*' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      code: 'NOT_FOUND',
      message: 'Not found',
      data: { code: 'NOT_FOUND', httpStatus: 404, reason: 'not_found' },
    });
  });

  it('refuses to serve a build without routes.json, naming the file', async () => {
    const incomplete = standInDist();
    const app = Fastify();
    try {
      await expect(registerWeb(app, incomplete)).rejects.toThrow(/routes\.json is missing/);
      writeFileSync(join(incomplete, 'routes.json'), JSON.stringify(['no-slash']));
      await expect(registerWeb(Fastify(), incomplete)).rejects.toThrow(/not a list of page paths/);
    } finally {
      await app.close();
      rmSync(incomplete, { recursive: true, force: true });
    }
  });

  it.runIf(existsSync(join(WEB_DIST, 'index.html')))(
    'the real build lists the pages the emailed links land on',
    () => {
      const routes = JSON.parse(readFileSync(join(WEB_DIST, 'routes.json'), 'utf8')) as string[];
      expect(routes).toEqual(
        expect.arrayContaining(['/', '/reset-password', '/verify-email', '/admin/users']),
      );
    },
  );
});
