import { z } from 'zod';
import { finish, number } from './format.js';
import type { Locale } from './locales.js';

/** The parts of a zod issue a message may quote (bounds of a too_small / too_big). */
interface IssueFacts {
  minimum?: number | bigint;
  maximum?: number | bigint;
}

type FieldText = string | ((facts: IssueFacts, locale: Locale) => string);

const bound = (value: number | bigint | undefined, locale: Locale) => number(locale, Number(value ?? 0));

/**
 * The words for our own input rules, in every language, keyed by what schemas write as the
 * rule's message (`schemas/common.ts`: `.min(1, field('name_required'))`). zod's own
 * messages (a wrong type, an unknown enum value) come from zod's locales; a missing field
 * is `required`. Adding a rule is one entry here, in both languages.
 */
const fieldMessages = {
  required: { en: 'Required', fr: 'Champ obligatoire' },
  text_too_long: {
    en: (f, l) => `Must be at most ${bound(f.maximum, l)} characters`,
    fr: (f, l) => `${bound(f.maximum, l)} caractères au maximum`,
  },
  text_nul: { en: 'Must not contain NUL characters', fr: 'Ne doit pas contenir de caractère NUL' },
  email_too_long: {
    en: 'Email must be at most 254 characters',
    fr: 'L’adresse e-mail ne peut pas dépasser 254 caractères',
  },
  email_invalid: { en: 'Enter a valid email address', fr: 'Saisissez une adresse e-mail valide' },
  name_required: { en: 'Name is required', fr: 'Le nom est obligatoire' },
  name_too_long: {
    en: 'Name must be at most 100 characters',
    fr: 'Le nom ne peut pas dépasser 100 caractères',
  },
  name_not_unicode: { en: 'Name must be valid Unicode text', fr: 'Le nom doit être un texte Unicode valide' },
  name_one_line: {
    en: 'Name must be one line without control characters',
    fr: 'Le nom doit tenir sur une ligne, sans caractère de contrôle',
  },
  name_bidi: {
    en: 'Name must not contain text-direction control characters',
    fr: 'Le nom ne doit pas contenir de caractère de contrôle du sens d’écriture',
  },
  name_invisible: {
    en: 'Name must contain a visible character',
    fr: 'Le nom doit contenir au moins un caractère visible',
  },
  name_stacked_marks: {
    en: 'Name must not have more than 4 accents on one letter',
    fr: 'Le nom ne peut pas porter plus de 4 accents sur une même lettre',
  },
  password_required: { en: 'Password is required', fr: 'Le mot de passe est obligatoire' },
  password_max: {
    en: 'Password must be at most 256 characters',
    fr: 'Le mot de passe ne peut pas dépasser 256 caractères',
  },
  password_nul: {
    en: 'Password must not contain NUL characters',
    fr: 'Le mot de passe ne doit pas contenir de caractère NUL',
  },
  uuid_invalid: { en: 'Must be a valid UUID', fr: 'Doit être un UUID valide' },
  refresh_token_required: {
    en: 'Refresh token is required',
    fr: 'Le jeton de renouvellement est obligatoire',
  },
  token_required: { en: 'Token is required', fr: 'Le jeton est obligatoire' },
  token_invalid: { en: 'Token is not valid', fr: 'Le jeton n’est pas valide' },
  boolean_expected: { en: 'Must be true or false', fr: 'Doit valoir true ou false' },
  limit_number: { en: 'Limit must be a number', fr: 'La limite doit être un nombre' },
  limit_integer: { en: 'Limit must be a whole number', fr: 'La limite doit être un nombre entier' },
  limit_min: {
    en: (f, l) => `Limit must be at least ${bound(f.minimum, l)}`,
    fr: (f, l) => `La limite doit valoir au moins ${bound(f.minimum, l)}`,
  },
  limit_max: {
    en: (f, l) => `Limit must be at most ${bound(f.maximum, l)}`,
    fr: (f, l) => `La limite ne peut pas dépasser ${bound(f.maximum, l)}`,
  },
  code_required: { en: 'Enter a code', fr: 'Saisissez un code' },
  code_invalid: { en: 'This code is not valid', fr: 'Ce code n’est pas valide' },
  code_or_passkey: {
    en: 'Send either a code or a passkey',
    fr: 'Envoyez soit un code, soit une clé d’accès',
  },
  base64url_expected: { en: 'Must be base64url', fr: 'Doit être encodé en base64url' },
  rows_required: { en: 'Send at least one row', fr: 'Envoyez au moins une ligne' },
  url_invalid: { en: 'Enter an http:// or https:// URL', fr: 'Saisissez une URL http:// ou https://' },
  url_credentials: {
    en: 'The URL must not carry a user name or password',
    fr: 'L’URL ne doit contenir ni nom d’utilisateur ni mot de passe',
  },
  url_fragment: { en: 'The URL must not have a fragment', fr: 'L’URL ne doit pas contenir de fragment (#)' },
  events_required: { en: 'Choose at least one event', fr: 'Choisissez au moins un événement' },
  locale_unsupported: {
    en: 'Choose one of the supported languages: en, fr',
    fr: 'Choisissez l’une des langues prises en charge : en, fr',
  },
} as const satisfies Record<string, Record<Locale, FieldText>>;

/** A rule's message key, as a schema writes it. */
export type FieldMessage = keyof typeof fieldMessages;

/**
 * What a schema passes as a rule's message: the key, rendered in the caller's language when
 * the error is formatted (`issueMessage`). Typed, so a key without words does not compile.
 */
export const field = (key: FieldMessage): string => key;

/** Every key, for the catalogue test. */
export const fieldMessageKeys = Object.keys(fieldMessages) as FieldMessage[];

function isFieldMessage(value: string): value is FieldMessage {
  return Object.hasOwn(fieldMessages, value);
}

/** A zod issue as a formatted error carries it: zod's fields, without the input. */
type Issue = z.core.$ZodIssue;

const zodLocales: Record<Locale, z.core.$ZodErrorMap> = {
  en: z.locales.en().localeError,
  fr: z.locales.fr().localeError,
};

/**
 * One zod issue's message in `locale`. Ours (a key) come from the catalogue above; a missing
 * field says "required"; anything else is zod's own message in that language, given the
 * value the issue is about (`input`: the raw input of the call, when known).
 */
export function issueMessage(issue: Issue, locale: Locale, input?: unknown): string {
  if (isFieldMessage(issue.message)) {
    const text: FieldText = fieldMessages[issue.message][locale];
    return finish(locale, typeof text === 'string' ? text : text(issue as IssueFacts, locale));
  }
  const value = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && value === undefined && input !== undefined)
    return issueMessage({ ...issue, message: 'required' }, locale);
  if (locale === 'en') return issue.message;
  const raw = { ...issue, input: value } as unknown as Parameters<z.core.$ZodErrorMap>[0];
  const text = zodLocales[locale](raw);
  const message = typeof text === 'string' ? text : (text?.message ?? issue.message);
  return finish(locale, message);
}

/** Every issue of `error` with its message in `locale` (a copy: the error is not changed). */
export function localizedIssues(error: z.ZodError, locale: Locale, input?: unknown): Issue[] {
  return error.issues.map((issue): Issue => ({ ...issue, message: issueMessage(issue, locale, input) }));
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
