import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertE2eReady,
  foreignRequests,
  openBrowser,
  screenshot,
  type BrowserUser,
} from '../helpers/browser.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { mailSinkPerFile } from '../helpers/mail-sink.js';
import { linkIn } from './mail.js';
import { perFile } from '../helpers/per-file.js';
import { tokensOf } from '../helpers/accounts.js';

const PUBLIC_URL = 'http://tessera.test';
const ADMIN_EMAIL = 'owner@example.com';
const ADMIN_PASSWORD = 'keys to the whole kingdom, kept safe';

beforeAll(assertE2eReady);
const mail = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: mail.url, PUBLIC_URL, ADMIN_EMAIL, ADMIN_PASSWORD }),
);
const browsers: BrowserUser[] = [];

// Browsers live for one test: each test's people start with empty storage.
afterEach(async () => {
  for (const browser of browsers.splice(0)) await browser.close();
});

async function browser(options?: Parameters<typeof openBrowser>[0]): Promise<BrowserUser> {
  const opened = await openBrowser(options);
  browsers.push(opened);
  return opened;
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${server.url}/sign-in`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${server.url}/profile`);
}

async function register(name: string, email = uniqueEmail('member')) {
  const result = await server.client().auth.register.mutate({ name, email, password: STRONG_PASSWORD });
  return result.user;
}

