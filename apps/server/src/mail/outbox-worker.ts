import {
  claimDueMail,
  ENDED_SESSION_RETENTION_HOURS,
  markMailFailed,
  markMailSent,
  pruneEndedSessions,
  pruneMail,
  type ClaimedMail,
  type Database,
} from '@tessera/db';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { retryDelayMs } from '../ops/backoff.js';
import type { MailTransport } from './transport.js';

export interface OutboxWorkerOptions {
  db: Kysely<Database>;
  transport: MailTransport;
  mailKey: Uint8Array;
  log: FastifyBaseLogger;
  pollIntervalMs: number;
  maxAttempts: number;
  /** First retry delay; doubles per attempt (with jitter), capped at an hour. */
  retryBaseMs: number;
  batchSize?: number;
  /** Hours a sent mail's row is kept (recipient and subject: "did it go out?") before it is deleted. */
  retentionHours: number;
  /** Hours a failed mail's row is kept after its last attempt before it is deleted. */
  failedRetentionHours: number;
  /** The app's clock (tests travel in time); retention is measured with it. */
  now?: () => number;
  /**
   * Resolves true once this node may handle mail: until its signing key is known to be the
   * other nodes' one, it could not read their mail and would mark it failed.
   */
  ready?: () => Promise<boolean>;
}

export interface OutboxWorker {
  /** Runs one pass now; resolves with how many mails it handled. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/** A claim outlives the SMTP timeouts (10 s connect + 10 s greeting + 20 s socket). */
const LEASE_SECONDS = 120;
/** How often (by the app's clock) a worker deletes expired rows, and how much at most each time. */
const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_BATCH = 500;
const PRUNE_MAX_BATCHES = 20;
const HOUR_MS = 3_600_000;

/** Sends queued mail in the background until stopped. Safe to run on every node. */
export function startOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, transport, log } = options;
  let stopped = false;
  let wake: (() => void) | undefined;
  let current: Promise<number> = Promise.resolve(0);
  const now = options.now ?? Date.now;
  let lastPrune = -Infinity;
  let pruning: Promise<void> | undefined;

  async function pass(): Promise<number> {
    if (options.ready && !(await options.ready())) return 0;
    const claimed = await claimDueMail(db, {
      limit: options.batchSize ?? 20,
      leaseSeconds: LEASE_SECONDS,
      mailKey: options.mailKey,
    });
    // Each recipient's mails in the order they were queued, different recipients side by side
    // (the transport's pool bounds how many go at once).
    await Promise.all(
      [...byRecipient(claimed).values()].map(async (mails) => {
        for (const mail of mails) await sendOne(mail);
      }),
    );
    await pruneIfDue();
    return claimed.length;
  }

  async function sendOne(mail: ClaimedMail): Promise<void> {
    try {
      if (!mail.body) throw new Error('mail body cannot be read (was the signing key changed?)');
      await transport.send({
        to: mail.recipient,
        subject: mail.subject,
        language: mail.language,
        ...mail.body,
      });
      await markMailSent(db, mail);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryInMs = retryDelayMs(options.retryBaseMs, mail.attempt);
      const outcome = await markMailFailed(db, mail, message, {
        maxAttempts: options.maxAttempts,
        retryInMs,
      });
      log.warn({ mailId: mail.id, attempt: mail.attempt, outcome, err: message }, 'mail delivery failed');
    }
  }

  /**
   * Deletes rows past their retention, at most once a minute (capped, so a backlog drains over
   * several passes). A pass that finds a prune under way waits for it, then looks again.
   */
  async function pruneIfDue(): Promise<void> {
    while (pruning) await pruning;
    const at = now();
    if (at - lastPrune < PRUNE_INTERVAL_MS) return;
    lastPrune = at;
    pruning = pruneMail(db, {
      sentBefore: new Date(at - options.retentionHours * HOUR_MS),
      failedBefore: new Date(at - options.failedRetentionHours * HOUR_MS),
      batchSize: PRUNE_BATCH,
      maxBatches: PRUNE_MAX_BATCHES,
    })
      .then(async (deleted) => {
        if (deleted > 0) log.debug({ deleted }, 'deleted mail past its retention');
        // The one periodic job every node runs also deletes sessions ended (revoked or
        // expired) more than a day ago, with their refresh-token families (session-pruning.ts).
        const sessions = await pruneEndedSessions(db, {
          endedBefore: new Date(at - ENDED_SESSION_RETENTION_HOURS * HOUR_MS),
          batchSize: PRUNE_BATCH,
          maxBatches: PRUNE_MAX_BATCHES,
        });
        if (sessions > 0) log.debug({ sessions }, 'deleted sessions ended more than a day ago');
      })
      .finally(() => {
        pruning = undefined;
      });
    await pruning;
  }

  async function loop() {
    while (!stopped) {
      let handled = 0;
      try {
        current = pass();
        handled = await current;
      } catch (error) {
        log.warn({ err: error }, 'outbox pass failed');
      }
      if (handled === 0 && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  const running = loop();
  return {
    async drain() {
      await current.catch(() => 0);
      return pass();
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}

function byRecipient(mails: readonly ClaimedMail[]): Map<string, ClaimedMail[]> {
  const groups = new Map<string, ClaimedMail[]>();
  for (const mail of mails) groups.set(mail.recipient, [...(groups.get(mail.recipient) ?? []), mail]);
  return groups;
}
