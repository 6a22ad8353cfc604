import { createSession, errorCode, errorReason } from '@tessera/client';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp, tokensOf, type SignedIn } from './helpers/accounts.js';
import { mailSinkPerFile } from './helpers/mail-sink.js';
import { perFile } from './helpers/per-file.js';
import { SoftwareAuthenticator } from './helpers/software-authenticator.js';
import { rejection, startTestServer, STRONG_PASSWORD } from './helpers/server.js';

// The relying party is PUBLIC_URL's host; the only origin accepted is PUBLIC_URL.
const PUBLIC_URL = 'https://id.example.test';

const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: sink.url, PUBLIC_URL, MAIL_POLL_INTERVAL_MS: '20' }),
);

const anyone = () => server.client();

function auditOf(userId: string | null, action: string) {
  let query = server.database.db
    .selectFrom('audit_events')
    .select(['action', 'actor_id', 'target_id', 'metadata'])
    .where('action', '=', action);
  if (userId) query = query.where('target_id', '=', userId);
  return query.orderBy('at').execute();
}

/** A signed-in account with a passkey on a software authenticator. */
async function withPasskey(name?: string) {
  const account = await signUp(server);
  const authenticator = new SoftwareAuthenticator(PUBLIC_URL);
  const options = await account.client.passkeys.registrationOptions.mutate({});
  const passkey = await account.client.passkeys.register.mutate({
    response: authenticator.register(options),
    ...(name ? { name } : {}),
  });
  return { ...account, authenticator, passkey };
}

async function passkeyLogin(authenticator: SoftwareAuthenticator, overrides = {}, email?: string) {
  const options = await anyone().auth.passkeyOptions.mutate(email ? { email } : {});
  return anyone().auth.passkeyLogin.mutate({ response: authenticator.assert(options, overrides) });
}

describe('registering passkeys', () => {
  it('asks for a recent sign-in to add or remove one: a stolen access token alone plants no passkey', async () => {
    const { id, client, passkey } = await withPasskey('Phone');
    // The session was opened 11 minutes ago: refreshes keep its age, only a sign-in is fresh.
    await sql`update sessions set created_at = now() - interval '11 minutes' where user_id = ${id}`.execute(
      server.database.db,
    );
    for (const call of [
      () => client.passkeys.registrationOptions.mutate({}),
      () => client.passkeys.delete.mutate({ id: passkey.id }),
    ]) {
      const error = await rejection(call());
      expect([errorCode(error), errorReason(error)]).toEqual(['FORBIDDEN', 'recent_sign_in_required']);
    }
    expect(await client.passkeys.list.query()).toHaveLength(1);
  });

  it('asks for a discoverable credential with user verification, for PUBLIC_URL’s host', async () => {
    const account = await signUp(server);
    const options = await account.client.passkeys.registrationOptions.mutate({});
    expect(options.rp).toEqual({ id: 'id.example.test', name: 'Tessera' });
    expect(options.user.name).toBe(account.email);
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      userVerification: 'required',
    });
    expect(options.timeout).toBe(300_000);
  });

  it('registers, names, lists, renames and deletes; each enrolment and removal audited and mailed', async () => {
    const { id, email, client, authenticator, passkey } = await withPasskey('Laptop');
    expect(passkey).toMatchObject({ name: 'Laptop', backedUp: false, lastUsedAt: null });
    expect((await client.users.me.query()).mfaEnabled).toBe(true);
    expect(await auditOf(id, 'mfa.passkey.add')).toHaveLength(1);
    expect((await sink.waitFor(email, /passkey was added/i)).text).toContain('"Laptop"');

    // A second one, from another authenticator; the first is excluded from its options.
    const options = await client.passkeys.registrationOptions.mutate({});
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.credentialId]);
    const phone = await client.passkeys.register.mutate({
      response: new SoftwareAuthenticator(PUBLIC_URL).register(options),
    });
    expect(phone.name).toMatch(/^Passkey \(\d{4}-\d{2}-\d{2}\)$/);
    expect((await client.passkeys.list.query()).map((p) => p.id)).toEqual([passkey.id, phone.id]);

    expect(await client.passkeys.rename.mutate({ id: phone.id, name: 'Phone' })).toMatchObject({
      name: 'Phone',
    });
    await client.passkeys.delete.mutate({ id: phone.id });
    expect(await auditOf(id, 'mfa.passkey.remove')).toHaveLength(1);
    await sink.waitFor(email, /passkey was removed/i);
    expect((await client.mfa.status.query()).passkeys.map((p) => p.name)).toEqual(['Laptop']);
  });

  it('keeps passkeys to their owner: another account’s id is not found', async () => {
    const { passkey } = await withPasskey();
    const other = await signUp(server);
    const renamed = await rejection(other.client.passkeys.rename.mutate({ id: passkey.id, name: 'Mine' }));
    expect(errorReason(renamed)).toBe('passkey_not_found');
    expect(errorCode(await rejection(other.client.passkeys.delete.mutate({ id: passkey.id })))).toBe(
      'NOT_FOUND',
    );
  });

  it('refuses a registration from another origin, or to someone else’s challenge', async () => {
    const account = await signUp(server);
    const other = await signUp(server);
    const options = await account.client.passkeys.registrationOptions.mutate({});
    const evil = new SoftwareAuthenticator(PUBLIC_URL).register(options, { origin: 'https://evil.example' });
    expect(errorReason(await rejection(account.client.passkeys.register.mutate({ response: evil })))).toBe(
      'invalid_passkey',
    );
    // The challenge went with that attempt, and it was never the other account's.
    const theirs = await other.client.passkeys.registrationOptions.mutate({});
    const stolen = new SoftwareAuthenticator(PUBLIC_URL).register(theirs);
    expect(errorReason(await rejection(account.client.passkeys.register.mutate({ response: stolen })))).toBe(
      'invalid_passkey',
    );
    expect(await account.client.passkeys.list.query()).toEqual([]);
  });
});

