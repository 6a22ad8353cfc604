import { tokensOf } from './helpers/accounts.js';
import { generateKeyPairSync } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@tessera/db';
import { freshDatabase, type FreshDatabase } from '@tessera/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from './helpers/server.js';

/**
 * Tessera behind PgBouncer in transaction pooling mode: a server connection is lent for one
 * transaction, then to another client. Anything kept on a session between transactions
 * (SET, a session advisory lock, a named prepared statement, LISTEN) would leak to other
 * clients or be lost. `.ci/run` starts PgBouncer (.ci/pgbouncer) with 4 server connections
 * for all clients and sets TEST_PGBOUNCER_URL; the file runs once, in the PostgreSQL pass.
 */
const BOUNCER = process.env.TEST_PGBOUNCER_URL;
const enabled = Boolean(BOUNCER && process.env.TEST_DATABASE_URL);
if (!enabled)
  console.warn(
    'pgbouncer.test.ts skipped: it needs TEST_DATABASE_URL and TEST_PGBOUNCER_URL (start one with `bash .ci/pgbouncer`).',
  );

const ADMIN = { ADMIN_EMAIL: 'first.admin@example.com', ADMIN_PASSWORD: 'the first admin passphrase' };

let fresh: FreshDatabase;
let bouncerUrl: string;
let viaBouncer: DatabaseHandle;
let nodes: TestServer[] = [];

beforeAll(async () => {
  if (!enabled) return;
  fresh = await freshDatabase('bouncer');
  const url = new URL(fresh.url!);
  const bouncer = new URL(BOUNCER!);
  url.host = bouncer.host;
  bouncerUrl = url.toString();
  // PgBouncer 1.18 cannot carry a named prepared statement from one transaction to the next:
  // left to itself (DATABASE_PREPARED_STATEMENTS unset), each connection sees the bouncer in
  // between and sends its hot queries unnamed, which the last test checks.
  viaBouncer = await openDatabase({ url: bouncerUrl, dataDir: 'memory://', poolMax: 20 });
  // Kysely's migration lock is a transaction-scoped advisory lock: safe through the bouncer.
  await migrateToLatest(viaBouncer.db);
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Two nodes starting at once: both check the signing key and race to create the first admin.
  nodes = await Promise.all(
    [0, 1].map(() =>
      startTestServer(
        { ...ADMIN, JWT_PRIVATE_KEY: pem, LIST_QUERY_TIMEOUT_MS: '1500' },
        { sharedDatabase: { ...viaBouncer, url: bouncerUrl } },
      ),
    ),
  );
}, 120_000);
afterAll(async () => {
  for (const node of nodes) await node.close();
  await viaBouncer?.close();
  await fresh?.dispose();
});

/** What each of the bouncer's server connections carries: settings, prepared statements. */
async function serverSessions(): Promise<{ timeout: string; prepared: number; pid: number }[]> {
  // More clients at once than the pool has server connections: every one is sampled.
  const clients = Array.from({ length: 12 }, () => new pg.Client({ connectionString: bouncerUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  try {
    return await Promise.all(
      clients.map(async (client) => {
        const { rows } = await client.query<{ timeout: string; prepared: string; pid: number }>(
          `select current_setting('statement_timeout') as timeout,
                  (select count(*) from pg_prepared_statements) as prepared,
                  pg_backend_pid() as pid, pg_sleep(0.05)`,
        );
        return { timeout: rows[0]!.timeout, prepared: Number(rows[0]!.prepared), pid: rows[0]!.pid };
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

describe.skipIf(!enabled)('behind PgBouncer (transaction pooling)', { timeout: 120_000 }, () => {
  it('starts two nodes at once with one first admin', async () => {
    const admins = await viaBouncer.db
      .selectFrom('users')
      .select('email')
      .where('role', '=', 'admin')
      .execute();
    expect(admins).toEqual([{ email: ADMIN.ADMIN_EMAIL }]);
  });

  it('serves a mixed load on both nodes: sign-ups, sign-ins, refreshes, listings, resets', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const { accessToken: adminToken } = await a
      .client()
      .auth.login.mutate({
        email: ADMIN.ADMIN_EMAIL,
        password: ADMIN.ADMIN_PASSWORD,
      })
      .then(tokensOf);
    const emails = Array.from({ length: 16 }, () => uniqueEmail('bounced'));
    await Promise.all(
      emails.map(async (email, i) => {
        const node = i % 2 ? a : b;
        const other = i % 2 ? b : a;
        await node.client().auth.register.mutate({ name: `Bounced ${i}`, email, password: STRONG_PASSWORD });
        const signedIn = await other
          .client()
          .auth.login.mutate({ email, password: STRONG_PASSWORD })
          .then(tokensOf);
        await node.client().auth.refresh.mutate({ refreshToken: signedIn.refreshToken });
        // users.list sets its statement_timeout with SET LOCAL, inside its own transaction.
        await other.client(adminToken).users.list.query({ search: 'bounced', limit: 5 });
        await node.client().auth.requestPasswordReset.mutate({ email });
      }),
    );
    // Both nodes' workers claim the mail (FOR UPDATE SKIP LOCKED) until none is left.
    await Promise.all([a.app.outbox.drain(), b.app.outbox.drain()]);
    await Promise.all([a.app.outbox.drain(), b.app.outbox.drain()]);
    const mail = await viaBouncer.db
      .selectFrom('email_outbox')
      .select(['status', 'attempts'])
      .where('recipient', 'in', emails)
      .where('subject', 'like', '%eset%')
      .execute();
    expect(mail).toHaveLength(emails.length);
    expect(mail.every((row) => row.status === 'sent' && row.attempts === 1)).toBe(true);
  });

  it('leaves nothing behind on the shared server connections', async () => {
    const sessions = await serverSessions();
    expect(new Set(sessions.map((s) => s.pid)).size).toBeLessThanOrEqual(4);
    expect(sessions.filter((s) => s.timeout !== '0' || s.prepared !== 0)).toEqual([]);
    const direct = new pg.Client({ connectionString: fresh.url });
    await direct.connect();
    try {
      // A transaction in flight may hold its xact lock for a moment (seen once, on a loaded
      // machine); a lock left on a session stays. So: none left within a few seconds.
      const held = () =>
        direct.query<{ pid: number; state: string; query: string }>(
          `select l.pid, a.state, a.query from pg_locks l join pg_stat_activity a using (pid)
            where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())`,
        );
      let rows = (await held()).rows;
      for (let i = 0; i < 30 && rows.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        rows = (await held()).rows;
      }
      expect(rows).toEqual([]);
    } finally {
      await direct.end();
    }
  });

  it('(the probe itself) sees a session setting leak across clients', async () => {
    const leaky = new pg.Client({ connectionString: bouncerUrl });
    await leaky.connect();
    try {
      await leaky.query(`set statement_timeout = '4321'`);
      const sessions = await serverSessions();
      expect(sessions.some((s) => s.timeout === '4321ms')).toBe(true);
    } finally {
      await leaky.end();
    }
  });
});
