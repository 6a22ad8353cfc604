import { sql, type Kysely } from 'kysely';

// Frozen in time: this migration imports nothing from the app and never changes once shipped.

export async function up(db: Kysely<any>): Promise<void> {
  // Service accounts. Only the SHA-256 of a secret rests here; `prefix` (its first 12
  // characters) names it in lists. Looked up by hash on every request a key makes.
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    // Who made it (no foreign key: the key outlives its creator's account, as the audit log does).
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addCheckConstraint('api_keys_role_check', sql`role in ('admin', 'manager', 'user')`)
    .execute();
  await db.schema
    .createIndex('api_keys_token_hash_key')
    .unique()
    .on('api_keys')
    .column('token_hash')
    .execute();

  // Endpoints subscribed to events. `secret` is the whsec_ signing secret, sealed (AES-256-GCM
  // with a key derived from the signing key): it must be read back to sign, so it cannot be hashed.
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', sql`text[]`, (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // One row per (event, endpoint), written in the transaction of the change; `payload` is the
  // exact body every attempt sends. Workers claim due rows with FOR UPDATE SKIP LOCKED.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('webhook_id', 'uuid', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .addCheckConstraint('webhook_deliveries_status_check', sql`status in ('pending', 'delivered', 'failed')`)
    .execute();
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(
    db,
  );
  // An endpoint's delivery log, newest first, a page at a time.
  await db.schema
    .createIndex('webhook_deliveries_log_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'created_at', 'id'])
    .execute();
  // Pruning delivered and failed rows past their retention, a batch at a time.
  await sql`create index webhook_deliveries_delivered_idx on webhook_deliveries (delivered_at) where status = 'delivered'`.execute(
    db,
  );
  await sql`create index webhook_deliveries_failed_idx on webhook_deliveries (next_attempt_at) where status = 'failed'`.execute(
    db,
  );

  // Who acted: a person (actor_id is a user id) or a service (actor_id is an API key id).
  await db.schema
    .alterTable('audit_events')
    .addColumn('actor_kind', 'text', (c) => c.notNull().defaultTo('user'))
    .execute();
  await sql`alter table audit_events add constraint audit_events_actor_kind_check check (actor_kind in ('user', 'api_key'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events drop constraint if exists audit_events_actor_kind_check`.execute(db);
  await db.schema.alterTable('audit_events').dropColumn('actor_kind').execute();
  await db.schema.dropTable('webhook_deliveries').ifExists().execute();
  await db.schema.dropTable('webhooks').ifExists().execute();
  await db.schema.dropTable('api_keys').ifExists().execute();
}
