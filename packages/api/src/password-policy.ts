import { commonPasswords, type WordList } from './common-passwords.js';
import { errorMessage, type ReasonParamsArg } from './i18n/error-messages.js';
import type { Locale } from './i18n/locales.js';

export const PASSWORD_MAX_LENGTH = 256;

export interface PasswordRules {
  minLength: number;
}

type PasswordReason =
  'password_too_short' | 'password_too_long' | 'password_too_common' | 'password_contains_email';

/**
 * Why a password is refused: a stable reason (an error's `data.reason`) and the parameters
 * of its message, which the error catalogue words in each language.
 */
export interface PasswordProblem {
  reason: PasswordReason;
  params: unknown;
  /** The words for people, in `locale`. */
  messageIn(locale: Locale): string;
}

function problem<R extends PasswordReason>(reason: R, ...params: ReasonParamsArg<R>): PasswordProblem {
  return { reason, params: params[0], messageIn: (locale) => errorMessage(reason, locale, params[0]) };
}

/**
 * Why `password` may not be used, or undefined when it may (NIST SP 800-63B-4 §3.1.1.2):
 * a length range, no composition rules, nothing from a breach list, not the email's name.
 * Length counts code points, so every character is worth one whatever its encoding.
 */
export async function passwordProblem(
  password: string,
  rules: PasswordRules,
  email?: string,
): Promise<PasswordProblem | undefined> {
  const length = [...password].length;
  if (length < rules.minLength) return problem('password_too_short', { minLength: rules.minLength });
  if (length > PASSWORD_MAX_LENGTH) return problem('password_too_long', { maxLength: PASSWORD_MAX_LENGTH });
  const lower = password.toLowerCase();
  const common = await commonPasswords();
  if (common.has(lower) || isPredictable(lower, common)) return problem('password_too_common');
  const localPart = email?.split('@')[0]?.toLowerCase();
  if (localPart && localPart.length >= 3 && lower.includes(localPart))
    return problem('password_contains_email');
  return undefined;
}

/** Rows of common keyboards and the digits, in both directions, for "qwertyuiop…"-style runs. */
const RUNS = [
  '1234567890',
  'qwertyuiopasdfghjklzxcvbnm',
  'abcdefghijklmnopqrstuvwxyz',
  'qwertzuiop',
  'azertyuiop',
];
const RUNS_BOTH_WAYS = [...RUNS, ...RUNS.map((r) => [...r].reverse().join(''))];

/**
 * Long but guessable: the 15-character minimum rules out almost the whole breach list, so
 * the shapes attackers try first are refused too — one short unit repeated ("aaaa…",
 * "iloveyouiloveyou"), keyboard or counting runs ("123456789012345"), and a common word
 * padded with such runs or digits ("Password1234567890").
 */
function isPredictable(lower: string, common: WordList): boolean {
  const parts = lower.split(/(\d+)/).filter(Boolean);
  return parts.every((part) => isRepeat(part) || isRun(part) || common.has(part) || /^\d{1,4}$/.test(part));
}

function isRepeat(s: string): boolean {
  return /^(.{1,8}?)\1+$/su.test(s);
}

/** A stretch of one keyboard row or counting sequence, possibly wrapping ("…7890123…"). */
function isRun(s: string): boolean {
  if (s.length < 3) return false;
  return RUNS_BOTH_WAYS.some((run) => {
    const start = run.indexOf(s[0]!);
    if (start < 0) return false;
    for (let i = 0; i < s.length; i++) if (run[(start + i) % run.length] !== s[i]) return false;
    return true;
  });
}