describe('signing in with a passkey', () => {
  it('signs in with the passkey alone (no email, no second factor asked), recording its use', async () => {
    const { id, authenticator, client } = await withPasskey();
    const options = await anyone().auth.passkeyOptions.mutate({});
    expect(options).toMatchObject({
      rpId: 'id.example.test',
      userVerification: 'required',
      timeout: 300_000,
    });
    expect(options.allowCredentials ?? []).toEqual([]);
    const result = await anyone().auth.passkeyLogin.mutate({ response: authenticator.assert(options) });
    expect(result.user.id).toBe(id);
    expect((await auditOf(id, 'auth.login')).at(-1)?.metadata).toMatchObject({ method: 'passkey' });
    const [listed] = await client.passkeys.list.query();
    expect(listed?.lastUsedAt).not.toBeNull();
    const row = await server.database.db
      .selectFrom('passkeys')
      .select('counter')
      .where('user_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(Number(row.counter)).toBe(1);
  });

  it('answers every email alike: the options never list credentials', async () => {
    const { email } = await withPasskey();
    const known = await anyone().auth.passkeyOptions.mutate({ email });
    const unknown = await anyone().auth.passkeyOptions.mutate({ email: 'nobody@example.com' });
    expect(Object.keys(known).sort()).toEqual(Object.keys(unknown).sort());
    expect(known.allowCredentials ?? []).toEqual(unknown.allowCredentials ?? []);
  });

  it('refuses an assertion for another origin', async () => {
    const { id, authenticator } = await withPasskey();
    const error = await rejection(passkeyLogin(authenticator, { origin: 'https://evil.example' }));
    expect(errorCode(error)).toBe('UNAUTHORIZED');
    expect(errorReason(error)).toBe('invalid_passkey');
    const [failure] = await auditOf(id, 'auth.passkey.failure');
    expect(failure?.metadata).toMatchObject({ reason: 'signature' });
    expect(String(failure?.metadata.detail)).toMatch(/origin/i);
  });

  it('refuses a replayed challenge: an assertion works once, a challenge is answered once', async () => {
    const { authenticator } = await withPasskey();
    const options = await anyone().auth.passkeyOptions.mutate({});
    const assertion = authenticator.assert(options);
    await anyone().auth.passkeyLogin.mutate({ response: assertion });
    expect(errorReason(await rejection(anyone().auth.passkeyLogin.mutate({ response: assertion })))).toBe(
      'invalid_passkey',
    );
    // A fresh signature over the spent challenge is refused as well.
    const again = await rejection(
      anyone().auth.passkeyLogin.mutate({ response: authenticator.assert(options) }),
    );
    expect(errorReason(again)).toBe('invalid_passkey');
  });

  it('refuses a cloned authenticator: a counter that does not move forward', async () => {
    const { id, authenticator } = await withPasskey();
    await passkeyLogin(authenticator);
    const clone = authenticator.clone();
    await passkeyLogin(authenticator); // the genuine one moves on to 2
    const error = await rejection(passkeyLogin(clone)); // the clone says 2 again
    expect(errorReason(error)).toBe('invalid_passkey');
    const failures = await auditOf(id, 'auth.passkey.failure');
    expect(String(failures.at(-1)?.metadata.detail)).toMatch(/counter/i);
  });

  it('requires user verification', async () => {
    const { authenticator } = await withPasskey();
    expect(errorReason(await rejection(passkeyLogin(authenticator, { userVerified: false })))).toBe(
      'invalid_passkey',
    );
  });

  it('refuses an expired challenge (5 minutes) and one bound to another email', async () => {
    const { authenticator } = await withPasskey();
    const other = await signUp(server);
    const options = await anyone().auth.passkeyOptions.mutate({});
    server.advance(300_001);
    expect(
      errorReason(
        await rejection(anyone().auth.passkeyLogin.mutate({ response: authenticator.assert(options) })),
      ),
    ).toBe('invalid_passkey');
    expect(errorReason(await rejection(passkeyLogin(authenticator, {}, other.email)))).toBe(
      'invalid_passkey',
    );
  });

  it('refuses a disabled account', async () => {
    const admin = await signUp(server, { role: 'admin' });
    const { id, authenticator } = await withPasskey();
    await admin.client.users.update.mutate({ id, disabled: true });
    expect(errorReason(await rejection(passkeyLogin(authenticator)))).toBe('invalid_passkey');
  });
});

describe('a passkey as the second factor', () => {
  let account: SignedIn & { authenticator: SoftwareAuthenticator };
  beforeAll(async () => {
    account = await withPasskey();
  });

  it('offers it after the password, and answers the challenge through the typed client', async () => {
    const challenge = await anyone().auth.login.mutate({ email: account.email, password: STRONG_PASSWORD });
    expect(challenge).toMatchObject({ mfaRequired: true, methods: ['passkey'] });

    const session = createSession({ url: server.url });
    const step = await session.signIn({ email: account.email, password: STRONG_PASSWORD });
    if (step.status !== 'mfa-required') throw new Error('expected a challenge');
    const user = await step.challenge.verifyPasskey((options) =>
      Promise.resolve(account.authenticator.assert(options)),
    );
    expect(user.id).toBe(account.id);
    expect(session.signedIn).toBe(true);
    expect((await auditOf(account.id, 'auth.login')).at(-1)?.metadata).toEqual({ mfa: 'passkey' });
  });

  it('refuses another account’s passkey as the answer', async () => {
    const stranger = await withPasskey();
    const answer = await anyone().auth.login.mutate({ email: account.email, password: STRONG_PASSWORD });
    if (!('mfaRequired' in answer)) throw new Error('expected a challenge');
    const options = await anyone().auth.passkeyOptions.mutate({});
    const error = await rejection(
      anyone().auth.verifyMfa.mutate({
        mfaToken: answer.mfaToken,
        passkey: stranger.authenticator.assert(options),
      }),
    );
    expect(errorReason(error)).toBe('invalid_passkey');
  });

  it('signs in with the password alone once the last passkey is deleted', async () => {
    const { email, client, passkey } = await withPasskey();
    await client.passkeys.delete.mutate({ id: passkey.id });
    expect(
      tokensOf(await anyone().auth.login.mutate({ email, password: STRONG_PASSWORD })).user.mfaEnabled,
    ).toBe(false);
  });
});
