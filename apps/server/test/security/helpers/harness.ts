import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient, type TesseraClient } from '@tessera/client';
import type { DatabaseHandle } from '@tessera/db';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { parseConfig } from '../../../src/config.js';
import type { RateLimitSettings } from '../../../src/limits/rate-limit.js';
import { createTestDatabase } from '../../helpers/database.js';

export { STRONG_PASSWORD, uniqueEmail } from '../../helpers/server.js';

export interface SecurityServer {
  app: FastifyInstance;
  database: DatabaseHandle & { url?: string };
  url: string;
  dataDir: string;
  /** Every log line the server wrote (JSON strings). */
  logs: string[];
  /** A typed client; `address` is sent as X-Forwarded-For (only counts under TRUST_PROXY). */
  client(options?: { token?: string; address?: string }): TesseraClient;
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Settings as environment variables, named as in the README. */
  env?: Record<string, string>;
  /** Per-address limits (not yet an environment setting); omitted → the server's fallback. */
  rateLimits?: Partial<RateLimitSettings>;
  /** Reuse an open database (a second node, or a restart); it is then left open on close. */
  database?: DatabaseHandle & { url?: string };
}

/** Limits so high that only the test that means to trip one does. */
export const GENEROUS_LIMITS: RateLimitSettings = {
  signIn: { max: 100_000, windowSeconds: 60 },
  register: { max: 100_000, windowSeconds: 60 },
  mail: { max: 100_000, windowSeconds: 60 },
  tokens: { max: 100_000, windowSeconds: 60 },
  refresh: { max: 100_000, windowSeconds: 60 },
  passwordChecks: { max: 100_000, windowSeconds: 60 },
  passwordChecksInFlight: 100_000,
};

/**
 * Like test/helpers/server.ts's startTestServer (the app as users run it, on port 0, on a
 * fresh database), plus what attacks need: chosen rate limits, a shared or reopened
 * database for multi-node and restart scenarios.
 */
export async function startServer(options: ServerOptions = {}): Promise<SecurityServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-security-'));
  const config = {
    ...parseConfig({
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      ARGON2_MEMORY_KIB: '8192',
      ARGON2_TIME_COST: '1',
      ARGON2_MAX_CONCURRENCY: '4',
      PORT: '0',
      ...options.env,
    }),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  };
  const ownsDatabase = !options.database;
  const database = options.database ?? (await createTestDatabase());
  let offset = 0;
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const handle: DatabaseHandle = ownsDatabase ? database : { ...database, close: async () => {} };
  const app = await buildApp(config as Parameters<typeof buildApp>[0], {
    database: handle,
    now: () => Date.now() + offset,
    logStream,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    database,
    url,
    dataDir,
    logs,
    client: ({ token, address: forwardedFor } = {}) =>
      createClient({
        url,
        ...(token ? { token } : {}),
        ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
      }),
    advance: (ms) => {
      offset += ms;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A documentation-range address (198.18.0.0/15) no other test is likely to use, even in a shared Redis. */
export function freshAddress(): string {
  return `198.${18 + randomInt(2)}.${randomInt(256)}.${1 + randomInt(254)}`;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** A request with nothing a client library would add or hide. */
export async function raw(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POST a JSON body (already a string, or serialised here). */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return raw(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The tRPC error code in a raw answer (first one for a batch), or the REST `code`. */
export function codeOf(response: RawResponse): string | undefined {
  const body = Array.isArray(response.json) ? response.json[0] : response.json;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { code?: unknown; error?: { data?: { code?: unknown } } };
  if (typeof record.error?.data?.code === 'string') return record.error.data.code;
  return typeof record.code === 'string' ? record.code : undefined;
}

/** Resolves with what the promise rejected with; fails if it did not reject. */
export { rejection } from '../../helpers/server.js';

/**
 * A request whose path goes out byte for byte: fetch() would resolve `.`/`..` segments
 * before sending, and an attacker's client does not have to.
 */
export function rawPath(
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve({ status: res.statusCode ?? 0, headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** POST a JSON body to a raw path (see rawPath). */
export function postRaw(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return rawPath(url, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
