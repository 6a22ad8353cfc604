import type { SessionRecord, SessionStore } from '@tessera/api';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from '../database.js';
import { toUserRecord } from './users.js';

const sessionColumns = [
  'sessions.id',
  'sessions.user_id',
  'sessions.refresh_token_hash',
  'sessions.rotated_at',
  'sessions.user_agent',
  'sessions.ip',
  'sessions.created_at',
  'sessions.last_used_at',
  'sessions.expires_at',
  'sessions.revoked_at',
  'sessions.rotations',
] as const;

function toSessionRecord(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    refreshTokenHash: row.refresh_token_hash,
    rotatedAt: row.rotated_at,
    userAgent: row.user_agent,
    ip: row.ip,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    rotations: row.rotations,
  };
}

/** The `sessions` table behind the domain's SessionStore port. */
export function sessionStore(db: Kysely<Database>): SessionStore {
  return {
    async create(session) {
      const row = await db
        .insertInto('sessions')
        .values({
          user_id: session.userId,
          refresh_token_hash: session.refreshTokenHash,
          user_agent: session.userAgent,
          ip: session.ip,
          expires_at: session.expiresAt,
        })
        .returning(sessionColumns)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('session_refresh_tokens')
        .values({ token_hash: session.refreshTokenHash, session_id: row.id })
        .execute();
      return toSessionRecord(row);
    },

    async findByTokenHash(hash) {
      const row = await db
        .selectFrom('session_refresh_tokens')
        .innerJoin('sessions', 'sessions.id', 'session_refresh_tokens.session_id')
        .select(sessionColumns)
        .where('session_refresh_tokens.token_hash', '=', hash)
        .executeTakeFirst();
      return row && toSessionRecord(row);
    },

    async rotate(id, fromHash, toHash, at) {
      const result = await db
        .updateTable('sessions')
        .set((eb) => ({
          refresh_token_hash: toHash,
          rotated_at: at,
          last_used_at: at,
          rotations: eb('rotations', '+', 1),
        }))
        .where('id', '=', id)
        .where('refresh_token_hash', '=', fromHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return false;
      await db.insertInto('session_refresh_tokens').values({ token_hash: toHash, session_id: id }).execute();
      return true;
    },

    async revoke(id, at) {
      await db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async listLive(userId, at) {
      const rows = await db
        .selectFrom('sessions')
        .select(sessionColumns)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .orderBy('last_used_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toSessionRecord);
    },

    async revokeAllForUser(userId, at) {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async revokeOwn(id, userId, at) {
      const result = await db
        .updateTable('sessions')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async findLive(id, at) {
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select(sessionColumns)
        .select([
          'users.email as u_email',
          'users.name as u_name',
          'users.password_hash as u_password_hash',
          'users.role as u_role',
          'users.email_verified_at as u_email_verified_at',
          'users.pending_email as u_pending_email',
          'users.disabled_at as u_disabled_at',
          'users.failed_login_count as u_failed_login_count',
          'users.locked_until as u_locked_until',
          'users.last_login_at as u_last_login_at',
          'users.created_at as u_created_at',
          'users.updated_at as u_updated_at',
        ])
        .where('sessions.id', '=', id)
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', at)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        session: toSessionRecord(row),
        user: toUserRecord({
          id: row.user_id,
          email: row.u_email,
          name: row.u_name,
          password_hash: row.u_password_hash,
          role: row.u_role,
          email_verified_at: row.u_email_verified_at,
          pending_email: row.u_pending_email,
          disabled_at: row.u_disabled_at,
          failed_login_count: row.u_failed_login_count,
          locked_until: row.u_locked_until,
          last_login_at: row.u_last_login_at,
          created_at: row.u_created_at,
          updated_at: row.u_updated_at,
        }),
      };
    },
  };
}
