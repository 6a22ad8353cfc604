import { z } from 'zod';
import { role } from './users.js';

/**
 * What a front end needs to know of the server's settings before anyone signs in: the
 * password rule, the reset link's lifetime, whether sign-up is open, the languages, and the
 * second factors on offer. Public: none of it is a secret.
 */
export const publicSettings = z.object({
  passwordMinLength: z.number().int(),
  resetTokenTtlSeconds: z.number().int(),
  registrationOpen: z.boolean(),
  locales: z.array(z.string()),
  defaultLocale: z.string(),
  mfaRequiredRoles: z.array(role),
  passkeys: z.boolean(),
});
export type PublicSettings = z.infer<typeof publicSettings>;
