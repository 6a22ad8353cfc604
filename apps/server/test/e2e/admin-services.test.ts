import { readFileSync } from 'node:fs';
import { verifyWebhook } from '@tessera/client';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations } from '../helpers/axe.js';
import {
  assertE2eReady,
  foreignRequests,
  openBrowser,
  screenshot,
  type BrowserUser,
} from '../helpers/browser.js';
import { tokensOf } from '../helpers/accounts.js';
import { perFile } from '../helpers/per-file.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// The admin pages for other services (README, "Web app"): API keys, webhooks, and the
// users export, driven in Chromium against a real server and a real webhook receiver.

const ADMIN_EMAIL = 'services-admin@example.com';
const ADMIN_PASSWORD = 'an admin passphrase for the services pages';

beforeAll(assertE2eReady);
const server = perFile(() =>
  startTestServer({
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    // The receiver listens on 127.0.0.1, a target production refuses.
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_BASE_MS: '40',
    WEBHOOK_POLL_INTERVAL_MS: '20',
  }),
);
// Held directly, not through perFile's stand-in: the test sets what it answers.
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver?.close());
const browsers: BrowserUser[] = [];

afterEach(async () => {
  for (const browser of browsers.splice(0)) await browser.close();
});

/** A fresh browser signed in as `email` (the admin unless told), on their profile. */
async function signedIn(
  options: { email?: string; password?: string; viewport?: { width: number; height: number } } = {},
): Promise<BrowserUser> {
  const browser = await openBrowser(options.viewport ? { viewport: options.viewport } : {});
  browsers.push(browser);
  const { page } = browser;
  await page.goto(`${server.url}/sign-in`);
  await page.getByLabel('Email', { exact: true }).fill(options.email ?? ADMIN_EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(options.password ?? ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${server.url}/profile`);
  return browser;
}

/** The admin's typed client, for setting up what a test needs without the browser. */
async function adminClient() {
  const login = await server.client().auth.login.mutate({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  return server.client(tokensOf(login).accessToken);
}

async function openFromNav(page: Page, name: string, path: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
  await page.waitForURL(`${server.url}${path}`);
}

/** What a service gets for `GET /api/users` with `key` as its bearer token. */
async function listUsersWith(key: string) {
  const response = await fetch(`${server.url}/api/users?limit=5`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: response.status, body: (await response.json()) as { items?: { email: string }[] } };
}

async function noAxeViolations(page: Page, what: string) {
  expect(await axeViolations(page), what).toEqual([]);
}

const rows = (page: Page) => page.locator('tbody tr');

describe('web app: admin pages for other services in Chromium', { timeout: 120_000 }, () => {
  it('creates an API key, shows its secret once, and revokes it so the next call is refused', async () => {
    const { page, context, requests, problems } = await signedIn();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await openFromNav(page, 'API keys', '/admin/api-keys');
    await page.getByText('No API keys yet').waitFor();

    await page.getByRole('button', { name: 'Create API key' }).click();
    const create = page.getByRole('dialog', { name: 'Create API key' });
    await create.getByLabel('Name').fill('billing');
    await create.getByLabel('Role').selectOption('manager');
    await create.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByRole('dialog', { name: 'Your new API key' });
    await shown.getByText('this is the only time it is shown').waitFor();
    const secret = await shown.getByLabel('API key').inputValue();
    expect(secret).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    // (This runs in the page; the test's own types know no DOM.)
    const clipboard = () =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText();
    expect(await page.evaluate(clipboard)).toBe(secret);
    await noAxeViolations(page, 'the new key dialog');
    await screenshot(page, '40-api-key-created');
    await shown.getByRole('button', { name: 'I have copied it' }).click();

    // Listed by its prefix; the secret itself is nowhere on the page any more, nor after a reload.
    const row = rows(page).filter({ hasText: 'billing' });
    await row.getByText(`${secret.slice(0, 12)}…`).waitFor();
    await row.getByText('Active').waitFor();
    expect(await row.locator('td[data-label="Last used"]').innerText()).toBe('Never');
    expect(await page.content()).not.toContain(secret);

    // The service calls Tessera with it, as a manager.
    const allowed = await listUsersWith(secret);
    expect(allowed.status).toBe(200);
    expect(allowed.body.items?.map((user) => user.email)).toContain(ADMIN_EMAIL);

    await page.reload();
    await row.locator('td[data-label="Last used"] time').waitFor();
    expect(await page.content()).not.toContain(secret);
    await noAxeViolations(page, 'the API keys list');

    // Revoking says what happens, then the key is refused at once.
    await page.getByRole('button', { name: 'Revoke billing' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke API key?' });
    await confirm.getByText('will be refused from their next request on').waitFor();
    await screenshot(page, '41-api-key-revoke');
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText(`billing (${secret.slice(0, 12)}…) is revoked.`).waitFor();
    await row.getByText('Revoked').waitFor();
    expect(await row.getByRole('button').count()).toBe(0);

    expect((await listUsersWith(secret)).status).toBe(401);
    expect(foreignRequests(requests, server.url)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('adds a webhook endpoint, shows the delivery of an event, redelivers it, and deletes the endpoint', async () => {
    const { page, requests, problems } = await signedIn();
    await openFromNav(page, 'Webhooks', '/admin/webhooks');
    await page.getByText('No webhook endpoints yet').waitFor();

    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const create = page.getByRole('dialog', { name: 'Add webhook endpoint' });
    const url = `${receiver.url}/tessera`;
    await create.getByLabel('URL').fill(url);
    // No event chosen: the server's refusal lands on the events.
    await create.getByRole('button', { name: 'Add endpoint' }).click();
    await create.getByText('Choose at least one event').waitFor();
    await create.getByRole('checkbox', { name: 'user.created' }).check();
    await create.getByRole('checkbox', { name: 'user.updated' }).check();
    await screenshot(page, '42-webhook-create');
    await create.getByRole('button', { name: 'Add endpoint' }).click();

    const shown = page.getByRole('dialog', { name: 'Endpoint added' });
    const secret = await shown.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await shown.getByText('this is the only time it is shown').waitFor();
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    const card = page.getByRole('listitem').filter({ hasText: url });
    await card.getByText('Enabled').waitFor();
    expect(await page.content()).not.toContain(secret);

    // An event happens; the receiver gets it, signed with the secret the page showed.
    const email = uniqueEmail('hooked');
    await server.client().auth.register.mutate({ name: 'Hooked Person', email, password: STRONG_PASSWORD });
    const [first] = await receiver.waitForDelivered(1);
    const event = verifyWebhook(first!.body, first!.headers, secret);
    expect(event).toMatchObject({ type: 'user.created', data: { user: { email } } });

    await card.getByRole('button', { name: 'Deliveries' }).click();
    const log = page.getByRole('region', { name: `Deliveries to ${url}` });
    const delivery = log.locator('tbody tr').filter({ hasText: 'user.created' });
    await delivery.getByText('delivered').waitFor();
    expect(await delivery.locator('td[data-label="Code"]').innerText()).toBe('204');
    expect(await delivery.locator('td[data-label="Attempts"]').innerText()).toBe('1');
    await noAxeViolations(page, 'the webhooks page with a delivery log');
    await screenshot(page, '43-webhook-deliveries');

    // Sent again, with the same webhook-id, and the log follows it to "delivered".
    receiver.answer = () => 202;
    await delivery.getByRole('button', { name: /^Redeliver “User created”/ }).click();
    await log.getByText('“User created” is queued to be sent again.').waitFor();
    const both = await receiver.waitForDelivered(2);
    expect(both[1]!.id).toBe(both[0]!.id);
    await expect
      .poll(() => delivery.locator('td[data-label="Code"]').innerText(), { timeout: 15_000 })
      .toBe('202');
    await delivery.getByText('delivered').waitFor();

    // Turned off, then deleted after a confirmation.
    await page.getByRole('button', { name: `Disable ${url}` }).click();
    await page.getByText(`${url} is disabled`).waitFor();
    await card.getByText('Disabled', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Delete ${url}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete webhook endpoint?' });
    await confirm.getByText('Its delivery log goes with it').waitFor();
    await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText(`${url} is deleted.`).waitFor();
    await page.getByText('No webhook endpoints yet').waitFor();

    expect(foreignRequests(requests, server.url)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('exports the users as CSV and JSON Lines files, and says so when the export fails', async () => {
    const email = uniqueEmail('exported');
    await server.client().auth.register.mutate({ name: 'Exported Person', email, password: STRONG_PASSWORD });
    const { page, problems } = await signedIn();
    await openFromNav(page, 'Users', '/admin/users');
    await rows(page).first().waitFor();

    const download = async (format: RegExp) => {
      await page.getByRole('button', { name: 'Export', exact: true }).click();
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: format }).click(),
      ]);
      return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
    };

    const csv = await download(/^CSV/);
    expect(csv.name).toMatch(/^tessera-users-\d{4}-\d{2}-\d{2}\.csv$/);
    const [header, ...lines] = csv.text.trimEnd().split('\r\n');
    expect(header).toMatch(/^id,email,name,role,/);
    expect(lines.filter((line) => line.includes(email))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(ADMIN_EMAIL))).toHaveLength(1);
    await page.getByText(`Downloaded ${csv.name}.`).waitFor();

    const jsonl = await download(/^JSON Lines/);
    expect(jsonl.name).toMatch(/\.jsonl$/);
    const users = jsonl.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { email: string });
    expect(users.map((user) => user.email)).toEqual(expect.arrayContaining([email, ADMIN_EMAIL]));

    // A failed export is said in words, and the button is ready for another try.
    await page.route('**/api/users/export**', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ code: 'SERVICE_UNAVAILABLE', message: 'down', data: { reason: 'x' } }),
      }),
    );
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('button', { name: /^CSV/ }).click();
    await page.getByRole('alert').filter({ hasText: 'Tessera is temporarily unavailable.' }).waitFor();
    await page.getByRole('button', { name: 'Export', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Export', exact: true }).isEnabled()).toBe(true);
    await noAxeViolations(page, 'the users page with the export menu');
    await screenshot(page, '44-users-export');
    expect(problems).toEqual([]);
  });

  it('lays the API keys and webhooks pages out for a 375 px wide phone without sideways scrolling', async () => {
    const admin = await adminClient();
    await admin.apiKeys.create.mutate({
      name: 'reporting',
      role: 'user',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    await admin.webhooks.create.mutate({
      url: `${receiver.url}/a/rather/long/path/that/must/wrap/on/a/phone?and=a&query=string`,
      events: ['user.created', 'user.deleted', 'session.revoked'],
      description: 'CRM sync',
    });

    const { page } = await signedIn({ viewport: { width: 375, height: 760 } });
    for (const [path, name] of [
      ['/admin/api-keys', '45-phone-api-keys'],
      ['/admin/webhooks', '46-phone-webhooks'],
    ] as const) {
      await page.goto(`${server.url}${path}`);
      await page.getByText(path.endsWith('keys') ? 'reporting' : 'CRM sync').waitFor();
      if (path.endsWith('webhooks')) await page.getByRole('button', { name: 'Deliveries' }).first().click();
      await page.locator('[role="status"].loading').first().waitFor({ state: 'detached' });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(
        375,
      );
      await screenshot(page, name);
    }
  });

  it('shows a manager none of it: no nav entries, no Export, and the pages say who may use them', async () => {
    const email = uniqueEmail('manager');
    await (
      await adminClient()
    ).users.create.mutate({
      name: 'Mona Manager',
      email,
      password: STRONG_PASSWORD,
      role: 'manager',
    });
    const { page } = await signedIn({ email, password: STRONG_PASSWORD });

    const nav = page.getByRole('navigation', { name: 'Main' });
    await openFromNav(page, 'Users', '/admin/users');
    await rows(page).first().waitFor();
    expect(await nav.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Export', exact: true }).count()).toBe(0);
    await page.goto(`${server.url}/admin/api-keys`);
    await page.getByText('Only admins can manage API keys.').waitFor();
    await page.goto(`${server.url}/admin/webhooks`);
    await page.getByText('Only admins can manage webhooks.').waitFor();
  });
});
