import { sql, type Kysely } from 'kysely';
import type { Locale } from '@tessera/api';
import type { Database } from './database.js';
import {
  pruneQueue,
  queueBacklog,
  type PruneBatches,
  type QueueBacklog,
  claimWithLease,
} from './queue-upkeep.js';
import { openBody, type MailBody } from './sealed.js';

/** A queued mail claimed by one worker for one delivery attempt. */
export interface ClaimedMail {
  id: string;
  recipient: string;
  subject: string;
  /** The mail's language: its Content-Language header. */
  language: Locale;
  /** Undefined when the body cannot be read (encrypted with a key no longer configured). */
  body: MailBody | undefined;
  /** This attempt's number, starting at 1. */
  attempt: number;
}

export interface ClaimOptions {
  limit: number;
  /** How long the claim holds before another worker may retry the row (crash recovery). */
  leaseSeconds: number;
  mailKey: Uint8Array | undefined;
}

/**
 * Claims due mail with `FOR UPDATE SKIP LOCKED`, so workers on several nodes never pick
 * the same row. The claim is a lease (next_attempt_at moved ahead), not a held
 * transaction: no connection waits on SMTP, and a crashed worker's rows come back later.
 */
export async function claimDueMail(db: Kysely<Database>, options: ClaimOptions): Promise<ClaimedMail[]> {
  const due = db
    .selectFrom('email_outbox')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now()`)
    .orderBy('next_attempt_at')
    .limit(options.limit)
    .forUpdate()
    .skipLocked();
  // UPDATE … RETURNING has no order: send oldest first (to the microsecond, which a JS Date
  // would round away), so a superseding mail arrives last and one recipient's mail in order.
  const rows = await db
    .with('claimed', (qb) =>
      qb
        .updateTable('email_outbox')
        .set(claimWithLease(options.leaseSeconds))
        .where('id', 'in', due)
        .returning([
          'id',
          'recipient',
          'subject',
          'language',
          'body',
          'body_encrypted',
          'attempts',
          'created_at',
        ]),
    )
    .selectFrom('claimed')
    .selectAll()
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    recipient: row.recipient,
    subject: row.subject,
    language: row.language,
    body: readBody(row.body, row.body_encrypted, options.mailKey),
    attempt: row.attempts,
  }));
}

/** Marks a claimed mail sent and clears its body: a sent link has no business resting in the database. */
export async function markMailSent(db: Kysely<Database>, mail: ClaimedMail): Promise<void> {
  await db
    .updateTable('email_outbox')
    .set({ status: 'sent', sent_at: sql`now()`, body: null, last_error: null })
    .where('id', '=', mail.id)
    .where('attempts', '=', mail.attempt)
    .execute();
}

/**
 * Records a failed attempt: retried after `retryInMs`, or marked failed once it has had
 * `maxAttempts`. A failed mail keeps its body (encrypted when it carries a link) so that
 * `tessera mail retry-failed` can send it again; retention deletes the row in the end. One
 * whose body cannot be read is failed at once, and loses the unreadable body.
 */
export async function markMailFailed(
  db: Kysely<Database>,
  mail: ClaimedMail,
  error: string,
  retry: { maxAttempts: number; retryInMs: number },
): Promise<'retry' | 'failed'> {
  const giveUp = mail.attempt >= retry.maxAttempts || mail.body === undefined;
  await db
    .updateTable('email_outbox')
    .set(
      giveUp
        ? {
            status: 'failed',
            ...(mail.body === undefined && { body: null }),
            last_error: error.slice(0, 1000),
          }
        : {
            next_attempt_at: sql`now() + make_interval(secs => ${retry.retryInMs / 1000})`,
            last_error: error.slice(0, 1000),
          },
    )
    .where('id', '=', mail.id)
    .where('attempts', '=', mail.attempt)
    .execute();
  return giveUp ? 'failed' : 'retry';
}

function readBody(
  body: string | null,
  encrypted: boolean,
  key: Uint8Array | undefined,
): MailBody | undefined {
  if (body === null) return undefined;
  try {
    if (!encrypted) return JSON.parse(body) as MailBody;
    return key ? openBody(body, key) : undefined;
  } catch {
    return undefined;
  }
}

export interface PruneOptions extends PruneBatches {
  /** Sent mail sent before this is deleted. */
  sentBefore: Date;
  /** Failed mail whose last attempt was before this is deleted. */
  failedBefore: Date;
}

/** Deletes sent and failed mail past its retention, in small batches (queue-upkeep.ts). */
export const pruneMail = (db: Kysely<Database>, options: PruneOptions): Promise<number> =>
  pruneQueue(
    db,
    'email_outbox',
    [
      { status: 'sent', finishedAt: 'sent_at', before: options.sentBefore },
      { status: 'failed', finishedAt: 'next_attempt_at', before: options.failedBefore },
    ],
    options,
  );

/** How far the outbox is behind (queue-backlog.ts), for /metrics. */
export const outboxBacklog = (db: Kysely<Database>): Promise<QueueBacklog> =>
  queueBacklog(db, 'email_outbox');

/**
 * Puts failed mail back in the queue for a fresh round of attempts, due now. Mail whose body
 * is gone (unreadable when it failed) cannot be sent again and stays failed. Resolves with
 * how many were queued again and how many could not be.
 */
export async function retryFailedMail(db: Kysely<Database>): Promise<{ queued: number; unsendable: number }> {
  const result = await db
    .updateTable('email_outbox')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql`now()`, last_error: null })
    .where('status', '=', 'failed')
    .where('body', 'is not', null)
    .executeTakeFirst();
  const left = await db
    .selectFrom('email_outbox')
    .select(sql<string>`count(*)`.as('n'))
    .where('status', '=', 'failed')
    .executeTakeFirstOrThrow();
  return { queued: Number(result.numUpdatedRows), unsendable: Number(left.n) };
}
