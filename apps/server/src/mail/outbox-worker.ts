import { claimDueMail, markMailFailed, markMailSent, type Database } from '@tessera/db';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
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
}

export interface OutboxWorker {
  /** Runs one pass now; resolves with how many mails it handled. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/** A claim outlives the SMTP timeouts (10 s connect + 10 s greeting + 20 s socket). */
const LEASE_SECONDS = 120;
const MAX_RETRY_MS = 3_600_000;

/** Sends queued mail in the background until stopped. Safe to run on every node. */
export function startOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, transport, log } = options;
  let stopped = false;
  let wake: (() => void) | undefined;
  let current: Promise<number> = Promise.resolve(0);

  async function pass(): Promise<number> {
    const claimed = await claimDueMail(db, {
      limit: options.batchSize ?? 20,
      leaseSeconds: LEASE_SECONDS,
      mailKey: options.mailKey,
    });
    for (const mail of claimed) {
      try {
        if (!mail.body) throw new Error('mail body cannot be read (was the signing key changed?)');
        await transport.send({ to: mail.recipient, subject: mail.subject, ...mail.body });
        await markMailSent(db, mail);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const retryInMs =
          Math.min(options.retryBaseMs * 2 ** (mail.attempt - 1), MAX_RETRY_MS) * (0.8 + Math.random() * 0.4);
        const outcome = await markMailFailed(db, mail, message, {
          maxAttempts: options.maxAttempts,
          retryInMs,
        });
        log.warn({ mailId: mail.id, attempt: mail.attempt, outcome, err: message }, 'mail delivery failed');
      }
    }
    return claimed.length;
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
