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

/**
 * Why `password` may not be used, or undefined when it may (NIST SP 800-63B-4 §3.1.1.2):
 * a length range, no composition rules, nothing from a breach list, not the email's name.
 * Length counts code points, so every character is worth one whatever its encoding.
 */
export function passwordProblem(password: string, rules: PasswordRules, email?: string): string | undefined {
  const length = [...password].length;
  if (length < rules.minLength) return `Password must be at least ${rules.minLength} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `Password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower)) return 'This password is too common; choose another';
  const localPart = email?.split('@')[0]?.toLowerCase();
  if (localPart && localPart.length >= 3 && lower.includes(localPart))
    return 'Password must not contain your email address';
  return undefined;
}
