import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { redisCounters, storeKey } from '../../src/limits/counters.js';
import { DEFAULT_RATE_LIMITS } from '../../src/limits/rate-limit-settings.js';
import {
  freshAddress,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type SecurityServer,
} from './helpers/harness.js';
import { count, failedSignIns, outcomes, WRONG_PASSWORD as WRONG } from './helpers/sign-ins.js';
import { tokensOf } from '../helpers/accounts.js';

/**
 * The machine's Redis (README: REDIS_URL); override with TEST_REDIS_URL. The outage tests
 * at the end reach it through a TCP path they cut, never a mock.
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let nodeA: SecurityServer;
let nodeB: SecurityServer;
let redis: Redis;

/** The windowed limits as shipped; the in-flight bound (per node, throttling-in-flight.test.ts) left out, so not applied. */
const { passwordChecksInFlight: _inFlight, ...LIMITS } = DEFAULT_RATE_LIMITS;

beforeAll(async () => {
  const env = { TRUST_PROXY: '127.0.0.1', REDIS_URL };
  // Two nodes, one database, one Redis: what "scaling out" in DESIGN.md means.
  nodeA = await startServer({ env, rateLimits: LIMITS });
  // The same signing key too: a node with another refuses to start (key-agreement.ts).
  const JWT_PRIVATE_KEY = readFileSync(join(nodeA.dataDir, 'jwt-ed25519.pem'), 'utf8');
  nodeB = await startServer({
    env: { ...env, JWT_PRIVATE_KEY },
    rateLimits: LIMITS,
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

/** A small per-address budget for the outage tests, so they stay quick. */
const MAX_FAILED = 5;

/**
 * A TCP path to the real Redis that the test can cut and mend, as a network failure would:
 * cutting closes every open connection and refuses new ones on the same port.
 */
async function redisPath(target: URL) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve) =>
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  const port = await listen(0);
  return {
    url: `redis://127.0.0.1:${port}`,
    /** Stops carrying bytes, connections left open: a Redis that stalls (CLIENT PAUSE, a hung host). */
    stall() {
      for (const socket of sockets) socket.pause();
    },
    /** Carries bytes again; what waited is delivered. */
    unstall() {
      for (const socket of sockets) socket.resume();
    },
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    async mend() {
      await listen(port);
    },
  };
}

async function register(server: SecurityServer): Promise<string> {
  const email = uniqueEmail('outage');
  await server
    .client({ address: freshAddress() })
    .auth.register.mutate({ name: 'Outage', email, password: STRONG_PASSWORD });
  return email;
}

/** Every limit, on one node, with whatever store it has now. */
async function expectLimitsHold(server: SecurityServer) {
  // Per address: one address, many invented accounts.
  const address = freshAddress();
  const perAddress = await failedSignIns(server, address, MAX_FAILED + 3);
  expect(count(perAddress, 'UNAUTHORIZED')).toBe(MAX_FAILED);
  expect(count(perAddress, 'TOO_MANY_REQUESTS')).toBe(3);

  // Per account: many addresses, one account (LOGIN_MAX_ATTEMPTS = 10).
  const victim = await register(server);
  const perAccount = outcomes(
    await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        server.client({ address: freshAddress() }).auth.login.mutate({ email: victim, password: WRONG }),
      ),
    ),
  );
  expect(count(perAccount, 'UNAUTHORIZED')).toBe(10);
  expect(count(perAccount, 'TOO_MANY_REQUESTS')).toBe(2);

  // A right password signs in (and clears that account's count).
  const owner = await register(server);
  const signedIn = await server
    .client({ address: freshAddress() })
    .auth.login.mutate({ email: owner, password: STRONG_PASSWORD })
    .then(tokensOf);
  expect(signedIn.user.email).toBe(owner);
  return address;
}

const logged = (server: SecurityServer, level: number, text: RegExp) =>
  server.logs.some((line) => {
    const entry = JSON.parse(line) as { level: number; msg?: string };
    return entry.level === level && text.test(entry.msg ?? '');
  });

