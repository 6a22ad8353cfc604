import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privatePaths, publicPaths } from '../../../web/src/paths.js';
import { axeViolations } from '../helpers/axe.js';
import { assertE2eReady, openBrowser, type BrowserUser } from '../helpers/browser.js';
import { perFile } from '../helpers/per-file.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';

// The web app's session through @tessera/react in Chromium (README, Security): the refresh
// token never reachable from script, a reload keeps the session, a sign-out reaches every
// tab; and every page passes axe with no serious or critical violation.

const ADMIN_EMAIL = 'web-session-admin@example.com';
const ADMIN_PASSWORD = 'an admin passphrase for the session tests';

beforeAll(assertE2eReady);
const server = perFile(() => startTestServer({ ADMIN_EMAIL, ADMIN_PASSWORD }));
let browser: BrowserUser;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => browser?.close());

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${server.url}/sign-in`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${server.url}/profile`);
  await page.getByText('This device').waitFor();
}

describe('web app session in Chromium', { timeout: 120_000 }, () => {
  it('keeps the refresh token out of script, survives a reload, and signs every tab out', async () => {
    const email = uniqueEmail('web-session');
    await server.client().auth.register.mutate({ name: 'Tab Person', email, password: STRONG_PASSWORD });
    const { page, context } = browser;
    const bodies: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/trpc/'))
        void response.text().then(
          (text) => bodies.push(text),
          () => undefined,
        );
    });

    await signIn(page, email, STRONG_PASSWORD);

    // The browser holds it, HttpOnly and SameSite=Strict, scoped to the two procedures that spend it…
    // (All cookies: asking for the page's URL would leave out those scoped to other paths.)
    const refresh = (await context.cookies()).filter((c) => c.name === 'tessera_refresh');
    expect(refresh.map((c) => c.path).sort()).toEqual(['/trpc/auth.logout', '/trpc/auth.refresh']);
    for (const cookie of refresh) expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const token = refresh[0]!.value;
    // …and script sees it nowhere: not in document.cookie, not in storage, not in a response body.
    const visible = await page.evaluate(() => {
      const { document, localStorage, sessionStorage } = globalThis as unknown as {
        document: { cookie: string };
        localStorage: Record<string, string>;
        sessionStorage: Record<string, string>;
      };
      return {
        cookie: document.cookie,
        local: JSON.stringify({ ...localStorage }),
        session: JSON.stringify({ ...sessionStorage }),
      };
    });
    expect(JSON.stringify(visible)).not.toContain(token);
    expect(visible.cookie).not.toMatch(/tessera_refresh/);
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(body).not.toMatch(/refreshToken/);

    // A reload restores the session from the cookie.
    await page.reload();
    await page.getByText('This device').waitFor();
    expect(page.url()).toBe(`${server.url}/profile`);

    // A second tab shares the session; signing out in one signs out the other at once.
    const other = await context.newPage();
    await other.goto(`${server.url}/profile`);
    await other.getByText('This device').waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.waitForURL(/\/sign-in/);
    await other.waitForURL(/\/sign-in/);
    // The page is signed out at once; the server's answer to auth.logout then clears the cookie.
    await expect
      .poll(async () => (await context.cookies()).filter((c) => c.name === 'tessera_refresh'))
      .toEqual([]);
    await other.close();
    for (const body of bodies) expect(body).not.toMatch(/refreshToken/);
  });

  it('has no serious accessibility violations on any page (axe)', async () => {
    const { page } = browser;
    const found: Record<string, string[]> = {};
    for (const path of publicPaths) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      found[path] = await axeViolations(page);
    }
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    for (const path of privatePaths) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      // Tables and lists loaded, not their spinners.
      await page
        .locator('[role="status"].loading')
        .first()
        .waitFor({ state: 'detached' })
        .catch(() => undefined);
      found[path] = await axeViolations(page);
    }
    expect(found).toEqual(Object.fromEntries([...publicPaths, ...privatePaths].map((path) => [path, []])));
  });
});
