import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerDocs, type ReferencePlugin } from '../src/http/rest/docs.js';

// The API reference plugin (~34 MB of RSS at import) is loaded by the first request for the
// page, not at start, and only once.

const realPlugin = async () => (await import('@scalar/fastify-api-reference')).default;

async function docsApp(loadPlugin: () => Promise<ReferencePlugin>) {
  const app = Fastify({ logger: false });
  await registerDocs(app, '/openapi.json', loadPlugin);
  await app.ready();
  return app;
}

describe('the API reference, loaded on first use', () => {
  it('is not loaded at start, then loaded once for every page, redirect and script request', async () => {
    let loads = 0;
    const app = await docsApp(() => {
      loads++;
      return realPlugin();
    });
    expect(loads).toBe(0);

    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Tessera API reference');
    // The scope's own headers apply to the relayed page.
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-/);
    expect(page.headers['x-frame-options']).toBe('DENY');

    const redirect = await app.inject({ method: 'GET', url: '/docs' });
    expect([redirect.statusCode, redirect.headers.location]).toEqual([301, '/docs/']);
    const script = await app.inject({ method: 'GET', url: '/docs/js/scalar.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(Number(script.headers['content-length'])).toBe(Buffer.byteLength(script.body));
    const head = await app.inject({ method: 'HEAD', url: '/docs/' });
    expect(head.statusCode).toBe(200);

    expect(loads).toBe(1);
    await app.close();
  });

  it('tries again on the next request when loading failed', async () => {
    let loads = 0;
    const app = await docsApp(() => {
      loads++;
      return loads === 1 ? Promise.reject(new Error('disk hiccup')) : realPlugin();
    });

    expect((await app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(500);
    expect((await app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
    expect(loads).toBe(2);
    await app.close();
  });
});
