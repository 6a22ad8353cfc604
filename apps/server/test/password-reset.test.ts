import { errorCode, fieldErrors } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { mailSinkPerFile, tokenFromLink } from './helpers/mail-sink.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, rejection } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';
import { tokensOf } from './helpers/accounts.js';

const PUBLIC_URL = 'https://id.example.test';
const NEW_PASSWORD = 'a brand new passphrase for tessera';

const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: sink.url, PUBLIC_URL, MAIL_POLL_INTERVAL_MS: '20' }),
);

async function registered() {
  const email = uniqueEmail('reset');
  const result = await server
    .client()
    .auth.register.mutate({ name: 'Grace Hopper', email, password: STRONG_PASSWORD });
  return { email, ...result };
}

async function resetLink(email: string): Promise<string> {
  const before = sink.received.length;
  expect(await server.client().auth.requestPasswordReset.mutate({ email })).toEqual({ ok: true });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mail = sink.received
      .slice(before)
      .find((m) => m.to === email && /Reset your Tessera password/.test(m.subject));
    if (mail) return mail.link!;
    if (Date.now() > deadline) throw new Error('no reset mail');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('forgotten password', () => {
  it('walks the whole flow: mail, link, new password; old password, sessions and link stop working', async () => {
    const { email, accessToken, refreshToken } = await registered();
    const link = await resetLink(email);
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/reset-password#token=[A-Za-z0-9_-]{43}$`));
    const mail = sink.received.find((m) => m.link === link)!;
    expect(mail.text).toMatch(/expires in 30 minutes/);
    expect(mail.text).toMatch(/If you did not ask for this/);
    expect(mail.html).toContain(link);

    const token = tokenFromLink(link);
    expect(await server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD })).toEqual({
      ok: true,
    });

    const signedIn = await server
      .client()
      .auth.login.mutate({ email, password: NEW_PASSWORD })
      .then(tokensOf);
    expect(signedIn.user.email).toBe(email);
    expect(
      errorCode(await rejection(server.client().auth.login.mutate({ email, password: STRONG_PASSWORD }))),
    ).toBe('UNAUTHORIZED');
    expect(errorCode(await rejection(server.client(accessToken).users.me.query()))).toBe('UNAUTHORIZED');
    expect(errorCode(await rejection(server.client().auth.refresh.mutate({ refreshToken })))).toBe(
      'UNAUTHORIZED',
    );

    const reuse = await rejection(
      server.client().auth.resetPassword.mutate({ token, password: 'yet another long passphrase' }),
    );
    expect(errorCode(reuse)).toBe('BAD_REQUEST');
    expect(fieldErrors(reuse)?.token?.[0]).toMatch(/already been used/);

    const notice = await sink.waitFor(email, /password was changed/);
    expect(notice.text).not.toMatch(/token=/);
  });

  it('answers an unknown email the same and sends nothing', async () => {
    const before = sink.received.length;
    const email = uniqueEmail('nobody');
    expect(await server.client().auth.requestPasswordReset.mutate({ email })).toEqual({ ok: true });
    await server.app.outbox.drain();
    expect(sink.received.slice(before).filter((m) => m.to === email)).toHaveLength(0);
  });

  it('refuses an expired link', async () => {
    const { email } = await registered();
    const token = tokenFromLink(await resetLink(email));
    server.advance(30 * 60_000 + 1_000);
    try {
      const error = await rejection(
        server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD }),
      );
      expect(fieldErrors(error)?.token?.[0]).toMatch(/expired/);
    } finally {
      server.advance(-(30 * 60_000 + 1_000));
    }
  });

  it('refuses a link superseded by a newer request', async () => {
    const { email } = await registered();
    const first = tokenFromLink(await resetLink(email));
    const second = tokenFromLink(await resetLink(email));
    const error = await rejection(
      server.client().auth.resetPassword.mutate({ token: first, password: NEW_PASSWORD }),
    );
    expect(fieldErrors(error)?.token?.[0]).toMatch(/not valid/);
    expect(
      await server.client().auth.resetPassword.mutate({ token: second, password: NEW_PASSWORD }),
    ).toEqual({ ok: true });
  });

  it('lets exactly one of two racing redemptions win', async () => {
    const { email } = await registered();
    const token = tokenFromLink(await resetLink(email));
    const results = await Promise.allSettled([
      server.client().auth.resetPassword.mutate({ token, password: 'first racer long passphrase' }),
      server.client().auth.resetPassword.mutate({ token, password: 'second racer long passphrase' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(errorCode(loser.reason)).toBe('BAD_REQUEST');
  });

  it('applies the password policy to the new password and keeps the link usable', async () => {
    const { email } = await registered();
    const token = tokenFromLink(await resetLink(email));
    const error = await rejection(server.client().auth.resetPassword.mutate({ token, password: 'short' }));
    expect(fieldErrors(error)?.password?.[0]).toMatch(/at least 15/);
    expect(await server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD })).toEqual({
      ok: true,
    });
  });

  it('clears sign-in throttling', async () => {
    const { email, user } = await registered();
    await Promise.allSettled(
      Array.from({ length: 3 }, () =>
        server.client().auth.login.mutate({ email, password: 'wrong wrong wrong wrong' }),
      ),
    );
    const token = tokenFromLink(await resetLink(email));
    await server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD });
    const row = await server.database.db
      .selectFrom('users')
      .select(['failed_login_count', 'locked_until'])
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_login_count: 0, locked_until: null });
  });

  it('keeps no token in the database: hashed tokens, encrypted queued bodies, cleared once sent', async () => {
    const { email } = await registered();
    const token = tokenFromLink(await resetLink(email));
    const tokens = await server.database.db.selectFrom('one_time_tokens').select('token_hash').execute();
    expect(tokens.some((t) => t.token_hash.includes(token))).toBe(false);
    const bodies = await server.database.db
      .selectFrom('email_outbox')
      .select(['body', 'status'])
      .where('recipient', '=', email)
      .execute();
    expect(bodies.filter((b) => b.status === 'sent').every((b) => b.body === null)).toBe(true);
    expect(bodies.some((b) => b.body?.includes(token))).toBe(false);
  });
});

