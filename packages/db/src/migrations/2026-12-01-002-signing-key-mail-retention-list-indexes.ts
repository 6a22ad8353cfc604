import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // The public half of the key the nodes sign with. One row: the first node to start records
  // its key, every later node must hold the same one (or rotate to a new one by naming this
  // one as its previous key), so two nodes never sign or encrypt with different keys.
  await db.schema
    .createTable('signing_key')
    .addColumn('id', 'smallint', (c) => c.primaryKey().defaultTo(1))
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('signing_key_single_row', sql`id = 1`)
    .execute();

  // The outbox worker deletes sent mail, and failed mail, once they are older than their
  // retention, a small batch at a time: each batch must find its rows without a table scan.
  await sql`create index email_outbox_sent_idx on email_outbox (sent_at) where status = 'sent'`.execute(db);
  await sql`create index email_outbox_failed_idx on email_outbox (next_attempt_at) where status = 'failed'`.execute(
    db,
  );

  // users.list: every filter and sort it offers is served by an index, so no listing reads
  // the whole table however rare the rows it asks for.
  // A search too short for a trigram (fewer than three letters or digits in a row) is a
  // prefix match on the email or the name: btree ranges, whatever the database's collation.
  await sql`create index users_email_prefix_idx on users (email text_pattern_ops)`.execute(db);
  await sql`create index users_name_prefix_idx on users (lower(name) text_pattern_ops)`.execute(db);
  // A role filter sorted by name or email (by createdAt is users_role_idx).
  await db.schema.createIndex('users_role_name_idx').on('users').columns(['role', 'name', 'id']).execute();
  await db.schema.createIndex('users_role_email_idx').on('users').columns(['role', 'email']).execute();
  // Disabled accounts are few: partial indexes, one per sort, hold just them.
  await sql`create index users_disabled_created_idx on users (created_at, id) where disabled_at is not null`.execute(
    db,
  );
  await sql`create index users_disabled_name_idx on users (name, id) where disabled_at is not null`.execute(
    db,
  );
  await sql`create index users_disabled_email_idx on users (email) where disabled_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'users_disabled_email_idx',
    'users_disabled_name_idx',
    'users_disabled_created_idx',
    'users_role_email_idx',
    'users_role_name_idx',
    'users_name_prefix_idx',
    'users_email_prefix_idx',
    'email_outbox_failed_idx',
    'email_outbox_sent_idx',
  ])
    await db.schema.dropIndex(index).ifExists().execute();
  await db.schema.dropTable('signing_key').ifExists().execute();
}
