import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signUp, tokensOf } from '../helpers/accounts.js';
import { axeViolations } from '../helpers/axe.js';
import {
  assertE2eReady,
  foreignRequests,
  openBrowser,
  screenshot,
  type BrowserUser,
} from '../helpers/browser.js';
import { perFile } from '../helpers/per-file.js';
import { enrollTotp, serverClock, type ServerClock } from '../helpers/second-factors.js';
import { freePort, startTestServer, STRONG_PASSWORD } from '../helpers/server.js';

// Second factors in the web app, in Chromium: an authenticator app set up from the profile
// and used at sign-in (with a code, then a recovery code), passkeys made by Chromium's
// virtual authenticator, an admin's reset, and a role that must set a factor up first.

const ADMIN_EMAIL = 'second-factors-admin@example.com';
const ADMIN_PASSWORD = 'an admin passphrase for the factor tests';

beforeAll(assertE2eReady);

// WebAuthn runs only in a secure context and checks the page's origin against PUBLIC_URL:
// the browser opens http://localhost:<port> (localhost counts as secure), and PUBLIC_URL names
// that port, so it is chosen before the server starts.
let origin = '';
const server = perFile(async () => {
  const port = await freePort();
  origin = `http://localhost:${port}`;
  return startTestServer({
    PORT: String(port),
    PUBLIC_URL: origin,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MFA_REQUIRED_ROLES: 'manager',
  });
});
let clock: ServerClock;
beforeAll(() => {
  clock = serverClock(server);
});

const browsers: BrowserUser[] = [];
afterEach(async () => {
  for (const browser of browsers.splice(0)) {
    expect(foreignRequests(browser.requests, origin)).toEqual([]);
    expect(browser.problems).toEqual([]);
    await browser.close();
  }
});

async function browser(): Promise<BrowserUser> {
  const opened = await openBrowser();
  browsers.push(opened);
  return opened;
}

