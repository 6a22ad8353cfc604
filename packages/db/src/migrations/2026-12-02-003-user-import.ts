import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // Accounts imported with another system's password hash, until their first sign-in
  // rehashes it: while any is left, failed sign-ins wait for the slowest such check. The
  // partial index holds only those rows, so asking "any left?" is one index probe.
  await sql`create index users_foreign_hash_idx on users (id)
    where password_hash not like '$argon2id$%'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_foreign_hash_idx').execute();
}
