import { z } from 'zod';
import type { Caller } from '../context.js';
import { subjectOf } from './caller.js';
import { authorize, fieldError } from '../errors.js';
import type { AuditListRow, Deps, Keyset } from '../ports/index.js';
import type { AuditEventView, AuditPage, ListAuditInput } from '../schemas/audit.js';
import { cursorCodec, exactTimestamp } from '../schemas/users.js';

const auditCursor = cursorCodec(z.object({ at: exactTimestamp, id: z.uuid() }));

/** The audit log, newest first, for admins; filters combine with AND. */
export async function listAudit(deps: Deps, caller: Caller, input: ListAuditInput): Promise<AuditPage> {
  authorize(subjectOf(caller), 'audit.read');
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
  return {
    items: page.map(toAuditEventView),
    nextCursor,
  };
}

/** An audit row as the API shows it. */
export function toAuditEventView({ event, actorName, targetName }: AuditListRow): AuditEventView {
  return {
    actorName,
    targetName,
    id: event.id,
    actorId: event.actorId,
    actorKind: event.actorKind,
    action: event.action,
    targetId: event.targetId,
    ip: event.ip,
    userAgent: event.userAgent,
    at: event.at.toISOString(),
    metadata: event.metadata,
  };
}
