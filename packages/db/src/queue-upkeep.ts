import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/** Pending rows counted up to this many: a scrape never reads more of a backlog than that. */
export const BACKLOG_COUNT_CAP = 10_000;

/** How far a queue is behind: rows waiting to go out, and how overdue the most overdue one is. */
export interface QueueBacklog {
  /** Pending rows, counted up to BACKLOG_COUNT_CAP (the cap means "at least"). */
  pending: number;
  /**
   * Seconds since the most overdue pending row was due (0 when none is due): a new row is
   * due at once, a retried one at its retry time, a claimed one when its lease ends.
   */
  oldestDueAgeSeconds: number;
}

/**
 * What claiming a due row sets, in either queue: one more attempt, and a lease until which no
 * other worker takes it (it comes due again then if this worker dies mid-send).
 */
export function claimWithLease(leaseSeconds: number) {
  return {
    attempts: sql<number>`attempts + 1`,
    next_attempt_at: sql<Date>`now() + make_interval(secs => ${leaseSeconds})`,
  };
}

/** The queues Tessera drains in the background: mail and webhook deliveries. */
export type QueueTable = 'email_outbox' | 'webhook_deliveries';

/**
 * A queue's backlog in one cheap statement: both parts read only the partial index of
 * pending rows (`<table>_due_idx` on next_attempt_at where status = 'pending'), the count
 * stops at the cap and the minimum is the index's first entry, so a scrape costs the same
 * with ten rows waiting or ten million.
 */
export async function queueBacklog(db: Kysely<Database>, table: QueueTable): Promise<QueueBacklog> {
  const { rows } = await sql<{ pending: string; age: number | string | null }>`
    select
      (select count(*) from (
        select 1 from ${sql.table(table)} where status = 'pending' limit ${BACKLOG_COUNT_CAP}
      ) as capped) as pending,
      (select extract(epoch from greatest(now() - min(next_attempt_at), interval '0'))
        from ${sql.table(table)} where status = 'pending') as age
  `.execute(db);
  const row = rows[0];
  return { pending: Number(row?.pending ?? 0), oldestDueAgeSeconds: Number(row?.age ?? 0) };
}

/** Which finished rows of a queue have outlived their retention. */
interface Expiry {
  status: string;
  /** The column that says when the row finished. */
  finishedAt: 'sent_at' | 'delivered_at' | 'next_attempt_at';
  before: Date;
}

/** How much one prune call may delete. */
export interface PruneBatches {
  /** Rows per DELETE: short statements, few locks held at once. */
  batchSize: number;
  /** Batches per status in one call; what is left waits for the next call. */
  maxBatches: number;
}

/**
 * Deletes a queue's finished rows past their retention, in small batches, so the queue never
 * grows without bound. Several nodes may prune at once: each batch skips rows another holds.
 * Resolves with the number of rows deleted.
 */
export async function pruneQueue(
  db: Kysely<Database>,
  table: QueueTable,
  expiries: readonly Expiry[],
  { batchSize, maxBatches }: PruneBatches,
): Promise<number> {
  let deleted = 0;
  for (const { status, finishedAt, before } of expiries) {
    for (let batch = 0; batch < maxBatches; batch++) {
      const result = await sql`
        delete from ${sql.table(table)} where id in (
          select id from ${sql.table(table)}
          where status = ${status} and ${sql.ref(finishedAt)} < ${before}
          limit ${batchSize} for update skip locked
        )`.execute(db);
      const rows = Number(result.numAffectedRows ?? 0);
      deleted += rows;
      if (rows < batchSize) break;
    }
  }
  return deleted;
}
