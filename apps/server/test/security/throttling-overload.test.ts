import { errorCode, errorReason } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshAddress,
  postJson,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type SecurityServer,
} from './helpers/harness.js';
import { tokensOf } from '../helpers/accounts.js';

const WRONG = 'not the right password at all';

let server: SecurityServer;
let victim: string;

beforeAll(async () => {
  server = await startServer({
    env: {
      TRUST_PROXY: '127.0.0.1',
      // One hash at a time, one more may wait; each takes ~600 ms here, so a line of two
      // stays full for over a second, however slowly a busy machine delivers the requests.
      ARGON2_MAX_CONCURRENCY: '1',
      ARGON2_MAX_QUEUE: '1',
      ARGON2_MEMORY_KIB: '131072',
      ARGON2_TIME_COST: '20',
    },
  });
  victim = uniqueEmail('overload');
  await server
    .client({ address: freshAddress() })
    .auth.register.mutate({ name: 'Victim', email: victim, password: STRONG_PASSWORD });
  // The dummy hash unknown emails are checked against is made once, on first use.
  await server
    .client({ address: freshAddress() })
    .auth.login.mutate({ email: uniqueEmail('warm'), password: WRONG })
    .then(tokensOf)
    .catch(() => undefined);
}, 60_000);
afterAll(() => server?.close());

function outcomes(results: PromiseSettledResult<unknown>[]) {
  return results.map((r) =>
    r.status === 'rejected' ? `${errorCode(r.reason)}:${errorReason(r.reason)}` : 'OK',
  );
}

describe('a full password-hashing line', () => {
  it('answers 503 overloaded at once, without counting against the account, instead of making sign-ins wait', async () => {
    // A flood of unknown-email sign-ins from many addresses fills the line…
    let lineClearedAt = 0;
    const flood = Promise.allSettled(
      Array.from({ length: 30 }, () =>
        server
          .client({ address: freshAddress() })
          .auth.login.mutate({ email: uniqueEmail('flood'), password: WRONG })
          .catch((error: unknown) => {
            if (errorCode(error) === 'UNAUTHORIZED') lineClearedAt = performance.now();
            throw error;
          }),
      ),
    );
    // …and the owner, trying all at once from one address, is told to come back shortly:
    // before the line ahead has been worked through, not after.
    const address = freshAddress();
    const owner = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        server.client({ address }).auth.login.mutate({ email: victim, password: STRONG_PASSWORD }),
      ),
    );
    const ownerAnsweredAt = performance.now();
    const flooded = outcomes(await flood);

    expect(outcomes(owner)).toEqual(Array(10).fill('SERVICE_UNAVAILABLE:overloaded'));
    expect(ownerAnsweredAt).toBeLessThan(lineClearedAt);
    // Two flood sign-ins got into the line and were checked; every other one was refused.
    expect(flooded.filter((o) => o === 'UNAUTHORIZED:invalid_credentials')).toHaveLength(2);
    expect(flooded.filter((o) => o === 'SERVICE_UNAVAILABLE:overloaded')).toHaveLength(28);

    // Ten refused attempts did not use up the account's ten: once the line is clear, the
    // owner signs in.
    const signedIn = await server
      .client({ address })
      .auth.login.mutate({ email: victim, password: STRONG_PASSWORD })
      .then(tokensOf);
    expect(signedIn.user.email).toBe(victim);
  });

  it('gives a refused current-password check back to the account too (change password, delete account, new email)', async () => {
    const email = uniqueEmail('checker');
    const { accessToken } = await server
      .client({ address: freshAddress() })
      .auth.register.mutate({ name: 'Checker', email, password: STRONG_PASSWORD });
    const flood = Promise.allSettled(
      Array.from({ length: 30 }, () =>
        server
          .client({ address: freshAddress() })
          .auth.login.mutate({ email: uniqueEmail('flood'), password: WRONG }),
      ),
    );
    const change = { currentPassword: STRONG_PASSWORD, newPassword: 'A brand new long passphrase 7' };
    const refused = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        server.client({ token: accessToken, address: freshAddress() }).auth.changePassword.mutate(change),
      ),
    );
    await flood;
    expect(outcomes(refused)).toEqual(Array(10).fill('SERVICE_UNAVAILABLE:overloaded'));
    // Ten refusals used none of the account's ten attempts: the owner changes the password.
    const changed = await server
      .client({ token: accessToken, address: freshAddress() })
      .auth.changePassword.mutate(change);
    expect(changed.user.email).toBe(email);
  });

  it('says when to come back, on REST as on tRPC', async () => {
    const flood = Array.from({ length: 4 }, () =>
      postJson(
        `${server.url}/api/auth/login`,
        { email: uniqueEmail('flood'), password: WRONG },
        { 'x-forwarded-for': freshAddress() },
      ),
    );
    const answers = await Promise.all(flood);
    const refused = answers.filter((answer) => answer.status === 503);
    expect(refused).toHaveLength(2);
    for (const answer of refused) {
      expect(answer.json).toMatchObject({ code: 'SERVICE_UNAVAILABLE', data: { reason: 'overloaded' } });
      // Two hashes of ~600 ms ahead, one at a time: about a second or two.
      const retryAfter = Number(answer.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(5);
    }
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(2);
  });
});
