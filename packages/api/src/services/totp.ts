import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as DESIGN.md sets it: SHA-1, 6 digits, 30-second steps, one step either side. */
const PERIOD_SECONDS = 30;
const WINDOW_STEPS = 1;
const ISSUER = 'Tessera';

/** A new secret: 20 random bytes (the RFC's SHA-1 key length), base32 as apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/**
 * `otpauth://totp/Tessera:<email>?secret=…&issuer=Tessera`, in DESIGN.md's order; the defaults
 * (SHA1, 6 digits, 30 s) are implied. The label is percent-encoded except for `@`, which a
 * URI path may carry as it is.
 */
export function otpauthUrl(email: string, secret: string): string {
  const label = `${ISSUER}:${encodeURIComponent(email).replace(/%40/g, '@')}`;
  return `otpauth://totp/${label}?secret=${secret}&issuer=${ISSUER}`;
}

/**
 * The 30-second step a code belongs to, when it is right for `secret` at `now` within one
 * step either side; undefined otherwise. Callers refuse a step already used (no replay).
 */
export function totpStep(secret: string, code: string, now: Date): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const timestamp = now.getTime();
  const delta = TOTP.validate({
    token,
    secret: Secret.fromBase32(secret),
    period: PERIOD_SECONDS,
    timestamp,
    window: WINDOW_STEPS,
  });
  if (delta === null) return undefined;
  return Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
}

/** True when a code looks like a TOTP code (six digits) rather than a recovery code. */
export const looksLikeTotp = (code: string) => /^\d{6}$/.test(code.replace(/\s+/g, ''));
