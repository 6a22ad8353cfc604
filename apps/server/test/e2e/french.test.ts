import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tokensOf } from '../helpers/accounts.js';
import { axeViolations } from '../helpers/axe.js';
import {
  assertE2eReady,
  foreignRequests,
  openBrowser,
  screenshot,
  type BrowserUser,
} from '../helpers/browser.js';
import { mailSinkPerFile } from '../helpers/mail-sink.js';
import { perFile } from '../helpers/per-file.js';
import { startTestServer, STRONG_PASSWORD, uniqueEmail } from '../helpers/server.js';

// README, "Languages" → "In the web app": a browser set to French gets French pages, and the
// account it makes gets French mail; a signed-in person's own language wins over the browser's,
// and the switcher saves the choice on the account.

const PUBLIC_URL = 'http://tessera.test';
const ADMIN_EMAIL = 'proprietaire@example.fr';
const ADMIN_PASSWORD = 'les clés de tout le royaume, bien gardées';
/** French typography puts a no-break space (U+00A0) before a colon, a narrow one (U+202F) before ! and ?. */
const NBSP = '\u00A0';
const NNBSP = '\u202F';

beforeAll(assertE2eReady);
const mail = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: mail.url, PUBLIC_URL, ADMIN_EMAIL, ADMIN_PASSWORD }),
);
const browsers: BrowserUser[] = [];

afterEach(async () => {
  for (const browser of browsers.splice(0)) await browser.close();
});

/** A browser whose language is French (navigator.languages and Accept-Language: fr-FR). */
async function frenchBrowser(): Promise<BrowserUser> {
  const opened = await openBrowser({ locale: 'fr-FR' });
  browsers.push(opened);
  return opened;
}

const htmlLang = (page: Page) => page.evaluate<string>('document.documentElement.lang');

/** What the server has stored as the account's language. */
async function storedLocale(email: string, password: string): Promise<string> {
  const { accessToken } = await server.client().auth.login.mutate({ email, password }).then(tokensOf);
  const me = await server.client(accessToken).users.me.query();
  return me.locale;
}

/** The languages the page's API calls asked for (Accept-Language of each /trpc request). */
function acceptLanguages(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/trpc/'))
      seen.push(request.headers()['accept-language'] ?? '');
  });
  return seen;
}

