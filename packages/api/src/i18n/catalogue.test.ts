import { describe, expect, it } from 'vitest';
import { composeMail, mailTemplates, type MailTemplateName } from '../mail/templates.js';
import { PASSWORD_MAX_LENGTH } from '../password-policy.js';
import { MAX_COMBINING_MARKS, NAME_MAX_LENGTH } from '../schemas/common.js';
import { errorMessage, errorMessages, reasons } from './error-messages.js';
import { fieldMessageKeys, issueMessage } from './field-messages.js';
import { frenchTypography } from './format.js';
import { locales, negotiateLocale } from './locales.js';
import { importRefusal, importRefusalKinds } from './import-refusals.js';
import { policyRefusal, policyRules } from './policy-refusals.js';

// Every catalogue has every entry in every language: a reason, rule, field message or mail
// added in one language only fails here (and, for most, does not compile).

/** Parameters that fit every entry that takes some (extra ones are ignored). */
const PARAMS = {
  minLength: 15,
  maxLength: 256,
  maxDepth: 32,
  retryAfterSeconds: 900,
  action: 'disable',
  rule: 'set_role_admins_only',
  sort: 'name',
  order: 'asc',
  minutes: 10,
  problem: 'not_public',
  host: 'hooks.example.com',
  address: '10.0.0.7',
  range: 'private',
};

/** A space where French wants a no-break one: before : ; ! ? and inside « ». */
const LOOSE_FRENCH = /(?: [:;!?»])|(?:« )/;

