import type { Page } from 'playwright-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assertE2eReady,
  foreignRequests,
  openBrowser,
  screenshot,
  type BrowserUser,
} from '../helpers/browser.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { mailSinkPerFile } from '../helpers/mail-sink.js';
import { linkIn, nthMail } from './mail.js';
import { perFile } from '../helpers/per-file.js';

// Emailed links carry this origin; the test opens their path and fragment on the test server.
const PUBLIC_URL = 'http://tessera.test';
const NEW_PASSWORD = 'a brand new passphrase for tessera';

beforeAll(assertE2eReady);
const mail = mailSinkPerFile();
const server = perFile(() => startTestServer({ SMTP_URL: mail.url, PUBLIC_URL }));
let browser: BrowserUser;

// Each test is one person at a fresh browser: no storage carried over.
beforeEach(async () => {
  browser = await openBrowser();
});
afterEach(() => browser?.close());

/** The path and fragment of an emailed link, on the server under test. */
function onServer(link: string): string {
  const url = new URL(link);
  return `${server.url}${url.pathname}${url.hash}`;
}

async function focusedField(page: Page): Promise<string | null> {
  // A string, because this package compiles without the DOM library.
  return page.evaluate<string | null>("document.activeElement?.getAttribute('name') ?? null");
}

async function invalidFields(page: Page): Promise<string[]> {
  const fields = await page.locator('[aria-invalid="true"]').all();
  return Promise.all(fields.map(async (field) => (await field.getAttribute('name')) ?? ''));
}

async function signUp(page: Page, email: string, password: string) {
  await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

// A browser flow takes seconds per step on a busy 2-core machine: give each test room.
describe('web app: account pages in Chromium', { timeout: 120_000 }, () => {
  it('signs up, signs out, resets a forgotten password by the emailed link and signs in with it', async () => {
    const { page } = browser;
    const email = uniqueEmail('web');

    // Sign up: the password policy error lands on the password field, which gets focus.
    await page.goto(`${server.url}/sign-up`);
    await screenshot(page, '01-sign-up');
    await signUp(page, email, 'too short');
    await page.locator('[aria-invalid="true"]').first().waitFor();
    expect(await invalidFields(page)).toEqual(['password']);
    expect(await focusedField(page)).toBe('password');
    await screenshot(page, '02-sign-up-password-error');

    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/profile`);
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(email);
    await page.getByText('This device').waitFor();
    await screenshot(page, '03-profile');

    // Sign out, then try to sign up again with the same email: the error is on the email field.
    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${server.url}/sign-up`);
    await signUp(page, email.toUpperCase(), STRONG_PASSWORD);
    await page.getByText('An account with this email already exists.').waitFor();
    expect(await invalidFields(page)).toEqual(['email']);
    expect(await focusedField(page)).toBe('email');
    await screenshot(page, '04-sign-up-email-taken');

    // Forgot password: the same confirmation for a known and an unknown address.
    await page.goto(`${server.url}/sign-in`);
    await screenshot(page, '05-sign-in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${server.url}/forgot-password`);
    await screenshot(page, '06-forgot-password');
    const confirmation = async (address: string) => {
      await page.getByLabel('Email', { exact: true }).fill(address);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      const text = await page.getByRole('status').innerText();
      await page.getByRole('button', { name: 'Send another link' }).click();
      return text.replace(address, '<email>');
    };
    const unknown = await confirmation(uniqueEmail('nobody'));
    const known = await confirmation(email);
    expect(known).toBe(unknown);
    expect(known).toContain('If an account exists for <email>');

    // The emailed link opens the reset page; its token travels in the fragment only.
    const resetMail = await mail.waitFor(email, /reset/i);
    const link = linkIn(resetMail, `${PUBLIC_URL}/reset-password#token=`);
    const response = await page.goto(onServer(link));
    const headers = response!.headers();
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // The token is taken out of the address bar and history once read.
    expect(new URL(page.url()).hash).toBe('');
    await page.getByText('At least 15 characters').waitFor();

    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(`${NEW_PASSWORD}!`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two passwords do not match.').waitFor();
    expect(await focusedField(page)).toBe('confirm');
    await screenshot(page, '07-reset-password-mismatch');

    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(`${server.url}/sign-in`);
    await page.getByText('Your password has been changed. Sign in with your new password.').waitFor();
    await screenshot(page, '08-sign-in-after-reset');

    // The link is spent: using it again says so and offers a new one.
    await page.goto(onServer(link));
    await page.getByLabel('New password', { exact: true }).fill(`${NEW_PASSWORD} again`);
    await page.getByLabel('Confirm new password').fill(`${NEW_PASSWORD} again`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('This link has already been used.').waitFor();
    await page.getByRole('link', { name: 'Send me a new link' }).waitFor();
    await screenshot(page, '09-reset-link-used');

    // The old password no longer works; the new one does.
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Invalid email or password.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/profile`);
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();

    expect(foreignRequests(browser.requests, server.url)).toEqual([]);
    expect(browser.problems).toEqual([]);
  });

  it('verifies the email address from the profile by the emailed link', async () => {
    const { page } = browser;
    const email = uniqueEmail('verify');
    await server.client().auth.register.mutate({ name: 'Vera Verify', email, password: STRONG_PASSWORD });
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.url}/profile`);

    // Signing up mailed a link; asking again sends a new one that supersedes it.
    const first = linkIn(
      await mail.waitFor(email, /confirm your email/i),
      `${PUBLIC_URL}/verify-email#token=`,
    );
    await page.getByText('Your email address is not verified yet.').waitFor();
    await page.getByRole('button', { name: 'Send verification link' }).click();
    await page.getByText('We have sent you a link: check your inbox.').waitFor();
    const verifyMail = await nthMail(mail, email, /confirm your email/i, 1);
    const link = linkIn(verifyMail, `${PUBLIC_URL}/verify-email#token=`);
    expect(link).not.toBe(first);
    await page.goto(onServer(link));
    await page.getByRole('heading', { name: 'Email verified' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await screenshot(page, '10-email-verified');
    await page.getByRole('link', { name: 'Go to your profile' }).click();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    // Exact: "Not verified." contains the same words, whatever the case.
    await page.getByText('Verified.', { exact: true }).waitFor();
    expect(await page.getByText('Your email address is not verified yet.').count()).toBe(0);

    // A second use of the same link is refused, in words; so is the superseded one.
    await page.goto(onServer(link));
    await page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
    await page.getByText('This link has already been used.').waitFor();
    await screenshot(page, '11-verify-link-used');
    await page.goto(onServer(first));
    await page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();
  });
});