async function adminClient() {
  const { accessToken } = await server
    .client()
    .auth.login.mutate({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
    .then(tokensOf);
  return server.client(accessToken);
}

const rows = (page: Page) => page.locator('tbody tr');

// A browser flow takes seconds per step on a busy 2-core machine: give each test room.
describe('web app: admin console in Chromium', { timeout: 120_000 }, () => {
  it('admin finds a user, changes their role, disables them, and their open page is signed out', async () => {
    const target = await register('Linus Target');
    for (const name of ['Ada Decoy', 'Brian Decoy', 'Cleo Decoy']) await register(name);

    // The target is signed in and looking at their profile.
    const person = await browser();
    await signIn(person.page, target.email, STRONG_PASSWORD);
    await person.page.getByText('This device').waitFor();

    const admin = await browser();
    await signIn(admin.page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await admin.page.waitForURL(`${server.url}/admin/users`);
    await rows(admin.page).first().waitFor();
    expect(await rows(admin.page).count()).toBeGreaterThanOrEqual(5);
    await screenshot(admin.page, '20-admin-users');

    // Search narrows the table to the one account.
    await admin.page.getByLabel('Search').fill(target.email.split('@')[0]!);
    await expect.poll(() => rows(admin.page).count()).toBe(1);
    await rows(admin.page).filter({ hasText: target.email }).waitFor();

    // Change the role, then disable the account: each says what it will do and waits for a yes.
    await admin.page.getByLabel('Role of Linus Target').selectOption('manager');
    await admin.page.getByText('Linus Target will become a manager.').waitFor();
    expect((await (await adminClient()).users.get.query({ id: target.id })).role).toBe('user');
    await admin.page.getByRole('button', { name: 'Make manager' }).click();
    await admin.page.getByText('Linus Target is now a manager.').waitFor();
    await admin.page.getByRole('button', { name: 'Disable Linus Target' }).click();
    await admin.page.getByText('will be signed out everywhere and unable to sign in').waitFor();
    await admin.page.getByRole('button', { name: 'Disable', exact: true }).click();
    await admin.page.getByText('Linus Target is disabled and has been signed out.').waitFor();
    await admin.page.getByRole('button', { name: 'Enable Linus Target' }).waitFor();
    expect(await admin.page.getByLabel('Role of Linus Target').inputValue()).toBe('manager');
    await screenshot(admin.page, '21-admin-user-disabled');

    const stored = await (await adminClient()).users.get.query({ id: target.id });
    expect(stored).toMatchObject({ role: 'manager', disabled: true });

    // The target's page makes its next call and finds itself signed out.
    await person.page.getByRole('button', { name: 'Refresh' }).click();
    await person.page.waitForURL(/\/sign-in/);
    await person.page.getByText('Your session has ended. Please sign in again.').waitFor();
    await screenshot(person.page, '22-session-ended');
    await person.page.getByLabel('Email', { exact: true }).fill(target.email);
    await person.page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await person.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await person.page.getByText('Invalid email or password.').waitFor();

    // The account's activity in the audit log tells the story, by name.
    await admin.page.getByRole('link', { name: 'Activity of Linus Target' }).click();
    await admin.page.waitForURL(`${server.url}/admin/audit?targetId=${target.id}`);
    await admin.page.getByText('Linus Target', { exact: true }).first().waitFor();
    // Actions show as words; the recorded code stays on hover (its title).
    const action = (code: string) => admin.page.locator(`td[data-label="Action"] [title="${code}"]`);
    for (const code of ['users.role.change', 'users.disable', 'auth.login', 'auth.register'])
      await rows(admin.page)
        .filter({ has: action(code) })
        .first()
        .waitFor();
    await action('users.role.change').getByText('Role changed').first().waitFor();
    await screenshot(admin.page, '23-admin-audit');
    await admin.page.getByLabel('Action').selectOption('users.role.change');
    const onlyRoleChanges = async () => [
      await rows(admin.page).count(),
      await rows(admin.page)
        .filter({ hasNot: action('users.role.change') })
        .count(),
    ];
    await expect.poll(onlyRoleChanges).toEqual([1, 0]);
    await rows(admin.page).filter({ hasText: 'from: user' }).filter({ hasText: 'to: manager' }).waitFor();

    for (const user of [admin, person]) {
      expect(foreignRequests(user.requests, server.url)).toEqual([]);
      expect(user.problems).toEqual([]);
    }
  });

  it('admin invites a user by email, who sets a password from the link and signs in', async () => {
    const email = uniqueEmail('invitee');
    const admin = await browser();
    await signIn(admin.page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await admin.page.goto(`${server.url}/admin/users`);
    await admin.page.getByRole('button', { name: 'Create user' }).click();
    const dialog = admin.page.getByRole('dialog', { name: 'Create user' });
    await dialog.getByLabel('Name', { exact: true }).fill('Ivy Invitee');
    await dialog.getByLabel('Email', { exact: true }).fill(email);
    await screenshot(admin.page, '24-admin-create-user');
    await dialog.getByRole('button', { name: 'Create and invite' }).click();
    await admin.page.getByText(`Invitation sent to ${email}.`).waitFor();

    const invite = await mail.waitFor(email, /invited/i);
    const link = new URL(linkIn(invite, `${PUBLIC_URL}/reset-password#token=`));
    expect(new URLSearchParams(link.hash.slice(1)).get('invite')).toBe('1');

    const invitee = await browser();
    await invitee.page.goto(`${server.url}${link.pathname}${link.hash}`);
    await invitee.page.getByRole('heading', { name: 'Welcome! Choose your password' }).waitFor();
    await screenshot(invitee.page, '25-invite-set-password');
    await invitee.page.getByLabel('New password', { exact: true }).fill(STRONG_PASSWORD);
    await invitee.page.getByLabel('Confirm new password').fill(STRONG_PASSWORD);
    await invitee.page.getByRole('button', { name: 'Set password' }).click();
    await invitee.page.getByText('Your password is set.').waitFor();
    await signIn(invitee.page, email, STRONG_PASSWORD);
    await invitee.page.getByRole('heading', { name: 'Your profile' }).waitFor();
    // Following the emailed link proved the address.
    expect(await invitee.page.getByText('Your email address is not verified yet.').count()).toBe(0);
  });

  it('a manager sees only the controls the role allows, and deletes a user after confirming', async () => {
    const admin = await adminClient();
    const managerEmail = uniqueEmail('manager');
    await admin.users.create.mutate({
      name: 'Mona Manager',
      email: managerEmail,
      password: STRONG_PASSWORD,
      role: 'manager',
    });
    const doomed = await register('Dora Deleted');

    const manager = await browser();
    await signIn(manager.page, managerEmail, STRONG_PASSWORD);
    const nav = manager.page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Users' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);

    await nav.getByRole('link', { name: 'Users' }).click();
    await manager.page.getByLabel('Search').fill(ADMIN_EMAIL);
    await expect.poll(() => rows(manager.page).count()).toBe(1);
    // An admin's row offers a manager nothing to do.
    const adminRow = rows(manager.page).first();
    expect(await adminRow.getByRole('button').count()).toBe(0);
    expect(await adminRow.getByRole('combobox').count()).toBe(0);

    await manager.page.getByLabel('Search').fill(doomed.email);
    await rows(manager.page).filter({ hasText: doomed.email }).waitFor();
    await expect.poll(() => rows(manager.page).count()).toBe(1);
    // No role changes for managers, but disable and delete for a plain user.
    expect(await manager.page.getByLabel('Role of Dora Deleted').count()).toBe(0);
    await manager.page.getByRole('button', { name: 'Disable Dora Deleted' }).waitFor();
    await manager.page.getByRole('button', { name: 'Delete Dora Deleted' }).click();
    const dialog = manager.page.getByRole('dialog', { name: 'Delete user?' });
    await dialog.getByText('This cannot be undone.').waitFor();
    await screenshot(manager.page, '26-manager-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await manager.page.getByText(`Dora Deleted (${doomed.email}) has been deleted.`).waitFor();
    await manager.page.getByText('No users match').waitFor();

    const gone = await admin.users.get.query({ id: doomed.id }).catch((error: unknown) => error);
    expect((gone as { data?: { code?: string } }).data?.code).toBe('NOT_FOUND');
  });

  it('lays every page out for a 375 px wide phone without sideways scrolling', async () => {
    const phone = await browser({ viewport: { width: 375, height: 760 } });
    const pages: [string, string][] = [
      ['/sign-in', '30-phone-sign-in'],
      ['/sign-up', '31-phone-sign-up'],
      ['/forgot-password', '32-phone-forgot-password'],
      ['/reset-password#token=example', '33-phone-reset-password'],
    ];
    for (const [path, name] of pages) {
      await phone.page.goto(`${server.url}${path}`);
      await phone.page.getByRole('heading', { level: 1 }).waitFor();
      expect(await scrollWidth(phone.page), path).toBeLessThanOrEqual(375);
      await screenshot(phone.page, name);
    }
    await signIn(phone.page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await phone.page.getByText('This device').waitFor();
    expect(await scrollWidth(phone.page), '/profile').toBeLessThanOrEqual(375);
    await screenshot(phone.page, '34-phone-profile');
    for (const [path, name] of [
      ['/admin/users', '35-phone-admin-users'],
      ['/admin/audit', '36-phone-admin-audit'],
    ] as const) {
      await phone.page.goto(`${server.url}${path}`);
      await rows(phone.page).first().waitFor();
      expect(await scrollWidth(phone.page), path).toBeLessThanOrEqual(375);
      await screenshot(phone.page, name);
    }
  });
});

async function scrollWidth(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth');
}
