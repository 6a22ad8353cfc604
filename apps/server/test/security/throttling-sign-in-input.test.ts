import { errorCode } from '@tessera/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKey } from '../../src/limits/counters.js';
import {
  freshAddress,
  postJson,
  rejection,
  startServer,
  uniqueEmail,
  type SecurityServer,
} from './helpers/harness.js';
import { WRONG_PASSWORD as WRONG } from './helpers/sign-ins.js';

/**
 * The machine's Redis (override with TEST_REDIS_URL), in a database of this file's own, so
 * that the counter keys a sign-in leaves behind can be listed.
 */
const REDIS_URL = `${process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}/12`;

let server: SecurityServer;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  server = await startServer({
    env: { TRUST_PROXY: '127.0.0.1', REDIS_URL },
  });
});
afterAll(async () => {
  await server?.close();
  redis?.disconnect();
});

/** Per-account sign-in counters in Redis now. */
const accountKeys = () => redis.keys('tessera:throttle:login:*');

/** Emails no account can have: each must be a plain failed sign-in, never a 500. */
const HOSTILE_EMAILS = [
  'root@example.com\u0000', // NUL: PostgreSQL cannot even compare it (22021)
  '\u0000',
  'root\u0000@example.com',
  'root@example.com\ud800', // a lone surrogate: not UTF-8
  '\udfff@example.com',
  'root@example.com\r\nBcc: all@example.com',
  '\u202eroot@example.com', // right-to-left override
  "' OR 1=1 --",
  '%00root@example.com',
  'root@exa mple.com',
  `${'a'.repeat(250)}@example.com`, // over 254
  'x'.repeat(1024),
  '',
];

describe('sign-in emails that fail the email rule', () => {
  it('are a failed sign-in (401 "Invalid email or password") on tRPC and REST, never a 500, and leave no counter key', async () => {
    const before = (await accountKeys()).length;
    for (const email of HOSTILE_EMAILS) {
      const address = freshAddress();
      const error = await rejection(server.client({ address }).auth.login.mutate({ email, password: WRONG }));
      expect(errorCode(error), JSON.stringify(email)).toBe('UNAUTHORIZED');
      expect((error as Error).message).toBe('Invalid email or password');

      const rest = await postJson(
        `${server.url}/api/auth/login`,
        { email, password: WRONG },
        { 'x-forwarded-for': address },
      );
      expect(rest.status, JSON.stringify(email)).toBe(401);
      expect((rest.json as { message: string }).message).toBe('Invalid email or password');
    }
    expect(await accountKeys()).toHaveLength(before);
  });

  it('over 1024 characters are refused 400 by the schema, still without a key', async () => {
    const before = (await accountKeys()).length;
    const rest = await postJson(`${server.url}/api/auth/login`, { email: 'x'.repeat(1025), password: WRONG });
    expect(rest.status).toBe(400);
    expect(await accountKeys()).toHaveLength(before);
  });

  it('while a well-formed one, in any case and spacing, is counted under its one normalised key', async () => {
    const email = uniqueEmail('counted');
    for (const spelling of [email, ` ${email.toUpperCase()} `]) {
      const error = await rejection(
        server.client({ address: freshAddress() }).auth.login.mutate({ email: spelling, password: WRONG }),
      );
      expect(errorCode(error)).toBe('UNAUTHORIZED');
    }
    expect(await redis.get(`tessera:${storeKey(`throttle:login:account:${email}`)}`)).toBe('2');
  });
});
