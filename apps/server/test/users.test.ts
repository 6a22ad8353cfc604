import type { Role } from '@tessera/api';
import { errorCode, fieldErrors } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { signUp, USER_FIELDS, userRow, tokensOf } from './helpers/accounts.js';
import { mailSinkPerFile, tokenFromLink } from './helpers/mail-sink.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, rejection } from './helpers/server.js';
import { perFile } from './helpers/per-file.js';

const PUBLIC_URL = 'https://id.example.test';
const MISSING_ID = '5b0c4a43-7d3e-4f4a-9a51-3b7d2f0c9e11';

const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: sink.url, PUBLIC_URL, MAIL_POLL_INTERVAL_MS: '20' }),
);

/** A signed-in account of `role`: registered through the API, its role then set in the database. */
const account = (role: Role = 'user') => signUp(server, { role });

describe('users.get', () => {
  it('lets managers and admins read any account, and never shows a hash', async () => {
    const [admin, manager, plain] = [await account('admin'), await account('manager'), await account()];
    for (const reader of [admin, manager])
      for (const target of [admin, manager, plain]) {
        const user = await reader.client.users.get.query({ id: target.id });
        expect(user).toMatchObject({ id: target.id, email: target.email, disabled: false });
        expect(Object.keys(user).sort()).toEqual(USER_FIELDS);
      }
  });

  it('lets a plain user read only their own account, without telling whether other ids exist', async () => {
    const [plain, other] = [await account(), await account()];
    expect((await plain.client.users.get.query({ id: plain.id })).id).toBe(plain.id);
    const refused = await rejection(plain.client.users.get.query({ id: other.id }));
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toBe('You can only read your own account');
    expect(errorCode(await rejection(plain.client.users.get.query({ id: MISSING_ID })))).toBe('FORBIDDEN');
  });

  it('answers NOT_FOUND for an unknown id and BAD_REQUEST for an id that is not a UUID', async () => {
    const manager = await account('manager');
    const missing = await rejection(manager.client.users.get.query({ id: MISSING_ID }));
    expect(errorCode(missing)).toBe('NOT_FOUND');
    expect((missing as Error).message).toBe('No user with this id');
    for (const id of ['42', 'not-a-uuid', "1' or '1'='1", '']) {
      const bad = await rejection(manager.client.users.get.query({ id }));
      expect(errorCode(bad)).toBe('BAD_REQUEST');
      expect(fieldErrors(bad)?.id).toEqual(['Must be a valid UUID']);
    }
  });

  it('requires a signed-in caller', async () => {
    expect(errorCode(await rejection(server.client().users.get.query({ id: MISSING_ID })))).toBe(
      'UNAUTHORIZED',
    );
    expect(errorCode(await rejection(server.client().users.list.query()))).toBe('UNAUTHORIZED');
  });
});

