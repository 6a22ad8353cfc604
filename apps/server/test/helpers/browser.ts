import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; CHROMIUM_PATH points elsewhere (CI images, other distributions). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The built web app the server under test serves. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** Screenshots land here (repo root, gitignored) for CI to keep as artifacts. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../test-results/e2e', import.meta.url));

// Quiet, offline, reproducible: no sandbox (we run as root in CI), no GPU, and none of
// Chromium's own traffic (updates, sync, QUIC probes) leaving the machine.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Stops the run with a message that says what to do, rather than a timeout or a 404 deep
 * inside a browser test.
 */
export function assertE2eReady(): void {
  if (!existsSync(join(WEB_DIST, 'index.html')))
    throw new Error(
      `The web app is not built (${WEB_DIST}/index.html is missing). ` +
        'Run `pnpm --filter @tessera/web build` (or `pnpm build`) before the end-to-end tests.',
    );
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install it (apt-get install chromium) or set CHROMIUM_PATH.`,
    );
}

export interface BrowserUser {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested, to check that nothing came from another origin. */
  requests: string[];
  /** Console errors and uncaught exceptions (a CSP violation shows up here). */
  problems: string[];
  close(): Promise<void>;
}

/**
 * The worker's one Chromium, started by the first test that needs it. Each person gets a
 * context of their own in it (separate cookies, storage and cache, like another profile),
 * which costs a tenth of starting Chromium again. Test files share a worker's modules
 * (vitest `isolate: false`), so the files of a worker share it too; Playwright closes it when
 * the worker exits.
 */
let shared: Promise<Browser> | undefined;
function sharedBrowser(): Promise<Browser> {
  shared ??= chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  shared.catch(() => (shared = undefined));
  return shared;
}

/**
 * One person at one browser: a fresh context of the worker's Chromium, so two users in one
 * test share no storage. `locale` is the browser's language (navigator.languages,
 * Accept-Language): British English unless a test asks for another, so no test depends on
 * the machine's own.
 */
export async function openBrowser(
  options: { viewport?: { width: number; height: number }; locale?: string } = {},
): Promise<BrowserUser> {
  const browser = await sharedBrowser();
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
    locale: options.locale ?? 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused API call logs "Failed to load resource: … 401": that is an answer, not a fault.
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  return { context, page, requests, problems, close: () => context.close() };
}

/** Saves a full-page screenshot as test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** URLs in `requests` that are not on `origin` (should be none). */
export function foreignRequests(requests: readonly string[], origin: string): string[] {
  return requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'));
}
