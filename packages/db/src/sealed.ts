import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM with a random 96-bit IV, `base64(iv | tag | ciphertext)`. Used
 * for queued mail bodies that carry a live token and for TOTP secrets, each with its own key
 * (derived from the signing key, apps/server/src/auth/keys.ts).
 */
export function seal(plaintext: string, key: Uint8Array): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** Reverses {@link seal}; throws if the data was altered or the key differs. */
export function unseal(sealed: string, key: Uint8Array): string {
  const data = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
}

/** What a queued mail's `body` column holds, once decrypted/parsed. */
export interface MailBody {
  text: string;
  html: string;
  link?: string;
}

/** A mail body, sealed. */
export const sealBody = (body: MailBody, key: Uint8Array): string => seal(JSON.stringify(body), key);

/** Reverses {@link sealBody}. */
export const openBody = (sealed: string, key: Uint8Array): MailBody =>
  JSON.parse(unseal(sealed, key)) as MailBody;
