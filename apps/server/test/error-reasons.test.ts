import { errorReason } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { rejection, startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

// Every error carries `data.reason`, a stable code clients branch on; the same on tRPC and REST.

const server = perFile(() => startTestServer({ RATE_LIMIT_MAIL: '1' }));

async function rest(method: string, path: string, json?: unknown) {
  const response = await fetch(`${server.url}/api${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as { data: { reason: string } } };
}

describe('data.reason', () => {
  const email = uniqueEmail('reason');

  it('names a failed sign-in, a taken email, a weak password and a schema failure on both transports', async () => {
    await server.client().auth.register.mutate({ name: 'Reason', email, password: STRONG_PASSWORD });

    const login = await rejection(
      server.client().auth.login.mutate({ email, password: 'not the password at all' }),
    );
    expect(errorReason(login)).toBe('invalid_credentials');
    expect(
      (await rest('POST', '/auth/login', { email, password: 'not the password at all' })).body.data.reason,
    ).toBe('invalid_credentials');

    const taken = await rejection(
      server.client().auth.register.mutate({ name: 'Again', email, password: STRONG_PASSWORD }),
    );
    expect(errorReason(taken)).toBe('email_taken');

    const weak = await rest('POST', '/auth/register', {
      name: 'Weak',
      email: uniqueEmail(),
      password: 'short',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.data.reason).toBe('password_too_short');
    const malformed = await rest('POST', '/auth/register', {
      name: 'Bad',
      email: 'no',
      password: STRONG_PASSWORD,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.data.reason).toBe('invalid_input');

    const unknownLink = await rest('POST', '/auth/password/reset', {
      token: 'x'.repeat(43),
      password: STRONG_PASSWORD,
    });
    expect(unknownLink.body.data.reason).toBe('link_invalid');

    const signedOut = await rejection(server.client().users.me.query());
    expect(errorReason(signedOut)).toBe('not_signed_in');
    expect((await rest('GET', '/users/me')).body.data.reason).toBe('not_signed_in');
  });

  it('names a refusal by a per-address limit and an unknown route', async () => {
    const forgot = () => server.client().auth.requestPasswordReset.mutate({ email: uniqueEmail('forgot') });
    await forgot();
    expect(errorReason(await rejection(forgot()))).toBe('rate_limited');
    expect((await rest('POST', '/auth/password/forgot', { email: uniqueEmail() })).body.data.reason).toBe(
      'rate_limited',
    );
    expect((await rest('GET', '/no/such/route')).body.data.reason).toBe('not_found');
  });

  it('never echoes what the client sent: unknown procedures and unparsable JSON get fixed words', async () => {
    const hostile = 'users.<script>alert(1)</script>';
    const unknown = await fetch(`${server.url}/trpc/${encodeURIComponent(hostile)}`);
    const unknownText = await unknown.text();
    expect(unknown.status).toBe(404);
    expect(unknownText).not.toContain('script');
    expect(JSON.parse(unknownText)).toMatchObject({
      error: { message: 'Not found', data: { reason: 'not_found' } },
    });

    const broken = await fetch(`${server.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": secret-bytes',
    });
    const brokenText = await broken.text();
    expect(broken.status).toBe(400);
    expect(brokenText).not.toContain('secret');
    expect(JSON.parse(brokenText)).toMatchObject({
      error: { message: 'The input is not valid JSON', data: { reason: 'malformed_json' } },
    });
  });
});
