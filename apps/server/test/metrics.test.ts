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
  const server = perFile(() => startTestServer({ METRICS_TOKEN, LOGIN_MAX_ATTEMPTS: '3' }));

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

  it('serves Prometheus text to the token, labelled by route and procedure, never by raw URL', async () => {
    const email = uniqueEmail('metrics');
    await server.client().auth.register.mutate({ name: 'M', email, password: STRONG_PASSWORD });
    await fetch(`${server.url}/nope/${email}`);
    await fetch(`${server.url}/trpc/${email}`);
    for (const scheme of ['Bearer', 'bearer']) {
      const response = await scrape(`${scheme} ${METRICS_TOKEN}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toMatch(
        /tessera_http_request_duration_seconds_count\{method="POST",route="\/trpc\/:path",procedure="auth.register",status="200"\} 1/,
      );
      // Unknown paths collapse into one label each: no raw URL, no client-chosen procedure name.
      expect(text).toMatch(/route="unmatched",procedure="-",status="404"/);
      expect(text).toMatch(/route="\/trpc\/:path",procedure="unknown",status="404"/);
      expect(text).not.toContain(email);
      expect(text).toMatch(/^tessera_outbox_backlog \d+$/m);
      expect(text).toMatch(/^tessera_outbox_oldest_age_seconds \d+(\.\d+)?$/m);
      expect(text).toMatch(/^tessera_webhook_backlog \d+$/m);
      expect(text).toMatch(/^tessera_webhook_oldest_age_seconds \d+(\.\d+)?$/m);
      expect(text).toMatch(/^tessera_db_pool_connections\{state="in_use"\} \d+$/m);
      expect(text).toMatch(/^tessera_db_pool_waiting 0$/m);
      expect(text).toMatch(/^tessera_argon2_queue_depth 0$/m);
      expect(text).toMatch(/^tessera_argon2_queue_wait_seconds_count [1-9]\d*$/m);
      // prom-client's defaults: process and event loop.
      expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    }
  });

  it('counts sign-ins by outcome and throttled calls by limit', async () => {
    const email = uniqueEmail('outcomes');
    await server.client().auth.register.mutate({ name: 'O', email, password: STRONG_PASSWORD });
    const before = await series();
    await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD });
    await server
      .client()
      .auth.login.mutate({ email, password: 'not the password at all' })
      .catch(() => {});
    const rest = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'still not the password' }),
    });
    expect(rest.status).toBe(401);
    // LOGIN_MAX_ATTEMPTS=3 here: the fourth attempt since the success is the throttle's.
    for (let i = 0; i < 2; i++)
      await server
        .client()
        .auth.login.mutate({ email, password: 'wrong again, wrong again' })
        .catch(() => {});
    const after = await series();
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta('tessera_sign_ins_total{outcome="success"}')).toBe(1);
    expect(delta('tessera_sign_ins_total{outcome="invalid_credentials"}')).toBe(3);
    expect(delta('tessera_sign_ins_total{outcome="too_many_attempts"}')).toBe(1);
    expect(delta('tessera_throttled_requests_total{bucket="account"}')).toBe(1);
  });

  /** Every sample of a scrape, by name and labels. */
  async function series(): Promise<Map<string, number>> {
    const text = await (await scrape(`Bearer ${METRICS_TOKEN}`)).text();
    return new Map(
      text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => {
          const at = line.lastIndexOf(' ');
          return [line.slice(0, at), Number(line.slice(at + 1))] as const;
        }),
    );
  }
});

describe('/metrics: per-address limits', () => {
  const server = perFile(() =>
    startTestServer({ METRICS_TOKEN }, { rateLimits: { register: { max: 1, windowSeconds: 60 } } }),
  );

  it('labels a refusal with the limit that refused it', async () => {
    for (let i = 0; i < 2; i++)
      await server
        .client()
        .auth.register.mutate({ name: 'R', email: uniqueEmail('limit'), password: STRONG_PASSWORD })
        .catch(() => {});
    const text = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(text).toMatch(/^tessera_throttled_requests_total\{bucket="register"\} 1$/m);
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
