import type { AuditStore } from '@tessera/api';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/** The append-only `audit_events` table. */
export function auditStore(db: Kysely<Database>): AuditStore {
  return {
    async record(event) {
      await db
        .insertInto('audit_events')
        .values({
          actor_id: event.actorId,
          actor_kind: event.actorKind ?? 'user',
          action: event.action,
          target_id: event.targetId,
          ip: event.ip,
          user_agent: event.userAgent,
          metadata: JSON.stringify(event.metadata ?? {}),
        })
        .execute();
    },

    async list(query) {
      let select = db
        .selectFrom('audit_events')
        .select(['id', 'actor_id', 'actor_kind', 'action', 'target_id', 'ip', 'user_agent', 'at', 'metadata'])
        // Exact to the microsecond: events written in one transaction share `at`, and a
        // cursor rounded to milliseconds would skip or repeat them.
        .select(sql<string>`to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('at_value'));
      if (query.actorId) select = select.where('actor_id', '=', query.actorId);
      if (query.targetId) select = select.where('target_id', '=', query.targetId);
      if (query.action) select = select.where('action', '=', query.action);
      if (query.before) {
        const { value, id } = query.before;
        select = select.where(sql<boolean>`(at, id) < (${value}::timestamptz, ${id}::uuid)`);
      }
      const rows = await select.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((row) => ({
        event: {
          id: row.id,
          actorId: row.actor_id,
          actorKind: row.actor_kind,
          action: row.action,
          targetId: row.target_id,
          ip: row.ip,
          userAgent: row.user_agent,
          at: row.at,
          metadata: row.metadata,
        },
        atValue: row.at_value,
      }));
    },
  };
}
