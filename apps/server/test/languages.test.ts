import { readFileSync } from 'node:fs';
import { reasons } from '@tessera/api';
import { createClient, errorReason, fieldErrors } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { mailSinkPerFile } from './helpers/mail-sink.js';
import { perFile } from './helpers/per-file.js';
import { rejection, startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';

// Tessera in English and French (README "Languages"): the user's locale, mail in the
// recipient's language through a real SMTP sink, API messages in the request's language with
// the same `data.reason`, on both transports.

const PUBLIC_URL = 'https://id.example.test';
const sink = mailSinkPerFile();
const server = perFile(() =>
  startTestServer({ SMTP_URL: sink.url, PUBLIC_URL, MAIL_POLL_INTERVAL_MS: '20' }),
);

const client = (locale?: string, token?: string) =>
  createClient({ url: server.url, ...(locale ? { locale } : {}), ...(token ? { token } : {}) });

/** What these tests read of a REST answer (an error body, or an AuthResult). */
interface Answer {
  message?: string;
  data?: { reason: string };
  fieldErrors?: Record<string, string[]>;
  issues?: { message: string }[];
  user?: { locale: string };
}

async function rest(
  method: string,
  path: string,
  options: { json?: unknown; language?: string; token?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  if (options.language) headers['accept-language'] = options.language;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.url}/api${path}`, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  return { status: response.status, body: (await response.json()) as Answer };
}

describe('a French sign-up', () => {
  it('by REST with a French browser gets locale fr and a French verification mail', async () => {
    const email = uniqueEmail('claire');
    const answer = await rest('POST', '/auth/register', {
      json: { name: 'Claire Dupont', email, password: STRONG_PASSWORD },
      language: 'fr-FR,fr;q=0.9,en;q=0.8',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.user?.locale).toBe('fr');

    const mail = await sink.waitFor(email);
    expect(mail.language).toBe('fr');
    expect(mail.html).toContain('<html lang="fr">');
    expect(mail.subject).toBe('Confirmez votre adresse e-mail pour Tessera');
    expect(mail.text).toContain(
      `Merci de confirmer que ${email} est bien l’adresse e-mail de votre compte Tessera.`,
    );
    expect(mail.text).toContain(`Confirmer mon adresse\u00A0: ${PUBLIC_URL}/verify-email#token=`);
    expect(mail.text).toContain('Ce lien expire dans 1\u00A0jour.');
    expect(mail.html).toContain('Ou copiez ce lien dans votre navigateur\u00A0:');
  });

  it('takes the locale field over Accept-Language', async () => {
    const email = uniqueEmail('chosen');
    const result = await client('fr').auth.register.mutate({
      name: 'Chose English',
      email,
      password: STRONG_PASSWORD,
      locale: 'en',
    });
    expect(result.user.locale).toBe('en');
    const mail = await sink.waitFor(email);
    expect(mail.language).toBe('en');
    expect(mail.subject).toBe('Confirm your email for Tessera');
  });
});

