import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertE2eReady,
  foreignRequests,
  openBrowser,
  screenshot,
  type BrowserUser,
} from '../helpers/browser.js';
import { mailSinkPerFile } from '../helpers/mail-sink.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { linkIn } from './mail.js';
import { perFile } from '../helpers/per-file.js';

const PUBLIC_URL = 'http://tessera.test';

beforeAll(assertE2eReady);
const mail = mailSinkPerFile();
const server = perFile(() => startTestServer({ SMTP_URL: mail.url, PUBLIC_URL }));
let browser: BrowserUser;
beforeEach(async () => {
  browser = await openBrowser();
});
afterEach(() => browser?.close());

describe('web app: changing one’s email in Chromium', { timeout: 120_000 }, () => {
  it('asks for the current password, shows the pending address, and applies it once the link is followed', async () => {
    const { page } = browser;
    const email = uniqueEmail('web-mover');
    const newEmail = uniqueEmail('web-moved');
    await server.client().auth.register.mutate({ name: 'Mo Ver', email, password: STRONG_PASSWORD });
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/profile`);

    // The password field appears only once the address is edited, and is required.
    expect(await page.getByLabel('Current password').count()).toBe(1); // the password section's
    await page.getByLabel('Email', { exact: true }).fill(newEmail);
    const account = page.getByRole('region', { name: 'Account' });
    await account.getByLabel('Current password').waitFor();
    await account.getByRole('button', { name: 'Save changes' }).click();
    await account.getByText('Enter your current password to change your email.').waitFor();
    await account.getByLabel('Current password').fill('not the right password at all');
    await account.getByRole('button', { name: 'Save changes' }).click();
    await account.getByText('The password is not correct').waitFor();

    await account.getByLabel('Current password').fill(STRONG_PASSWORD);
    await account.getByRole('button', { name: 'Save changes' }).click();
    const pending = account.getByRole('status');
    await pending.getByText('to confirm your new email address').waitFor();
    expect(await pending.innerText()).toContain(`Check ${newEmail} to confirm your new email address.`);
    expect(await pending.innerText()).toContain(`you keep signing in with ${email}.`);
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(email);
    await screenshot(page, '20-profile-pending-email');

    const link = linkIn(
      await mail.waitFor(newEmail, /confirm your new email/i),
      `${PUBLIC_URL}/verify-email#token=`,
    );
    const url = new URL(link);
    await page.goto(`${server.url}${url.pathname}${url.hash}`);
    await page.getByRole('heading', { name: 'Email verified' }).waitFor();
    await page.goto(`${server.url}/profile`);
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(newEmail);
    await page.getByText('Verified.', { exact: true }).waitFor(); // Not "Not verified."
    expect(await page.getByText('to confirm your new email address').count()).toBe(0);

    expect(foreignRequests(browser.requests, server.url)).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});
