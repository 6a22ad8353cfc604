import type { AuditStore } from '@tessera/api';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/** The append-only `audit_events` table. */
export function auditStore(db: Kysely<Database>): AuditStore {
  return {
    async record(event) {
      await db
        .insertInto('audit_events')
        .values({
          actor_id: event.actorId,
          action: event.action,
          target_id: event.targetId,
          ip: event.ip,
          user_agent: event.userAgent,
          metadata: JSON.stringify(event.metadata ?? {}),
        })
        .execute();
    },
  };
}