describe('the error catalogue', () => {
  it.each(reasons)('words %s in every language, French with its typography', (reason) => {
    for (const locale of locales) {
      const message = errorMessage(reason, locale, PARAMS);
      expect(message.trim().length, `${reason} in ${locale}`).toBeGreaterThan(5);
      expect(message).not.toMatch(/undefined|\[object/);
    }
    expect(errorMessage(reason, 'fr', PARAMS)).not.toMatch(LOOSE_FRENCH);
    expect(Object.keys(errorMessages[reason]).sort()).toEqual([...locales].sort());
  });

  it('differs between the languages (nothing left untranslated)', () => {
    const same = reasons.filter((r) => errorMessage(r, 'en', PARAMS) === errorMessage(r, 'fr', PARAMS));
    expect(same).toEqual([]);
  });

  it('words every policy rule in both languages', () => {
    for (const rule of policyRules) {
      expect(policyRefusal(rule, 'en')).not.toBe(policyRefusal(rule, 'fr'));
      expect(errorMessage('forbidden', 'fr', { rule })).not.toMatch(LOOSE_FRENCH);
    }
  });

  it('words every refusal of an imported row in both languages', () => {
    for (const kind of importRefusalKinds) {
      const [en, fr] = (['en', 'fr'] as const).map((locale) =>
        kind === 'same_email' ? importRefusal(kind, locale, { first: 3 }) : importRefusal(kind, locale),
      );
      expect(en).not.toBe(fr);
      expect(fr).not.toMatch(LOOSE_FRENCH);
    }
  });

  it('puts durations and numbers in the words of each language', () => {
    expect(errorMessage('too_many_attempts', 'en', { retryAfterSeconds: 900 })).toBe(
      'Too many sign-in attempts. Try again in 15 minutes, or reset your password.',
    );
    expect(errorMessage('too_many_attempts', 'fr', { retryAfterSeconds: 3600 })).toBe(
      'Trop de tentatives de connexion. Réessayez dans 1\u00A0heure, ou réinitialisez votre mot de passe.',
    );
    expect(errorMessage('rate_limited', 'fr', { retryAfterSeconds: 61, what: 'signIn' })).toBe(
      'Trop d’échecs de connexion depuis votre réseau. Réessayez dans 2\u00A0minutes.',
    );
  });
});

describe('the field messages', () => {
  it.each(fieldMessageKeys)('words %s in every language', (key) => {
    const issue = {
      code: 'too_big',
      origin: 'string',
      maximum: 100,
      minimum: 1,
      path: [],
      message: key,
    } as never;
    const [en, fr] = [issueMessage(issue, 'en'), issueMessage(issue, 'fr')];
    expect(en).not.toBe(key);
    expect(fr).not.toBe(en);
    expect(fr).not.toMatch(LOOSE_FRENCH);
  });

  it('names the limits the schemas and the policy enforce', () => {
    const say = (message: string) => issueMessage({ code: 'custom', path: [], message } as never, 'en');
    expect(say('name_too_long')).toContain(String(NAME_MAX_LENGTH));
    expect(say('name_stacked_marks')).toContain(String(MAX_COMBINING_MARKS));
    expect(say('password_max')).toContain(String(PASSWORD_MAX_LENGTH));
  });

  it('words zod’s own issues through zod’s locales, and a missing field as required', () => {
    const wrongType = { code: 'invalid_type', expected: 'string', path: ['name'], message: 'Invalid input' };
    expect(issueMessage(wrongType as never, 'fr', { name: 42 })).toBe(
      'Entrée invalide\u00A0: chaîne de caractères attendu, nombre reçu',
    );
    expect(issueMessage(wrongType as never, 'fr', {})).toBe('Champ obligatoire');
    expect(issueMessage(wrongType as never, 'en', {})).toBe('Required');
  });
});

describe('the mail templates', () => {
  const names = Object.keys(mailTemplates) as MailTemplateName[];
  const params = {
    to: 'claire@example.fr',
    link: 'https://id.example.test/reset-password#token=abc',
    expiresInSeconds: 1800,
    publicUrl: 'https://id.example.test',
    newEmail: 'nouvelle@example.fr',
    notice: { kind: 'passkey_added', name: 'Portable' },
  };

  it.each(names)('composes %s in every language, marked with its language', (name) => {
    const [en, fr] = locales.map((locale) => composeMail(name, locale, params as never));
    expect(en!.language).toBe('en');
    expect(fr!.language).toBe('fr');
    expect(en!.html).toContain('<html lang="en">');
    expect(fr!.html).toContain('<html lang="fr">');
    expect(fr!.subject).not.toBe(en!.subject);
    expect(fr!.text).not.toBe(en!.text);
    expect(fr!.text).toContain('— L’équipe Tessera');
    for (const text of [fr!.subject, fr!.text]) expect(text).not.toMatch(LOOSE_FRENCH);
    expect(fr!.secret).toBe(en!.secret);
  });

  it('writes a French link lifetime and labels the French way', () => {
    const mail = composeMail('passwordReset', 'fr', params);
    expect(mail.text).toContain('Ce lien expire dans 30\u00A0minutes.');
    expect(mail.text).toContain(`Choisir un nouveau mot de passe\u00A0: ${params.link}`);
    expect(mail.text).toContain('ignorez cet e-mail\u00A0: votre mot de passe reste inchangé.');
  });
});

describe('frenchTypography', () => {
  it('puts no-break spaces where French typography wants them', () => {
    expect(frenchTypography('Vraiment ? Oui ! Bien ; « citation » : fin')).toBe(
      'Vraiment\u202F? Oui\u202F! Bien\u202F; «\u00A0citation\u00A0»\u00A0: fin',
    );
    expect(frenchTypography('https://example.fr/a?b=c')).toBe('https://example.fr/a?b=c');
  });
});

describe('negotiateLocale', () => {
  const supported = ['en', 'fr'] as const;
  it.each([
    ['fr-FR,fr;q=0.9,en;q=0.8', 'fr'],
    ['de-DE,de;q=0.9', 'en'],
    ['de, fr;q=0.5', 'fr'],
    ['en;q=0.1, fr-CA;q=0.7', 'fr'],
    ['fr;q=0, en', 'en'],
    ['*', 'en'],
    ['', 'en'],
    [undefined, 'en'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateLocale(header, supported, 'en')).toBe(expected);
  });

  it('falls back to the given default', () => {
    expect(negotiateLocale('de', supported, 'fr')).toBe('fr');
  });
});
