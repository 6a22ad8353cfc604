import { createHash, randomBytes } from 'node:crypto';

/** A fresh opaque token: 32 random bytes, base64url. Handed out once, stored only hashed. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, base64url: what the database keeps instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** What every API key secret starts with, so a bearer token tells at once what it is. */
export const API_KEY_PREFIX = 'tsk_';

/** Characters of a key's secret kept in clear (`prefix`), to tell keys apart in lists. */
export const API_KEY_PREFIX_LENGTH = 12;

/** A new API key secret: `tsk_` and 32 random bytes, base64url. */
export function newApiKeySecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** A new webhook signing secret: `whsec_` and 32 random bytes, base64 (Standard Webhooks). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
