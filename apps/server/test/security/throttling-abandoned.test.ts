import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { ENUMERATION_FLOOR_MS } from '../../src/http/security.js';
import {
  freshAddress,
  postJson,
  rejection,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
} from './helpers/harness.js';
import { abandonSignIn, count, failedSignIns, WRONG_PASSWORD as WRONG } from './helpers/sign-ins.js';
import { perFile } from '../helpers/per-file.js';

/** A small per-address budget of failed sign-ins, so a few kept slots show. */
const MAX_FAILED = 5;

const server = perFile(() =>
  startServer({
    // argon2 slow enough (~150 ms a check here) that a client can leave while its sign-in runs.
    env: { TRUST_PROXY: '127.0.0.1', ARGON2_MEMORY_KIB: '65536', ARGON2_TIME_COST: '10' },
    rateLimits: { signIn: { max: MAX_FAILED, windowSeconds: 900 } },
  }),
);

/** Audit rows of one action from one address: each is a sign-in the server finished. */
async function finished(action: 'auth.login' | 'auth.login.failure', ip: string): Promise<number> {
  const row = await server.database.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('action', '=', action)
    .where('ip', '=', ip)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function account(): Promise<string> {
  const email = uniqueEmail('abandon');
  await server
    .client({ address: freshAddress() })
    .auth.register.mutate({ name: 'Leaver', email, password: STRONG_PASSWORD });
  return email;
}

describe('sign-ins the client abandons', () => {
  it('give their slot back unless they failed on credentials, so a correct sign-in still succeeds', async () => {
    const address = freshAddress();
    const email = await account();
    // Three waves of MAX_FAILED correct sign-ins (each wave fits the budget, since in-flight
    // sign-ins hold their slots), each client gone before its answer: one kept slot per
    // abandoned sign-in would have locked the address after the first wave.
    for (let wave = 1; wave <= 3; wave++) {
      const received = await Promise.all(
        Array.from({ length: MAX_FAILED }, () =>
          abandonSignIn(server, { email, password: STRONG_PASSWORD }, address, { afterMs: 30 }),
        ),
      );
      expect(received, 'no answer reached the client').toEqual(Array(MAX_FAILED).fill(0));
      // The server finished each of them all the same.
      await until(async () => (await finished('auth.login', address)) === wave * MAX_FAILED, 'the sign-ins');
    }
    // Unknown emails whose client leaves halfway through the body: no password is ever checked.
    for (let wave = 1; wave <= 2; wave++) {
      const received = await Promise.all(
        Array.from({ length: MAX_FAILED }, () =>
          abandonSignIn(server, { email: uniqueEmail('ghost'), password: WRONG }, address, {
            partial: true,
            afterMs: 30,
          }),
        ),
      );
      expect(received).toEqual(Array(MAX_FAILED).fill(0));
      await sleep(200);
    }

    // Every slot came back: the address signs in, and still has its whole budget of failures.
    await until(async () => {
      try {
        await server.client({ address }).auth.login.mutate({ email, password: STRONG_PASSWORD });
        return true;
      } catch (error) {
        expect(errorCode(error)).toBe('TOO_MANY_REQUESTS');
        return false;
      }
    }, 'a correct sign-in to succeed');
    const codes = await failedSignIns(server, address, MAX_FAILED + 1);
    expect(count(codes, 'UNAUTHORIZED')).toBe(MAX_FAILED);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(1);
  });

  it('still count when they failed on credentials: leaving early is no way around the limit', async () => {
    const address = freshAddress();
    const guesses = Array.from({ length: MAX_FAILED }, () =>
      abandonSignIn(server, { email: uniqueEmail('guess'), password: WRONG }, address, { afterMs: 30 }),
    );
    expect(await Promise.all(guesses)).toEqual(Array(MAX_FAILED).fill(0));
    await until(async () => (await finished('auth.login.failure', address)) === MAX_FAILED, 'the guesses');
    // Past the floor, the answers (and their onSend) are done.
    await sleep(ENUMERATION_FLOOR_MS + 100);

    const email = await account();
    const refused = await rejection(
      server.client({ address }).auth.login.mutate({ email, password: STRONG_PASSWORD }),
    );
    expect(errorCode(refused)).toBe('TOO_MANY_REQUESTS');
  });
});

describe('the status a hook sees', () => {
  it('is the real one on tRPC too: a failed tRPC sign-in waits for the enumeration floor', async () => {
    // The tRPC adapter answers with a fetch Response; until Fastify copies its status onto
    // the reply (after onSend), reply.statusCode says 200 whatever happened. A server with
    // fast hashing, so that only the floor can make a failed sign-in slow.
    const fast = await startServer();
    try {
      for (const path of ['/trpc/auth.login', '/api/auth/login']) {
        // The first failure also makes the dummy hash; time the ones after it.
        for (let attempt = 0; attempt < 3; attempt++) {
          const started = performance.now();
          const response = await postJson(`${fast.url}${path}`, {
            email: uniqueEmail('floor'),
            password: WRONG,
          });
          expect(response.status, path).toBe(401);
          if (attempt > 0)
            expect(performance.now() - started, path).toBeGreaterThanOrEqual(ENUMERATION_FLOOR_MS - 1);
        }
      }
    } finally {
      await fast.close();
    }
  });
});
