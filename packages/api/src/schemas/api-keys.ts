import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { isoDateTime, safeText, uuid } from './common.js';
import { role } from './users.js';

/** An API key as lists show it: never the secret, never its hash. */
export const apiKey = z.object({
  id: uuid,
  name: z.string(),
  role,
  /** The secret's first 12 characters (`tsk_` and 8 more), to tell keys apart. */
  prefix: z.string(),
  createdAt: isoDateTime,
  expiresAt: isoDateTime.nullable(),
  lastUsedAt: isoDateTime.nullable(),
  revokedAt: isoDateTime.nullable(),
});
export type ApiKey = z.infer<typeof apiKey>;

export const createApiKeyInput = z.object({
  name: safeText(100)
    .transform((s) => s.trim())
    .pipe(z.string().min(1, field('name_required'))),
  /** The role the key acts with. */
  role,
  /** When the key stops working; omit for a key that lasts until revoked. */
  expiresAt: isoDateTime.optional(),
});
export type CreateApiKeyInput = z.infer<typeof createApiKeyInput>;

/** The new key and its secret, which is shown this once and never again. */
export const createdApiKey = z.object({ apiKey, secret: z.string() });
export type CreatedApiKey = z.infer<typeof createdApiKey>;

export const apiKeyIdInput = z.object({ id: uuid });
