import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // An owner's new address waits here until the link mailed to it is followed; sign-in,
  // resets and notices keep using `email` meanwhile. Not unique: a pending address reserves
  // nothing, the unique index on `email` settles who gets it at confirmation.
  await db.schema.alterTable('users').addColumn('pending_email', 'text').execute();
  await db.schema
    .alterTable('users')
    .addCheckConstraint('users_pending_email_normalized', sql`pending_email = lower(btrim(pending_email))`)
    .execute();

  // Every emailed link belongs to the address it was sent to: once the account's address
  // differs, the link is refused. Links already out were sent to the account's address.
  await db.schema.alterTable('one_time_tokens').addColumn('email', 'text').execute();
  await sql`update one_time_tokens t set email = u.email from users u where u.id = t.user_id`.execute(db);
  await db.schema
    .alterTable('one_time_tokens')
    .alterColumn('email', (c) => c.setNotNull())
    .execute();
  await db.schema.alterTable('one_time_tokens').dropConstraint('one_time_tokens_purpose_check').execute();
  await db.schema
    .alterTable('one_time_tokens')
    .addCheckConstraint(
      'one_time_tokens_purpose_check',
      sql`purpose in ('password_reset', 'email_verification', 'invite', 'email_change')`,
    )
    .execute();

  // Every refresh token ever issued for a session, so a replay of any old one is recognised
  // (the single previous hash it replaces let T0 be forgotten after two rotations).
  await db.schema
    .createTable('session_refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'uuid', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('session_refresh_tokens_session_idx')
    .on('session_refresh_tokens')
    .column('session_id')
    .execute();
  await sql`
    insert into session_refresh_tokens (token_hash, session_id, issued_at)
    select refresh_token_hash, id, coalesce(rotated_at, created_at) from sessions
    union all
    select previous_token_hash, id, created_at from sessions where previous_token_hash is not null
    on conflict do nothing`.execute(db);
  await db.schema.dropIndex('sessions_previous_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('previous_token_hash').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('previous_token_hash', 'text').execute();
  await db.schema.createIndex('sessions_previous_idx').on('sessions').column('previous_token_hash').execute();
  await db.schema.dropTable('session_refresh_tokens').execute();
  await sql`delete from one_time_tokens where purpose = 'email_change'`.execute(db);
  await db.schema.alterTable('one_time_tokens').dropConstraint('one_time_tokens_purpose_check').execute();
  await db.schema
    .alterTable('one_time_tokens')
    .addCheckConstraint(
      'one_time_tokens_purpose_check',
      sql`purpose in ('password_reset', 'email_verification', 'invite')`,
    )
    .execute();
  await db.schema.alterTable('one_time_tokens').dropColumn('email').execute();
  await db.schema.alterTable('users').dropConstraint('users_pending_email_normalized').execute();
  await db.schema.alterTable('users').dropColumn('pending_email').execute();
}
