import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/** A signing key as the nodes compare it: its JWK thumbprint and its public half (SPKI PEM). */
export interface RecordedSigningKey {
  kid: string;
  publicKey: string;
}

/**
 * Records `key` as the nodes' signing key when none is recorded yet, or when the recorded one
 * is `previousKid` (a rotation), and returns the key recorded afterwards: the caller agrees
 * with the other nodes exactly when that is its own. Safe when nodes start together: the
 * first insert wins (ON CONFLICT DO NOTHING) and a rotation is a compare-and-set on the old kid.
 */
export async function recordSigningKey(
  db: Kysely<Database>,
  key: RecordedSigningKey,
  previousKid?: string,
): Promise<RecordedSigningKey> {
  await db
    .insertInto('signing_key')
    .values({ id: 1, kid: key.kid, public_key: key.publicKey })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  if (previousKid !== undefined && previousKid !== key.kid)
    await db
      .updateTable('signing_key')
      .set({ kid: key.kid, public_key: key.publicKey, recorded_at: sql`now()` })
      .where('id', '=', 1)
      .where('kid', '=', previousKid)
      .execute();
  const row = await db
    .selectFrom('signing_key')
    .select(['kid', 'public_key'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return { kid: row.kid, publicKey: row.public_key };
}
