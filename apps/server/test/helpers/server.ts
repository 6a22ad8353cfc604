import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient, type TesseraClient } from '@tessera/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import type { RateLimitSettings } from '../../src/limits/rate-limit-settings.js';
import type { ResolveHost } from '../../src/webhooks/targets.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestServer {
  app: FastifyInstance;
  database: TestDatabase;
  /** http://127.0.0.1:<port> */
  url: string;
  /** The server's DATA_DIR (a temp folder). */
  dataDir: string;
  /** Every log line the server wrote (JSON strings). */
  logs: string[];
  /**
   * A typed client, signed in with `token` (alone or in the object); `address` is sent as
   * X-Forwarded-For, which counts only under TRUST_PROXY.
   */
  client(auth?: string | { token?: string; address?: string }): TesseraClient;
  /** Moves the server's clock forward (tokens, grace periods). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Another node's (or a stopped server's) database: a second node, or a restart. Left open on close. */
  sharedDatabase?: TestDatabase;
  /**
   * Per-address limits that replace the ones from `env`; a limit left out is not applied.
   * For windows other than the defaults, which are not environment settings.
   */
  rateLimits?: Partial<RateLimitSettings>;
  /** How webhook hosts resolve (names mapped to addresses, no DNS). */
  resolveHost?: ResolveHost;
}

/**
 * The one place tests build config + database + app: Tessera on port 0 against a fresh
 * database (or another node's, to test scaling out), the way users run it. `env` holds extra
 * settings, named as in the README.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const parsed = parseConfig({
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    // Cheaper argon2 keeps the suite quick; production parameters are measured in `pnpm bench`.
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    ARGON2_MAX_CONCURRENCY: '4',
    // Every test drives the server from 127.0.0.1; the per-address limits have their own suite.
    RATE_LIMIT_SIGN_IN: '100000',
    RATE_LIMIT_REGISTER: '100000',
    RATE_LIMIT_MAIL: '100000',
    RATE_LIMIT_TOKENS: '100000',
    RATE_LIMIT_REFRESH: '100000',
    RATE_LIMIT_PASSWORD_CHECKS: '100000',
    RATE_LIMIT_PASSWORD_CHECKS_IN_FLIGHT: '100000',
    PORT: '0',
    ...env,
  });
  const config = options.rateLimits ? { ...parsed, rateLimits: options.rateLimits } : parsed;
  // A second node on the same database must not close it when it stops.
  const database = options.sharedDatabase
    ? { ...options.sharedDatabase, close: async () => {} }
    : await createTestDatabase();
  let offset = 0;
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildApp(config, {
    database,
    now: () => Date.now() + offset,
    logStream,
    ...(options.resolveHost && { resolveHost: options.resolveHost }),
  });
  // Port 0 (any free one) unless the test chose one: PUBLIC_URL may have to name it.
  await app.listen({ port: config.port, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    database,
    url,
    dataDir,
    logs,
    client: (auth) => {
      const { token, address } = typeof auth === 'string' ? { token: auth } : (auth ?? {});
      return createClient({
        url,
        ...(token ? { token } : {}),
        ...(address ? { headers: { 'x-forwarded-for': address } } : {}),
      });
    },
    advance: (ms) => {
      offset += ms;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A port free right now, for a server whose PUBLIC_URL must name its port before it listens
 * (WebAuthn checks the browser's origin against it). Another process could take it in
 * between; on a test machine that is rare enough.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

let counter = 0;

/** A unique, valid email for one test. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${counter}.${Date.now()}@example.com`;
}

/** A password that passes the default policy. */
export const STRONG_PASSWORD = 'correct horse battery staple';

/** The error a call fails with; fails the test if the call succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
