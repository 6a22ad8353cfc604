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
      // The accounts' names come in the same query, so a page of events is one round trip.
      let select = db
        .selectFrom('audit_events')
        .leftJoin('users as actor', 'actor.id', 'audit_events.actor_id')
        .leftJoin('users as target', 'target.id', 'audit_events.target_id')
        .select([
          'audit_events.id',
          'actor_id',
          'actor_kind',
          'action',
          'target_id',
          'audit_events.ip',
          'audit_events.user_agent',
          'at',
          'metadata',
          'actor.name as actor_name',
          'target.name as target_name',
        ])
        // Exact to the microsecond: events written in one transaction share `at`, and a
        // cursor rounded to milliseconds would skip or repeat them.
        .select(sql<string>`to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('at_value'));
      if (query.actorId) select = select.where('actor_id', '=', query.actorId);
      if (query.targetId) select = select.where('target_id', '=', query.targetId);
      if (query.action) select = select.where('action', '=', query.action);
      if (query.before) {
        const { value, id } = query.before;
        select = select.where(sql<boolean>`(at, audit_events.id) < (${value}::timestamptz, ${id}::uuid)`);
      }
      const rows = await select
        .orderBy('at', 'desc')
        .orderBy('audit_events.id', 'desc')
        .limit(query.limit)
        .execute();
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
        actorName: row.actor_name,
        targetName: row.target_name,
      }));
    },
  };
}
