import { z } from 'zod';

/** Text that PostgreSQL can store: it rejects NUL (22021), so we refuse it at the edge. */
export const safeText = (field: string, max: number) =>
  z
    .string()
    .max(max, `${field} must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), `${field} must not contain NUL characters`);

/** An email address, trimmed and lower-cased: the one form we store and compare. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email must be at most 254 characters')
  .pipe(z.email('Enter a valid email address'));

/** A display name: trimmed, 1–100 characters. */
export const name = safeText('Name', 100)
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'Name is required'));

/**
 * A password as it travels: any characters, never trimmed or truncated. Length and content
 * rules depend on configuration, so the password policy enforces them (see password-policy.ts);
 * the 256-character cap here bounds the work argon2 is asked to do.
 */
export const password = safeText('Password', 256).pipe(z.string().min(1, 'Password is required'));

export const uuid = z.uuid('Must be a valid UUID');

export const isoDateTime = z.iso.datetime({ offset: true });

export const okOutput = z.object({ ok: z.literal(true) });
