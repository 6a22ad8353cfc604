import { z } from 'zod';
import type { Actor } from '../context.js';
import { authorize, fieldError } from '../errors.js';
import type { AuditRecord, Deps, Keyset } from '../ports/index.js';
import type { AuditEventView, AuditPage, ListAuditInput } from '../schemas/audit.js';
import { cursorCodec, exactTimestamp } from '../schemas/users.js';

const auditCursor = cursorCodec(z.object({ at: exactTimestamp, id: z.uuid() }));

/** The audit log, newest first, for admins; filters combine with AND. */
export async function listAudit(deps: Deps, actor: Actor, input: ListAuditInput): Promise<AuditPage> {
  authorize(actor.user, 'audit.read');
  let before: Keyset | undefined;
  if (input.cursor !== undefined) {
    const cursor = auditCursor.decode(input.cursor);
    if (!cursor) throw fieldError('cursor', 'invalid_cursor', {});
    before = { value: cursor.at, id: cursor.id };
  }
  const rows = await deps.stores.audit.list({
    actorId: input.actorId,
    targetId: input.targetId,
    action: input.action,
    before,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > input.limit && last ? auditCursor.encode({ at: last.atValue, id: last.event.id }) : null;
  return { items: page.map((row) => toAuditEventView(row.event)), nextCursor };
}

/** An audit row as the API shows it. */
export function toAuditEventView(event: AuditRecord): AuditEventView {
  return {
    id: event.id,
    actorId: event.actorId,
    action: event.action,
    targetId: event.targetId,
    ip: event.ip,
    userAgent: event.userAgent,
    at: event.at.toISOString(),
    metadata: event.metadata,
  };
}
