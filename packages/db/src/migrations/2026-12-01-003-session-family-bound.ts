import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // How many times each session's refresh token was rotated: its family has one row more.
  // Refresh ends a session at a fixed number of rotations, so one session's family is bounded.
  await db.schema
    .alterTable('sessions')
    .addColumn('rotations', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update sessions set rotations = family.size - 1
    from (select session_id, count(*)::integer as size from session_refresh_tokens group by session_id) family
    where family.session_id = sessions.id and family.size > 1`.execute(db);

  // The outbox worker deletes sessions that ended (revoked or expired) more than a day ago,
  // with their families, a small batch at a time: each batch finds its rows through these.
  await sql`create index sessions_revoked_idx on sessions (revoked_at) where revoked_at is not null`.execute(
    db,
  );
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_expires_idx').execute();
  await db.schema.dropIndex('sessions_revoked_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('rotations').execute();
}
