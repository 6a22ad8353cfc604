import { PasskeyTakenError, type PasskeyRecord, type PasskeyStore } from '@tessera/api';
import type { Kysely, Selectable } from 'kysely';
import type { Database, PasskeysTable } from '../database.js';
import { isUniqueViolation } from './errors.js';

const passkeyColumns = [
  'id',
  'user_id',
  'credential_id',
  'public_key',
  'counter',
  'transports',
  'device_type',
  'backed_up',
  'name',
  'created_at',
  'last_used_at',
] as const;

function toPasskey(row: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    credentialId: row.credential_id,
    publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64url')),
    counter: Number(row.counter),
    transports: row.transports,
    deviceType: row.device_type,
    backedUp: row.backed_up,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Expired WebAuthn challenges deleted per new one: enough to keep up, never a long statement. */
const CHALLENGE_PRUNE_BATCH = 50;

/** WebAuthn credentials and the challenges handed out for them. */
export function passkeyStore(db: Kysely<Database>): PasskeyStore {
  return {
    async insert(passkey) {
      try {
        const row = await db
          .insertInto('passkeys')
          .values({
            user_id: passkey.userId,
            credential_id: passkey.credentialId,
            public_key: Buffer.from(passkey.publicKey).toString('base64url'),
            counter: passkey.counter,
            transports: JSON.stringify(passkey.transports),
            device_type: passkey.deviceType,
            backed_up: passkey.backedUp,
            name: passkey.name,
          })
          .returning(passkeyColumns)
          .executeTakeFirstOrThrow();
        return toPasskey(row);
      } catch (error) {
        if (isUniqueViolation(error, 'passkeys_credential_key')) throw new PasskeyTakenError();
        throw error;
      }
    },

    async listForUser(userId) {
      const rows = await db
        .selectFrom('passkeys')
        .select(passkeyColumns)
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toPasskey);
    },

    async findByCredentialId(credentialId) {
      const row = await db
        .selectFrom('passkeys')
        .select(passkeyColumns)
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
      return row && toPasskey(row);
    },

    async rename(userId, id, name) {
      const row = await db
        .updateTable('passkeys')
        .set({ name })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .returning(passkeyColumns)
        .executeTakeFirst();
      return row && toPasskey(row);
    },

    async delete(userId, id) {
      const row = await db
        .deleteFrom('passkeys')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .returning(passkeyColumns)
        .executeTakeFirst();
      return row && toPasskey(row);
    },

    async deleteAllForUser(userId) {
      const result = await db.deleteFrom('passkeys').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async recordUse(id, use) {
      const result = await db
        .updateTable('passkeys')
        .set({ counter: use.counter, backed_up: use.backedUp, last_used_at: use.at })
        .where('id', '=', id)
        .where('counter', '=', use.fromCounter)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async createChallenge(challenge, now) {
      // Anyone may ask for a sign-in challenge: the expired ones go a batch at a time as new
      // ones come, so the table holds about five minutes' worth.
      await db
        .deleteFrom('webauthn_challenges')
        .where(
          'challenge',
          'in',
          db
            .selectFrom('webauthn_challenges')
            .select('challenge')
            .where('expires_at', '<=', now)
            .limit(CHALLENGE_PRUNE_BATCH)
            .forUpdate()
            .skipLocked(),
        )
        .execute();
      await db
        .insertInto('webauthn_challenges')
        .values({
          challenge: challenge.challenge,
          purpose: challenge.purpose,
          user_id: challenge.userId,
          email: challenge.email,
          expires_at: challenge.expiresAt,
        })
        .execute();
    },

    async consumeChallenge(challenge, purpose, at) {
      const row = await db
        .deleteFrom('webauthn_challenges')
        .where('challenge', '=', challenge)
        .where('purpose', '=', purpose)
        .where('expires_at', '>', at)
        .returning(['challenge', 'purpose', 'user_id', 'email', 'expires_at'])
        .executeTakeFirst();
      return (
        row && {
          challenge: row.challenge,
          purpose: row.purpose,
          userId: row.user_id,
          email: row.email,
          expiresAt: row.expires_at,
        }
      );
    },
  };
}