/** Chromium's own authenticator, as a phone's or laptop's: discoverable keys, user verified. */
async function addVirtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/** Email and password on the sign-in page; what follows is the caller's to check. */
async function enterPassword(page: Page, email: string, password = STRONG_PASSWORD) {
  await page.goto(`${origin}/sign-in`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signIn(page: Page, email: string, password = STRONG_PASSWORD) {
  await enterPassword(page, email, password);
  await page.waitForURL(`${origin}/profile`);
}

async function signOut(page: Page) {
  await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(/\/sign-in/);
}

const securityOf = (page: Page) => page.getByRole('region', { name: 'Security' });

/** The recovery codes on screen (shown once), after checking there are ten. */
async function shownRecoveryCodes(page: Page): Promise<string[]> {
  const list = page.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  const codes = await list.locator('code').allTextContents();
  expect(codes).toHaveLength(10);
  return codes;
}

// A browser flow takes seconds per step on a busy 2-core machine: give each test room.
describe('web app: second factors in Chromium', { timeout: 180_000 }, () => {
  it('sets up an authenticator app on the profile, then signs in with a code and with a recovery code', async () => {
    const person = await signUp(server, { name: 'Tess Totp' });
    const { page, context } = await browser();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await signIn(page, person.email);
    const security = securityOf(page);
    await security.getByText('Password only').waitFor();

    // The password first, then the QR code with the key as text, then a code from the "app".
    await security.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await security.getByLabel('Current password').fill('not my password at all');
    await security.getByRole('button', { name: 'Continue' }).click();
    await security.getByText('The password is not correct').waitFor();
    await security.getByLabel('Current password').fill(STRONG_PASSWORD);
    await security.getByRole('button', { name: 'Continue' }).click();
    await security.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const secret = (await security.locator('.setup-key').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, '40-security-totp-setup');
    expect(await axeViolations(page)).toEqual([]);
    clock.startOfStep();
    await security.getByLabel('Code from the app').fill(clock.code(secret));
    await security.getByRole('button', { name: 'Turn on' }).click();

    // Ten codes, shown once: copied and downloaded as they are.
    const codes = await shownRecoveryCodes(page);
    await security.getByRole('button', { name: 'Copy' }).click();
    await security.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(codes.join('\n'));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      security.getByRole('button', { name: 'Download (.txt)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('tessera-recovery-codes.txt');
    const file = readFileSync(await download.path(), 'utf8');
    expect(file).toContain(person.email);
    expect(file.split('\n').filter((line) => codes.includes(line))).toEqual(codes);
    await screenshot(page, '41-security-recovery-codes');
    expect(await axeViolations(page)).toEqual([]);
    await security.getByRole('button', { name: 'I have saved my codes' }).click();
    await security.getByText('Two-step sign-in on').waitFor();
    await security.getByText('10 of 10 left.').waitFor();
    expect(
      'mfaRequired' in
        (await server.client().auth.login.mutate({ email: person.email, password: STRONG_PASSWORD })),
    ).toBe(true);

    // Password, then the code step: a wrong code is refused on the field, the right one signs in.
    await signOut(page);
    await enterPassword(page, person.email);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByLabel('Code', { exact: true }).fill(clock.code(secret, 5));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('That code is not right. Check it and try again.').waitFor();
    await screenshot(page, '42-sign-in-code-step');
    expect(await axeViolations(page)).toEqual([]);
    // The code that turned the app on is spent: the next step's code signs in.
    clock.advance(30_000);
    await page.getByLabel('Code', { exact: true }).fill(clock.code(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${origin}/profile`);
    await page.getByText('This device').waitFor();

    // A recovery code stands in for the app, once.
    await signOut(page);
    await enterPassword(page, person.email);
    await page.getByLabel('Code', { exact: true }).fill(codes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${origin}/profile`);
    await securityOf(page).getByText('9 of 10 left.').waitFor();

    // New codes after confirming: the old ones stop working.
    await security.getByRole('button', { name: 'Make new recovery codes…' }).click();
    await security.getByText('The codes you have now will stop working at once.').waitFor();
    await security.getByLabel('Current password').fill(STRONG_PASSWORD);
    await security.getByRole('button', { name: 'Make new codes' }).click();
    const fresh = await shownRecoveryCodes(page);
    expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
    await security.getByRole('button', { name: 'I have saved my codes' }).click();
    await security.getByText('10 of 10 left.').waitFor();

    // Turning the app off (after the password) leaves the password alone.
    await security.getByRole('button', { name: 'Turn off…' }).click();
    await security.getByLabel('Current password').fill(STRONG_PASSWORD);
    await security.getByRole('button', { name: 'Turn off the authenticator app' }).click();
    await security.getByText('The authenticator app is off.').waitFor();
    await security.getByText('Password only').waitFor();
    const again = await server.client().auth.login.mutate({ email: person.email, password: STRONG_PASSWORD });
    expect(tokensOf(again).user.mfaEnabled).toBe(false);
  });

  it('adds a passkey with Chromium’s authenticator, renames it, and signs in with it alone and as a second step', async () => {
    const person = await signUp(server, { name: 'Pat Passkey' });
    const { page, context } = await browser();
    await addVirtualAuthenticator(context, page);
    await signIn(page, person.email);
    const security = securityOf(page);
    await security.getByText('No passkeys yet').waitFor();
    await security.getByLabel('Name for the new passkey (optional)').fill('Test laptop');
    await security.getByRole('button', { name: 'Add a passkey' }).click();
    await security.getByText('Passkey “Test laptop” added.').waitFor();
    const passkeys = security.getByRole('list', { name: 'Passkeys' });
    await passkeys.getByText('Test laptop').waitFor();
    await passkeys.getByText('last used never').waitFor();
    await security.getByText('Two-step sign-in on').waitFor();
    await screenshot(page, '43-security-passkey');

    await security.getByRole('button', { name: 'Rename Test laptop' }).click();
    await security.getByLabel('New name').fill('Chromium key');
    await security.getByRole('button', { name: 'Save name' }).click();
    await passkeys.getByText('Chromium key').waitFor();
    expect((await person.client.passkeys.list.query()).map((p) => p.name)).toEqual(['Chromium key']);

    // With a passkey, the password is followed by a second step the passkey answers.
    await signOut(page);
    await enterPassword(page, person.email);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(`${origin}/profile`);

    // And alone: no email, no password.
    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${origin}/profile`);
    await page.getByText('This device').waitFor();
    await expect.poll(async () => (await person.client.passkeys.list.query())[0]?.lastUsedAt).not.toBeNull();

    // Deleting asks first, then the account is back to the password alone.
    await security.getByRole('button', { name: 'Delete Chromium key' }).click();
    await security.getByText('“Chromium key” will no longer sign you in.').waitFor();
    await security.getByRole('button', { name: 'Delete passkey' }).click();
    await security.getByText('No passkeys yet').waitFor();
    await security.getByText('Password only').waitFor();
    expect(await person.client.passkeys.list.query()).toEqual([]);
  });

  it('lets an admin reset the second factors of a user, after saying what happens', async () => {
    const person = await signUp(server, { name: 'Lou Lost-Phone' });
    clock.startOfStep();
    await enrollTotp(person.client, clock);
    const { page } = await browser();
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto(`${origin}/admin/users`);
    await page.getByLabel('Search').fill(person.email);
    const row = page.locator('tbody tr').filter({ hasText: person.email });
    await row.getByText('Second factor on').waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);

    await row.getByRole('button', { name: 'Reset second factors of Lou Lost-Phone' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset second factors?' });
    await dialog.getByText('loses their authenticator app, recovery codes and every passkey').waitFor();
    await screenshot(page, '44-admin-reset-second-factors');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Reset second factors' }).click();
    await page.getByText('Lou Lost-Phone’s second factors have been reset.').waitFor();
    await row.getByText('Password only').waitFor();
    expect(await row.getByRole('button', { name: /Reset second factors/ }).count()).toBe(0);

    const login = await server.client().auth.login.mutate({ email: person.email, password: STRONG_PASSWORD });
    expect(tokensOf(login).user.mfaEnabled).toBe(false);
  });

  it('sends a role that requires a second factor to the set-up page until one is set up', async () => {
    const manager = await signUp(server, { role: 'manager', name: 'Max Manager' });
    const { page, context } = await browser();
    await addVirtualAuthenticator(context, page);
    await enterPassword(page, manager.email);
    await page.waitForURL(`${origin}/set-up-second-factor`);
    await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    await page.getByText('Your role (manager) requires a second factor.').waitFor();
    await screenshot(page, '45-required-set-up');
    expect(await axeViolations(page)).toEqual([]);

    // Every other page leads back here.
    for (const path of ['/profile', '/admin/users']) {
      await page.goto(`${origin}${path}`);
      await page.waitForURL(`${origin}/set-up-second-factor`);
    }

    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Your second factor is set up.').waitFor();
    expect(await page.getByText('requires a second factor').count()).toBe(0);
    await page.getByRole('button', { name: 'Continue to your profile' }).click();
    await page.waitForURL(`${origin}/profile`);
    await page.getByText('This device').waitFor();
    await page.goto(`${origin}/admin/users`);
    await page.locator('tbody tr').first().waitFor();
  });

  it('sends a person whose role became one that requires a factor there on the next refused call', async () => {
    const person = await signUp(server, { name: 'Una Promoted' });
    const { page } = await browser();
    await signIn(page, person.email);
    await page.getByText('This device').waitFor();
    // Promoted meanwhile (as an admin would); the page still holds the user it read before.
    await server.database.db
      .updateTable('users')
      .set({ role: 'manager' })
      .where('id', '=', person.id)
      .execute();
    await page
      .getByRole('region', { name: 'Signed-in devices' })
      .getByRole('button', { name: 'Refresh' })
      .click();
    await page.waitForURL(`${origin}/set-up-second-factor`);
    await page.getByText('Your role (manager) requires a second factor.').waitFor();
  });
});
