import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '@tessera/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/limits/rate-limit.js';
import {
  freshAddress,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type SecurityServer,
} from './helpers/harness.js';

/** The machine's Redis (README: REDIS_URL); override with TEST_REDIS_URL. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRONG = 'not the right password at all';

let nodeA: SecurityServer;
let nodeB: SecurityServer;
let redis: Redis;

beforeAll(async () => {
  const env = { TRUST_PROXY: '127.0.0.1', REDIS_URL };
  // Two nodes, one database, one Redis: what "scaling out" in DESIGN.md means.
  nodeA = await startServer({ env, rateLimits: DEFAULT_RATE_LIMITS });
  // The same signing key too: a node with another refuses to start (key-agreement.ts).
  const JWT_PRIVATE_KEY = readFileSync(join(nodeA.dataDir, 'jwt-ed25519.pem'), 'utf8');
  nodeB = await startServer({
    env: { ...env, JWT_PRIVATE_KEY },
    rateLimits: DEFAULT_RATE_LIMITS,
    database: nodeA.database,
  });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await nodeB?.close();
  await nodeA?.close();
  redis?.disconnect();
});

/** Node A for even i, node B for odd: round-robin as a load balancer would. */
const node = (i: number) => (i % 2 === 0 ? nodeA : nodeB);

function outcomes(results: PromiseSettledResult<unknown>[]): string[] {
  return results.map((r) => (r.status === 'rejected' ? (errorCode(r.reason) ?? String(r.reason)) : 'OK'));
}

const count = (codes: string[], code: string) => codes.filter((c) => c === code).length;

describe('limits shared through Redis by every node', () => {
  it('checks exactly LOGIN_MAX_ATTEMPTS of 100 parallel guesses spread over two nodes and 100 addresses', async () => {
    const email = uniqueEmail('redis-victim');
    await nodeA
      .client({ address: freshAddress() })
      .auth.register.mutate({ name: 'Victim', email, password: STRONG_PASSWORD });
    const codes = outcomes(
      await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) =>
          node(i).client({ address: freshAddress() }).auth.login.mutate({ email, password: WRONG }),
        ),
      ),
    );
    expect(count(codes, 'UNAUTHORIZED')).toBe(10);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(90);
  });

  it('throttles one address spraying both nodes at once after the shared per-address budget', async () => {
    const address = freshAddress();
    const { max, windowSeconds } = DEFAULT_RATE_LIMITS.signIn;
    const codes = outcomes(
      await Promise.allSettled(
        Array.from({ length: 80 }, (_, i) =>
          node(i)
            .client({ address })
            .auth.login.mutate({ email: uniqueEmail('spray'), password: WRONG }),
        ),
      ),
    );
    expect(count(codes, 'UNAUTHORIZED')).toBe(max);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(80 - max);

    // The counter lives in Redis with the window as its expiry, not in either process.
    const keys = await redis.keys(`tessera:rate-limit:signIn:${address}`);
    expect(keys).toHaveLength(1);
    expect(Number(await redis.get(keys[0]!))).toBe(max);
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(windowSeconds * 1000);
  });

  it('shares the sign-up budget: ten sign-ups over two nodes, then both refuse', async () => {
    const address = freshAddress();
    const signUp = (i: number) =>
      node(i)
        .client({ address })
        .auth.register.mutate({
          name: 'Spam',
          email: uniqueEmail('redis-signup'),
          password: STRONG_PASSWORD,
        });
    for (let i = 0; i < DEFAULT_RATE_LIMITS.register.max; i++) await signUp(i);
    expect(outcomes(await Promise.allSettled([signUp(0), signUp(1)]))).toEqual([
      'TOO_MANY_REQUESTS',
      'TOO_MANY_REQUESTS',
    ]);
  });
});
