import { createSession, errorCode, errorReason, fieldErrors } from '@tessera/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp, tokensOf, type SignedIn } from './helpers/accounts.js';
import { mailSinkPerFile } from './helpers/mail-sink.js';
import { perFile } from './helpers/per-file.js';
import { enrollTotp, serverClock, type ServerClock } from './helpers/second-factors.js';
import { rejection, startTestServer, STRONG_PASSWORD } from './helpers/server.js';

const PUBLIC_URL = 'https://id.example.test';
const WRONG = 'certainly not the password';

const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: sink.url, PUBLIC_URL, MAIL_POLL_INTERVAL_MS: '20', LOGIN_MAX_ATTEMPTS: '10' }),
);
let clock: ServerClock;
beforeAll(() => {
  clock = serverClock(server);
});

function login(email: string, password = STRONG_PASSWORD) {
  return server.client().auth.login.mutate({ email, password });
}

/** Signs in with the password and returns the second step's token (fails if none is asked). */
async function mfaToken(email: string): Promise<string> {
  const answer = await login(email);
  if (!('mfaRequired' in answer)) throw new Error('expected a second-factor challenge');
  return answer.mfaToken;
}

const verify = (mfaToken: string, code: string) => server.client().auth.verifyMfa.mutate({ mfaToken, code });

async function reasonOf(promise: Promise<unknown>) {
  return errorReason(await rejection(promise));
}

function auditOf(userId: string, action: string) {
  return server.database.db
    .selectFrom('audit_events')
    .select(['action', 'actor_id', 'metadata'])
    .where('target_id', '=', userId)
    .where('action', '=', action)
    .orderBy('at')
    .execute();
}

async function mailTo(to: string, subject: RegExp) {
  return sink.waitFor(to, subject, 15_000);
}

/** An account with a confirmed authenticator app, signed in; its secret and codes. */
async function enrolled(options: { role?: 'admin' | 'manager' | 'user' } = {}) {
  const account = await signUp(server, options);
  clock.startOfStep();
  return { ...account, ...(await enrollTotp(account.client, clock)) };
}

describe('setting up an authenticator app (TOTP)', () => {
  let account: SignedIn;
  beforeAll(async () => {
    account = await signUp(server);
  });

  it('asks for the current password, counted like a sign-in', async () => {
    const error = await rejection(account.client.mfa.totpSetup.mutate({ currentPassword: WRONG }));
    expect(errorReason(error)).toBe('wrong_password');
    expect(fieldErrors(error)?.currentPassword).toBeDefined();
    expect(await auditOf(account.id, 'mfa.totp_setup.failure')).toHaveLength(1);
  });

  it('hands out a secret and an otpauth URL, inactive until a code confirms it, then 10 recovery codes', async () => {
    clock.startOfStep();
    const { secret, otpauthUrl } = await account.client.mfa.totpSetup.mutate({
      currentPassword: STRONG_PASSWORD,
    });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toBe(`otpauth://totp/Tessera:${account.email}?secret=${secret}&issuer=Tessera`);
    // Not on yet: the password alone signs in, and status says no.
    expect(tokensOf(await login(account.email)).user.mfaEnabled).toBe(false);
    expect(await account.client.mfa.status.query()).toEqual({
      totp: false,
      recoveryCodesLeft: 0,
      passkeys: [],
    });

    // At rest the secret is sealed, not base32.
    const row = await server.database.db.selectFrom('totp_factors').selectAll().executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(secret);

    const wrong = await rejection(account.client.mfa.totpConfirm.mutate({ code: clock.code(secret, 3) }));
    expect(errorReason(wrong)).toBe('invalid_mfa_code');

    const { recoveryCodes } = await account.client.mfa.totpConfirm.mutate({ code: clock.code(secret) });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    // Hashes only at rest.
    const stored = await server.database.db.selectFrom('recovery_codes').select('code_hash').execute();
    expect(stored.map((r) => r.code_hash)).not.toContain(recoveryCodes[0]);

    expect((await account.client.users.me.query()).mfaEnabled).toBe(true);
    expect(await account.client.mfa.status.query()).toMatchObject({ totp: true, recoveryCodesLeft: 10 });
    expect(await auditOf(account.id, 'mfa.totp.enable')).toHaveLength(1);
    expect((await mailTo(account.email, /authenticator app was set up/i)).text).toContain('second factor');

    // A second set-up while one is on is refused.
    const again = await rejection(account.client.mfa.totpSetup.mutate({ currentPassword: STRONG_PASSWORD }));
    expect(errorReason(again)).toBe('totp_already_enabled');
  });
});

