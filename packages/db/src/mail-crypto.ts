import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a queued mail's `body` column holds, once decrypted/parsed. */
export interface MailBody {
  text: string;
  html: string;
  link?: string;
}

/** A mail body sealed with {@link sealText}. */
export function sealBody(body: MailBody, key: Uint8Array): string {
  return sealText(JSON.stringify(body), key);
}

/** Reverses {@link sealBody}; throws if the data was altered or the key differs. */
export function openBody(sealed: string, key: Uint8Array): MailBody {
  return JSON.parse(openText(sealed, key)) as MailBody;
}

/**
 * A secret that must be read back (a queued mail's link, a webhook's signing secret), at rest:
 * AES-256-GCM with a random 96-bit IV, `base64(iv | tag | ciphertext)`.
 */
export function sealText(text: string, key: Uint8Array): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** Reverses {@link sealText}; throws if the data was altered or the key differs. */
export function openText(sealed: string, key: Uint8Array): string {
  const data = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
}
