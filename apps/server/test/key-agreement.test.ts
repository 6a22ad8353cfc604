import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtEntry } from './helpers/cli.js';
import { openDatabase, type DatabaseHandle } from '@tessera/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKeyMismatchError } from '../src/auth/key-agreement.js';
import { createTestDatabase, testEngine } from './helpers/database.js';
import {
  rejection,
  startTestServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestServer,
} from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

const pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = (privatePem: string) =>
  createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
const keyOf = (server: TestServer) => readFileSync(join(server.dataDir, 'jwt-ed25519.pem'), 'utf8');
const kidOf = async (server: TestServer) =>
  ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] })
    .keys[0]!.kid;
const recordedKid = async (server: TestServer) =>
  (await server.database.db.selectFrom('signing_key').select('kid').executeTakeFirstOrThrow()).kid;

/** Asserts a start was refused the way DESIGN.md says: one line that names JWT_PRIVATE_KEY. */
function expectRefusal(error: unknown) {
  expect(error).toBeInstanceOf(SigningKeyMismatchError);
  const message = (error as Error).message;
  expect(message).toMatch(/^JWT_PRIVATE_KEY: /);
  expect(message).toMatch(/JWT_PREVIOUS_PUBLIC_KEY/);
  expect(message).not.toContain('\n');
}

