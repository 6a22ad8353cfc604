import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';
import { signUp } from './helpers/accounts.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** The JSON log lines of one request id. */
const linesOf = (logs: string[], id: string) =>
  logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.reqId === id);

describe('request ids, no proxy trusted', () => {
  const server = perFile(() => startTestServer({ LOG_LEVEL: 'info' }));

  it('gives every request a new id, echoed and in each of its log lines', async () => {
    const response = await fetch(`${server.url}/healthz`, {
      headers: { 'x-request-id': 'chosen-by-the-client', traceparent: TRACEPARENT },
    });
    const id = response.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    const second = await fetch(`${server.url}/healthz`);
    expect(second.headers.get('x-request-id')).not.toBe(id);
    const lines = linesOf(server.logs, id);
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(server.logs.join('\n')).not.toContain('chosen-by-the-client');
  });

  it('puts the id in a refusal made before routing, too', async () => {
    const response = await fetch(`${server.url}/trpc/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-request-id')).toMatch(UUID);
  });
});

describe('request ids behind a trusted proxy', () => {
  const server = perFile(() => startTestServer({ LOG_LEVEL: 'info', TRUST_PROXY: '127.0.0.1' }));
  const idFor = async (headers: Record<string, string>) =>
    (await fetch(`${server.url}/healthz`, { headers })).headers.get('x-request-id');

  it("takes the proxy's X-Request-Id, else its traceparent's trace id", async () => {
    expect(await idFor({ 'x-request-id': 'lb-7f3a:42' })).toBe('lb-7f3a:42');
    expect(await idFor({ traceparent: TRACEPARENT })).toBe(TRACE_ID);
    expect(await idFor({ 'x-request-id': 'lb-1', traceparent: TRACEPARENT })).toBe('lb-1');
  });

  it('replaces an id that is too long or could forge a log line', async () => {
    for (const bad of ['x'.repeat(129), 'two words', 'a"b', '{"msg":"x"}', ''])
      expect(await idFor({ 'x-request-id': bad }), bad).toMatch(UUID);
    expect(await idFor({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` })).toMatch(UUID);
    expect(await idFor({ traceparent: 'ff-nonsense' })).toMatch(UUID);
  });
});

describe('the id in a 5xx answer', () => {
  const server = perFile(() => startTestServer({ LOG_LEVEL: 'info' }));

  it("is in the body of a procedure's 500, on tRPC and REST, and in its error log line", async () => {
    const { token } = await signUp(server);
    // A schema the code no longer matches: the read fails with an unexpected SQL error.
    await sql`alter table users rename column name to name_gone`.execute(server.database.db);
    try {
      for (const path of ['/trpc/users.me', '/api/users/me']) {
        const response = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status, path).toBe(500);
        const id = response.headers.get('x-request-id')!;
        const body = (await response.json()) as { error?: { data: unknown }; data?: unknown };
        expect(body.error?.data ?? body.data, path).toMatchObject({
          reason: 'internal_error',
          requestId: id,
        });
        expect(JSON.stringify(body)).not.toMatch(/name_gone|column|select/i);
        const lines = linesOf(server.logs, id);
        expect(
          lines.some((line) => line.level === 50 && /failed/.test(String(line.msg))),
          path,
        ).toBe(true);
      }
    } finally {
      await sql`alter table users rename column name_gone to name`.execute(server.database.db);
    }
  });
});
