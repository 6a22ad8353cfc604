import { randomInt } from 'node:crypto';
import { errorCode } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/limits/rate-limit-settings.js';
import { mailSinkPerFile, tokenFromLink } from '../helpers/mail-sink.js';
import {
  codeOf,
  freshAddress,
  postJson,
  postRaw,
  rejection,
  startServer,
  STRONG_PASSWORD,
  uniqueEmail,
} from './helpers/harness.js';
import { count, failedSignIns, outcomes, WRONG_PASSWORD as WRONG } from './helpers/sign-ins.js';
import { perFile } from '../helpers/per-file.js';
import { tokensOf } from '../helpers/accounts.js';

const NEW_PASSWORD = 'a completely new passphrase for tessera';

/** The windowed limits as shipped; the in-flight bound (throttling-in-flight.test.ts) left out, so not applied. */
const { passwordChecksInFlight: _inFlight, ...LIMITS } = DEFAULT_RATE_LIMITS;

const sink = mailSinkPerFile();
// Behind one trusted proxy (loopback): each test speaks from its own client address.
const server = perFile(() =>
  startServer({
    env: { TRUST_PROXY: '127.0.0.1', SMTP_URL: sink.url, MAIL_POLL_INTERVAL_MS: '20' },
    rateLimits: LIMITS,
  }),
);

/** A registered account, signed up from an address of its own (so no test spends another's budget). */
async function account(target = server) {
  const email = uniqueEmail('throttle');
  const result = await target
    .client({ address: freshAddress() })
    .auth.register.mutate({ name: 'Target', email, password: STRONG_PASSWORD });
  return { email, ...result };
}

describe('failed sign-ins per account', () => {
  it('lets exactly LOGIN_MAX_ATTEMPTS of 100 parallel guesses from 100 addresses be checked', async () => {
    const { email } = await account();
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () =>
        server.client({ address: freshAddress() }).auth.login.mutate({ email, password: WRONG }),
      ),
    );
    const codes = outcomes(results);
    expect(count(codes, 'UNAUTHORIZED')).toBe(10);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(90);

    // The right password waits too, from anywhere; the answer says for how long.
    const response = await postJson(
      `${server.url}/api/auth/login`,
      { email, password: STRONG_PASSWORD },
      { 'x-forwarded-for': freshAddress() },
    );
    expect(response.status).toBe(429);
    expect(codeOf(response)).toBe('TOO_MANY_REQUESTS');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('still lets a locked-out owner reset the password, and the reset lifts the lock', async () => {
    const { email } = await account();
    const address = freshAddress();
    await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        server.client({ address: freshAddress() }).auth.login.mutate({ email, password: WRONG }),
      ),
    );
    const locked = await rejection(
      server.client({ address }).auth.login.mutate({ email, password: STRONG_PASSWORD }),
    );
    expect(errorCode(locked)).toBe('TOO_MANY_REQUESTS');

    const before = sink.received.length;
    await server.client({ address }).auth.requestPasswordReset.mutate({ email });
    const mail = await waitForMail(email, before, /reset/i);
    await server
      .client({ address })
      .auth.resetPassword.mutate({ token: tokenFromLink(mail.link), password: NEW_PASSWORD });

    const signedIn = await server
      .client({ address })
      .auth.login.mutate({ email, password: NEW_PASSWORD })
      .then(tokensOf);
    expect(signedIn.user.email).toBe(email);
  });
});

