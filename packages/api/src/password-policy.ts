import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * 49k passwords seen most often in breaches, from the maintained zxcvbn-ts list. Compared
 * case-insensitively: "Password1234567890" is as guessable as its lower-case twin.
 */
const commonPasswords: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((p) => p.toLowerCase()),
);

export const PASSWORD_MAX_LENGTH = 256;

export interface PasswordRules {
  minLength: number;
}

/** Why a password is refused: a stable reason (an error's `data.reason`) and words for people. */
export interface PasswordProblem {
  reason: 'password_too_short' | 'password_too_long' | 'password_too_common' | 'password_contains_email';
  message: string;
}

/**
 * Why `password` may not be used, or undefined when it may (NIST SP 800-63B-4 §3.1.1.2):
 * a length range, no composition rules, nothing from a breach list, not the email's name.
 * Length counts code points, so every character is worth one whatever its encoding.
 */
export function passwordProblem(
  password: string,
  rules: PasswordRules,
  email?: string,
): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < rules.minLength)
    return {
      reason: 'password_too_short',
      message: `Password must be at least ${rules.minLength} characters`,
    };
  if (length > PASSWORD_MAX_LENGTH)
    return {
      reason: 'password_too_long',
      message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters`,
    };
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower) || isPredictable(lower))
    return { reason: 'password_too_common', message: 'This password is too common; choose another' };
  const localPart = email?.split('@')[0]?.toLowerCase();
  if (localPart && localPart.length >= 3 && lower.includes(localPart))
    return { reason: 'password_contains_email', message: 'Password must not contain your email address' };
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
function isPredictable(lower: string): boolean {
  const parts = lower.split(/(\d+)/).filter(Boolean);
  return parts.every(
    (part) => isRepeat(part) || isRun(part) || commonPasswords.has(part) || /^\d{1,4}$/.test(part),
  );
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
