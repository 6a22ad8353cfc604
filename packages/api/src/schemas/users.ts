import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { roles } from '../policy.js';
import { email, isoDateTime, locale, name, password, safeText, uuid } from './common.js';

export { roles, type Role } from '../policy.js';
export const role = z.enum(roles);

/** A user as every client sees it: never a hash, never a counter. */
export const user = z.object({
  id: uuid,
  email: z.string(),
  name: z.string(),
  role,
  emailVerified: z.boolean(),
  /** An address the user asked to move to, waiting for its emailed link to be followed; null otherwise. */
  pendingEmail: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  lastLoginAt: isoDateTime.nullable(),
  /** The account has a second factor (an authenticator app or a passkey): sign-in asks for it. */
  mfaEnabled: z.boolean(),
  /** The user's language: every mail they receive is in it. */
  locale,
});
export type User = z.infer<typeof user>;

/**
 * A strict boolean. The pipe keeps trpc-to-openapi from switching on zod's coercion for it
 * (it does so in place for plain booleans, and `Boolean("false")` is true).
 */
const strictBoolean = z.boolean().transform((b) => b);

/**
 * A boolean that also accepts "true" / "false", for filters that travel in a REST query
 * string; a typed client sends a real boolean.
 */
const queryBoolean = z
  .union([z.boolean(), z.enum(['true', 'false'], field('boolean_expected'))])
  .transform((v) => v === true || v === 'true');

/** A page size: 1–100, 20 unless asked. */
export const pageLimit = (fallback: number) =>
  z
    .number(field('limit_number'))
    .int(field('limit_integer'))
    .min(1, field('limit_min'))
    .max(100, field('limit_max'))
    .default(fallback);

/** A cursor as it travels: opaque text handed out by the previous page. */
export const cursorText = safeText(1024);

export const updateMeInput = z.object({
  name: name.optional(),
  /** A new address is confirmed by a link mailed to it; the current one stays until then. */
  email: email.optional(),
  /** Needed to change `email`. */
  currentPassword: password.optional(),
  /** The language of the pages and of every mail the user receives. */
  locale: locale.optional(),
});
export type UpdateMeInput = z.infer<typeof updateMeInput>;

export const deleteMeInput = z.object({ password });
export type DeleteMeInput = z.infer<typeof deleteMeInput>;

export const userSorts = ['createdAt', 'name', 'email'] as const;
export const sortOrders = ['asc', 'desc'] as const;

export const listUsersInput = z
  .object({
    /** `nextCursor` of the previous page; omit for the first page. */
    cursor: cursorText.optional(),
    limit: pageLimit(20),
    /** Case-insensitive substring of the email or the name; % _ and \ match themselves. */
    search: safeText(100)
      .transform((s) => s.trim())
      .optional(),
    role: role.optional(),
    /** true: only disabled accounts; false: only enabled ones; absent: both. */
    disabled: queryBoolean.optional(),
    sort: z.enum(userSorts).default('createdAt'),
    order: z.enum(sortOrders).default('desc'),
  })
  // So `users.list()` with no input at all gets every default.
  .prefault({});
export type ListUsersInput = z.infer<typeof listUsersInput>;

export const userPage = z.object({ items: z.array(user), nextCursor: z.string().nullable() });
export type UserPage = z.infer<typeof userPage>;

export const userIdInput = z.object({ id: uuid });
export type UserIdInput = z.infer<typeof userIdInput>;

export const createUserInput = z.object({
  name,
  email,
  /** Omit to send an invite email with a set-password link instead. */
  password: password.optional(),
  role: role.default('user'),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const updateUserInput = z.object({
  id: uuid,
  name: name.optional(),
  email: email.optional(),
  role: role.optional(),
  disabled: strictBoolean.optional(),
  /** The `updatedAt` the caller last saw; if the account changed since, the update is refused (CONFLICT). */
  expectedUpdatedAt: isoDateTime.optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserInput>;

/**
 * Opaque page cursors: base64url JSON, checked against `shape` on the way back in, so a
 * tampered or truncated cursor is a clear BAD_REQUEST rather than a database error.
 */
export function cursorCodec<T extends z.ZodType>(shape: T) {
  return {
    encode(value: z.output<T>): string {
      return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    },
    decode(text: string): z.output<T> | undefined {
      try {
        const parsed = shape.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** A PostgreSQL timestamp as exact text (microseconds, UTC), the way cursors carry it. */
export const exactTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
  .refine(isRealInstant, 'Not a real date and time');

/**
 * The shape alone lets `2026-02-30…` or `0000-01-01…` through, which PostgreSQL refuses with an
 * error (a forged cursor would be a 500): the instant must exist, in years 1–9999.
 */
function isRealInstant(value: string): boolean {
  const ms = Date.parse(`${value.slice(0, 23)}Z`);
  if (Number.isNaN(ms)) return false;
  const date = new Date(ms);
  return date.getUTCFullYear() >= 1 && date.toISOString().slice(0, 19) === value.slice(0, 19);
}