describe('when Redis cannot be reached', () => {
  let path: Awaited<ReturnType<typeof redisPath>>;
  let cutOff: SecurityServer;

  beforeAll(async () => {
    path = await redisPath(new URL(REDIS_URL));
    cutOff = await startServer({
      env: { TRUST_PROXY: '127.0.0.1', REDIS_URL: path.url, LOG_LEVEL: 'warn' },
      rateLimits: { signIn: { max: MAX_FAILED, windowSeconds: 900 } },
    });
  });
  afterAll(async () => {
    await cutOff?.close();
    await path?.cut();
  });

  it('counts in each node’s memory: every limit still holds, nothing answers 500, the outage is logged', async () => {
    const before = freshAddress();
    await expect(
      cutOff.client({ address: before }).auth.login.mutate({ email: uniqueEmail('x'), password: WRONG }),
    ).rejects.toThrow();
    expect(await redis.get(`tessera:rate-limit:signIn:${before}`)).toBe('1');

    await path.cut();
    const during = await expectLimitsHold(cutOff);
    // Counted in this node's memory, not in Redis.
    expect(await redis.exists(`tessera:rate-limit:signIn:${during}`)).toBe(0);
    expect(logged(cutOff, 50, /Redis unreachable/)).toBe(true);

    await path.mend();
    // The client reconnects on its own; from then on counts land in Redis again.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const address = freshAddress();
      await cutOff
        .client({ address })
        .auth.login.mutate({ email: uniqueEmail('back'), password: WRONG })
        .then(tokensOf)
        .catch(() => undefined);
      if ((await redis.get(`tessera:rate-limit:signIn:${address}`)) === '1') break;
      if (Date.now() > deadline) throw new Error('counts never went back to Redis');
      await sleep(100);
    }
    expect(logged(cutOff, 40, /Redis reachable again/)).toBe(true);
  });

  it('does not stop a node from starting: it counts in memory until Redis answers', async () => {
    // A port nothing listens on.
    const closed = createServer();
    const port = await new Promise<number>((resolve) =>
      closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)),
    );
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const lonely = await startServer({
      env: { TRUST_PROXY: '127.0.0.1', REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: 'warn' },
      rateLimits: { signIn: { max: MAX_FAILED, windowSeconds: 900 } },
    });
    try {
      await expectLimitsHold(lonely);
      expect(logged(lonely, 50, /Redis unreachable/)).toBe(true);
    } finally {
      await lonely.close();
    }
  });
});

describe('the Redis store directly', () => {
  let path: Awaited<ReturnType<typeof redisPath>>;
  const lines: { level: number; msg: string }[] = [];
  // The server's own logger (pino, through Fastify), writing here.
  const { log } = Fastify({
    logger: {
      level: 'warn',
      stream: {
        write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }),
      },
    },
  });
  let counters: Awaited<ReturnType<typeof redisCounters>>;

  beforeAll(async () => {
    path = await redisPath(new URL(REDIS_URL));
    counters = await redisCounters(path.url, log);
  });
  afterAll(async () => {
    await counters?.close();
    await path?.cut();
  });

  const key = (name: string) => `test:${name}:${freshAddress()}`;
  const logged = (text: RegExp) => lines.filter((line) => text.test(line.msg)).length;

  /** Adds to fresh keys until one lands in Redis again (the client reconnects on its own). */
  async function untilRedisAnswers() {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const probe = key('probe');
      await counters.add(probe, 1, 60);
      if ((await redis.get(`tessera:${probe}`)) === '1') return;
      if (Date.now() > deadline) throw new Error('Redis never answered again');
      await sleep(100);
    }
  }

  it('stores a long key as a fixed-size hash, and a short one as it is', async () => {
    const short = key('short');
    const long = `throttle:login:account:${'x'.repeat(1000)}${freshAddress()}@example.com`;
    await counters.add(short, 1, 60);
    expect((await counters.add(long, 1, 60)).count).toBe(1);
    expect((await counters.add(long, 1, 60)).count).toBe(2);
    expect(await redis.get(`tessera:${short}`)).toBe('1');
    expect(storeKey(long)).toMatch(/^throttle:login:#[\w-]{43}$/);
    expect(await redis.get(`tessera:${storeKey(long)}`)).toBe('2');
    expect(await redis.exists(`tessera:${long}`)).toBe(0);
  });

  it('logs each stall once when it starts and once when it ends, a second one within 30 s too', async () => {
    await untilRedisAnswers();
    const starts = logged(/^Redis unreachable/);
    const ends = logged(/^Redis reachable again/);
    for (let stall = 1; stall <= 2; stall++) {
      path.stall();
      // Commands time out (500 ms): counted in memory, the connection never drops.
      const during = key('stall');
      expect((await counters.add(during, 1, 60)).count).toBe(1);
      expect((await counters.add(during, 1, 60)).count).toBe(2);
      path.unstall();
      await untilRedisAnswers();
      expect(logged(/^Redis unreachable/)).toBe(starts + stall);
      expect(logged(/^Redis reachable again/)).toBe(ends + stall);
    }
  });

  it('gives a hit back to the store that counted it, also after Redis is back', async () => {
    await untilRedisAnswers();
    const slot = key('give-back');
    await counters.add(slot, 1, 60);
    expect(await redis.get(`tessera:${slot}`)).toBe('1');

    // Counted in memory while Redis is gone (a sign-in arriving during the outage)…
    await path.cut();
    await counters.add(slot, 1, 60);
    await path.mend();
    await untilRedisAnswers();
    // …and given back once Redis answers again: Redis never saw that hit, its count stays.
    await counters.giveBack(slot, 1);
    expect(await redis.get(`tessera:${slot}`)).toBe('1');
    // A hit Redis counted is given back there.
    const other = key('give-back');
    await counters.add(other, 2, 60);
    await counters.giveBack(other, 1);
    expect(await redis.get(`tessera:${other}`)).toBe('1');
  });
});