describe('web app in French, in Chromium', { timeout: 180_000 }, () => {
  it('signs up in French, gets French mail and messages, and switches to English and back', async () => {
    const { page, requests, problems } = await frenchBrowser();
    const languages = acceptLanguages(page);
    const email = uniqueEmail('claire');

    // The browser speaks French: so does the sign-up page, and <html lang> says so.
    await page.goto(`${server.url}/sign-up`);
    await page.getByRole('heading', { name: 'Créez votre compte' }).waitFor();
    await expect.poll(() => htmlLang(page)).toBe('fr'); // set in an effect, after the render
    expect(await page.title()).toBe('Créez votre compte · Tessera');
    await screenshot(page, 'fr-01-sign-up');

    // A message the server words (the password policy) comes back in French too.
    await page.getByLabel('Nom', { exact: true }).fill('Claire Dupont');
    await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill('trop court');
    await page.getByRole('button', { name: 'Créer le compte' }).click();
    await page.getByText('Le mot de passe doit comporter au moins 15 caractères').waitFor();
    await page.getByText('Au moins 15 caractères.').waitFor();
    await screenshot(page, 'fr-02-sign-up-password-error');

    await page.getByLabel('Mot de passe', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Créer le compte' }).click();
    await page.waitForURL(`${server.url}/profile`);
    await page.getByRole('heading', { name: 'Votre profil' }).waitFor();
    await page.getByText(`Bienvenue sur Tessera${NNBSP}! Votre compte est prêt.`).waitFor();
    await page.getByRole('heading', { name: 'Appareils connectés' }).waitFor();
    await page.getByText('Cet appareil').waitFor();
    await page.getByText('Votre adresse e-mail n’est pas encore vérifiée.').waitFor();
    // French typography made it to the page: a no-break space before the colon.
    await page.getByRole('button', { name: 'Envoyer le lien de vérification' }).click();
    await page
      .getByText(`Nous vous avons envoyé un lien${NBSP}: consultez votre boîte de réception.`)
      .waitFor();
    expect(await page.getByRole('banner').getByLabel('Langue').inputValue()).toBe('fr');
    await screenshot(page, 'fr-03-profile');

    // Sign-up sent the page's language: the account is French, and so is its first mail.
    expect(await storedLocale(email, STRONG_PASSWORD)).toBe('fr');
    const verification = await mail.waitFor(email, /Confirmez votre adresse e-mail/);
    expect(verification.language).toBe('fr');
    expect(verification.html).toContain('<html lang="fr">');

    // A wrong password: the page's own French words.
    await page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill('pas le bon mot de passe du tout');
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.getByRole('alert').getByText('Adresse e-mail ou mot de passe incorrect.').waitFor();
    await screenshot(page, 'fr-04-sign-in-wrong-password');

    // Every call asked for French (the typed client's `locale`).
    expect(languages.length).toBeGreaterThan(3);
    expect(new Set(languages)).toEqual(new Set(['fr']));

    // Signed in, the switcher saves the choice on the account: English, then French again.
    await page.getByLabel('Mot de passe', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${server.url}/profile`);
    await page.getByRole('banner').getByLabel('Langue').selectOption('en');
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    await page.getByRole('heading', { name: 'Signed-in devices' }).waitFor();
    await expect.poll(() => htmlLang(page)).toBe('en'); // set in an effect, after the render
    await expect.poll(() => storedLocale(email, STRONG_PASSWORD)).toBe('en');
    await screenshot(page, 'fr-05-profile-switched-to-english');

    // The account's language now wins over the browser's, after a reload too.
    await page.reload();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    await expect.poll(() => htmlLang(page)).toBe('en'); // set in an effect, after the render

    await page.getByRole('banner').getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: 'Votre profil' }).waitFor();
    await expect.poll(() => htmlLang(page)).toBe('fr'); // set in an effect, after the render
    await expect.poll(() => storedLocale(email, STRONG_PASSWORD)).toBe('fr');

    expect(await axeViolations(page), 'axe on the French profile').toEqual([]);
    expect(foreignRequests(requests, server.url)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('shows an admin the users console and the audit log in French', async () => {
    // The admin chose French on their account; a failed sign-in gives the log something to show.
    const { accessToken } = await server
      .client()
      .auth.login.mutate({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .then(tokensOf);
    await server.client(accessToken).users.updateMe.mutate({ locale: 'fr' });
    const member = uniqueEmail('membre');
    await server
      .client()
      .auth.register.mutate({ name: 'Marius Membre', email: member, password: STRONG_PASSWORD });
    await server
      .client()
      .auth.login.mutate({ email: member, password: 'un mauvais mot de passe, exprès' })
      .catch(() => undefined);

    const { page, requests, problems } = await frenchBrowser();
    await page.goto(`${server.url}/sign-in`);
    await page.getByLabel('Adresse e-mail', { exact: true }).fill(ADMIN_EMAIL);
    await page.getByLabel('Mot de passe', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${server.url}/profile`);

    // The users console: headings, roles, statuses and dates in French.
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    await nav.getByRole('link', { name: 'Utilisateurs' }).click();
    await page.waitForURL(`${server.url}/admin/users`);
    await page.getByRole('heading', { name: 'Utilisateurs' }).waitFor();
    const row = page.locator('tbody tr').filter({ hasText: member });
    await row.getByText('Actif', { exact: true }).waitFor();
    await row.getByText('Adresse e-mail non vérifiée').waitFor();
    expect(await row.getByLabel('Rôle de Marius Membre').locator('option:checked').innerText()).toBe(
      'Utilisateur',
    );
    await page.getByRole('columnheader', { name: 'Dernière connexion' }).waitFor();
    await row.getByRole('button', { name: 'Désactiver Marius Membre' }).waitFor();
    await screenshot(page, 'fr-06-admin-users');

    // A role change is worded in French before it is confirmed.
    await row.getByLabel('Rôle de Marius Membre').selectOption('manager');
    await row.getByText('Marius Membre deviendra gestionnaire.').waitFor();
    await row.getByRole('button', { name: 'Annuler' }).click();

    // The audit log: actions as words, not codes.
    await nav.getByRole('link', { name: 'Journal d’audit' }).click();
    await page.waitForURL(`${server.url}/admin/audit`);
    await page.getByRole('heading', { name: 'Journal d’audit' }).waitFor();
    const failed = page.locator('td[data-label="Action"] [title="auth.login.failure"]').first();
    expect(await failed.innerText()).toBe('Échec de connexion');
    await page
      .locator('td[data-label="Action"] [title="auth.register"]')
      .getByText('Inscription')
      .first()
      .waitFor();
    await page.getByLabel('Action', { exact: true }).selectOption('auth.login.failure');
    expect(await page.getByLabel('Action', { exact: true }).locator('option:checked').innerText()).toBe(
      'Échec de connexion',
    );
    await page.locator('tbody tr').first().waitFor();
    await screenshot(page, 'fr-07-admin-audit');

    // The other admin pages, for the record.
    await nav.getByRole('link', { name: 'Clés d’API' }).click();
    await page.getByRole('heading', { name: 'Clés d’API' }).waitFor();
    await screenshot(page, 'fr-08-admin-api-keys');
    await nav.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'Ajouter un point de terminaison' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ajouter un point de terminaison de webhook' });
    await dialog.getByRole('checkbox', { name: 'Utilisateur créé (user.created)' }).waitFor();
    await screenshot(page, 'fr-09-admin-webhook-create');
    await dialog.getByRole('button', { name: 'Annuler' }).click();

    // No plain space where French wants a no-break one, anywhere on the profile.
    await page.goto(`${server.url}/profile`);
    await page.getByRole('heading', { name: 'Votre profil' }).waitFor();
    expect(await page.locator('main').innerText()).not.toMatch(/ [:;!?»]|« /);

    expect(foreignRequests(requests, server.url)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