describe('failed sign-ins per address', () => {
  const { max, windowSeconds } = DEFAULT_RATE_LIMITS.signIn;

  it('throttles one address spraying one password over 100 accounts, counting in-flight guesses', async () => {
    const address = freshAddress();
    const victim = await account();
    const codes = await failedSignIns(server, address, 100);
    expect(count(codes, 'UNAUTHORIZED')).toBe(max);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(100 - max);

    // That address is now refused even with a right password, on either transport…
    const error = await rejection(
      server.client({ address }).auth.login.mutate({ email: victim.email, password: STRONG_PASSWORD }),
    );
    expect(errorCode(error)).toBe('TOO_MANY_REQUESTS');
    const rest = await postJson(
      `${server.url}/api/auth/login`,
      { email: victim.email, password: STRONG_PASSWORD },
      { 'x-forwarded-for': address },
    );
    expect(rest.status).toBe(429);
    const retryAfter = Number(rest.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(windowSeconds - 120);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    // …while the account itself was never locked: its owner signs in from elsewhere.
    const owner = await server
      .client({ address: freshAddress() })
      .auth.login.mutate({ email: victim.email, password: STRONG_PASSWORD })
      .then(tokensOf);
    expect(owner.user.email).toBe(victim.email);
  });

  it('does not count successful sign-ins, so a busy office behind one address keeps working', async () => {
    const address = freshAddress();
    const { email } = await account();
    // Ten at a time: each holds a slot only while in flight.
    for (let signedIn = 0; signedIn < max + 10; signedIn += 10) {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          server.client({ address }).auth.login.mutate({ email, password: STRONG_PASSWORD }),
        ),
      );
      expect(results.map(tokensOf).every((r) => r.user.email === email)).toBe(true);
    }
    // The address still has its whole budget of failures (spread over accounts, so the
    // per-account limit does not stop them first).
    const codes = await failedSignIns(server, address, max + 1);
    expect(count(codes, 'UNAUTHORIZED')).toBe(max);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(1);
  });

  it('counts every sign-in of a tRPC batch, so batching cannot multiply guesses', async () => {
    const address = freshAddress();
    // Nine calls is about what fits: Fastify refuses a path parameter over 100 characters (414).
    const size = 9;
    const paths = Array.from({ length: size }, () => 'auth.login').join(',');
    const answers: string[] = [];
    for (let round = 0; round < 7; round++) {
      const body = Object.fromEntries(
        Array.from({ length: size }, (_, i) => [i, { email: uniqueEmail('batch'), password: WRONG }]),
      );
      const response = await postJson(`${server.url}/trpc/${paths}?batch=1`, body, {
        'x-forwarded-for': address,
      });
      expect(Array.isArray(response.json), response.text).toBe(true);
      answers.push(
        ...(response.json as { error?: { data?: { code?: string } } }[]).map(
          (item) => item.error?.data?.code ?? 'OK',
        ),
      );
    }
    // 63 guesses in seven requests: at most `max` were checked. A batch that would cross the
    // limit is refused whole, so the last rounds are refused outright.
    const checked = count(answers, 'UNAUTHORIZED');
    expect(checked).toBeLessThanOrEqual(max);
    expect(checked).toBeGreaterThan(max - size);
    expect(count(answers, 'TOO_MANY_REQUESTS')).toBe(7 * size - checked);
    expect(answers.slice(-size)).toEqual(Array(size).fill('TOO_MANY_REQUESTS'));
  });

  it('refuses a tRPC batch over the batch cap before running any of it, and keeps none of its slots', async () => {
    const address = freshAddress();
    const paths = Array.from({ length: 12 }, () => 'auth.login').join(',');
    const body = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [i, { email: uniqueEmail(), password: WRONG }]),
    );
    const response = await postJson(`${server.url}/trpc/${paths}?batch=1`, body, {
      'x-forwarded-for': address,
    });
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/Batch call exceeds maximum size/);
    // Nothing was checked, so the address still has its whole budget.
    const codes = await failedSignIns(server, address, max + 1);
    expect(count(codes, 'UNAUTHORIZED')).toBe(max);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(1);
  });
});

