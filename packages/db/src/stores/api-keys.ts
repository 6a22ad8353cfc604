import type { ApiKeyRecord, ApiKeyStore } from '@tessera/api';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../database.js';
import { compileOnce } from './compile-once.js';

const apiKeyColumns = [
  'id',
  'name',
  'role',
  'prefix',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
] as const;

type ApiKeyRow = Pick<Selectable<ApiKeysTable>, (typeof apiKeyColumns)[number]>;

function toApiKeyRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** How stale `last_used_at` may get before a request with the key writes it again. */
const LAST_USED_PRECISION_SECONDS = 60;

/**
 * Every request with a key starts here, so it is compiled once: the live key a hash belongs
 * to. Noting its use is a separate UPDATE, run only when the noted time is a minute old.
 */
const findLiveByHashQuery = compileOnce((db, { hash, at }: { hash: string; at: Date }) =>
  db
    .selectFrom('api_keys')
    .select(apiKeyColumns)
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)])),
);

/** The `api_keys` table behind the ApiKeyStore port. */
export function apiKeyStore(db: Kysely<Database>): ApiKeyStore {
  return {
    async insert(key) {
      const row = await db
        .insertInto('api_keys')
        .values({
          name: key.name,
          role: key.role,
          prefix: key.prefix,
          token_hash: key.tokenHash,
          expires_at: key.expiresAt,
          created_by: key.createdBy,
        })
        .returning(apiKeyColumns)
        .executeTakeFirstOrThrow();
      return toApiKeyRecord(row);
    },

    async list() {
      const rows = await db
        .selectFrom('api_keys')
        .select(apiKeyColumns)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toApiKeyRecord);
    },

    async useLive(tokenHash, at) {
      const { rows } = await db.executeQuery(findLiveByHashQuery(db, { hash: tokenHash, at }));
      const row = rows[0];
      if (!row) return undefined;
      const stale =
        row.last_used_at === null ||
        at.getTime() - row.last_used_at.getTime() >= LAST_USED_PRECISION_SECONDS * 1000;
      if (stale) {
        await db
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('id', '=', row.id)
          // Several requests at once write it once; an older time never replaces a newer one.
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
          .execute();
        return toApiKeyRecord({ ...row, last_used_at: at });
      }
      return toApiKeyRecord(row);
    },

    async findLive(id, at) {
      const row = await db
        .selectFrom('api_keys')
        .select(apiKeyColumns)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .executeTakeFirst();
      return row && toApiKeyRecord(row);
    },

    async revoke(id, at) {
      const row = await db
        .updateTable('api_keys')
        .set({ revoked_at: sql<Date>`coalesce(revoked_at, ${at}::timestamptz)` })
        .where('id', '=', id)
        .returning(apiKeyColumns)
        .executeTakeFirst();
      return row && toApiKeyRecord(row);
    },
  };
}
