import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import * as initialSchema from './migrations/2026-11-26-001-initial-schema.js';
import * as auditActionIndex from './migrations/2026-11-27-001-audit-action-index.js';
import * as accountSecurity from './migrations/2026-12-01-001-account-security.js';
import * as signingKeyMailRetentionListIndexes from './migrations/2026-12-01-002-signing-key-mail-retention-list-indexes.js';
import * as sessionFamilyBound from './migrations/2026-12-01-003-session-family-bound.js';
import * as apiKeysWebhooks from './migrations/2026-12-02-002-api-keys-webhooks.js';
import * as userImport from './migrations/2026-12-02-003-user-import.js';
import * as secondFactors from './migrations/2026-12-02-001-second-factors.js';
import * as userLocale from './migrations/2026-12-02-004-user-locale.js';

/** Every migration, by its dated name. Listed explicitly so bundling and `dist` need no fs scan. */
const migrations: Record<string, Migration> = {
  '2026-11-26-001-initial-schema': initialSchema,
  '2026-11-27-001-audit-action-index': auditActionIndex,
  '2026-12-01-001-account-security': accountSecurity,
  '2026-12-01-002-signing-key-mail-retention-list-indexes': signingKeyMailRetentionListIndexes,
  '2026-12-01-003-session-family-bound': sessionFamilyBound,
  '2026-12-02-002-api-keys-webhooks': apiKeysWebhooks,
  '2026-12-02-003-user-import': userImport,
  '2026-12-02-001-second-factors': secondFactors,
  '2026-12-02-004-user-locale': userLocale,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations) };

/** Applies every pending migration; throws with the failing migration's name on error. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  // Kysely's migration lock is a session-level advisory lock taken, then released, on one
  // client connection. Behind a transaction-pooling PgBouncer one client connection is not one
  // server connection: the unlock could land elsewhere and the lock stay on a pooled server
  // connection. Given a transaction, Kysely takes and releases it inside it, on the one server
  // connection PgBouncer keeps for the transaction.
  return db.transaction().execute(async (trx) => {
    const result = await new Migrator({ db: trx, provider }).migrateToLatest();
    if (result.error) {
      const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      // Kysely types the error as unknown; it is an Error unless a migration threw something else.
      const reason = result.error instanceof Error ? String(result.error) : JSON.stringify(result.error);
      // Thrown inside the transaction: whatever ran of the failed batch is rolled back.
      throw new Error(`Migration ${failed} failed: ${reason}`, { cause: result.error });
    }
    return result;
  });
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsApplied(db: Kysely<any>): Promise<boolean> {
  const applied = await new Migrator({ db, provider }).getMigrations();
  return applied.every((m) => m.executedAt !== undefined);
}

/** One known migration and when it was applied (undefined: pending). */
export interface MigrationState {
  name: string;
  executedAt: Date | undefined;
}

/** Every known migration in order, applied or pending (`tessera migrate --status`). */
export async function migrationStatus(db: Kysely<any>): Promise<MigrationState[]> {
  const all = await new Migrator({ db, provider }).getMigrations();
  return all.map((m) => ({ name: m.name, executedAt: m.executedAt }));
}
