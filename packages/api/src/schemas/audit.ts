import { z } from 'zod';
import { isoDateTime, safeText, uuid } from './common.js';
import { cursorText, pageLimit } from './users.js';

/** One audit event as the admin console sees it. `metadata` never holds a password or token. */
export const auditEvent = z.object({
  id: uuid,
  actorId: z.string().nullable(),
  /** `user`: `actorId` is a user's id; `api_key`: it is an API key's id (apiKeys.list). */
  actorKind: z.enum(['user', 'api_key']),
  action: z.string(),
  targetId: z.string().nullable(),
  /** The names of the actor's and target's accounts; null when there is none (deleted, or not a user). */
  actorName: z.string().nullable(),
  targetName: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  at: isoDateTime,
  metadata: z.record(z.string(), z.unknown()),
});
export type AuditEventView = z.infer<typeof auditEvent>;

export const listAuditInput = z
  .object({
    /** `nextCursor` of the previous page; omit for the newest events. */
    cursor: cursorText.optional(),
    limit: pageLimit(50),
    /** Who did it. */
    actorId: uuid.optional(),
    /** Whose account it was done to. */
    targetId: uuid.optional(),
    /** e.g. `users.delete`, `auth.login.failure`. */
    action: safeText(100).optional(),
  })
  .prefault({});
export type ListAuditInput = z.infer<typeof listAuditInput>;

export const auditPage = z.object({ items: z.array(auditEvent), nextCursor: z.string().nullable() });
export type AuditPage = z.infer<typeof auditPage>;
