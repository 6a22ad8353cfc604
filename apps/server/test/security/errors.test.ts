import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@tessera/db';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import {
  codeOf,
  postJson,
  raw,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type RawResponse,
} from './helpers/harness.js';
import { perFile } from '../helpers/per-file.js';

/** Anything that would tell an attacker about our code, queries or driver. */
const INTERNALS =
  /stack|\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d|select |insert |update |delete from|relation|column|audit_events|password_hash|syntax error|ECONNREFUSED|127\.0\.0\.1:1\b|pg_|kysely|postgres|pglite/i;

function expectOpaque(response: RawResponse, what: string) {
  expect(response.text, what).not.toMatch(INTERNALS);
}

const server = perFile(() => startServer());

describe('a 500', () => {
  it('carries no stack, SQL or driver text when a store throws them', async () => {
    const error = new Error(
      'syntax error at or near "FROM" in SELECT password_hash FROM users WHERE email = $1',
    ) as Error & { code: string; detail: string };
    error.code = '42601';
    error.detail = 'relation "users" column password_hash';
    const findByEmail = vi.spyOn(server.app.deps.stores.users, 'findByEmail').mockRejectedValue(error);
    try {
      const body = { email: uniqueEmail(), password: STRONG_PASSWORD };
      for (const path of ['/trpc/auth.login', '/api/auth/login', '/api/auth/password/forgot']) {
        const response = await postJson(
          `${server.url}${path}`,
          path.endsWith('forgot') ? { email: body.email } : body,
        );
        expect(response.status, path).toBe(500);
        expect(codeOf(response), path).toBe('INTERNAL_SERVER_ERROR');
        expectOpaque(response, path);
      }
    } finally {
      findByEmail.mockRestore();
    }
  });

  it('carries no driver text when the real database refuses a query', async () => {
    const db = server.database.db;
    await sql`alter table audit_events rename to audit_events_gone`.execute(db);
    try {
      const input = () => ({ name: 'Broken', email: uniqueEmail('broken'), password: STRONG_PASSWORD });
      for (const path of ['/trpc/auth.register', '/api/auth/register']) {
        const response = await postJson(`${server.url}${path}`, input());
        expect(response.status, path).toBe(500);
        expect(codeOf(response), path).toBe('INTERNAL_SERVER_ERROR');
        expectOpaque(response, path);
      }
      // The whole failed registration was rolled back: no half-made account.
      const orphans = await db.selectFrom('users').select('id').where('name', '=', 'Broken').execute();
      expect(orphans).toEqual([]);
    } finally {
      await sql`alter table audit_events_gone rename to audit_events`.execute(db);
    }
  });
});

describe('an unreachable database', () => {
  it('is a 503 SERVICE_UNAVAILABLE on every transport, with nothing about the driver', async () => {
    // Nothing listens on port 1: every connection attempt is refused, as when the database is down.
    const unreachable = await openDatabase({
      url: 'postgres://postgres@127.0.0.1:1/tessera',
      dataDir: 'memory://',
    });
    const down = await startServer({
      env: {
        MIGRATE_ON_START: 'false',
        MAIL_POLL_INTERVAL_MS: '60000',
        LOG_LEVEL: 'error',
        // The same signing key, so a valid token gets as far as the session lookup.
        JWT_PRIVATE_KEY: readFileSync(join(server.dataDir, 'jwt-ed25519.pem'), 'utf8'),
      },
      database: unreachable,
    });
    try {
      const { accessToken } = await server
        .client()
        .auth.register.mutate({ name: 'Later', email: uniqueEmail('down'), password: STRONG_PASSWORD });
      const credentials = { email: uniqueEmail(), password: STRONG_PASSWORD };
      const answers: [string, RawResponse][] = [
        ['tRPC login', await postJson(`${down.url}/trpc/auth.login`, credentials)],
        ['REST login', await postJson(`${down.url}/api/auth/login`, credentials)],
        ['tRPC register', await postJson(`${down.url}/trpc/auth.register`, { ...credentials, name: 'X' })],
        ['REST forgot', await postJson(`${down.url}/api/auth/password/forgot`, { email: credentials.email })],
        [
          'tRPC me',
          await raw(`${down.url}/trpc/users.me`, { headers: { authorization: `Bearer ${accessToken}` } }),
        ],
      ];
      for (const [what, response] of answers) {
        expect(response.status, what).toBe(503);
        expect(codeOf(response), what).toBe('SERVICE_UNAVAILABLE');
        expectOpaque(response, what);
      }
      const ready = await raw(`${down.url}/readyz`);
      expect(ready.status).toBe(503);
      expectOpaque(ready, 'readyz');
      // Liveness is not readiness: the process itself is fine.
      expect((await raw(`${down.url}/healthz`)).status).toBe(200);
    } finally {
      await down.close();
      await unreachable.close();
    }
  });
});
