import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

// /docs in a real browser: it renders the reference under its CSP, from this origin alone.

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  server = await startTestServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // No sandbox (CI runs as root); none of Chromium's own traffic leaves the machine.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('renders every operation with no request to another origin and no CSP violation', async () => {
  const page = await browser.newPage();
  const foreign: string[] = [];
  const problems: string[] = [];
  // Anything for another origin is recorded and refused, as it would be on an offline network.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${server.url}/`) || url.startsWith('data:') || url.startsWith('blob:'))
      return route.continue();
    foreign.push(url);
    return route.abort();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The browser's own favicon probe 404s; that is not the page's doing.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });

  await page.goto(`${server.url}/docs`);
  expect(page.url()).toBe(`${server.url}/docs/`);
  await page.getByText('Sign in with email and password').first().waitFor({ timeout: 30_000 });
  await expect(page.title()).resolves.toBe('Tessera API reference');
  // Let lazy work (fonts, chunks, telemetry) have its chance to reach out.
  await page.waitForTimeout(1_000);

  expect(foreign).toEqual([]);
  expect(problems).toEqual([]);
  await page.close();
});
