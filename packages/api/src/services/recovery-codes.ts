import { randomInt } from 'node:crypto';
import { hashToken } from '../secrets.js';

/** How many codes a set holds (DESIGN.md). */
export const RECOVERY_CODE_COUNT = 10;

/**
 * Crockford's base32 alphabet: no I, L, O or U, so a code read off paper is not misread.
 * 16 characters of it carry 80 random bits: a stolen hash cannot be reversed by trying them.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 4;
const GROUP_LENGTH = 4;

/** A new set of codes, `xxxx-xxxx-xxxx-xxxx`, each shown once to its owner. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: GROUPS }, () =>
      Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''),
    ).join('-'),
  );
}

/**
 * What the database keeps of a code: SHA-256 of its normal form (lower case, no spaces or
 * dashes, and the letters Crockford reads as digits: i and l as 1, o as 0).
 */
export function hashRecoveryCode(code: string): string {
  const normal = code
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  return hashToken(`recovery:${normal}`);
}
