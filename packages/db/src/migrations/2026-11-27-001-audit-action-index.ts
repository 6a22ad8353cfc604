import type { Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

// audit.list filtered by action pages newest first with a (at, id) keyset. Without this
// index a rare action in a long log (every sign-in writes an event) means walking the whole
// (at, id) index backwards to fill one page.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('audit_events_action_idx')
    .on('audit_events')
    .columns(['action', 'at', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_action_idx').ifExists().execute();
}
