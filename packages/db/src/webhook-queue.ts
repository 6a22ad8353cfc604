import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import {
  pruneQueue,
  queueBacklog,
  type PruneBatches,
  type QueueBacklog,
  claimWithLease,
} from './queue-upkeep.js';
import { unseal } from './sealed.js';

/** A queued delivery claimed by one worker for one attempt, with where and how to send it. */
export interface ClaimedDelivery {
  id: string;
  url: string;
  /** The endpoint's whsec_ secret; undefined when it cannot be unsealed (the signing key changed). */
  secret: string | undefined;
  /** The exact body to send. */
  payload: string;
  /** This attempt's number, starting at 1. */
  attempt: number;
}

export interface DeliveryClaimOptions {
  limit: number;
  /** How long the claim holds before another worker may take the row again (crash recovery). */
  leaseSeconds: number;
  secretKey: Uint8Array;
}

/**
 * Claims due deliveries of enabled endpoints with `FOR UPDATE SKIP LOCKED`, so workers on
 * several nodes never take the same row: like the mail outbox, the claim is a lease
 * (next_attempt_at moved ahead), not a held transaction, so no connection waits on a receiver.
 * A disabled endpoint's deliveries wait until it is enabled again.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  options: DeliveryClaimOptions,
): Promise<ClaimedDelivery[]> {
  const due = db
    .selectFrom('webhook_deliveries')
    .select('webhook_deliveries.id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now()`)
    .where('webhook_id', 'in', db.selectFrom('webhooks').select('id').where('enabled', '=', true))
    .orderBy('next_attempt_at')
    .limit(options.limit)
    .forUpdate()
    .skipLocked();
  const rows = await db
    .with('claimed', (qb) =>
      qb
        .updateTable('webhook_deliveries')
        .set(claimWithLease(options.leaseSeconds))
        .where('id', 'in', due)
        .returning(['id', 'webhook_id', 'payload', 'attempts', 'created_at']),
    )
    .selectFrom('claimed')
    .innerJoin('webhooks', 'webhooks.id', 'claimed.webhook_id')
    .select(['claimed.id', 'claimed.payload', 'claimed.attempts', 'webhooks.url', 'webhooks.secret'])
    // Oldest first, so an endpoint tends to hear of changes in the order they happened (sorted
    // here, to the microsecond: a JS Date would tie events of one millisecond).
    .orderBy('claimed.created_at')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    url: row.url,
    secret: unsealOrUndefined(row.secret, options.secretKey),
    payload: row.payload,
    attempt: row.attempts,
  }));
}

function unsealOrUndefined(sealed: string, key: Uint8Array): string | undefined {
  try {
    return unseal(sealed, key);
  } catch {
    return undefined;
  }
}

/** What one attempt got: the receiver's status code (if it answered) and, unless 2xx, why it failed. */
export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
}

/** Marks a claimed delivery delivered (a 2xx). Only this claim's attempt counts. */
export async function markDelivered(
  db: Kysely<Database>,
  delivery: ClaimedDelivery,
  statusCode: number,
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'delivered', delivered_at: sql`now()`, last_status_code: statusCode, last_error: null })
    .where('id', '=', delivery.id)
    .where('attempts', '=', delivery.attempt)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * Records a failed attempt: retried after `retryInMs`, or marked failed once it has had
 * `maxAttempts` (or can never succeed: its secret cannot be read).
 */
export async function markDeliveryFailed(
  db: Kysely<Database>,
  delivery: ClaimedDelivery,
  outcome: AttemptOutcome,
  retry: { maxAttempts: number; retryInMs: number },
): Promise<'retry' | 'failed'> {
  const giveUp = delivery.attempt >= retry.maxAttempts || delivery.secret === undefined;
  const error = (outcome.error ?? 'failed').slice(0, 1000);
  await db
    .updateTable('webhook_deliveries')
    .set(
      giveUp
        ? { status: 'failed', last_status_code: outcome.statusCode, last_error: error }
        : {
            next_attempt_at: sql`now() + make_interval(secs => ${retry.retryInMs / 1000})`,
            last_status_code: outcome.statusCode,
            last_error: error,
          },
    )
    .where('id', '=', delivery.id)
    .where('attempts', '=', delivery.attempt)
    .where('status', '=', 'pending')
    .execute();
  return giveUp ? 'failed' : 'retry';
}

export interface DeliveryPruneOptions extends PruneBatches {
  /** Delivered rows delivered before this are deleted. */
  deliveredBefore: Date;
  /** Failed rows whose last attempt was before this are deleted. */
  failedBefore: Date;
}

/** Deletes delivered and failed deliveries past their retention, in small batches (queue-upkeep.ts). */
export const pruneDeliveries = (db: Kysely<Database>, options: DeliveryPruneOptions): Promise<number> =>
  pruneQueue(
    db,
    'webhook_deliveries',
    [
      { status: 'delivered', finishedAt: 'delivered_at', before: options.deliveredBefore },
      { status: 'failed', finishedAt: 'next_attempt_at', before: options.failedBefore },
    ],
    options,
  );

/** How far webhook deliveries are behind (queue-backlog.ts), for /metrics. */
export const deliveryBacklog = (db: Kysely<Database>): Promise<QueueBacklog> =>
  queueBacklog(db, 'webhook_deliveries');
