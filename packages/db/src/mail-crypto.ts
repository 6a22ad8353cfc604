import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a queued mail's `body` column holds, once decrypted/parsed. */
export interface MailBody {
  text: string;
  html: string;
  link?: string;
}

/** AES-256-GCM with a random 96-bit IV: `base64(iv | tag | ciphertext)`. */
export function sealBody(body: MailBody, key: Uint8Array): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** Reverses {@link sealBody}; throws if the data was altered or the key differs. */
export function openBody(sealed: string, key: Uint8Array): MailBody {
  const data = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as MailBody;
}