describe('which address counts', () => {
  it('takes the address the trusted proxy saw, not one the client made up in X-Forwarded-For', async () => {
    const real = freshAddress();
    const codes: string[] = [];
    for (let i = 0; i < DEFAULT_RATE_LIMITS.signIn.max + 3; i++) {
      // The proxy appends what it saw; the attacker rotates the part it controls.
      const spoofed = `${freshAddress()}, ${real}`;
      const response = await postJson(
        `${server.url}/trpc/auth.login`,
        { email: uniqueEmail('spoof'), password: WRONG },
        { 'x-forwarded-for': spoofed },
      );
      codes.push(codeOf(response) ?? String(response.status));
    }
    expect(count(codes, 'UNAUTHORIZED')).toBe(DEFAULT_RATE_LIMITS.signIn.max);
    expect(codes.slice(-3)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
  });

  it('counts IPv6 clients per /64, and an IPv4-mapped address as the IPv4 address it carries', async () => {
    const limit = 5;
    const proxied = await startServer({
      env: { TRUST_PROXY: '127.0.0.1' },
      rateLimits: { signIn: { max: limit, windowSeconds: 900 } },
    });
    const hex = () => randomInt(0x10000).toString(16);
    /** Failed sign-ins in parallel, one from each of `addresses`. */
    const guesses = (addresses: string[]) => failedSignIns(proxied, addresses, addresses.length);
    try {
      // Eight addresses of one /64, written every way IPv6 allows: one budget.
      const prefix = `2001:db8:${hex()}:${(0x1000 + randomInt(0xe000)).toString(16)}`;
      const ofOne64 = Array.from(
        { length: 8 },
        (_, i) =>
          [
            `${prefix}::${hex()}`,
            `${prefix.toUpperCase()}:${hex()}:${hex()}:${hex()}:${hex()}`,
            `${prefix}:0:0:0:${hex()}`,
            `${prefix}::198.18.${randomInt(256)}.${randomInt(256)}`,
          ][i % 4]!,
      );
      const codes = await guesses(ofOne64);
      expect(count(codes, 'UNAUTHORIZED')).toBe(limit);
      expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(3);
      // The neighbouring /64 is someone else, with a budget of its own.
      const [group3] = prefix.split(':').slice(3);
      const neighbour = `${prefix.split(':').slice(0, 3).join(':')}:${(parseInt(group3!, 16) + 1).toString(16)}`;
      expect(await guesses([`${neighbour}::1`, `${neighbour}::2`])).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);

      // A dual-stack socket's spelling of an IPv4 peer shares that peer's budget.
      const v4 = freshAddress();
      const mixed = await guesses([v4, `::ffff:${v4}`, v4, `::ffff:${v4}`, v4, `::ffff:${v4}`]);
      expect(count(mixed, 'UNAUTHORIZED')).toBe(limit);
      expect(count(mixed, 'TOO_MANY_REQUESTS')).toBe(1);
    } finally {
      await proxied.close();
    }
  });

  it('ignores X-Forwarded-For entirely without TRUST_PROXY', async () => {
    const direct = await startServer({ rateLimits: { signIn: { max: 5, windowSeconds: 900 } } });
    try {
      const codes: string[] = [];
      for (let i = 0; i < 8; i++) {
        const response = await postJson(
          `${direct.url}/trpc/auth.login`,
          { email: uniqueEmail('xff'), password: WRONG },
          { 'x-forwarded-for': freshAddress() },
        );
        codes.push(codeOf(response) ?? String(response.status));
      }
      expect(codes).toEqual([
        ...Array<string>(5).fill('UNAUTHORIZED'),
        ...Array<string>(3).fill('TOO_MANY_REQUESTS'),
      ]);
    } finally {
      await direct.close();
    }
  });
});

