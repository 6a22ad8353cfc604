import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENUMERATION_FLOOR_MS } from '../../src/http/security.js';
import {
  postJson,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type RawResponse,
  type SecurityServer,
} from './helpers/harness.js';

/**
 * How far apart the two medians may be: "a few ms", well under one argon2 verify (~10 ms in
 * production) and under the gaps measured without the floor (6–16 ms for reset requests).
 * The server shares this process (and PGlite its thread), so timer noise sets the bound.
 */
const MAX_MEDIAN_GAP_MS = 5;
const SAMPLES = 41;
const WRONG = 'not the right password at all';

let server: SecurityServer;
let known: string;
let disabled: string;
let invited: string;

beforeAll(async () => {
  server = await startServer({
    // The per-account limit would stop the repeated timing samples; it is tested elsewhere.
    env: { LOGIN_MAX_ATTEMPTS: '1000', MAIL_POLL_INTERVAL_MS: '60000' },
  });
  known = uniqueEmail('known');
  disabled = uniqueEmail('disabled');
  invited = uniqueEmail('invited');
  for (const email of [known, disabled])
    await server.client().auth.register.mutate({ name: 'Someone', email, password: STRONG_PASSWORD });
  await server.database.db
    .updateTable('users')
    .set({ disabled_at: new Date() })
    .where('email', '=', disabled)
    .execute();
  // An invited account has no password yet.
  await server.database.db
    .insertInto('users')
    .values({ email: invited, name: 'Invited', role: 'user', password_hash: null })
    .execute();
});
afterAll(() => server?.close());

/** Everything a client can observe except the Date header, which changes every second. */
function observable(response: RawResponse) {
  // The date and the request's own id differ for every answer, whoever asks.
  const headers = [...response.headers.entries()].filter(
    ([name]) => name !== 'date' && name !== 'x-request-id',
  );
  return { status: response.status, headers, body: response.text };
}

const routes = {
  login: { trpc: '/trpc/auth.login', rest: '/api/auth/login' },
  forgot: { trpc: '/trpc/auth.requestPasswordReset', rest: '/api/auth/password/forgot' },
};

describe('answers for known and unknown emails', () => {
  it('are byte-identical for a failed sign-in: wrong password, unknown, disabled or password-less account', async () => {
    for (const path of Object.values(routes.login)) {
      const answers = [
        await postJson(`${server.url}${path}`, { email: known, password: WRONG }),
        await postJson(`${server.url}${path}`, { email: uniqueEmail('nobody'), password: WRONG }),
        await postJson(`${server.url}${path}`, { email: disabled, password: STRONG_PASSWORD }),
        await postJson(`${server.url}${path}`, { email: invited, password: STRONG_PASSWORD }),
      ].map(observable);
      expect(answers[0]!.status, path).toBe(401);
      for (const answer of answers.slice(1)) expect(answer, path).toEqual(answers[0]);
    }
  });

  it('are byte-identical for a password-reset request', async () => {
    for (const path of Object.values(routes.forgot)) {
      const answers = [
        await postJson(`${server.url}${path}`, { email: known }),
        await postJson(`${server.url}${path}`, { email: uniqueEmail('nobody') }),
        await postJson(`${server.url}${path}`, { email: disabled }),
        await postJson(`${server.url}${path}`, { email: invited }),
        await postJson(`${server.url}${path}`, { email: `  ${known.toUpperCase()} ` }),
      ].map(observable);
      expect(answers[0]!.status, path).toBe(200);
      for (const answer of answers.slice(1)) expect(answer, path).toEqual(answers[0]);
    }
  });
});

describe('response times for known and unknown emails', () => {
  /** Median milliseconds of each request kind, sampled alternately so drift hits both alike. */
  async function medians(path: string, known: () => unknown, unknown: () => unknown) {
    const times: [number[], number[]] = [[], []];
    // Warm-up: first requests pay for JIT and connection set-up.
    for (let i = 0; i < 5; i++) {
      await postJson(`${server.url}${path}`, known());
      await postJson(`${server.url}${path}`, unknown());
    }
    for (let i = 0; i < SAMPLES; i++) {
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const body = which === 0 ? known() : unknown();
        const start = performance.now();
        await postJson(`${server.url}${path}`, body);
        times[which]!.push(performance.now() - start);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return { known: median(times[0]), unknown: median(times[1]) };
  }

  it(`differ by less than ${MAX_MEDIAN_GAP_MS} ms for sign-in`, async () => {
    const result = await medians(
      routes.login.rest,
      () => ({ email: known, password: WRONG }),
      () => ({ email: uniqueEmail('ghost'), password: WRONG }),
    );
    console.info('sign-in medians (ms)', result);
    expect(Math.abs(result.known - result.unknown), JSON.stringify(result)).toBeLessThan(MAX_MEDIAN_GAP_MS);
    expect(Math.min(result.known, result.unknown)).toBeGreaterThanOrEqual(ENUMERATION_FLOOR_MS);
  }, 120_000);

  it(`differ by less than ${MAX_MEDIAN_GAP_MS} ms for a password-reset request`, async () => {
    const result = await medians(
      routes.forgot.rest,
      () => ({ email: known }),
      () => ({ email: uniqueEmail('ghost') }),
    );
    console.info('password-reset request medians (ms)', result);
    expect(Math.abs(result.known - result.unknown), JSON.stringify(result)).toBeLessThan(MAX_MEDIAN_GAP_MS);
    expect(Math.min(result.known, result.unknown)).toBeGreaterThanOrEqual(ENUMERATION_FLOOR_MS);
  }, 120_000);
});
