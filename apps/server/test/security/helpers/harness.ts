import { randomInt } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { RateLimitSettings } from '../../../src/limits/rate-limit-settings.js';
import type { TestDatabase } from '../../helpers/database.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

export { rejection, STRONG_PASSWORD, uniqueEmail } from '../../helpers/server.js';

/** The server the security tests attack: a test server (its client can speak from a chosen address). */
export type SecurityServer = TestServer;

export interface ServerOptions {
  /** Settings as environment variables, named as in the README. */
  env?: Record<string, string>;
  /** Per-address limits with windows of their own (see startTestServer); omitted → from `env`. */
  rateLimits?: Partial<RateLimitSettings>;
  /** Reuse an open database (a second node, or a restart); it is then left open on close. */
  database?: TestDatabase;
}

/**
 * startTestServer (test/helpers/server.ts) with its options named: its limits are as generous
 * as there unless `env` or `rateLimits` set them.
 */
export function startServer(options: ServerOptions = {}): Promise<SecurityServer> {
  return startTestServer(options.env, { sharedDatabase: options.database, rateLimits: options.rateLimits });
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
  const body: unknown = Array.isArray(response.json) ? (response.json as unknown[])[0] : response.json;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { code?: unknown; error?: { data?: { code?: unknown } } };
  if (typeof record.error?.data?.code === 'string') return record.error.data.code;
  return typeof record.code === 'string' ? record.code : undefined;
}

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
