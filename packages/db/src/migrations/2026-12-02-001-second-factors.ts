import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // Whether the account has a second factor (a confirmed TOTP or a passkey): read on every
  // signed-in request (required-factor roles) and in every `User`, so it is kept on the row,
  // recomputed in the transaction of each change to the factors below.
  await db.schema
    .alterTable('users')
    .addColumn('mfa_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();

  // One authenticator app per account. The secret rests encrypted (AES-256-GCM); it is
  // pending until a first code confirms it. `last_used_step` is the 30-second step of the last
  // code accepted: a code of that step or an older one is refused (no replay).
  await db.schema
    .createTable('totp_factors')
    .addColumn('user_id', 'uuid', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Single-use recovery codes, as SHA-256 hashes (each code carries 80 random bits).
  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('recovery_codes_user_hash_key')
    .unique()
    .on('recovery_codes')
    .columns(['user_id', 'code_hash'])
    .execute();

  // WebAuthn credentials. The credential id is unique across accounts: an assertion names it,
  // and that finds the account.
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'boolean', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('passkeys_credential_key')
    .unique()
    .on('passkeys')
    .column('credential_id')
    .execute();
  await db.schema
    .createIndex('passkeys_user_idx')
    .on('passkeys')
    .columns(['user_id', 'created_at'])
    .execute();

  // The second step of a sign-in: the token the password step handed out (hashed), whose
  // account it is, and how many wrong codes it has taken.
  await db.schema
    .createTable('mfa_challenges')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('mfa_challenges_token_key')
    .unique()
    .on('mfa_challenges')
    .column('token_hash')
    .execute();
  await db.schema.createIndex('mfa_challenges_user_idx').on('mfa_challenges').column('user_id').execute();
  await db.schema
    .createIndex('mfa_challenges_expires_idx')
    .on('mfa_challenges')
    .column('expires_at')
    .execute();

  // WebAuthn challenges handed out by the options procedures: deleted when answered (single
  // use) and worthless after `expires_at`.
  await db.schema
    .createTable('webauthn_challenges')
    .addColumn('challenge', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'webauthn_challenges_purpose_check',
      sql`purpose in ('registration', 'authentication')`,
    )
    .execute();
  await db.schema
    .createIndex('webauthn_challenges_expires_idx')
    .on('webauthn_challenges')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webauthn_challenges').execute();
  await db.schema.dropTable('mfa_challenges').execute();
  await db.schema.dropTable('passkeys').execute();
  await db.schema.dropTable('recovery_codes').execute();
  await db.schema.dropTable('totp_factors').execute();
  await db.schema.alterTable('users').dropColumn('mfa_enabled').execute();
}
