import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { locales } from '../i18n/locales.js';

/** Text that PostgreSQL can store: it rejects NUL (22021), so we refuse it at the edge. */
export const safeText = (max: number) =>
  z
    .string()
    .max(max, field('text_too_long'))
    .refine((s) => !s.includes('\u0000'), field('text_nul'));

/** An email address, trimmed and lower-cased: the one form we store and compare. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, field('email_too_long'))
  .pipe(z.email(field('email_invalid')));

/** Longest display name, in characters (code points: an emoji or a CJK character counts once). */
export const NAME_MAX_LENGTH = 100;

/** Most combining marks (accents, vowel signs) one base character of a name may carry. */
export const MAX_COMBINING_MARKS = 4;

/**
 * What a display name may contain, decided once for every path that takes one (sign-up,
 * create, update, updateMe, import, the CLI): trimmed, NFC-normalised, 1–100 characters of
 * well-formed Unicode text on one line. Refused: control characters (C0, DEL, C1 — NUL among
 * them, which PostgreSQL text cannot hold), line and paragraph separators, and lone surrogates
 * (a JS string can hold them, UTF-8 and PostgreSQL's JSON cannot: stored as text they silently
 * became U+FFFD, written to the audit log's JSON they failed).
 *
 * A name is also read by people — staff in the admin console, the audit log — so it must show
 * what it is: at least one visible character (a name of zero-width spaces, fillers or tag
 * characters gets round "required" and leaves a blank where a person is expected), no bidi
 * controls (an unterminated U+202E reverses what follows it: "Admin\u202Egnp.exe" reads as
 * "Adminexe.png", and can reorder the text after it on the page), and at most
 * MAX_COMBINING_MARKS marks in a row (stacked marks — "zalgo" — spill over neighbouring lines;
 * no script needs more than a few on one letter).
 */
export const name = z
  .string()
  .max(4 * NAME_MAX_LENGTH, field('name_too_long'))
  .trim()
  .refine((s) => !LONE_SURROGATE.test(s), field('name_not_unicode'))
  .refine((s) => !LINE_OR_CONTROL.test(s), field('name_one_line'))
  .refine((s) => !BIDI_CONTROL.test(s), field('name_bidi'))
  .normalize('NFC')
  .min(1, field('name_required'))
  // An empty name has its own message ("required") and no second one.
  .refine((s) => s === '' || s.replace(INVISIBLE, '').length > 0, field('name_invisible'))
  .refine((s) => !STACKED_MARKS.test(s), field('name_stacked_marks'))
  .refine((s) => codePoints(s) <= NAME_MAX_LENGTH, field('name_too_long'));

/** With the u flag, a surrogate pair is one code point; only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;
const LINE_OR_CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069. */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
/**
 * What shows nothing on its own: default-ignorable code points (zero-width characters, soft
 * hyphen, variation selectors, tag characters, the Hangul fillers), white space, the blank
 * braille pattern (a symbol, but drawn as nothing) and combining marks (they need a base).
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{White_Space}\u2800\p{M}]/gu;
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_COMBINING_MARKS + 1},}`, 'u');

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

/**
 * A password as it travels: any characters, never trimmed or truncated. Length and content
 * rules depend on configuration, so the password policy enforces them in characters (code
 * points; see password-policy.ts). This cap, in UTF-16 units, only bounds the work argon2 is
 * asked to do: 256 characters of any script or emoji fit within it.
 */
export const password = z
  .string()
  .min(1, field('password_required'))
  .max(1024, field('password_max'))
  .refine((s) => !s.includes('\u0000'), field('password_nul'));

/** A language Tessera speaks. */
export const locale = z.enum(locales, field('locale_unsupported'));

export const uuid = z.uuid(field('uuid_invalid'));

export const isoDateTime = z.iso.datetime({ offset: true });

export const okOutput = z.object({ ok: z.literal(true) });