describe.runIf(testEngine === 'postgres')('nodes on one PostgreSQL agree on their signing key', () => {
  let first: TestServer;
  const others: TestServer[] = [];
  beforeAll(async () => {
    // No JWT_PRIVATE_KEY: the first node generates a key into its own DATA_DIR and records it.
    first = await startTestServer();
  });
  afterAll(async () => {
    for (const node of others) await node.close();
    await first?.close();
  });
  const addNode = async (env: Record<string, string>) => {
    const node = await startTestServer(env, { sharedDatabase: first.database });
    others.push(node);
    return node;
  };

  it('records the first node’s key', async () => {
    expect(await recordedKid(first)).toBe(await kidOf(first));
  });

  it('refuses to start a node that generated its own key, naming JWT_PRIVATE_KEY', async () => {
    // Before: this node started, its tokens were refused by the first and its reset links
    // queued under a mail key the first could not read.
    const refusal = await rejection(addNode({}));
    expectRefusal(refusal);
    expect((refusal as Error).message).toMatch(/generated its own key/);
    expect(await recordedKid(first)).toBe(await kidOf(first));
  });

  it('refuses a node given another JWT_PRIVATE_KEY, and starts one given the same', async () => {
    expectRefusal(await rejection(addNode({ JWT_PRIVATE_KEY: pem() })));
    const same = await addNode({ JWT_PRIVATE_KEY: keyOf(first) });
    const email = uniqueEmail('agree');
    const { accessToken } = await first
      .client()
      .auth.register.mutate({ name: 'Agreed', email, password: STRONG_PASSWORD });
    expect((await same.client(accessToken).users.me.query()).email).toBe(email);
  });

  it('lets a node rotate to a new key by naming the recorded one as JWT_PREVIOUS_PUBLIC_KEY', async () => {
    const oldKey = keyOf(first);
    const newKey = pem();
    const rotated = await addNode({ JWT_PRIVATE_KEY: newKey, JWT_PREVIOUS_PUBLIC_KEY: publicPem(oldKey) });
    expect(await recordedKid(first)).toBe(await kidOf(rotated));
    // From now on the new key is the nodes' key: the old one alone is refused, the new one joins.
    expectRefusal(await rejection(addNode({ JWT_PRIVATE_KEY: oldKey })));
    await addNode({ JWT_PRIVATE_KEY: newKey });
    // A second rotating node finds the rotation done and agrees.
    await addNode({ JWT_PRIVATE_KEY: newKey, JWT_PREVIOUS_PUBLIC_KEY: publicPem(oldKey) });
    // Naming a key that is not the recorded one as previous does not let a node in.
    expectRefusal(
      await rejection(addNode({ JWT_PRIVATE_KEY: pem(), JWT_PREVIOUS_PUBLIC_KEY: publicPem(oldKey) })),
    );
  });

  it('stops `node main.ts` with one line naming JWT_PRIVATE_KEY', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-key-main-'));
    try {
      const result = spawnSync(process.execPath, [builtEntry('main')], {
        env: {
          ...process.env,
          DATABASE_URL: (first.database as DatabaseHandle & { url: string }).url,
          DATA_DIR: dataDir,
          PORT: '0',
          LOG_LEVEL: 'silent',
        },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(result.status).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^Tessera could not start\. JWT_PRIVATE_KEY: /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.runIf(testEngine === 'postgres')('nodes starting at once on a fresh database', () => {
  it('let exactly one key win; the others refuse to start', async () => {
    const database = await createTestDatabase();
    const started = await Promise.allSettled(
      Array.from({ length: 4 }, () => startTestServer({}, { sharedDatabase: database })),
    );
    try {
      const winners = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(winners).toHaveLength(1);
      for (const r of started) if (r.status === 'rejected') expectRefusal(r.reason);
      expect(await recordedKid(winners[0]!)).toBe(await kidOf(winners[0]!));
    } finally {
      for (const r of started) if (r.status === 'fulfilled') await r.value.close();
      await database.close();
    }
  });
});

/** A TCP door to PostgreSQL that refuses connections until opened: a database down at start. */
async function postgresDoor(databaseUrl: string) {
  const target = new URL(databaseUrl);
  let open = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: url.toString(),
    open: () => {
      open = true;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.runIf(testEngine === 'postgres')('a node that could not reach the database at start', () => {
  const first = perFile(() => startTestServer());

  /** A node with MIGRATE_ON_START=false whose database is down while it starts. */
  async function startWhileDown(env: Record<string, string>) {
    const door = await postgresDoor((first.database as DatabaseHandle & { url: string }).url);
    const database = await openDatabase({ url: door.url, dataDir: 'memory://' });
    const node = await startTestServer(
      { MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', ...env },
      { sharedDatabase: database },
    );
    return {
      node,
      door,
      close: async () => {
        await node.close();
        await database.close();
        await door.close();
      },
    };
  }

  it('starts, then refuses API requests and sends no mail once it finds another key', async () => {
    const { node, door, close } = await startWhileDown({});
    try {
      expect(node.logs.join('\n')).toMatch(/signing key could not be checked/);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(503);
      door.open();
      const email = uniqueEmail('deferred');
      const { accessToken } = await first
        .client()
        .auth.register.mutate({ name: 'Deferred', email, password: STRONG_PASSWORD });
      const answer = await fetch(`${node.url}/trpc/users.me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(answer.status).toBe(503);
      expect(await answer.json()).toMatchObject({ data: { reason: 'signing_key_mismatch' } });
      const rest = await fetch(`${node.url}/api/auth/password/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      expect(rest.status).toBe(503);
      const ready = await fetch(`${node.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'signing key mismatch' });
      // Its worker never claims mail it could not read (it would mark it failed).
      expect(await node.app.outbox.drain()).toBe(0);
      expect(node.logs.some((line) => /"level":60.*JWT_PRIVATE_KEY: /.test(line))).toBe(true);
    } finally {
      await close();
    }
  });

  it('serves normally once it finds its key is the recorded one', async () => {
    const { node, door, close } = await startWhileDown({ JWT_PRIVATE_KEY: keyOf(first) });
    try {
      door.open();
      const email = uniqueEmail('deferred-ok');
      const { accessToken } = await first
        .client()
        .auth.register.mutate({ name: 'Deferred', email, password: STRONG_PASSWORD });
      expect((await node.client(accessToken).users.me.query()).email).toBe(email);
      expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    } finally {
      await close();
    }
  });
});
