import { pbkdf2Sync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { PASSWORD_HASH_CEILINGS } from '@tessera/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENUMERATION_FLOOR_MS } from '../../src/http/security.js';
import {
  postJson,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type SecurityServer,
} from './helpers/harness.js';

/**
 * Imported accounts keep another system's hash until their first sign-in, and checking one
 * costs what it says: bcrypt at cost 12 or Django's 1,200,000 PBKDF2 rounds take ~300 ms
 * here, against ~10 ms for our argon2id and the dummy hash of an unknown email. Failed
 * sign-ins must still all take the same time: known or unknown email, whatever it holds.
 */
const SAMPLES = 3;
/** Medians of failed sign-ins may differ by this much (a busy shared machine; unpadded, the gap is ~300 ms). */
const MAX_MEDIAN_GAP_MS = 40;
const WRONG = 'not the right password at all';

let server: SecurityServer;
const accounts: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer({ env: { LOGIN_MAX_ATTEMPTS: '1000' } });
  accounts.argon2id = uniqueEmail('native');
  await server
    .client()
    .auth.register.mutate({ name: 'Native', email: accounts.argon2id, password: STRONG_PASSWORD });
  const max = PASSWORD_HASH_CEILINGS;
  const salt = 'timingSalt12';
  const foreign = {
    bcrypt12: await bcryptHash('their old password', { cost: max.bcryptCost }),
    pbkdf2: `pbkdf2_sha256$${max.pbkdf2Iterations}$${salt}$${pbkdf2Sync('their old password', salt, max.pbkdf2Iterations, 32, 'sha256').toString('base64')}`,
    djangoArgon2: `argon2${await argon2Hash('their old password', { memoryCost: 102_400, timeCost: 2, parallelism: 8 })}`,
  };
  for (const [kind, hash] of Object.entries(foreign)) {
    accounts[kind] = uniqueEmail(kind.toLowerCase());
    await server.database.db
      .insertInto('users')
      .values({ email: accounts[kind], name: kind, role: 'user', password_hash: hash })
      .execute();
  }
}, 120_000);
afterAll(() => server?.close());

describe('failed sign-ins while imported hashes are left', () => {
  it(
    `take the same time for an unknown email and for every kind of stored hash (medians within ${MAX_MEDIAN_GAP_MS} ms)`,
    // One more try: once in CI (PostgreSQL pass, both cores busy with other files) two kinds
    // answered ~200 ms under the floor the others got; never reproduced here under load. A real
    // leak fails both tries.
    { retry: 1, timeout: 180_000 },
    async () => {
      const kinds = ['unknown', ...Object.keys(accounts)];
      const attempt = async (kind: string) => {
        const email = kind === 'unknown' ? uniqueEmail('ghost') : accounts[kind]!;
        const start = performance.now();
        const answer = await postJson(`${server.url}/api/auth/login`, { email, password: WRONG });
        expect(answer.status).toBe(401);
        return performance.now() - start;
      };
      // Warm-up: the first failed sign-in waits for the floor to be measured.
      for (const kind of kinds) await attempt(kind);
      const times = new Map(kinds.map((kind) => [kind, [] as number[]]));
      for (let i = 0; i < SAMPLES; i++)
        for (const kind of i % 2 === 0 ? kinds : [...kinds].reverse())
          times.get(kind)!.push(await attempt(kind));
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const medians = Object.fromEntries(kinds.map((kind) => [kind, Math.round(median(times.get(kind)!))]));
      console.info('failed sign-in medians with imported hashes (ms)', medians);
      const values = Object.values(medians);
      // Every time in the message: a failure in CI is the only sighting there may be.
      const all = JSON.stringify(Object.fromEntries([...times].map(([k, v]) => [k, v.map(Math.round)])));
      expect(Math.max(...values) - Math.min(...values), all).toBeLessThan(MAX_MEDIAN_GAP_MS);
      // The floor rose above the usual one, to cover the slowest imported check.
      expect(Math.min(...values)).toBeGreaterThan(ENUMERATION_FLOOR_MS + 50);
    },
  );

  it('the right old password still signs in at once, and the floor falls back once no imported hash is left', async () => {
    for (const kind of ['bcrypt12', 'pbkdf2', 'djangoArgon2']) {
      const answer = await postJson(`${server.url}/api/auth/login`, {
        email: accounts[kind]!,
        password: 'their old password',
      });
      expect(answer.status, kind).toBe(200);
    }
    const left = await server.app.deps.stores.users.hasForeignPasswordHashes();
    expect(left).toBe(false);
  });
});
