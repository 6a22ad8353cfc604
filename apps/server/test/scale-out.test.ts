import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from './helpers/server.js';

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  a = await startTestServer();
  // The second node shares the database and the signing key, as a deployment would.
  const key = readFileSync(join(a.dataDir, 'jwt-ed25519.pem'), 'utf8');
  b = await startTestServer({ JWT_PRIVATE_KEY: key }, { sharedDatabase: a.database });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('two nodes on one database', () => {
  it('behave as one: tokens from one work on the other, and revocation on one is seen by the other', async () => {
    const email = uniqueEmail('nodes');
    const signedUp = await a
      .client()
      .auth.register.mutate({ name: 'Two Nodes', email, password: STRONG_PASSWORD });
    expect((await b.client(signedUp.accessToken).users.me.query()).email).toBe(email);

    const rotated = await b.client().auth.refresh.mutate({ refreshToken: signedUp.refreshToken });
    expect((await a.client(rotated.accessToken).users.me.query()).email).toBe(email);

    await a.client().auth.logout.mutate({ refreshToken: rotated.refreshToken });
    await expect(b.client(rotated.accessToken).users.me.query()).rejects.toSatisfy(
      (error) => errorCode(error) === 'UNAUTHORIZED',
    );
  });

  it('lets exactly one account win when both nodes register the same email at once', async () => {
    const email = uniqueEmail('both');
    const results = await Promise.allSettled(
      [a, b, a, b, a, b].map((node) =>
        node.client().auth.register.mutate({ name: 'Race', email, password: STRONG_PASSWORD }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [errorCode(r.reason)] : []));
    expect(codes.every((code) => code === 'CONFLICT')).toBe(true);
  });

  it('publishes the same key set from every node', async () => {
    const [ja, jb] = await Promise.all(
      [a, b].map(async (node) => (await fetch(`${node.url}/.well-known/jwks.json`)).json()),
    );
    expect(jb).toEqual(ja);
  });
});
