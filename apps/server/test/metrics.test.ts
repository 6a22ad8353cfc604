import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789';

describe('/metrics without METRICS_TOKEN', () => {
  const server = perFile(() => startTestServer());

  it('does not exist, with or without credentials', async () => {
    for (const headers of [{}, { authorization: `Bearer ${METRICS_TOKEN}` }] as Record<string, string>[]) {
      const response = await fetch(`${server.url}/metrics`, { headers });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toMatch(/tessera_|process_resident/);
    }
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const server = perFile(() => startTestServer({ METRICS_TOKEN }));

  const scrape = (authorization?: string) =>
    fetch(`${server.url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

  it('answers 401 to a scrape without the token, or with another one', async () => {
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
      `Bearer ${METRICS_TOKEN}x`,
      `Basic ${Buffer.from(`metrics:${METRICS_TOKEN}`).toString('base64')}`,
      METRICS_TOKEN,
      `Bearer ${METRICS_TOKEN} ${METRICS_TOKEN}`,
    ]) {
      const response = await scrape(authorization);
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const text = await response.text();
      expect(text).not.toMatch(/tessera_|process_resident/);
      expect(JSON.parse(text)).toMatchObject({
        code: 'UNAUTHORIZED',
        data: { reason: 'metrics_token_required' },
      });
    }
  });

  it('serves Prometheus text to the token, labelled by route, never by raw URL', async () => {
    const email = uniqueEmail('metrics');
    await server.client().auth.register.mutate({ name: 'M', email, password: STRONG_PASSWORD });
    await fetch(`${server.url}/nope/${email}`);
    for (const scheme of ['Bearer', 'bearer']) {
      const response = await scrape(`${scheme} ${METRICS_TOKEN}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toMatch(
        /tessera_http_request_duration_seconds_count\{method="POST",route="\/trpc\/auth.register",status="200"\} 1/,
      );
      expect(text).toMatch(/tessera_outbox_mails\{status="(pending|sent)"\} \d+/);
      expect(text).toMatch(/process_resident_memory_bytes \d+/);
      expect(text).not.toContain(email);
    }
  });
});

describe('METRICS_TOKEN', () => {
  it.each([
    ['too short', 'short-token'],
    ['with a space', 'a token with spaces in it'],
    ['not ASCII', 'jeton-de-métriques-bien-long'],
  ])('is refused at start when %s, naming the variable', (_what, value) => {
    const attempt = () => parseConfig({ METRICS_TOKEN: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/METRICS_TOKEN/);
  });
});
