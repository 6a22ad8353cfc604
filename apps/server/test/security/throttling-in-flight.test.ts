import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode, errorReason } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshAddress,
  postJson,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type RawResponse,
  type SecurityServer,
} from './helpers/harness.js';
import { abandonSignIn, WRONG_PASSWORD as WRONG } from './helpers/sign-ins.js';

/** Password checks one address may have running at once in these tests. */
const IN_FLIGHT = 2;

let server: SecurityServer;
let owner: string;

beforeAll(async () => {
  server = await startServer({
    env: {
      TRUST_PROXY: '127.0.0.1',
      // ~600 ms a check here: an address's sign-ins stay in flight long after the next arrives.
      ARGON2_MEMORY_KIB: '131072',
      ARGON2_TIME_COST: '20',
      // The only tight limit (the test server's windowed ones are generous): only it can refuse.
      RATE_LIMIT_PASSWORD_CHECKS_IN_FLIGHT: String(IN_FLIGHT),
    },
  });
  owner = uniqueEmail('in-flight');
  await server
    .client({ address: freshAddress() })
    .auth.register.mutate({ name: 'Owner', email: owner, password: STRONG_PASSWORD });
  // The dummy hash unknown emails are checked against is made once, on first use.
  await signIn(freshAddress(), uniqueEmail('warm'), WRONG).done;
}, 60_000);
afterAll(() => server?.close());

/** A tRPC sign-in; `settled` tells whether it has been answered yet. */
function signIn(address: string, email: string, password: string) {
  const call = { settled: false, done: Promise.resolve('') };
  call.done = server
    .client({ address })
    .auth.login.mutate({ email, password })
    .then(
      () => 'OK',
      (error: unknown) => `${errorCode(error)}:${errorReason(error)}`,
    )
    .finally(() => (call.settled = true));
  return call;
}

function expectInFlightRefusal(response: RawResponse, reasonPath: 'rest' | 'trpc') {
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe('1');
  const body = response.json as { data?: { reason?: string }; error?: { data?: { reason?: string } } };
  expect(reasonPath === 'rest' ? body.data?.reason : body.error?.data?.reason).toBe('too_many_in_flight');
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Whether `address` may start a password check now (a sign-in not refused as too many in flight). */
async function admitted(address: string): Promise<boolean> {
  return (await signIn(address, uniqueEmail('probe'), WRONG).done) !== 'TOO_MANY_REQUESTS:too_many_in_flight';
}

describe('password checks in flight per address', () => {
  it('refuses the next one from an address holding its share at once, while another address gets through', async () => {
    const busy = freshAddress();
    // Successful sign-ins hold a slot too: they count against no windowed limit.
    const held = [
      signIn(busy, owner, STRONG_PASSWORD),
      ...Array.from({ length: IN_FLIGHT - 1 }, () => signIn(busy, uniqueEmail('held'), WRONG)),
    ];
    await sleep(150);

    // A neighbour with no check running is let in meanwhile.
    const other = signIn(freshAddress(), owner, STRONG_PASSWORD);
    const headers = { 'x-forwarded-for': busy };
    const started = performance.now();
    const rest = await postJson(
      `${server.url}/api/auth/login`,
      { email: owner, password: STRONG_PASSWORD },
      headers,
    );
    const trpc = await postJson(
      `${server.url}/trpc/auth.login`,
      { email: owner, password: STRONG_PASSWORD },
      headers,
    );
    // Any procedure that runs argon2 on request shares the bound.
    const signUp = await postJson(
      `${server.url}/trpc/auth.register`,
      { name: 'Late', email: uniqueEmail('late'), password: STRONG_PASSWORD },
      headers,
    );
    const refusedIn = performance.now() - started;
    // The held sign-ins were still running throughout: the refusals were about them.
    expect(held.map((call) => call.settled)).toEqual(Array(IN_FLIGHT).fill(false));

    expectInFlightRefusal(rest, 'rest');
    expectInFlightRefusal(trpc, 'trpc');
    expectInFlightRefusal(signUp, 'trpc');
    // At once: no argon2 ran for them (one check alone takes ~600 ms here).
    expect(refusedIn).toBeLessThan(400);
    expect(await other.done).toBe('OK');

    expect(await Promise.all(held.map((call) => call.done))).toEqual([
      'OK',
      ...Array<string>(IN_FLIGHT - 1).fill('UNAUTHORIZED:invalid_credentials'),
    ]);
    // Answered, the slots are back.
    expect(await signIn(busy, owner, STRONG_PASSWORD).done).toBe('OK');
  });

  it('refuses a tRPC batch with more checks than the share whole', async () => {
    const calls = Array.from({ length: IN_FLIGHT + 1 }, () => 'auth.login').join(',');
    const body = Object.fromEntries(
      Array.from({ length: IN_FLIGHT + 1 }, (_, i) => [
        String(i),
        { email: uniqueEmail('b'), password: WRONG },
      ]),
    );
    const response = await postJson(`${server.url}/trpc/${calls}?batch=1`, body, {
      'x-forwarded-for': freshAddress(),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    const answers = response.json as { error: { data: { reason: string } } }[];
    expect(answers.map((answer) => answer.error.data.reason)).toEqual(
      Array(IN_FLIGHT + 1).fill('too_many_in_flight'),
    );
  });

  it('gives the slot of a client that leaves back when its check ends, and at once if none started', async () => {
    const address = freshAddress();
    // Whole requests, the client gone 200 ms later (the server has them by then, and a check
    // takes ~600 ms): their checks run on, so do their slots.
    const received = await Promise.all(
      Array.from({ length: IN_FLIGHT }, () =>
        abandonSignIn(server, { email: owner, password: STRONG_PASSWORD }, address, { afterMs: 200 }),
      ),
    );
    expect(received).toEqual(Array(IN_FLIGHT).fill(0));
    expect(await admitted(address)).toBe(false);
    // …and come back once the checks are done, though no answer could be delivered.
    await until(() => admitted(address), 'the slots of finished checks');

    // Half a body, then gone: nothing can run, the slots come back without waiting for any check.
    const other = freshAddress();
    for (let wave = 1; wave <= 3; wave++) {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, () =>
          abandonSignIn(server, { email: owner, password: STRONG_PASSWORD }, other, {
            partial: true,
            afterMs: 30,
          }),
        ),
      );
    }
    const started = performance.now();
    await until(() => admitted(other), 'the slots of requests that never ran');
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