describe('auth.changePassword', () => {
  it('needs the current password, then ends every other session and returns a fresh one', async () => {
    const { email, accessToken } = await registered();
    const other = await server
      .client()
      .auth.login.mutate({ email, password: STRONG_PASSWORD })
      .then(tokensOf);

    const wrong = await rejection(
      server
        .client(accessToken)
        .auth.changePassword.mutate({ currentPassword: 'not my password at all', newPassword: NEW_PASSWORD }),
    );
    expect(errorCode(wrong)).toBe('BAD_REQUEST');
    expect(fieldErrors(wrong)?.currentPassword).toBeDefined();

    const result = await server
      .client(accessToken)
      .auth.changePassword.mutate({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    expect((await server.client(result.accessToken).users.me.query()).email).toBe(email);
    expect(errorCode(await rejection(server.client(other.accessToken).users.me.query()))).toBe(
      'UNAUTHORIZED',
    );
    expect(errorCode(await rejection(server.client(accessToken).users.me.query()))).toBe('UNAUTHORIZED');
    await server.client().auth.login.mutate({ email, password: NEW_PASSWORD }).then(tokensOf);
    await sink.waitFor(email, /password was changed/);
  });
});

describe('email verification', () => {
  it('sends a link on registration that marks the address verified once', async () => {
    const { email, accessToken } = await registered();
    const mail = await sink.waitFor(email, /Confirm your email/);
    expect(mail.link).toMatch(new RegExp(`^${PUBLIC_URL}/verify-email#token=`));
    const token = tokenFromLink(mail.link);
    expect(await server.client().auth.verifyEmail.mutate({ token })).toEqual({ ok: true });
    expect((await server.client(accessToken).users.me.query()).emailVerified).toBe(true);
    const again = await rejection(server.client().auth.verifyEmail.mutate({ token }));
    expect(fieldErrors(again)?.token?.[0]).toMatch(/already been used/);
  });

  it('resends on request and supersedes the older link', async () => {
    const { email, accessToken } = await registered();
    const first = await sink.waitFor(email, /Confirm your email/);
    expect(await server.client(accessToken).auth.requestEmailVerification.mutate({})).toEqual({ ok: true });
    const deadline = Date.now() + 10_000;
    let second;
    while (
      !(second = sink.received.find((m) => m.to === email && /Confirm/.test(m.subject) && m !== first))
    ) {
      if (Date.now() > deadline) throw new Error('no second verification mail');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stale = await rejection(
      server.client().auth.verifyEmail.mutate({ token: tokenFromLink(first.link) }),
    );
    expect(errorCode(stale)).toBe('BAD_REQUEST');
    await server.client().auth.verifyEmail.mutate({ token: tokenFromLink(second.link) });
    expect((await server.client(accessToken).users.me.query()).emailVerified).toBe(true);
  });
});

describe('auth.sessions', () => {
  it('lists my devices and signs one out; other users cannot touch them', async () => {
    const { email, accessToken } = await registered();
    const phone = await server
      .client()
      .auth.login.mutate({ email, password: STRONG_PASSWORD })
      .then(tokensOf);
    const sessions = await server.client(accessToken).auth.sessions.query();
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    const phoneSession = sessions.find((s) => !s.current)!;

    const stranger = await registered();
    const idor = await rejection(
      server.client(stranger.accessToken).auth.revokeSession.mutate({ id: phoneSession.id }),
    );
    expect(errorCode(idor)).toBe('NOT_FOUND');
    await server.client(phone.accessToken).users.me.query();

    expect(await server.client(accessToken).auth.revokeSession.mutate({ id: phoneSession.id })).toEqual({
      ok: true,
    });
    expect(errorCode(await rejection(server.client(phone.accessToken).users.me.query()))).toBe(
      'UNAUTHORIZED',
    );
    expect(await server.client(accessToken).auth.sessions.query()).toHaveLength(1);
  });
});

describe('invites', () => {
  it('mails a set-password link for an account created without a password; the link sets it and verifies the email', async () => {
    const admin = await registered();
    await server.database.db
      .updateTable('users')
      .set({ role: 'admin' })
      .where('id', '=', admin.user.id)
      .execute();
    const email = uniqueEmail('invitee');
    const created = await server
      .client(admin.accessToken)
      .users.create.mutate({ name: 'New Colleague', email });
    expect(created).toMatchObject({ email, role: 'user', emailVerified: false });

    // No password yet: nothing signs in.
    const early = await rejection(server.client().auth.login.mutate({ email, password: STRONG_PASSWORD }));
    expect(errorCode(early)).toBe('UNAUTHORIZED');

    const mail = await sink.waitFor(email, /invited/);
    expect(mail.link).toMatch(new RegExp(`^${PUBLIC_URL}/reset-password#token=[A-Za-z0-9_-]{43}&invite=1$`));
    expect(mail.text).toMatch(/expires in 7 days/);
    const token = tokenFromLink(mail.link);
    expect(await server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD })).toEqual({
      ok: true,
    });

    const signedIn = await server
      .client()
      .auth.login.mutate({ email, password: NEW_PASSWORD })
      .then(tokensOf);
    expect(signedIn.user.emailVerified).toBe(true);
    const again = await rejection(
      server.client().auth.resetPassword.mutate({ token, password: 'another long passphrase here' }),
    );
    expect(fieldErrors(again)?.token?.[0]).toMatch(/already been used/);
  });
});

describe('guessing the current password with a stolen access token', () => {
  it('counts wrong current passwords against the sign-in limit', async () => {
    const { email, accessToken } = await registered();
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 12; i++) {
      const error = await rejection(
        server.client(accessToken).auth.changePassword.mutate({
          currentPassword: `guess number ${i} is wrong`,
          newPassword: NEW_PASSWORD,
        }),
      );
      codes.push(errorCode(error));
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('BAD_REQUEST'));
    expect(codes.slice(10)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
    expect(
      errorCode(await rejection(server.client().auth.login.mutate({ email, password: STRONG_PASSWORD }))),
    ).toBe('TOO_MANY_REQUESTS');
  });
});