describe('users.create', () => {
  it('lets an admin create any role with a password the new user can sign in with', async () => {
    const admin = await account('admin');
    for (const role of ['admin', 'manager', 'user'] as const) {
      const email = uniqueEmail(`created-${role}`);
      const created = await admin.client.users.create.mutate({
        name: 'New Person',
        email,
        password: STRONG_PASSWORD,
        role,
      });
      expect(created).toMatchObject({
        email,
        name: 'New Person',
        role,
        disabled: false,
        emailVerified: false,
      });
      const signedIn = await server
        .client()
        .auth.login.mutate({ email, password: STRONG_PASSWORD })
        .then(tokensOf);
      expect(signedIn.user).toMatchObject({ id: created.id, role });
    }
  });

  it('gives a new account the role user unless told otherwise', async () => {
    const manager = await account('manager');
    const created = await manager.client.users.create.mutate({
      name: 'Plain',
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
    });
    expect(created.role).toBe('user');
  });

  it('lets a manager create only plain users, and a plain user nobody', async () => {
    const [manager, plain] = [await account('manager'), await account()];
    for (const role of ['admin', 'manager'] as const) {
      const refused = await rejection(
        manager.client.users.create.mutate({
          name: 'X',
          email: uniqueEmail(),
          password: STRONG_PASSWORD,
          role,
        }),
      );
      expect(errorCode(refused)).toBe('FORBIDDEN');
      expect((refused as Error).message).toBe('Managers can only create users with the role "user"');
    }
    const refused = await rejection(
      plain.client.users.create.mutate({ name: 'X', email: uniqueEmail(), password: STRONG_PASSWORD }),
    );
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toBe('Only managers and admins can create users');
  });

  it('refuses a taken email (any case) with CONFLICT and a weak password with a field error', async () => {
    const [admin, existing] = [await account('admin'), await account()];
    const taken = await rejection(
      admin.client.users.create.mutate({
        name: 'X',
        email: existing.email.toUpperCase(),
        password: STRONG_PASSWORD,
      }),
    );
    expect(errorCode(taken)).toBe('CONFLICT');
    const weak = await rejection(
      admin.client.users.create.mutate({ name: 'X', email: uniqueEmail(), password: 'short' }),
    );
    expect(errorCode(weak)).toBe('BAD_REQUEST');
    expect(fieldErrors(weak)?.password?.[0]).toMatch(/at least 15 characters/);
  });

  it('without a password, sends an invite whose link sets the first password', async () => {
    const manager = await account('manager');
    const email = uniqueEmail('invited');
    const created = await manager.client.users.create.mutate({ name: 'Invited Person', email });
    expect((await userRow(server, created.id))?.password_hash).toBeNull();
    // No password yet: nothing signs in.
    expect(
      errorCode(await rejection(server.client().auth.login.mutate({ email, password: STRONG_PASSWORD }))),
    ).toBe('UNAUTHORIZED');
    const mail = await sink.waitFor(email);
    expect(mail.link).toMatch(new RegExp(`^${PUBLIC_URL}/`));
    await server
      .client()
      .auth.resetPassword.mutate({ token: tokenFromLink(mail.link), password: STRONG_PASSWORD });
    const signedIn = await server
      .client()
      .auth.login.mutate({ email, password: STRONG_PASSWORD })
      .then(tokensOf);
    expect(signedIn.user.id).toBe(created.id);
  });
});