describe('API messages', () => {
  it('give the same reason for the same failed sign-in, with the message in each language', async () => {
    const input = { email: uniqueEmail('nobody'), password: 'not the password at all' };
    const [en, fr] = await Promise.all([
      rejection(client('en').auth.login.mutate(input)),
      rejection(client('fr-CA').auth.login.mutate(input)),
    ]);
    expect([errorReason(en), errorReason(fr)]).toEqual(['invalid_credentials', 'invalid_credentials']);
    expect((en as Error).message).toBe('Invalid email or password');
    expect((fr as Error).message).toBe('Adresse e-mail ou mot de passe incorrect');

    const restFr = await rest('POST', '/auth/login', { json: input, language: 'fr' });
    expect(restFr.status).toBe(401);
    expect(restFr.body).toMatchObject({
      message: 'Adresse e-mail ou mot de passe incorrect',
      data: { reason: 'invalid_credentials' },
    });
  });

  it('word field errors in French on both transports', async () => {
    const bad = { name: ' ', email: 'pas-une-adresse', password: STRONG_PASSWORD };
    const trpc = await rejection(client('fr').auth.register.mutate(bad));
    expect(errorReason(trpc)).toBe('invalid_input');
    expect(fieldErrors(trpc)).toEqual({
      name: ['Le nom est obligatoire'],
      email: ['Saisissez une adresse e-mail valide'],
    });

    const answer = await rest('POST', '/auth/register', { json: bad, language: 'fr' });
    expect(answer.status).toBe(400);
    expect(answer.body.data?.reason).toBe('invalid_input');
    expect(answer.body.fieldErrors).toEqual(fieldErrors(trpc));
    expect(answer.body.issues?.map((i) => i.message)).toEqual([
      'Le nom est obligatoire',
      'Saisissez une adresse e-mail valide',
    ]);
    expect(answer.body.message).toBe('name: Le nom est obligatoire');

    // A missing field, and zod's own words through its French locale.
    const missing = await rest('POST', '/auth/register', { json: { name: 7 }, language: 'fr' });
    expect(missing.body.fieldErrors).toMatchObject({
      name: ['Entrée invalide\u00A0: chaîne de caractères attendu, nombre reçu'],
      email: ['Champ obligatoire'],
      password: ['Champ obligatoire'],
    });
  });

  it('word the password policy in French, on the field, with the same reason', async () => {
    const answer = await rest('POST', '/auth/register', {
      json: { name: 'Court', email: uniqueEmail('court'), password: 'trop court' },
      language: 'fr',
    });
    expect(answer.body.data?.reason).toBe('password_too_short');
    expect(answer.body.fieldErrors).toEqual({
      password: ['Le mot de passe doit comporter au moins 15 caractères'],
    });
    const common = await rejection(
      client('fr').auth.register.mutate({
        name: 'Commun',
        email: uniqueEmail(),
        password: 'Grenouille2024!!',
      }),
    );
    expect(errorReason(common)).toBe('password_too_common');
    expect(fieldErrors(common)).toEqual({
      password: ['Ce mot de passe est trop courant\u202F; choisissez-en un autre'],
    });
  });

  it('word refusals the server gives before any procedure runs', async () => {
    const unknown = await rest('GET', '/no/such/route', { language: 'fr' });
    expect(unknown).toMatchObject({
      status: 404,
      body: { message: 'Introuvable', data: { reason: 'not_found' } },
    });
    // Refused by Fastify before any hook runs (a path that is not valid percent-encoding).
    const badPath = await rest('GET', '/users/%E0%A4%A', { language: 'fr' });
    expect(badPath).toMatchObject({
      status: 400,
      body: {
        message: 'Le chemin de la requête n’est pas correctement encodé',
        data: { reason: 'malformed_url' },
      },
    });
    const signedOut = await rest('GET', '/users/me', { language: 'fr' });
    expect(signedOut.body).toMatchObject({
      message: 'Connectez-vous pour continuer',
      data: { reason: 'not_signed_in' },
    });
  });

  it('fall back to DEFAULT_LOCALE for a language Tessera does not speak', async () => {
    const answer = await rest('POST', '/auth/login', {
      json: { email: uniqueEmail(), password: 'whatever it is here' },
      language: 'de-DE,de;q=0.9',
    });
    expect(answer.body.message).toBe('Invalid email or password');
    const email = uniqueEmail('hans');
    const signedUp = await rest('POST', '/auth/register', {
      json: { name: 'Hans', email, password: STRONG_PASSWORD },
      language: 'de',
    });
    expect(signedUp.body.user?.locale).toBe('en');
    expect((await sink.waitFor(email)).language).toBe('en');
  });
});

describe('users.updateMe', () => {
  it('changes the locale, and later mail follows the recipient’s language, not the requester’s', async () => {
    const email = uniqueEmail('switch');
    const { accessToken } = await client('en').auth.register.mutate({
      name: 'Switcher',
      email,
      password: STRONG_PASSWORD,
    });
    const me = client('en', accessToken);
    expect((await me.users.updateMe.mutate({ locale: 'fr' })).locale).toBe('fr');
    expect((await me.users.me.query()).locale).toBe('fr');

    const bad = await rejection(me.users.updateMe.mutate({ locale: 'de' as 'fr' }));
    expect(fieldErrors(bad)).toEqual({ locale: ['Choose one of the supported languages: en, fr'] });

    await client('en').auth.requestPasswordReset.mutate({ email });
    const reset = await sink.waitFor(email, /mot de passe/);
    expect(reset.language).toBe('fr');
    expect(reset.subject).toBe('Réinitialisation de votre mot de passe Tessera');
  });
});

describe('the list of reasons', () => {
  it('is the same in the catalogue, the README and /openapi.json', async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('\n## Errors'),
      readme.indexOf('\n## ', readme.indexOf('\n## Errors') + 1),
    );
    const rows = section.split('\n').filter((line) => /^\| `/.test(line));
    const listed = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    // A reason may sit on two rows (the same refusal at set-up, 400, and at sign-in, 401).
    expect([...new Set(listed)].sort()).toEqual([...reasons].sort());

    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      components: {
        schemas: { Error: { properties: { data: { properties: { reason: { enum: string[] } } } } } };
      };
    };
    expect(document.components.schemas.Error.properties.data.properties.reason.enum).toEqual(reasons);
  });
});
