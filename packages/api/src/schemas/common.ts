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
 * rules depend on configuration, so the password policy enforces them in characters (code
 * points; see password-policy.ts). This cap, in UTF-16 units, only bounds the work argon2 is
 * asked to do: 256 characters of any script or emoji fit within it.
 */
export const password = z
  .string()
  .min(1, 'Password is required')
  .max(1024, 'Password must be at most 256 characters')
  .refine((s) => !s.includes('\u0000'), 'Password must not contain NUL characters');

export const uuid = z.uuid('Must be a valid UUID');

export const isoDateTime = z.iso.datetime({ offset: true });

export const okOutput = z.object({ ok: z.literal(true) });
