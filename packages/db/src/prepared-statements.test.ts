import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './engine.js';
import { migrateToLatest } from './migrate.js';
import { createStores } from './stores/index.js';
import { freshDatabase, insertTestUser, type FreshDatabase } from './testing.js';

let fresh: FreshDatabase;

beforeAll(async () => {
  // One connection, so the statements a query leaves are on the connection asked about.
  fresh = await freshDatabase('prepared', 1);
  await migrateToLatest(fresh.database.db);
}, 120_000);
afterAll(async () => {
  await fresh?.dispose();
});

/** The names of Tessera's prepared statements the (single) connection holds. */
async function preparedOn(database: DatabaseHandle) {
  const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(database.db);
  return rows.map((row) => row.name).filter((name) => name.startsWith('tessera_'));
}

async function signedIn(database: DatabaseHandle) {
  const stores = createStores(database.db);
  const user = await insertTestUser(database);
  const at = new Date();
  const event = { actorId: user.id, action: 'auth.login', targetId: user.id, ip: null, userAgent: null };
  const session = {
    userId: user.id,
    refreshTokenHash: randomBytes(32).toString('hex'),
    userAgent: null,
    ip: null,
    expiresAt: new Date(at.getTime() + 3_600_000),
  };
  const result = await stores.sessions.signIn(session, at, event);
  return { stores, user, session: result!.session };
}

describe('the hot queries, as named prepared statements', () => {
  it('are prepared once per connection and answer as before, call after call', async () => {
    const { stores, user, session } = await signedIn(fresh.database);
    for (let i = 0; i < 3; i++) {
      const live = await stores.sessions.findLive(session.id, new Date());
      expect(live?.user.id).toBe(user.id);
    }
    expect(await stores.sessions.findLive(randomUUID(), new Date())).toBeUndefined();
    const names = await preparedOn(fresh.database);
    // The sign-in and the signed-in check, each once however often it ran.
    expect(names.length).toBe(2);
    expect(new Set(names).size).toBe(2);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'are sent unnamed with DATABASE_PREPARED_STATEMENTS=false (a pooler that cannot keep them)',
    async () => {
      const unprepared = await openDatabase({
        url: fresh.url!,
        dataDir: 'memory://',
        poolMax: 1,
        preparedStatements: false,
      });
      try {
        const { stores, user, session } = await signedIn(unprepared);
        expect((await stores.sessions.findLive(session.id, new Date()))?.user.id).toBe(user.id);
        expect(await preparedOn(unprepared)).toEqual([]);
      } finally {
        await unprepared.close();
      }
    },
  );
});
