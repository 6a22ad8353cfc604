/**
 * The password hashes another system may hand us on import (DESIGN.md, "Moving users in and
 * out"), recognised from their text alone. Pure: the import checks rows with it and the
 * server's hasher verifies with what it returns, so both agree on what a hash is.
 */

/** How a stored hash is checked against a password. */
export type PasswordHashFormat =
  /** A PHC string `$argon2id$…` or `$argon2i$…` (Tessera's own are argon2id). */
  | 'argon2'
  /** `$2a$`, `$2b$`, `$2y$` + two-digit cost + 53 characters of salt and hash. */
  | 'bcrypt'
  /** Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 key>`. */
  | 'django_pbkdf2_sha256'
  /** Django's `pbkdf2_sha1$<iterations>$<salt>$<base64 key>`. */
  | 'django_pbkdf2_sha1'
  /** Django's `argon2` + an argon2-cffi PHC string (`argon2$argon2id$v=19$…`). */
  | 'django_argon2'
  /** Django's `bcrypt_sha256$` + a bcrypt hash of the hex SHA-256 of the password. */
  | 'django_bcrypt_sha256';

/** A recognised hash: its format, what to verify with, and how much work one check costs. */
export interface ParsedPasswordHash {
  format: PasswordHashFormat;
  /** The part a library verifies: the PHC or bcrypt string (Django's prefix removed). */
  verifiable: string;
  /** PBKDF2: iterations, salt and key; bcrypt: cost; argon2: m (KiB), t, p. */
  cost: { iterations: number; salt: string; key: string } | { bcryptCost: number } | Argon2Cost;
}

export interface Argon2Cost {
  memoryKib: number;
  timeCost: number;
  parallelism: number;
}

/**
 * The costliest hash of each kind we accept. Checking a password against a hash costs what
 * the hash says, and while such hashes remain every failed sign-in is answered no sooner
 * than the slowest of these takes (so an imported account cannot be told from an unknown
 * email by timing): the ceilings bound that wait. They are the defaults of Django 6.0 (PBKDF2
 * 1,200,000 iterations, bcrypt_sha256 12 rounds, argon2 m=102400 t=2 p=8); a hash above them
 * is refused on import (its owner sets a password through "forgot password" instead).
 */
export const PASSWORD_HASH_CEILINGS = {
  pbkdf2Iterations: 1_200_000,
  bcryptCost: 12,
  /** m × t bounds argon2's work: Django's m=102400 t=2 and argon2-cffi's m=65536 t=3 fit. */
  argon2: { memoryKib: 102_400, memoryTimesPasses: 204_800, parallelism: 8 },
} as const;

/** Longest hash text accepted (a PHC string with a long salt is ~150 characters). */
export const PASSWORD_HASH_MAX_LENGTH = 512;

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const PHC_ARGON2 =
  /^\$argon2(?:id|i)\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
const DJANGO_PBKDF2 = /^pbkdf2_(sha256|sha1)\$(\d{1,9})\$([^$]{1,128})\$([A-Za-z0-9+/]+={0,2})$/;

/**
 * Recognises a hash and checks it is within PASSWORD_HASH_CEILINGS: a parsed hash, or why
 * it cannot be used (a sentence for the row's error).
 */
export function parsePasswordHash(hash: string): ParsedPasswordHash | { problem: string } {
  if (hash.length > PASSWORD_HASH_MAX_LENGTH)
    return { problem: `Password hash must be at most ${PASSWORD_HASH_MAX_LENGTH} characters` };
  if (hash.startsWith('bcrypt_sha256$')) {
    const inner = parseBcrypt(hash.slice('bcrypt_sha256$'.length));
    return 'problem' in inner ? inner : { ...inner, format: 'django_bcrypt_sha256' };
  }
  if (hash.startsWith('argon2$')) {
    const inner = parseArgon2(hash.slice('argon2'.length));
    return 'problem' in inner ? inner : { ...inner, format: 'django_argon2' };
  }
  if (hash.startsWith('$2')) return parseBcrypt(hash);
  if (hash.startsWith('$argon2')) return parseArgon2(hash);
  const pbkdf2 = DJANGO_PBKDF2.exec(hash);
  if (pbkdf2) {
    const [, digest, iterationsText, salt, key] = pbkdf2 as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const iterations = Number(iterationsText);
    if (iterations < 1) return { problem: 'PBKDF2 iterations must be at least 1' };
    if (iterations > PASSWORD_HASH_CEILINGS.pbkdf2Iterations)
      return {
        problem: `PBKDF2 iterations above ${PASSWORD_HASH_CEILINGS.pbkdf2Iterations} are not accepted`,
      };
    const keyBytes = Buffer.from(key, 'base64').length;
    if (keyBytes !== (digest === 'sha256' ? 32 : 20))
      return { problem: `The pbkdf2_${digest} key has the wrong length` };
    return {
      format: digest === 'sha256' ? 'django_pbkdf2_sha256' : 'django_pbkdf2_sha1',
      verifiable: hash,
      cost: { iterations, salt, key },
    };
  }
  return {
    problem:
      'Unknown password hash format (accepted: argon2id/argon2i PHC, bcrypt $2a$/$2b$/$2y$, ' +
      "Django's pbkdf2_sha256, pbkdf2_sha1, argon2 and bcrypt_sha256)",
  };
}

function parseBcrypt(text: string): ParsedPasswordHash | { problem: string } {
  const match = BCRYPT.exec(text);
  if (!match) return { problem: 'Not a valid bcrypt hash' };
  const bcryptCost = Number(match[1]);
  if (bcryptCost < 4) return { problem: 'bcrypt cost must be at least 4' };
  if (bcryptCost > PASSWORD_HASH_CEILINGS.bcryptCost)
    return { problem: `bcrypt costs above ${PASSWORD_HASH_CEILINGS.bcryptCost} are not accepted` };
  return { format: 'bcrypt', verifiable: text, cost: { bcryptCost } };
}

function parseArgon2(text: string): ParsedPasswordHash | { problem: string } {
  const match = PHC_ARGON2.exec(text);
  if (!match) return { problem: 'Not a valid argon2 PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)' };
  const [memoryKib, timeCost, parallelism] = [match[1], match[2], match[3]].map(Number) as [
    number,
    number,
    number,
  ];
  const max = PASSWORD_HASH_CEILINGS.argon2;
  if (memoryKib < 8 * parallelism || timeCost < 1 || parallelism < 1)
    return { problem: 'The argon2 parameters are not valid' };
  if (
    memoryKib > max.memoryKib ||
    memoryKib * timeCost > max.memoryTimesPasses ||
    parallelism > max.parallelism
  )
    return {
      problem: `argon2 costs above m=${max.memoryKib}, m×t=${max.memoryTimesPasses}, p=${max.parallelism} are not accepted`,
    };
  return { format: 'argon2', verifiable: text, cost: { memoryKib, timeCost, parallelism } };
}