describe('users.update', () => {
  it('lets a manager rename and disable a plain user, but not touch managers or admins', async () => {
    const [manager, plain, otherManager, admin] = [
      await account('manager'),
      await account(),
      await account('manager'),
      await account('admin'),
    ];
    expect(await manager.client.users.update.mutate({ id: plain.id, name: 'Renamed' })).toMatchObject({
      name: 'Renamed',
    });
    expect(await manager.client.users.update.mutate({ id: plain.id, disabled: true })).toMatchObject({
      disabled: true,
    });
    for (const target of [otherManager, admin]) {
      const refused = await rejection(manager.client.users.update.mutate({ id: target.id, name: 'Nope' }));
      expect(errorCode(refused)).toBe('FORBIDDEN');
      expect((refused as Error).message).toBe('Managers can only change accounts with the role "user"');
    }
    expect((await userRow(server, admin.id))?.name).toBe('Test Person');
  });

  it('keeps role changes for admins, and nobody changes their own role', async () => {
    const [admin, manager, plain] = [await account('admin'), await account('manager'), await account()];
    const byManager = await rejection(manager.client.users.update.mutate({ id: plain.id, role: 'manager' }));
    expect(errorCode(byManager)).toBe('FORBIDDEN');
    expect((byManager as Error).message).toBe('Only admins can change roles');
    // Setting the role an account already has is no change, so no refusal.
    expect((await manager.client.users.update.mutate({ id: plain.id, role: 'user' })).role).toBe('user');

    const own = await rejection(admin.client.users.update.mutate({ id: admin.id, role: 'user' }));
    expect(errorCode(own)).toBe('FORBIDDEN');
    expect((own as Error).message).toBe("You can't change your own role");
    const ownManager = await rejection(manager.client.users.update.mutate({ id: manager.id, role: 'admin' }));
    expect(errorCode(ownManager)).toBe('FORBIDDEN');
    expect((await userRow(server, manager.id))?.role).toBe('manager');

    expect((await admin.client.users.update.mutate({ id: plain.id, role: 'manager' })).role).toBe('manager');
  });

  it('refuses to let anyone disable their own account', async () => {
    const admin = await account('admin');
    const refused = await rejection(admin.client.users.update.mutate({ id: admin.id, disabled: true }));
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toBe("You can't disable your own account");
  });

  it('lets a plain user change only their own profile through users.update', async () => {
    const [plain, other] = [await account(), await account()];
    expect((await plain.client.users.update.mutate({ id: plain.id, name: 'Me Myself' })).name).toBe(
      'Me Myself',
    );
    const refused = await rejection(plain.client.users.update.mutate({ id: other.id, name: 'You' }));
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorCode(await rejection(plain.client.users.update.mutate({ id: MISSING_ID, name: 'X' })))).toBe(
      'FORBIDDEN',
    );
  });

  it('answers NOT_FOUND for an unknown id and BAD_REQUEST for bad fields', async () => {
    const admin = await account('admin');
    expect(errorCode(await rejection(admin.client.users.update.mutate({ id: MISSING_ID, name: 'X' })))).toBe(
      'NOT_FOUND',
    );
    const bad = await rejection(admin.client.users.update.mutate({ id: admin.id, name: '   ' }));
    expect(errorCode(bad)).toBe('BAD_REQUEST');
    expect(fieldErrors(bad)?.name).toEqual(['Name is required']);
    const badRole = await rejection(
      admin.client.users.update.mutate({ id: admin.id, role: 'owner' as unknown as Role }),
    );
    expect(errorCode(badRole)).toBe('BAD_REQUEST');
    expect(fieldErrors(badRole)?.role).toBeDefined();
  });

  it('makes a changed email unverified, queues a verification mail, and refuses a taken one', async () => {
    const [admin, plain, other] = [await account('admin'), await account(), await account()];
    await server.database.db
      .updateTable('users')
      .set({ email_verified_at: new Date() })
      .where('id', '=', plain.id)
      .execute();
    const newEmail = uniqueEmail('moved');
    const updated = await admin.client.users.update.mutate({
      id: plain.id,
      email: `  ${newEmail.toUpperCase()} `,
    });
    expect(updated).toMatchObject({ email: newEmail, emailVerified: false });
    const mail = await sink.waitFor(newEmail);
    await server.client().auth.verifyEmail.mutate({ token: tokenFromLink(mail.link) });
    expect((await admin.client.users.get.query({ id: plain.id })).emailVerified).toBe(true);

    const taken = await rejection(admin.client.users.update.mutate({ id: plain.id, email: other.email }));
    expect(errorCode(taken)).toBe('CONFLICT');
    expect((await userRow(server, plain.id))?.email).toBe(newEmail);
  });

  it('refuses a stale expectedUpdatedAt with CONFLICT and lets exactly one of two racing edits win', async () => {
    const [admin, plain] = [await account('admin'), await account()];
    const loaded = await admin.client.users.get.query({ id: plain.id });
    const first = await admin.client.users.update.mutate({
      id: plain.id,
      name: 'First',
      expectedUpdatedAt: loaded.updatedAt,
    });
    expect(first.updatedAt > loaded.updatedAt).toBe(true);
    const stale = await rejection(
      admin.client.users.update.mutate({ id: plain.id, name: 'Second', expectedUpdatedAt: loaded.updatedAt }),
    );
    expect(errorCode(stale)).toBe('CONFLICT');
    expect((stale as Error).message).toMatch(/changed after you loaded it/);
    expect((await userRow(server, plain.id))?.name).toBe('First');

    const results = await Promise.allSettled(
      ['A', 'B', 'C', 'D'].map((name) =>
        admin.client.users.update.mutate({ id: plain.id, name, expectedUpdatedAt: first.updatedAt }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(errorCode(r.reason)).toBe('CONFLICT');
    expect((await userRow(server, plain.id))?.name).toBe(
      (won[0] as PromiseFulfilledResult<{ name: string }>).value.name,
    );
  });

  it('moves updatedAt forward on every change, even within one millisecond', async () => {
    const [admin, plain] = [await account('admin'), await account()];
    let previous = (await admin.client.users.get.query({ id: plain.id })).updatedAt;
    for (const name of ['One', 'Two', 'Three', 'Four']) {
      const { updatedAt } = await admin.client.users.update.mutate({
        id: plain.id,
        name,
        expectedUpdatedAt: previous,
      });
      expect(updatedAt > previous).toBe(true);
      previous = updatedAt;
    }
  });
});

describe('changes take effect on the very next request', () => {
  it('disabling signs the user out everywhere; enabling lets them sign in again', async () => {
    const [admin, plain] = [await account('admin'), await account()];
    expect((await plain.client.users.me.query()).id).toBe(plain.id);
    await admin.client.users.update.mutate({ id: plain.id, disabled: true });
    expect(errorCode(await rejection(plain.client.users.me.query()))).toBe('UNAUTHORIZED');
    expect(
      errorCode(await rejection(server.client().auth.refresh.mutate({ refreshToken: plain.refreshToken }))),
    ).toBe('UNAUTHORIZED');
    expect(
      errorCode(
        await rejection(server.client().auth.login.mutate({ email: plain.email, password: STRONG_PASSWORD })),
      ),
    ).toBe('UNAUTHORIZED');

    await admin.client.users.update.mutate({ id: plain.id, disabled: false });
    // The old session stays ended; a fresh sign-in works.
    expect(errorCode(await rejection(plain.client.users.me.query()))).toBe('UNAUTHORIZED');
    const again = await server
      .client()
      .auth.login.mutate({ email: plain.email, password: STRONG_PASSWORD })
      .then(tokensOf);
    expect(again.user.disabled).toBe(false);
  });

  it('a promotion applies to the next call with the same token; a demotion ends every session', async () => {
    const [admin, plain] = [await account('admin'), await account()];
    expect(errorCode(await rejection(plain.client.users.list.query()))).toBe('FORBIDDEN');
    await admin.client.users.update.mutate({ id: plain.id, role: 'manager' });
    expect((await plain.client.users.list.query({ limit: 1 })).items).toHaveLength(1);
    // A refreshed token carries the new role too.
    const refreshed = await server.client().auth.refresh.mutate({ refreshToken: plain.refreshToken });
    expect(refreshed.user.role).toBe('manager');
    // Other services trust the role claim offline: a demotion must not leave it running.
    await admin.client.users.update.mutate({ id: plain.id, role: 'user' });
    expect(errorCode(await rejection(plain.client.users.me.query()))).toBe('UNAUTHORIZED');
    expect(
      errorCode(
        await rejection(server.client().auth.refresh.mutate({ refreshToken: refreshed.refreshToken })),
      ),
    ).toBe('UNAUTHORIZED');
    const again = await server
      .client()
      .auth.login.mutate({ email: plain.email, password: STRONG_PASSWORD })
      .then(tokensOf);
    expect(again.user.role).toBe('user');
  });

  it('deleting ends every session at once', async () => {
    const [manager, plain] = [await account('manager'), await account()];
    expect(await manager.client.users.delete.mutate({ id: plain.id })).toEqual({ ok: true });
    expect(errorCode(await rejection(plain.client.users.me.query()))).toBe('UNAUTHORIZED');
    expect(errorCode(await rejection(manager.client.users.get.query({ id: plain.id })))).toBe('NOT_FOUND');
    expect(
      await server.database.db.selectFrom('sessions').select('id').where('user_id', '=', plain.id).execute(),
    ).toEqual([]);
  });
});

describe('users.delete', () => {
  it('lets a manager delete only plain users', async () => {
    const [manager, otherManager, admin] = [
      await account('manager'),
      await account('manager'),
      await account('admin'),
    ];
    for (const target of [otherManager, admin]) {
      const refused = await rejection(manager.client.users.delete.mutate({ id: target.id }));
      expect(errorCode(refused)).toBe('FORBIDDEN');
      expect((refused as Error).message).toBe('Managers can only delete accounts with the role "user"');
      expect(await userRow(server, target.id)).toBeDefined();
    }
  });

  it('lets an admin delete a manager or another admin', async () => {
    const [admin, manager, otherAdmin] = [
      await account('admin'),
      await account('manager'),
      await account('admin'),
    ];
    await admin.client.users.delete.mutate({ id: manager.id });
    await admin.client.users.delete.mutate({ id: otherAdmin.id });
    expect(await userRow(server, manager.id)).toBeUndefined();
    expect(await userRow(server, otherAdmin.id)).toBeUndefined();
  });

  it('sends people to users.deleteMe for their own account', async () => {
    const admin = await account('admin');
    const refused = await rejection(admin.client.users.delete.mutate({ id: admin.id }));
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toMatch(/users\.deleteMe/);
  });

  it('refuses plain users, unknown ids and non-UUIDs with the right codes', async () => {
    const [plain, admin] = [await account(), await account('admin')];
    const other = await account();
    expect(errorCode(await rejection(plain.client.users.delete.mutate({ id: other.id })))).toBe('FORBIDDEN');
    expect(errorCode(await rejection(admin.client.users.delete.mutate({ id: MISSING_ID })))).toBe(
      'NOT_FOUND',
    );
    expect(errorCode(await rejection(admin.client.users.delete.mutate({ id: 'nope' })))).toBe('BAD_REQUEST');
  });
});

describe('users.updateMe', () => {
  it('changes the name, ignores keys it does not know (role, disabled, id)', async () => {
    const plain = await account();
    const response = await fetch(`${server.url}/trpc/users.updateMe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${plain.token}` },
      body: JSON.stringify({
        name: 'Still Plain',
        role: 'admin',
        disabled: true,
        id: MISSING_ID,
        emailVerified: true,
      }),
    });
    expect(response.status).toBe(200);
    const row = await userRow(server, plain.id);
    expect(row).toMatchObject({
      name: 'Still Plain',
      role: 'user',
      disabled_at: null,
      email_verified_at: null,
    });
  });

  it('holds a new email as pending until its link is followed, and refuses a taken one', async () => {
    const [plain, other] = [await account(), await account()];
    const email = uniqueEmail('self-moved');
    expect(
      await plain.client.users.updateMe.mutate({ email, currentPassword: STRONG_PASSWORD }),
    ).toMatchObject({ email: plain.email, pendingEmail: email });
    const mail = await sink.waitFor(email);
    await server.client().auth.verifyEmail.mutate({ token: tokenFromLink(mail.link) });
    expect(await plain.client.users.me.query()).toMatchObject({
      email,
      pendingEmail: null,
      emailVerified: true,
    });
    const taken = await rejection(
      plain.client.users.updateMe.mutate({ email: other.email, currentPassword: STRONG_PASSWORD }),
    );
    expect(errorCode(taken)).toBe('CONFLICT');
    const bad = await rejection(plain.client.users.updateMe.mutate({ email: 'not an email' }));
    expect(errorCode(bad)).toBe('BAD_REQUEST');
    expect(fieldErrors(bad)?.email).toBeDefined();
  });

  it('is a no-op for an empty input', async () => {
    const plain = await account();
    const before = await plain.client.users.me.query();
    expect(await plain.client.users.updateMe.mutate({})).toEqual(before);
  });
});

describe('users.deleteMe', () => {
  it('needs the current password: a wrong one is a field error and changes nothing', async () => {
    const plain = await account();
    const wrong = await rejection(plain.client.users.deleteMe.mutate({ password: 'not my password at all' }));
    expect(errorCode(wrong)).toBe('BAD_REQUEST');
    expect(fieldErrors(wrong)?.password).toEqual(['The password is not correct']);
    expect(await userRow(server, plain.id)).toBeDefined();
    expect((await userRow(server, plain.id))?.failed_login_count).toBe(1);
  });

  it('deletes the account with the right password; its token and password stop working', async () => {
    const manager = await account('manager');
    expect(await manager.client.users.deleteMe.mutate({ password: STRONG_PASSWORD })).toEqual({ ok: true });
    expect(await userRow(server, manager.id)).toBeUndefined();
    expect(errorCode(await rejection(manager.client.users.me.query()))).toBe('UNAUTHORIZED');
    expect(
      errorCode(
        await rejection(
          server.client().auth.login.mutate({ email: manager.email, password: STRONG_PASSWORD }),
        ),
      ),
    ).toBe('UNAUTHORIZED');
  });
});
