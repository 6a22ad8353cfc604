import type { MfaChallengeRecord, SecondFactorStore } from '@tessera/api';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { seal, unseal } from '../sealed.js';

/**
 * TOTP factors (secrets sealed with `secretKey`), recovery codes (hashes only), sign-in
 * challenges and the `users.mfa_enabled` flag they add up to.
 */
export function secondFactorStore(
  db: Kysely<Database>,
  secretKey: Uint8Array | undefined,
): SecondFactorStore {
  const key = () => {
    if (!secretKey)
      throw new Error('A second-factor encryption key is required to read or store a TOTP secret');
    return secretKey;
  };

  return {
    async findTotp(userId) {
      const row = await db
        .selectFrom('totp_factors')
        .select(['user_id', 'secret_sealed', 'confirmed_at', 'last_used_step'])
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return (
        row && {
          userId: row.user_id,
          secret: unseal(row.secret_sealed, key()),
          confirmedAt: row.confirmed_at,
          lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
        }
      );
    },

    async savePendingTotp(userId, secret) {
      // One statement: a confirmed factor is never replaced, a pending one always is.
      const result = await db
        .insertInto('totp_factors')
        .values({ user_id: userId, secret_sealed: seal(secret, key()) })
        .onConflict((oc) =>
          oc
            .column('user_id')
            .doUpdateSet({
              secret_sealed: (eb) => eb.ref('excluded.secret_sealed'),
              last_used_step: null,
            })
            .where('totp_factors.confirmed_at', 'is', null),
        )
        .executeTakeFirst();
      return result.numInsertedOrUpdatedRows === 1n;
    },

    async confirmTotp(userId, step, at) {
      const result = await db
        .updateTable('totp_factors')
        .set({ confirmed_at: at, last_used_step: step })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async spendTotpStep(userId, step) {
      const result = await db
        .updateTable('totp_factors')
        .set({ last_used_step: step })
        .where('user_id', '=', userId)
        .where('confirmed_at', 'is not', null)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteTotp(userId) {
      const result = await db.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows === 1n;
    },

    async replaceRecoveryCodes(userId, codeHashes) {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (codeHashes.length)
        await db
          .insertInto('recovery_codes')
          .values(codeHashes.map((code_hash) => ({ user_id: userId, code_hash })))
          .execute();
    },

    async spendRecoveryCode(userId, codeHash, at) {
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: at })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async countRecoveryCodes(userId) {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<string | number | bigint>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async deleteRecoveryCodes(userId) {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    },

    async refreshMfaEnabled(userId) {
      const enabled = sql<boolean>`(
        exists (select 1 from totp_factors t where t.user_id = users.id and t.confirmed_at is not null)
        or exists (select 1 from passkeys p where p.user_id = users.id))`;
      const row = await db
        .updateTable('users')
        .set({
          mfa_enabled: enabled,
          updated_at: sql`case when mfa_enabled = ${enabled} then updated_at
            else greatest(now(), updated_at + interval '1 millisecond') end`,
        })
        .where('id', '=', userId)
        .returning('mfa_enabled')
        .executeTakeFirst();
      return row?.mfa_enabled ?? false;
    },

    async createChallenge(challenge, now) {
      // Sign-in challenges live minutes: the spent and expired ones of this account go as a
      // new one comes, so an account holds only its live ones.
      await db
        .deleteFrom('mfa_challenges')
        .where('user_id', '=', challenge.userId)
        .where((eb) => eb.or([eb('used_at', 'is not', null), eb('expires_at', '<=', now)]))
        .execute();
      await db
        .insertInto('mfa_challenges')
        .values({
          user_id: challenge.userId,
          token_hash: challenge.tokenHash,
          expires_at: challenge.expiresAt,
        })
        .execute();
    },

    async findChallenge(tokenHash) {
      const row = await db
        .selectFrom('mfa_challenges')
        .select(['id', 'user_id', 'failed_attempts', 'expires_at', 'used_at'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toChallenge(row);
    },

    async findChallengeForUpdate(tokenHash) {
      const row = await db
        .selectFrom('mfa_challenges')
        .select(['id', 'user_id', 'failed_attempts', 'expires_at', 'used_at'])
        .where('token_hash', '=', tokenHash)
        .forUpdate()
        .executeTakeFirst();
      return row && toChallenge(row);
    },

    async recordChallengeFailure(id) {
      const row = await db
        .updateTable('mfa_challenges')
        .set({ failed_attempts: sql`failed_attempts + 1` })
        .where('id', '=', id)
        .returning('failed_attempts')
        .executeTakeFirst();
      return row?.failed_attempts ?? 0;
    },

    async spendChallenge(id, at) {
      await db.updateTable('mfa_challenges').set({ used_at: at }).where('id', '=', id).execute();
    },

    async deleteChallenges(userId) {
      await db.deleteFrom('mfa_challenges').where('user_id', '=', userId).execute();
    },
  };
}

function toChallenge(row: {
  id: string;
  user_id: string;
  failed_attempts: number;
  expires_at: Date;
  used_at: Date | null;
}): MfaChallengeRecord {
  return {
    id: row.id,
    userId: row.user_id,
    failedAttempts: row.failed_attempts,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}
