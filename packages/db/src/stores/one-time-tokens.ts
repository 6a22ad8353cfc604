import type { OneTimeTokenOwner, OneTimeTokenStore } from '@tessera/api';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/** Single-use emailed tokens, kept only as SHA-256 hashes, each bound to the address it was sent to. */
export function oneTimeTokenStore(db: Kysely<Database>): OneTimeTokenStore {
  async function refusal(tokenHash: string, purposes: readonly string[], at: Date) {
    const row = await db
      .selectFrom('one_time_tokens')
      .select(['used_at', 'expires_at', 'purpose'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row || !purposes.includes(row.purpose)) return 'unknown' as const;
    if (row.used_at) return 'used' as const;
    if (row.expires_at <= at) return 'expired' as const;
    return undefined;
  }

  const owner = (row: { user_id: string; purpose: OneTimeTokenOwner['purpose']; email: string }) => ({
    userId: row.user_id,
    purpose: row.purpose,
    email: row.email,
  });

  return {
    async replace(token) {
      await db
        .deleteFrom('one_time_tokens')
        .where('user_id', '=', token.userId)
        .where('purpose', '=', token.purpose)
        .where('used_at', 'is', null)
        .execute();
      await db
        .insertInto('one_time_tokens')
        .values({
          user_id: token.userId,
          purpose: token.purpose,
          email: token.email,
          token_hash: token.tokenHash,
          expires_at: token.expiresAt,
        })
        .execute();
    },

    async consume(tokenHash, purposes, at) {
      const row = await db
        .updateTable('one_time_tokens')
        .set({ used_at: at })
        .where('token_hash', '=', tokenHash)
        .where('purpose', 'in', [...purposes])
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .returning(['user_id', 'purpose', 'email'])
        .executeTakeFirst();
      if (row) return owner(row);
      return (await refusal(tokenHash, purposes, at)) ?? 'used';
    },

    async peek(tokenHash, purposes, at) {
      const row = await db
        .selectFrom('one_time_tokens')
        .select(['user_id', 'purpose', 'email'])
        .where('token_hash', '=', tokenHash)
        .where('purpose', 'in', [...purposes])
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      if (row) return owner(row);
      return (await refusal(tokenHash, purposes, at)) ?? 'unknown';
    },

    async revokeForUser(userId, purposes) {
      await db
        .deleteFrom('one_time_tokens')
        .where('user_id', '=', userId)
        .where('purpose', 'in', [...purposes])
        .where('used_at', 'is', null)
        .execute();
    },
  };
}
