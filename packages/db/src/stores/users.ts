import { EmailTakenError, type UserRecord, type UserStore } from '@tessera/api';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, UsersTable } from '../database.js';
import { isUniqueViolation } from './errors.js';

export const userColumns = [
  'users.id',
  'users.email',
  'users.name',
  'users.password_hash',
  'users.role',
  'users.email_verified_at',
  'users.disabled_at',
  'users.failed_login_count',
  'users.locked_until',
  'users.last_login_at',
  'users.created_at',
  'users.updated_at',
] as const;

export function toUserRecord(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    role: row.role,
    emailVerifiedAt: row.email_verified_at,
    disabledAt: row.disabled_at,
    failedLoginCount: row.failed_login_count,
    lockedUntil: row.locked_until,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The `users` table behind the domain's UserStore port. */
export function userStore(db: Kysely<Database>): UserStore {
  return {
    async findById(id) {
      const row = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
      return row && toUserRecord(row);
    },

    async findByEmail(email) {
      const row = await db
        .selectFrom('users')
        .select(userColumns)
        .where('email', '=', email)
        .executeTakeFirst();
      return row && toUserRecord(row);
    },

    async insert(user) {
      try {
        const row = await db
          .insertInto('users')
          .values({
            email: user.email,
            name: user.name,
            password_hash: user.passwordHash,
            role: user.role,
          })
          .returning(userColumns)
          .executeTakeFirstOrThrow();
        return toUserRecord(row);
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) throw new EmailTakenError();
        throw error;
      }
    },

    async setPasswordHash(id, passwordHash) {
      await db
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    async markEmailVerified(id, email, at) {
      const result = await db
        .updateTable('users')
        .set({ email_verified_at: at, updated_at: at })
        .where('id', '=', id)
        .where('email', '=', email)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async clearLoginFailures(id) {
      await db
        .updateTable('users')
        .set({ failed_login_count: 0, locked_until: null })
        .where('id', '=', id)
        .execute();
    },

    async recordLoginSuccess(id, at) {
      const row = await db
        .updateTable('users')
        .set({ last_login_at: at, failed_login_count: 0, locked_until: null })
        .where('id', '=', id)
        .returning(userColumns)
        .executeTakeFirstOrThrow();
      return toUserRecord(row);
    },

    async recordLoginFailure(id) {
      // One UPDATE, so parallel wrong guesses each count.
      const row = await db
        .updateTable('users')
        .set({ failed_login_count: sql`failed_login_count + 1` })
        .where('id', '=', id)
        .returning('failed_login_count')
        .executeTakeFirst();
      return row?.failed_login_count ?? 0;
    },
  };
}