describe('other procedures are limited per address', () => {
  it('counts sign-ups on tRPC, batches, REST and REST path variants against one budget', async () => {
    const address = freshAddress();
    const headers = { 'x-forwarded-for': address };
    const input = () => ({ name: 'Spam', email: uniqueEmail('signup'), password: STRONG_PASSWORD });
    const statuses: number[] = [];
    statuses.push((await postJson(`${server.url}/trpc/auth.register`, input(), headers)).status);
    statuses.push((await postJson(`${server.url}/api/auth/register`, input(), headers)).status);
    const batch = await postJson(
      `${server.url}/trpc/auth.register,auth.register?batch=1`,
      { 0: input(), 1: input() },
      headers,
    );
    statuses.push(batch.status);
    // trpc-to-openapi matches REST paths case-insensitively, ignoring a trailing slash and
    // resolving dot segments: each of these reaches auth.register and must count.
    for (const path of [
      '/api/AUTH/Register',
      '/api/auth/register/',
      '/api/auth/./register',
      '/api/x/../auth/register',
    ]) {
      const response = await postRaw(server.url, path, input(), headers);
      expect(response.status, path).toBe(201);
      statuses.push(response.status);
    }
    // 1 + 1 + 2 + 4 = 8 of 10; two more are allowed, then every way in is closed.
    statuses.push((await postJson(`${server.url}/api/auth/register`, input(), headers)).status);
    statuses.push((await postJson(`${server.url}/trpc/auth.register`, input(), headers)).status);
    expect(statuses).toEqual([200, 201, 200, 201, 201, 201, 201, 201, 200]);
    for (const path of [
      '/trpc/auth.register',
      '/api/auth/register',
      '/api/Auth/Register/',
      '/api/auth/./register',
    ]) {
      const response = await postRaw(server.url, path, input(), headers);
      expect(response.status, path).toBe(429);
      expect(codeOf(response), path).toBe('TOO_MANY_REQUESTS');
      expect(Number(response.headers.get('retry-after')), path).toBeGreaterThan(0);
    }
    const refusedBatch = await postJson(
      `${server.url}/trpc/users.me,auth.register?batch=1`,
      { 1: input() },
      headers,
    );
    expect(refusedBatch.status).toBe(429);
    expect((refusedBatch.json as unknown[]).length).toBe(2);
  });

  it('limits password-reset mails, token redemptions and refreshes, and answers the typed client in its own shape', async () => {
    const cases = [
      {
        bucket: DEFAULT_RATE_LIMITS.mail,
        call: (address: string) =>
          server.client({ address }).auth.requestPasswordReset.mutate({ email: uniqueEmail('forgot') }),
      },
      {
        bucket: DEFAULT_RATE_LIMITS.tokens,
        call: (address: string) =>
          server
            .client({ address })
            .auth.resetPassword.mutate({ token: 'x'.repeat(43), password: NEW_PASSWORD }),
      },
      {
        bucket: DEFAULT_RATE_LIMITS.refresh,
        call: (address: string) =>
          server.client({ address }).auth.refresh.mutate({ refreshToken: 'y'.repeat(43) }),
      },
    ];
    for (const { bucket, call } of cases) {
      const address = freshAddress();
      const codes = outcomes(
        await Promise.allSettled(Array.from({ length: bucket.max + 2 }, () => call(address))),
      );
      expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(2);
      // Another address is unaffected.
      expect(outcomes(await Promise.allSettled([call(freshAddress())]))[0]).not.toBe('TOO_MANY_REQUESTS');
    }
  });
});

describe('current-password checks', () => {
  it('are limited per address across accounts, on top of the per-account sign-in limit', async () => {
    // Several accounts, so the per-account limit (LOGIN_MAX_ATTEMPTS) does not stop it first.
    const accounts = [await account(), await account(), await account()];
    const address = freshAddress();
    const { max } = DEFAULT_RATE_LIMITS.passwordChecks;
    const guess = (i: number) => {
      const { accessToken } = accounts[i % accounts.length]!;
      const client = server.client({ token: accessToken, address });
      return i % 2 === 0
        ? client.auth.changePassword.mutate({
            currentPassword: `guess ${i} guess guess`,
            newPassword: NEW_PASSWORD,
          })
        : client.users.deleteMe.mutate({ password: `guess ${i} guess guess` });
    };
    const codes: string[] = [];
    for (let i = 0; i < max + 2; i++) codes.push(outcomes(await Promise.allSettled([guess(i)]))[0]!);
    expect(codes.slice(0, max)).toEqual(Array(max).fill('BAD_REQUEST'));
    expect(codes.slice(max)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
    // Another address is not affected.
    const elsewhere = await rejection(
      server
        .client({ token: accounts[0]!.accessToken, address: freshAddress() })
        .users.deleteMe.mutate({ password: 'one more wrong guess' }),
    );
    expect(errorCode(elsewhere)).toBe('BAD_REQUEST');
  });
});

async function waitForMail(to: string, after: number, subject: RegExp) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mail = sink.received.slice(after).find((m) => m.to === to && subject.test(m.subject));
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no mail to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
