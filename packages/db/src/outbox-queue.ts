import { sql, type Kysely } from 'kysely';
import type { Locale } from '@tessera/api';
import type { Database } from './database.js';
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
  const rows = await db
    .updateTable('email_outbox')
    .set({
      attempts: sql`attempts + 1`,
      next_attempt_at: sql`now() + make_interval(secs => ${options.leaseSeconds})`,
    })
    .where('id', 'in', due)
    .returning(['id', 'recipient', 'subject', 'language', 'body', 'body_encrypted', 'attempts', 'created_at'])
    .execute();
  // UPDATE … RETURNING has no order: send oldest first, so a superseding mail arrives last.
  rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
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

export interface PruneOptions {
  /** Sent mail sent before this is deleted. */
  sentBefore: Date;
  /** Failed mail whose last attempt was before this is deleted. */
  failedBefore: Date;
  /** Rows per DELETE: short statements, few locks held at once. */
  batchSize: number;
  /** Batches per status in one call; what is left waits for the next call. */
  maxBatches: number;
}

/**
 * Deletes sent and failed mail past its retention, in small batches, so the outbox never
 * grows without bound. Several nodes may prune at once: each batch skips rows another holds.
 * Resolves with the number of rows deleted.
 */
export async function pruneMail(db: Kysely<Database>, options: PruneOptions): Promise<number> {
  const batches = [
    () =>
      db
        .selectFrom('email_outbox')
        .select('id')
        .where('status', '=', 'sent')
        .where('sent_at', '<', options.sentBefore),
    () =>
      db
        .selectFrom('email_outbox')
        .select('id')
        .where('status', '=', 'failed')
        .where('next_attempt_at', '<', options.failedBefore),
  ];
  let deleted = 0;
  for (const expired of batches) {
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const result = await db
        .deleteFrom('email_outbox')
        .where('id', 'in', expired().limit(options.batchSize).forUpdate().skipLocked())
        .executeTakeFirst();
      const rows = Number(result.numDeletedRows);
      deleted += rows;
      if (rows < options.batchSize) break;
    }
  }
  return deleted;
}

/** Pending mail counted up to this many: a scrape never reads more of a backlog than that. */
export const BACKLOG_COUNT_CAP = 10_000;

/** How far the outbox is behind: mail waiting to go out, and how overdue the most overdue one is. */
export interface OutboxBacklog {
  /** Pending mail, counted up to BACKLOG_COUNT_CAP (the cap means "at least"). */
  pending: number;
  /**
   * Seconds since the most overdue pending mail was due (0 when none is due): a new mail is
   * due at once, a retried one at its retry time, a claimed one when its lease ends.
   */
  oldestDueAgeSeconds: number;
}

/**
 * The outbox backlog in one cheap statement: both parts read only the partial index of
 * pending mail (`email_outbox_due_idx`), the count stops at the cap and the minimum is the
 * index's first entry, so a scrape costs the same with ten mails waiting or ten million.
 */
export async function outboxBacklog(db: Kysely<Database>): Promise<OutboxBacklog> {
  const { rows } = await sql<{ pending: string; age: number | string | null }>`
    select
      (select count(*) from (
        select 1 from email_outbox where status = 'pending' limit ${BACKLOG_COUNT_CAP}
      ) as capped) as pending,
      (select extract(epoch from greatest(now() - min(next_attempt_at), interval '0'))
        from email_outbox where status = 'pending') as age
  `.execute(db);
  const row = rows[0];
  return { pending: Number(row?.pending ?? 0), oldestDueAgeSeconds: Number(row?.age ?? 0) };
}

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