describe('signing in with a second factor', () => {
  it('answers the password with a challenge, then the code with tokens; the confirming code cannot be replayed', async () => {
    const account = await signUp(server);
    clock.startOfStep();
    const { secret } = await account.client.mfa.totpSetup.mutate({ currentPassword: STRONG_PASSWORD });
    const confirming = clock.code(secret);
    await account.client.mfa.totpConfirm.mutate({ code: confirming });

    const challenge = await login(account.email);
    if (!('mfaRequired' in challenge)) throw new Error('expected a challenge');
    expect(Object.keys(challenge).sort()).toEqual(['methods', 'mfaRequired', 'mfaToken']);
    expect(challenge).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
    const token = challenge.mfaToken;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(await reasonOf(verify(token, confirming))).toBe('invalid_mfa_code');

    clock.advance(30_000);
    const signedIn = await verify(token, clock.code(secret));
    expect(signedIn.user.email).toBe(account.email);
    expect((await server.client(signedIn.accessToken).users.me.query()).id).toBe(account.id);
    const logins = await auditOf(account.id, 'auth.login');
    expect(logins.at(-1)?.metadata).toEqual({ mfa: 'totp' });

    // The token is spent, and the code is too: a new sign-in cannot use it again.
    expect(await reasonOf(verify(token, clock.code(secret)))).toBe('invalid_mfa_token');
    expect(await reasonOf(verify(await mfaToken(account.email), clock.code(secret)))).toBe(
      'invalid_mfa_code',
    );
  });

  it('accepts a code one step either side of now, and not two; never a step older than the last used', async () => {
    const { email, secret } = await enrolled();
    clock.startOfStep();
    const token = await mfaToken(email);
    expect(await reasonOf(verify(token, clock.code(secret, -2)))).toBe('invalid_mfa_code');
    expect(await reasonOf(verify(token, clock.code(secret, 2)))).toBe('invalid_mfa_code');
    await verify(token, clock.code(secret, -1));
    await verify(await mfaToken(email), clock.code(secret, 0));
    await verify(await mfaToken(email), clock.code(secret, 1));
    // Step +1 was used last: the current step's code is older, so refused.
    expect(await reasonOf(verify(await mfaToken(email), clock.code(secret, 0)))).toBe('invalid_mfa_code');
  });

  it('takes at most 5 wrong codes per token, each audited; then even the right one is refused', async () => {
    const { id, email, secret } = await enrolled();
    const token = await mfaToken(email);
    for (let i = 0; i < 5; i++) expect(await reasonOf(verify(token, '000000'))).toBe('invalid_mfa_code');
    expect(await reasonOf(verify(token, clock.code(secret)))).toBe('invalid_mfa_token');
    const failures = await auditOf(id, 'auth.mfa.failure');
    expect(failures.map((f) => f.metadata)).toEqual(
      [1, 2, 3, 4, 5].map((wrongCodes) => ({ method: 'totp', wrongCodes })),
    );
    // A fresh sign-in gets a fresh token.
    expect((await verify(await mfaToken(email), clock.code(secret))).user.email).toBe(email);
  });

  it('lets a token live 5 minutes', async () => {
    const { email, secret } = await enrolled();
    const token = await mfaToken(email);
    clock.advance(300_001);
    expect(await reasonOf(verify(token, clock.code(secret)))).toBe('invalid_mfa_token');
  });

  it('counts wrong codes against the account like wrong passwords (LOGIN_MAX_ATTEMPTS): over it, 429 even for the right code', async () => {
    const { email, secret } = await enrolled();
    // Attempts: every password check and every code. 1 + 5, then 1 + 3: ten.
    const first = await mfaToken(email);
    for (let i = 0; i < 5; i++) await rejection(verify(first, '111111'));
    const second = await mfaToken(email);
    for (let i = 0; i < 3; i++) await rejection(verify(second, '111111'));
    const locked = await rejection(verify(second, clock.code(secret)));
    expect(errorCode(locked)).toBe('TOO_MANY_REQUESTS');
    expect(errorReason(locked)).toBe('too_many_attempts');
    expect(errorReason(await rejection(login(email)))).toBe('too_many_attempts');
  });

  it('does not let a right password clear the count between guesses at the code', async () => {
    const { email } = await enrolled();
    for (let round = 0; round < 3; round++) {
      const token = await mfaToken(email);
      for (let i = 0; i < 2; i++) await rejection(verify(token, '222222'));
    }
    // 3 × (1 + 2) = 9 attempts: the next password check is the 10th, the code after it the 11th.
    const token = await mfaToken(email);
    expect(errorReason(await rejection(verify(token, '222222')))).toBe('too_many_attempts');
  });

  it('accepts each recovery code once, in any case and spacing, tells the owner and counts what is left', async () => {
    const { id, email, client, recoveryCodes } = await enrolled();
    const code = recoveryCodes[0]!;
    const typed = ` ${code.toUpperCase().replace(/-/g, ' ')} `;
    const signedIn = await verify(await mfaToken(email), typed);
    expect(signedIn.user.id).toBe(id);
    expect((await auditOf(id, 'auth.mfa.recovery_code_used'))[0]?.metadata).toEqual({ left: 9 });
    expect((await auditOf(id, 'auth.login')).at(-1)?.metadata).toEqual({ mfa: 'recovery_code' });
    expect((await mailTo(email, /recovery code was used/i)).text).toContain('9 codes left');
    expect(await reasonOf(verify(await mfaToken(email), code))).toBe('invalid_mfa_code');
    expect((await client.mfa.status.query()).recoveryCodesLeft).toBe(9);
  });

  it('gives one session to two answers racing with one token', async () => {
    const { id, email, recoveryCodes } = await enrolled();
    const token = await mfaToken(email);
    const sessionsBefore = await liveSessions(id);
    const results = await Promise.allSettled([
      verify(token, recoveryCodes[1]!),
      verify(token, recoveryCodes[2]!),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(errorReason(refused?.reason)).toBe('invalid_mfa_token');
    expect(await liveSessions(id)).toBe(sessionsBefore + 1);
  });

  it('walks the challenge through the typed client: signIn resolves to the step, verify signs the session in', async () => {
    const { email, secret } = await enrolled();
    const session = createSession({ url: server.url });
    const first = await session.signIn({ email, password: STRONG_PASSWORD });
    expect(first.status).toBe('mfa-required');
    if (first.status !== 'mfa-required') return;
    expect(first.challenge.methods).toEqual(['totp', 'recovery_code']);
    // The challenge signs nobody in: no user, no access token until the code is answered.
    expect(session.user).toBeNull();
    expect(session.accessToken()).toBeNull();
    expect(errorReason(await rejection(first.challenge.verify('333333')))).toBe('invalid_mfa_code');
    const user = await first.challenge.verify(clock.code(secret));
    expect(user.email).toBe(email);
    expect(session.signedIn).toBe(true);
    expect((await session.client.mfa.status.query()).totp).toBe(true);
  });

  it('walks the challenge over REST', async () => {
    const { email, secret } = await enrolled();
    const post = async (path: string, body: unknown, token?: string) => {
      const response = await fetch(`${server.url}/api${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const challenge = await post('/auth/login', { email, password: STRONG_PASSWORD });
    expect(challenge.status).toBe(200);
    expect(challenge.body).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
    const wrong = await post('/auth/mfa/verify', { mfaToken: challenge.body.mfaToken, code: '444444' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 'UNAUTHORIZED', data: { reason: 'invalid_mfa_code' } });
    const done = await post('/auth/mfa/verify', {
      mfaToken: challenge.body.mfaToken,
      code: clock.code(secret),
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ tokenType: 'Bearer', user: { email, mfaEnabled: true } });
    const status = await fetch(`${server.url}/api/mfa`, {
      headers: { authorization: `Bearer ${String(done.body.accessToken)}` },
    });
    expect(await status.json()).toMatchObject({ totp: true, recoveryCodesLeft: 10, passkeys: [] });
  });
});

describe('recovery codes and turning the app off', () => {
  it('regenerates codes with the password: the old ones stop working; the owner is told', async () => {
    const { id, email, client, recoveryCodes } = await enrolled();
    expect(
      errorReason(await rejection(client.mfa.regenerateRecoveryCodes.mutate({ currentPassword: WRONG }))),
    ).toBe('wrong_password');
    const fresh = await client.mfa.regenerateRecoveryCodes.mutate({ currentPassword: STRONG_PASSWORD });
    expect(fresh.recoveryCodes).toHaveLength(10);
    expect(fresh.recoveryCodes).not.toContain(recoveryCodes[0]);
    expect(await reasonOf(verify(await mfaToken(email), recoveryCodes[0]!))).toBe('invalid_mfa_code');
    await verify(await mfaToken(email), fresh.recoveryCodes[0]!);
    expect(await auditOf(id, 'mfa.recovery_codes.regenerate')).toHaveLength(1);
    await mailTo(email, /new recovery codes/i);
  });

  it('refuses new codes to an account without a second factor', async () => {
    const account = await signUp(server);
    const error = await rejection(
      account.client.mfa.regenerateRecoveryCodes.mutate({ currentPassword: STRONG_PASSWORD }),
    );
    expect(errorReason(error)).toBe('mfa_not_enabled');
  });

  it('turns the app off with the password: codes go with it, the password alone signs in again', async () => {
    const { id, email, client } = await enrolled();
    expect(errorReason(await rejection(client.mfa.totpDisable.mutate({ currentPassword: WRONG })))).toBe(
      'wrong_password',
    );
    await client.mfa.totpDisable.mutate({ currentPassword: STRONG_PASSWORD });
    expect(await client.mfa.status.query()).toEqual({ totp: false, recoveryCodesLeft: 0, passkeys: [] });
    expect(tokensOf(await login(email)).user.mfaEnabled).toBe(false);
    expect(await auditOf(id, 'mfa.totp.disable')).toHaveLength(1);
    await mailTo(email, /authenticator app was turned off/i);
    expect(
      errorReason(await rejection(client.mfa.totpDisable.mutate({ currentPassword: STRONG_PASSWORD }))),
    ).toBe('totp_not_enabled');
  });
});

describe('users.resetMfa (admins)', () => {
  let admin: SignedIn;
  let manager: SignedIn;
  beforeAll(async () => {
    admin = await signUp(server, { role: 'admin' });
    manager = await signUp(server, { role: 'manager' });
  });

  it('removes every factor of another account, audited and mailed', async () => {
    const { id, email } = await enrolled();
    const user = await admin.client.users.resetMfa.mutate({ id });
    expect(user).toMatchObject({ id, mfaEnabled: false });
    expect(tokensOf(await login(email)).user.mfaEnabled).toBe(false);
    const [event] = await auditOf(id, 'users.mfa_reset');
    expect(event).toMatchObject({ actor_id: admin.id, metadata: { totp: true, passkeys: 0 } });
    await mailTo(email, /second factors were reset/i);
    expect(
      await server.database.db.selectFrom('recovery_codes').where('user_id', '=', id).select('id').execute(),
    ).toEqual([]);
  });

  it('is for admins only, on others only; an unknown id is not found', async () => {
    const { id } = await enrolled();
    expect(errorCode(await rejection(manager.client.users.resetMfa.mutate({ id })))).toBe('FORBIDDEN');
    expect(errorCode(await rejection(admin.client.users.resetMfa.mutate({ id: admin.id })))).toBe(
      'FORBIDDEN',
    );
    const unknown = await rejection(
      admin.client.users.resetMfa.mutate({ id: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(errorReason(unknown)).toBe('user_not_found');
  });
});

describe('MFA_REQUIRED_ROLES', () => {
  const strict = perFile(() => startTestServer({ PUBLIC_URL, MFA_REQUIRED_ROLES: 'admin,manager' }));

  it('lets an admin without a factor sign in, read themselves and set one up, and nothing else until then', async () => {
    const admin = await signUp(strict, { role: 'admin' });
    const member = await signUp(strict);
    const refused = await rejection(admin.client.users.list.query());
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorReason(refused)).toBe('mfa_enrollment_required');
    expect(errorReason(await rejection(admin.client.auth.sessions.query()))).toBe('mfa_enrollment_required');
    expect(errorReason(await rejection(admin.client.users.updateMe.mutate({ name: 'X' })))).toBe(
      'mfa_enrollment_required',
    );
    const rest = await fetch(`${strict.url}/api/users`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(rest.status).toBe(403);
    expect(await rest.json()).toMatchObject({ data: { reason: 'mfa_enrollment_required' } });
    // The REST-only export route too: it is not a procedure, but it goes through the same gate.
    const exported = await fetch(`${strict.url}/api/users/export?format=jsonl`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(exported.status).toBe(403);
    expect(await exported.json()).toMatchObject({ data: { reason: 'mfa_enrollment_required' } });

    expect((await admin.client.users.me.query()).mfaEnabled).toBe(false);
    expect(await admin.client.passkeys.list.query()).toEqual([]);
    const strictClock = serverClock(strict);
    strictClock.startOfStep();
    await enrollTotp(admin.client, strictClock);
    expect((await admin.client.users.list.query({ limit: 5 })).items.length).toBeGreaterThan(0);
    // Roles not listed are left alone.
    expect((await member.client.auth.sessions.query()).length).toBe(1);
  });
});

async function liveSessions(userId: string): Promise<number> {
  const rows = await server.database.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  return rows.length;
}
