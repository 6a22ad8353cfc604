import { errorCode } from '@tessera/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountProblems, signUp, type SignedIn } from '../helpers/accounts.js';
import { testEngine } from '../helpers/database.js';
import { startMailSink, tokenFromLink, type MailSink } from '../helpers/mail-sink.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from '../helpers/server.js';

// Every pair of writers of one account's rows (users, one_time_tokens, sessions, outbox),
// sent at once, many times. Before the lock order was fixed, an email change and a
// verification request deadlocked in PostgreSQL about two times in three (40P01 → 500).
// PGlite runs one statement at a time, so it cannot deadlock: a few rounds there, many here.
const ROUNDS = testEngine === 'postgres' ? 20 : 2;
const PUBLIC_URL = 'https://id.example.test';
const NEW_PASSWORD = 'a different passphrase for the race';

let server: TestServer;
let sink: MailSink;
let admin: SignedIn;

beforeAll(async () => {
  sink = await startMailSink();
  server = await startTestServer({
    SMTP_URL: sink.url,
    PUBLIC_URL,
    MAIL_POLL_INTERVAL_MS: '20',
    // Warnings on: a retried deadlock is logged, and this suite wants none.
    LOG_LEVEL: 'warn',
  });
  admin = await signUp(server, { role: 'admin' });
});
afterAll(async () => {
  await server?.close();
  await sink?.stop();
});

const changeEmail = (user: SignedIn) =>
  user.client.users.updateMe.mutate({ email: uniqueEmail('race-new'), currentPassword: STRONG_PASSWORD });

const changePassword = (user: SignedIn) =>
  user.client.auth.changePassword.mutate({ currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });

/** The token of a link mailed to `to` (the sink holds every mail of this run). */
async function linkTo(to: string, subject: RegExp): Promise<string> {
  // Generous: every round queues a few mails, and the worker sends them in order.
  return tokenFromLink((await sink.waitFor(to, subject, 120_000)).link);
}

/** An account with an email change waiting; returns the token of its confirmation link. */
async function pendingChange(user: SignedIn): Promise<string> {
  const { pendingEmail } = await changeEmail(user);
  return linkTo(pendingEmail!, /confirm your new email/i);
}

/** Sets the scene for one round, then hands back the two requests to send at once. */
type Calls = [() => Promise<unknown>, () => Promise<unknown>];
/** The two calls to race for an account, after any set-up they need. */
type Race = (user: SignedIn) => Calls | Promise<Calls>;

const races: Record<string, Race> = {
  // Those that need a mailed link first: the outbox sends in order, so they go before the
  // others have queued hundreds of mails.
  'auth.resetPassword × users.updateMe (email)': async (user) => {
    await server.client().auth.requestPasswordReset.mutate({ email: user.email });
    const token = await linkTo(user.email, /reset/i);
    return [
      () => server.client().auth.resetPassword.mutate({ token, password: NEW_PASSWORD }),
      () => changeEmail(user),
    ];
  },
  'auth.verifyEmail (email change) × auth.requestEmailVerification': async (user) => {
    const token = await pendingChange(user);
    return [
      () => server.client().auth.verifyEmail.mutate({ token }),
      () => user.client.auth.requestEmailVerification.mutate({}),
    ];
  },
  'auth.verifyEmail (email change) × auth.changePassword': async (user) => {
    const token = await pendingChange(user);
    return [() => server.client().auth.verifyEmail.mutate({ token }), () => changePassword(user)];
  },
  'auth.verifyEmail (email change) × users.update (staff email)': async (user) => {
    const token = await pendingChange(user);
    return [
      () => server.client().auth.verifyEmail.mutate({ token }),
      () => admin.client.users.update.mutate({ id: user.id, email: uniqueEmail('race-staff') }),
    ];
  },
  'users.updateMe (email) × auth.requestEmailVerification': (user) => [
    () => changeEmail(user),
    () => user.client.auth.requestEmailVerification.mutate({}),
  ],
  'auth.changePassword × users.updateMe (email)': (user) => [
    () => changePassword(user),
    () => changeEmail(user),
  ],
  'auth.requestPasswordReset × users.updateMe (email)': (user) => [
    () => server.client().auth.requestPasswordReset.mutate({ email: user.email }),
    () => changeEmail(user),
  ],
  'users.update (staff email) × users.updateMe (email)': (user) => [
    () => admin.client.users.update.mutate({ id: user.id, email: uniqueEmail('race-staff') }),
    () => changeEmail(user),
  ],
  'users.update (staff email) × auth.requestEmailVerification': (user) => [
    () => admin.client.users.update.mutate({ id: user.id, email: uniqueEmail('race-staff') }),
    () => user.client.auth.requestEmailVerification.mutate({}),
  ],
  'users.update (disable) × users.updateMe (email)': (user) => [
    () => admin.client.users.update.mutate({ id: user.id, disabled: true }),
    () => changeEmail(user),
  ],
  'users.update (demote) × auth.changePassword': async (user) => {
    await server.database.db
      .updateTable('users')
      .set({ role: 'manager' })
      .where('id', '=', user.id)
      .execute();
    return [
      () => admin.client.users.update.mutate({ id: user.id, role: 'user' }),
      () => changePassword(user),
    ];
  },
  'users.deleteMe × users.updateMe (email)': (user) => [
    () => user.client.users.deleteMe.mutate({ password: STRONG_PASSWORD }),
    () => changeEmail(user),
  ],
};

describe(
  `two writers of one account at once (${ROUNDS} rounds each, ${testEngine})`,
  { timeout: 600_000 },
  () => {
    it.each(Object.entries(races))('%s: no 500, no deadlock, a consistent account', async (_name, race) => {
      const failures: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const user = await signUp(server, { prefix: 'race' });
        // Requests that check a password first reach the database some milliseconds later: the
        // rounds sweep the second request's start over that gap, in both orders.
        const [first, second] = round % 2 === 0 ? await race(user) : (await race(user)).reverse();
        const sent = [first!()];
        await new Promise((resolve) => setTimeout(resolve, (round % 6) * 3));
        sent.push(second!());
        const outcomes = await Promise.allSettled(sent);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected') {
            const code = errorCode(outcome.reason);
            // The loser may find its session ended, its link spent or its change refused: a 4xx.
            if (!code || !['BAD_REQUEST', 'UNAUTHORIZED', 'CONFLICT'].includes(code))
              failures.push(`round ${round}: ${code ?? String(outcome.reason)}`);
          }
        failures.push(...(await accountProblems(server, user.id)).map((p) => `round ${round}: ${p}`));
      }
      expect(failures).toEqual([]);
      // transact retries a deadlock once, but with every writer locking the users row first
      // there should be nothing to retry.
      expect(server.logs.filter((line) => line.includes('transaction retried'))).toEqual([]);
    });
  },
);
