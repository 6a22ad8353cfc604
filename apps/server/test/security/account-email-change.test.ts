import { createClient, errorCode, errorReason } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLinks, signUp, userRow, type SignedIn } from '../helpers/accounts.js';
import { startMailSink, tokenFromLink, type MailSink } from '../helpers/mail-sink.js';
import {
  rejection,
  startTestServer,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestServer,
} from '../helpers/server.js';
import { freshAddress, postJson } from './helpers/harness.js';

// An email change mails a live link to an address of the caller's choosing, plus a notice,
// and checks the current password: the per-address mail and password-check limits apply to
// it as they do to reset requests and to change password / delete account. A name change
// does neither, and counts against neither. Before, users.updateMe was outside both: one
// address could send ~110 mails an hour to recipients it chose (mail limit 10), and guess
// passwords with stolen access tokens past RATE_LIMIT_PASSWORD_CHECKS.
const MAIL_LIMIT = 3;
const CHECK_LIMIT = 4;

let server: TestServer;
let sink: MailSink;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startTestServer({
    SMTP_URL: sink.url,
    MAIL_POLL_INTERVAL_MS: '20',
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_MAIL: String(MAIL_LIMIT),
    RATE_LIMIT_PASSWORD_CHECKS: String(CHECK_LIMIT),
  });
});
afterAll(async () => {
  await server?.close();
  await sink?.stop();
});

/** The account's client, its requests coming from `address` (X-Forwarded-For, trusted here). */
const from = (user: SignedIn, address: string) =>
  createClient({ url: server.url, token: user.token, headers: { 'x-forwarded-for': address } });

const changeEmail = (user: SignedIn, address: string, currentPassword = STRONG_PASSWORD) =>
  from(user, address).users.updateMe.mutate({ email: uniqueEmail('moved'), currentPassword });

describe('an email change counts against the per-address mail limit', () => {
  it('across accounts: past RATE_LIMIT_MAIL the change is 429 rate_limited with Retry-After, and writes nothing', async () => {
    const address = freshAddress();
    const users = [await signUp(server), await signUp(server)];
    await changeEmail(users[0]!, address);
    await changeEmail(users[0]!, address);
    await changeEmail(users[1]!, address);

    const before = await userRow(server, users[1]!.id);
    const linksBefore = await openLinks(server, users[1]!.id);
    const queuedBefore = await server.database.db
      .selectFrom('email_outbox')
      .select('id')
      .orderBy('id')
      .execute();
    const response = await postJson(
      `${server.url}/trpc/users.updateMe`,
      { email: uniqueEmail('over'), currentPassword: STRONG_PASSWORD },
      { authorization: `Bearer ${users[1]!.token}`, 'x-forwarded-for': address },
    );
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.json).toMatchObject({ error: { data: { reason: 'rate_limited' } } });
    // Nothing written, nothing queued: the pending address, the links, the notices.
    expect((await userRow(server, users[1]!.id))?.pending_email).toBe(before?.pending_email);
    expect(await openLinks(server, users[1]!.id)).toEqual(linksBefore);
    expect(await server.database.db.selectFrom('email_outbox').select('id').orderBy('id').execute()).toEqual(
      queuedBefore,
    );

    // REST says the same.
    const rest = await fetch(`${server.url}/api/users/me`, {
      method: 'PATCH',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${users[0]!.token}`,
        'x-forwarded-for': address,
      },
      body: JSON.stringify({ email: uniqueEmail('over'), currentPassword: STRONG_PASSWORD }),
    });
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).not.toBeNull();

    // Another address has its own budget.
    await changeEmail(users[1]!, freshAddress());
  });

  it('shares one budget with reset and verification requests from the same address', async () => {
    const address = freshAddress();
    const user = await signUp(server);
    for (let i = 0; i < MAIL_LIMIT - 1; i++)
      await from(user, address).auth.requestPasswordReset.mutate({ email: uniqueEmail('nobody') });
    await changeEmail(user, address);
    expect(errorReason(await rejection(changeEmail(user, address)))).toBe('rate_limited');
    expect(
      errorReason(
        await rejection(from(user, address).auth.requestPasswordReset.mutate({ email: user.email })),
      ),
    ).toBe('rate_limited');
  });

  it('a name change counts against neither limit', async () => {
    const address = freshAddress();
    const user = await signUp(server);
    for (let i = 0; i < MAIL_LIMIT + CHECK_LIMIT + 2; i++)
      await from(user, address).users.updateMe.mutate({ name: `Name ${i}` });
    // Sending one's current address (a cancel) mails nothing and checks no password either.
    for (let i = 0; i < MAIL_LIMIT + 1; i++)
      await from(user, address).users.updateMe.mutate({ email: user.email });
    // The whole budget is still there.
    for (let i = 0; i < MAIL_LIMIT; i++) await changeEmail(user, address);
    expect(errorReason(await rejection(changeEmail(user, address)))).toBe('rate_limited');
  });
});

describe('the email change’s password check counts per address', () => {
  it('past RATE_LIMIT_PASSWORD_CHECKS a guess is 429 before it is checked, across accounts', async () => {
    const address = freshAddress();
    const users = [await signUp(server), await signUp(server)];
    for (let i = 0; i < CHECK_LIMIT; i++) {
      const refused = await rejection(changeEmail(users[i % 2]!, address, `wrong guess ${i}`));
      expect(errorReason(refused)).toBe('wrong_password');
    }
    // Over the limit even the right password is refused: no check is made, nothing changes.
    const refused = await rejection(changeEmail(users[0]!, address));
    expect(errorCode(refused)).toBe('TOO_MANY_REQUESTS');
    expect(errorReason(refused)).toBe('rate_limited');
    expect((await userRow(server, users[0]!.id))?.pending_email).toBeNull();
    // Another address has its own budget.
    await changeEmail(users[0]!, freshAddress());
  });
});

describe('a confirmed email change', () => {
  it('tells the old address, with no link and the new address masked', async () => {
    const user = await signUp(server);
    const newEmail = uniqueEmail('confirmed');
    await from(user, freshAddress()).users.updateMe.mutate({
      email: newEmail,
      currentPassword: STRONG_PASSWORD,
    });
    const confirm = await sink.waitFor(newEmail, /confirm your new email/i);
    await server.client().auth.verifyEmail.mutate({ token: tokenFromLink(confirm.link) });

    const notice = await sink.waitFor(user.email, /email was changed/i);
    expect(notice.link).toBeUndefined();
    expect(notice.html).not.toMatch(/href=/);
    expect(notice.text).not.toContain(newEmail);
    expect(notice.text).toContain(`${newEmail[0]}***@example.com`);
    expect(notice.text).toContain(user.email);
    // Nothing goes to the new address but its confirmation link.
    expect(sink.received.filter((m) => m.to === newEmail).map((m) => m.subject)).toEqual([confirm.subject]);
  });
});
