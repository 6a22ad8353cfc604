import { errorCode, errorReason, fieldErrors } from '@tessera/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountProblems, openLinks, signUp, tokensOf, userRow, type SignedIn } from './helpers/accounts.js';
import { mailSinkPerFile, tokenFromLink, type ReceivedMail } from './helpers/mail-sink.js';
import { rejection, startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

const PUBLIC_URL = 'https://id.example.test';
const NEW_PASSWORD = 'a brand new passphrase for tessera';
const WRONG = 'certainly not the password';

let admin: SignedIn;

const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: sink.url, PUBLIC_URL, MAIL_POLL_INTERVAL_MS: '20' }),
);
beforeAll(async () => {
  admin = await signUp(server, { role: 'admin' });
});

/** Mail to `to` whose subject matches, waiting for it; the `nth` such mail (0-based). */
async function mailTo(to: string, subject: RegExp, nth = 0): Promise<ReceivedMail> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = sink.received.filter((m) => m.to === to && subject.test(m.subject))[nth];
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no mail #${nth} to ${to} matching ${subject}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Everything sent so far and still queued, once the outbox is empty. */
async function settledMail(): Promise<ReceivedMail[]> {
  for (let i = 0; i < 500; i++) {
    const pending = await server.database.db
      .selectFrom('email_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .execute();
    if (pending.length === 0) return sink.received;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the outbox did not drain');
}

const tokenOf = (mail: ReceivedMail) => tokenFromLink(mail.link);
const CONFIRM_NEW = /confirm your new email/i;
const ABOUT_TO_CHANGE = /email is about to change/i;
const VERIFY = /^confirm your email/i;
const RESET = /reset your/i;

async function signIn(email: string, password = STRONG_PASSWORD) {
  return tokensOf(await server.client().auth.login.mutate({ email, password }));
}

async function askReset(email: string): Promise<string> {
  await server.client().auth.requestPasswordReset.mutate({ email });
  return tokenOf(await mailTo(email, RESET));
}

describe('email change by the owner', () => {
  it('needs the current password: missing or wrong is a field error, and changes and sends nothing', async () => {
    const user = await signUp(server);
    const target = uniqueEmail('wanted');
    const missing = await rejection(user.client.users.updateMe.mutate({ email: target }));
    expect(errorCode(missing)).toBe('BAD_REQUEST');
    expect(errorReason(missing)).toBe('current_password_required');
    expect(fieldErrors(missing)?.currentPassword).toEqual([
      'Enter your current password to change your email',
    ]);

    const wrong = await rejection(
      user.client.users.updateMe.mutate({ email: target, currentPassword: WRONG }),
    );
    expect(errorCode(wrong)).toBe('BAD_REQUEST');
    expect(errorReason(wrong)).toBe('wrong_password');
    expect(fieldErrors(wrong)?.currentPassword).toEqual(['The password is not correct']);

    // A wrong password counts like a failed sign-in, and is audited.
    const row = await userRow(server, user.id);
    expect(row).toMatchObject({ email: user.email, pending_email: null, failed_login_count: 1 });
    const failures = await server.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', user.id)
      .where('action', '=', 'users.email_change.failure')
      .execute();
    expect(failures).toHaveLength(1);
    expect((await settledMail()).filter((m) => m.to === target)).toEqual([]);
  });

  it('counts the password check before making it: over the limit, even the right password gets 429', async () => {
    const user = await signUp(server);
    for (let i = 0; i < 10; i++)
      expect(
        errorReason(
          await rejection(
            user.client.users.updateMe.mutate({ email: uniqueEmail(), currentPassword: WRONG }),
          ),
        ),
      ).toBe('wrong_password');
    const response = await fetch(`${server.url}/trpc/users.updateMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ email: uniqueEmail(), currentPassword: STRONG_PASSWORD }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await userRow(server, user.id))?.pending_email).toBeNull();
    // The same per-account counter as sign-in: it is locked too.
    expect(errorCode(await rejection(signIn(user.email)))).toBe('TOO_MANY_REQUESTS');
  });

  it('holds the new address as pending: sign-in, reset and notices keep the old one until its link is followed', async () => {
    const user = await signUp(server);
    const resetBefore = await askReset(user.email);
    const newEmail = uniqueEmail('moving');
    const answer = await user.client.users.updateMe.mutate({
      email: newEmail,
      currentPassword: STRONG_PASSWORD,
    });
    expect(answer).toMatchObject({ email: user.email, pendingEmail: newEmail, emailVerified: false });
    expect(await user.client.users.me.query()).toMatchObject({ email: user.email, pendingEmail: newEmail });
    expect((await admin.client.users.get.query({ id: user.id })).pendingEmail).toBe(newEmail);

    // The old address is told, with no link at all and only a masked new address.
    const notice = await mailTo(user.email, ABOUT_TO_CHANGE);
    expect(notice.link).toBeUndefined();
    expect(notice.html).not.toMatch(/href=/);
    expect(notice.text).not.toContain(newEmail);
    expect(notice.text).toContain(`${newEmail[0]}***@example.com`);
    const confirm = await mailTo(newEmail, CONFIRM_NEW);
    expect(confirm.link).toMatch(new RegExp(`^${PUBLIC_URL}/verify-email#token=`));

    // Until then the old address signs in and gets resets; the new one is nobody.
    expect(errorCode(await rejection(signIn(newEmail)))).toBe('UNAUTHORIZED');
    await signIn(user.email);
    await server.client().auth.requestPasswordReset.mutate({ email: newEmail });
    const resetOld = await askReset(user.email);
    expect((await settledMail()).filter((m) => m.to === newEmail && RESET.test(m.subject))).toEqual([]);

    await server.client().auth.verifyEmail.mutate({ token: tokenOf(confirm) });
    expect(await user.client.users.me.query()).toMatchObject({
      email: newEmail,
      pendingEmail: null,
      emailVerified: true,
    });
    await signIn(newEmail);
    expect(errorCode(await rejection(signIn(user.email)))).toBe('UNAUTHORIZED');
    // Links sent to the old address died with it; the confirmation link is spent.
    for (const token of [resetBefore, resetOld]) {
      const refused = await rejection(
        server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD }),
      );
      expect(errorReason(refused)).toBe('link_invalid');
    }
    expect(
      errorReason(await rejection(server.client().auth.verifyEmail.mutate({ token: tokenOf(confirm) }))),
    ).toBe('link_used');
    expect(await openLinks(server, user.id)).toEqual([]);
    const events = await server.database.db
      .selectFrom('audit_events')
      .select(['action', 'metadata'])
      .where('target_id', '=', user.id)
      .where('action', 'like', 'users.email_change.%')
      .orderBy('at')
      .execute();
    expect(events).toEqual([
      { action: 'users.email_change.request', metadata: { from: user.email, to: newEmail } },
      { action: 'users.email_change.confirm', metadata: { from: user.email, to: newEmail } },
    ]);
  });

  it('refuses an address another account has, at the request and again at confirmation', async () => {
    const [user, other] = [await signUp(server), await signUp(server)];
    const taken = await rejection(
      user.client.users.updateMe.mutate({ email: other.email, currentPassword: STRONG_PASSWORD }),
    );
    expect(errorCode(taken)).toBe('CONFLICT');
    expect(errorReason(taken)).toBe('email_taken');
    expect((await userRow(server, user.id))?.pending_email).toBeNull();

    // A pending address reserves nothing: someone may register it before the link is followed.
    const wanted = uniqueEmail('contested');
    await user.client.users.updateMe.mutate({ email: wanted, currentPassword: STRONG_PASSWORD });
    const confirm = await mailTo(wanted, CONFIRM_NEW);
    await server.client().auth.register.mutate({ name: 'Quick', email: wanted, password: STRONG_PASSWORD });
    const late = await rejection(server.client().auth.verifyEmail.mutate({ token: tokenOf(confirm) }));
    expect(errorCode(late)).toBe('CONFLICT');
    expect(errorReason(late)).toBe('email_taken');
    expect((await userRow(server, user.id))?.email).toBe(user.email);
  });

  it('cancels a pending change when asked for the current address again, or when the password changes', async () => {
    const user = await signUp(server);
    const first = uniqueEmail('first-try');
    await user.client.users.updateMe.mutate({ email: first, currentPassword: STRONG_PASSWORD });
    const firstLink = tokenOf(await mailTo(first, CONFIRM_NEW));
    expect(await user.client.users.updateMe.mutate({ email: user.email })).toMatchObject({
      email: user.email,
      pendingEmail: null,
    });
    expect(errorReason(await rejection(server.client().auth.verifyEmail.mutate({ token: firstLink })))).toBe(
      'link_invalid',
    );

    // Whoever asked for a change knew the password: changing it (as the notice advises) cancels it.
    const second = uniqueEmail('second-try');
    await user.client.users.updateMe.mutate({ email: second, currentPassword: STRONG_PASSWORD });
    const secondLink = tokenOf(await mailTo(second, CONFIRM_NEW));
    const changed = await user.client.auth.changePassword.mutate({
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.user.pendingEmail).toBeNull();
    expect(errorReason(await rejection(server.client().auth.verifyEmail.mutate({ token: secondLink })))).toBe(
      'link_invalid',
    );
    expect((await userRow(server, user.id))?.email).toBe(user.email);
    expect(await accountProblems(server, user.id)).toEqual([]);
  });

  it('allows 5 email changes a day per account; the 6th is 429 too_many_email_changes with Retry-After', async () => {
    const user = await signUp(server);
    for (let i = 0; i < 5; i++)
      await user.client.users.updateMe.mutate({
        email: uniqueEmail('often'),
        currentPassword: STRONG_PASSWORD,
      });
    const response = await fetch(`${server.url}/api/users/me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ email: uniqueEmail('once-more'), currentPassword: STRONG_PASSWORD }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    expect(((await response.json()) as { data?: { reason?: string } }).data?.reason).toBe(
      'too_many_email_changes',
    );
    // Other changes are not limited.
    expect((await user.client.users.updateMe.mutate({ name: 'Still Allowed' })).name).toBe('Still Allowed');
  });
});

describe('email change by staff', () => {
  it('applies at once, unverified; the old address gets a notice, the new one a link; older links die', async () => {
    const user = await signUp(server);
    await server.database.db
      .updateTable('users')
      .set({ email_verified_at: new Date() })
      .where('id', '=', user.id)
      .execute();
    const verifyOld = tokenOf(await mailTo(user.email, VERIFY));
    const resetOld = await askReset(user.email);
    const pending = uniqueEmail('self-pending');
    await user.client.users.updateMe.mutate({ email: pending, currentPassword: STRONG_PASSWORD });
    const pendingLink = tokenOf(await mailTo(pending, CONFIRM_NEW));

    const corrected = uniqueEmail('by-staff');
    expect(await admin.client.users.update.mutate({ id: user.id, email: corrected })).toMatchObject({
      email: corrected,
      emailVerified: false,
      pendingEmail: null,
    });
    const notice = await mailTo(user.email, /email was changed/i);
    expect(notice.link).toBeUndefined();
    expect(notice.text).toContain(`${corrected[0]}***@example.com`);
    for (const token of [resetOld]) {
      const refused = await rejection(
        server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD }),
      );
      expect(errorReason(refused)).toBe('link_invalid');
    }
    for (const token of [verifyOld, pendingLink])
      expect(errorReason(await rejection(server.client().auth.verifyEmail.mutate({ token })))).toBe(
        'link_invalid',
      );
    expect((await userRow(server, user.id))?.email_verified_at).toBeNull();
    await server.client().auth.verifyEmail.mutate({ token: tokenOf(await mailTo(corrected, VERIFY)) });
    expect((await user.client.users.me.query()).emailVerified).toBe(true);
    await signIn(corrected);
  });

  it('is not a way around the password for one’s own account', async () => {
    const user = await signUp(server);
    const refused = await rejection(user.client.users.update.mutate({ id: user.id, email: uniqueEmail() }));
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toBe(
      'Change your own email with users.updateMe; it asks for your current password',
    );
    const ownAdmin = await rejection(
      admin.client.users.update.mutate({ id: admin.id, email: uniqueEmail() }),
    );
    expect(errorCode(ownAdmin)).toBe('FORBIDDEN');
  });
});

describe('a link belongs to the address it was sent to', () => {
  it('refuses an invite mailed to a mistyped address once staff corrects it; it verifies nothing', async () => {
    const typo = uniqueEmail('jonh');
    const created = await admin.client.users.create.mutate({ name: 'John', email: typo });
    const typoInvite = tokenOf(await mailTo(typo, /invited/i));
    const right = uniqueEmail('john');
    await admin.client.users.update.mutate({ id: created.id, email: right });

    const refused = await rejection(
      server.client().auth.resetPassword.mutate({ token: typoInvite, password: NEW_PASSWORD }),
    );
    expect(errorCode(refused)).toBe('BAD_REQUEST');
    expect(errorReason(refused)).toBe('link_invalid');
    expect(await userRow(server, created.id)).toMatchObject({
      email: right,
      email_verified_at: null,
      password_hash: null,
    });
    // The right address gets a fresh invite of its own.
    const invite = tokenOf(await mailTo(right, /invited/i));
    await server.client().auth.resetPassword.mutate({ token: invite, password: NEW_PASSWORD });
    expect((await signIn(right, NEW_PASSWORD)).user).toMatchObject({ email: right, emailVerified: true });
  });

  it('refuses a link once the account’s address differs, whatever changed it', async () => {
    // Not every change goes through the API (the CLI, an import, an operator's SQL): the
    // binding holds even when nothing revoked the link.
    const user = await signUp(server);
    const verify = tokenOf(await mailTo(user.email, VERIFY));
    const reset = await askReset(user.email);
    await server.database.db
      .updateTable('users')
      .set({ email: uniqueEmail('moved-by-sql') })
      .where('id', '=', user.id)
      .execute();
    expect(
      errorReason(
        await rejection(server.client().auth.resetPassword.mutate({ token: reset, password: NEW_PASSWORD })),
      ),
    ).toBe('link_invalid');
    expect(errorReason(await rejection(server.client().auth.verifyEmail.mutate({ token: verify })))).toBe(
      'link_invalid',
    );
    expect((await userRow(server, user.id))?.email_verified_at).toBeNull();
  });

  it('a disable ends every outstanding link, and re-enabling brings none back', async () => {
    const user = await signUp(server);
    const verify = tokenOf(await mailTo(user.email, VERIFY));
    const reset = await askReset(user.email);
    const pending = uniqueEmail('pending-then-disabled');
    await user.client.users.updateMe.mutate({ email: pending, currentPassword: STRONG_PASSWORD });
    const change = tokenOf(await mailTo(pending, CONFIRM_NEW));
    await admin.client.users.update.mutate({ id: user.id, disabled: true });
    expect(await openLinks(server, user.id)).toEqual([]);
    expect((await userRow(server, user.id))?.pending_email).toBeNull();
    await admin.client.users.update.mutate({ id: user.id, disabled: false });
    expect(
      errorReason(
        await rejection(server.client().auth.resetPassword.mutate({ token: reset, password: NEW_PASSWORD })),
      ),
    ).toBe('link_invalid');
    for (const token of [verify, change])
      expect(errorReason(await rejection(server.client().auth.verifyEmail.mutate({ token })))).toBe(
        'link_invalid',
      );
    expect(await userRow(server, user.id)).toMatchObject({ email: user.email, email_verified_at: null });
  });
});

describe('a disabled account', () => {
  it('gets no link even when staff moves and disables it in one change', async () => {
    const user = await signUp(server);
    const moved = uniqueEmail('moved-and-disabled');
    await admin.client.users.update.mutate({ id: user.id, email: moved, disabled: true });
    expect(await openLinks(server, user.id)).toEqual([]);
    expect(await accountProblems(server, user.id)).toEqual([]);
    // The old address is still told.
    expect((await mailTo(user.email, /email was changed/i)).link).toBeUndefined();
  });
});

describe('demotion', () => {
  it('ends every session of the demoted account in the same change, audited; a promotion keeps them', async () => {
    const manager = await signUp(server, { role: 'manager' });
    const elsewhere = await signIn(manager.email);
    await admin.client.users.update.mutate({ id: manager.id, role: 'admin' });
    expect((await manager.client.users.me.query()).role).toBe('admin');

    await admin.client.users.update.mutate({ id: manager.id, role: 'user' });
    for (const token of [manager.token, elsewhere.accessToken])
      expect(errorCode(await rejection(server.client(token).users.me.query()))).toBe('UNAUTHORIZED');
    expect(
      errorCode(
        await rejection(server.client().auth.refresh.mutate({ refreshToken: elsewhere.refreshToken })),
      ),
    ).toBe('UNAUTHORIZED');
    const live = await server.database.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', manager.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
    const change = await server.database.db
      .selectFrom('audit_events')
      .select('metadata')
      .where('target_id', '=', manager.id)
      .where('action', '=', 'users.role.change')
      .orderBy('at', 'desc')
      .executeTakeFirstOrThrow();
    expect(change.metadata).toEqual({ from: 'admin', to: 'user', sessionsEnded: 2 });
  });
});

describe('every password check is counted before it is made', () => {
  async function exhaust(user: SignedIn) {
    for (let i = 0; i < 10; i++)
      expect(
        errorCode(await rejection(user.client.users.deleteMe.mutate({ password: `${WRONG} ${i}` }))),
      ).toBe('BAD_REQUEST');
  }

  it('change password: over the limit, the right current password is refused with 429 and nothing changes', async () => {
    const user = await signUp(server);
    await exhaust(user);
    const before = (await userRow(server, user.id))?.password_hash;
    const refused = await rejection(
      user.client.auth.changePassword.mutate({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD }),
    );
    expect(errorCode(refused)).toBe('TOO_MANY_REQUESTS');
    expect(errorReason(refused)).toBe('too_many_attempts');
    expect((await userRow(server, user.id))?.password_hash).toBe(before);
  });

  it('delete account: over the limit, the right password is refused with 429 and the account stays', async () => {
    const user = await signUp(server);
    await exhaust(user);
    const response = await fetch(`${server.url}/api/users/me/delete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ password: STRONG_PASSWORD }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await userRow(server, user.id)).toBeDefined();
  });

  it('a right password clears the count, as a sign-in does', async () => {
    const user = await signUp(server);
    for (let i = 0; i < 9; i++)
      await rejection(user.client.users.deleteMe.mutate({ password: `${WRONG} ${i}` }));
    await user.client.auth.changePassword.mutate({
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    for (let i = 0; i < 9; i++)
      expect(errorCode(await rejection(signIn(user.email, `${WRONG} ${i}`)))).toBe('UNAUTHORIZED');
  });
});
