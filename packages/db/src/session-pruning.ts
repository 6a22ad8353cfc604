import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/** Hours a revoked or expired session (and its refresh-token family) is kept before it is deleted. */
export const ENDED_SESSION_RETENTION_HOURS = 24;

export interface SessionPruneOptions {
  /** Sessions revoked, or expired, before this are deleted. */
  endedBefore: Date;
  /** Rows per DELETE: short statements, few locks held at once. */
  batchSize: number;
  /** Batches per table in one call; what is left waits for the next call. */
  maxBatches: number;
}

/**
 * Deletes sessions that ended (revoked or expired) before `endedBefore`, with their
 * refresh-token families, in small batches, so neither table grows without bound. A token of
 * a deleted session is unknown, which refresh and logout answer as they answer a token of an
 * ended one. The family rows go first, `batchSize` at a time (one session may hold thousands),
 * then the sessions. Several nodes may prune at once: each batch skips rows another holds.
 * Resolves with the number of sessions deleted.
 */
export async function pruneEndedSessions(
  db: Kysely<Database>,
  options: SessionPruneOptions,
): Promise<number> {
  const ended = () =>
    db
      .selectFrom('sessions')
      .select('sessions.id')
      .where((eb) =>
        eb.or([
          eb('sessions.revoked_at', '<', options.endedBefore),
          eb('sessions.expires_at', '<', options.endedBefore),
        ]),
      );
  for (let batch = 0; batch < options.maxBatches; batch++) {
    const result = await db
      .deleteFrom('session_refresh_tokens')
      .where(
        'token_hash',
        'in',
        db
          .selectFrom('session_refresh_tokens')
          .select('token_hash')
          .where('session_id', 'in', ended())
          .limit(options.batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .executeTakeFirst();
    if (Number(result.numDeletedRows) < options.batchSize) break;
  }
  let deleted = 0;
  for (let batch = 0; batch < options.maxBatches; batch++) {
    // A session whose family is not all gone yet (the cap above stopped) has its rest deleted
    // by the cascade: at most one batch's worth per session, as the family rows went first.
    const result = await db
      .deleteFrom('sessions')
      .where('id', 'in', ended().limit(options.batchSize).forUpdate().skipLocked())
      .executeTakeFirst();
    const rows = Number(result.numDeletedRows);
    deleted += rows;
    if (rows < options.batchSize) break;
  }
  return deleted;
}
