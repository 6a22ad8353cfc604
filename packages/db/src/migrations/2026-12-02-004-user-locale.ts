import type { Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // Every account's language: its mail is written in it. Accounts made before Tessera spoke
  // more than English read English. The app checks the value (a locale it speaks); no check
  // constraint here, so adding a language needs no migration.
  await db.schema
    .alterTable('users')
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('en'))
    .execute();
  // A queued mail keeps its language, for its Content-Language header.
  await db.schema
    .alterTable('email_outbox')
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('email_outbox').dropColumn('language').execute();
  await db.schema.alterTable('users').dropColumn('locale').execute();
}
