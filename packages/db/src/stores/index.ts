import type { Stores, Transact } from '@tessera/api';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { apiKeyStore } from './api-keys.js';
import { auditStore } from './audit.js';
import { oneTimeTokenStore } from './one-time-tokens.js';
import { outboxStore } from './outbox.js';
import { passkeyStore } from './passkeys.js';
import { secondFactorStore } from './second-factors.js';
import { sessionStore } from './sessions.js';
import { userStore, type UserStoreOptions } from './users.js';
import { eventStore, webhookStore } from './webhooks.js';

export interface StoreOptions extends UserStoreOptions {
  /** 32-byte key that encrypts queued mail carrying a live token. */
  mailKey?: Uint8Array;
  /** 32-byte key that encrypts TOTP secrets at rest. */
  secretKey?: Uint8Array;
  /** 32-byte key that seals webhook signing secrets. */
  webhookKey?: Uint8Array;
  /**
   * Told when webhook deliveries were queued and committed (after the transaction, for
   * `createTransact`): the server wakes its delivery worker instead of waiting for its poll.
   */
  onEventsQueued?: () => void;
}

/** Every store, bound to `db` (a connection pool or an open transaction). */
export function createStores(db: Kysely<Database>, options: StoreOptions = {}): Stores {
  return {
    users: userStore(db, options),
    sessions: sessionStore(db),
    audit: auditStore(db),
    oneTimeTokens: oneTimeTokenStore(db),
    outbox: outboxStore(db, options.mailKey),
    secondFactors: secondFactorStore(db, options.secretKey),
    passkeys: passkeyStore(db),
    apiKeys: apiKeyStore(db),
    webhooks: webhookStore(db, options.webhookKey),
    events: eventStore(db, options.onEventsQueued),
  };
}

export interface TransactOptions extends StoreOptions {
  /** Told the SQLSTATE of each retried transaction (the server logs it: a deadlock is worth a look). */
  onRetry?: (code: string) => void;
}

/**
 * SQLSTATEs after which PostgreSQL has rolled the whole transaction back and running it again
 * is safe: deadlock_detected and serialization_failure.
 */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs work in one transaction with stores bound to it. A deadlock or serialization failure
 * runs it once more: writers lock a user's row before its sessions, links and mail, so a
 * deadlock points to a path that does not (yet), and one retry turns it into a wait instead
 * of a 500. A second failure is thrown.
 */
export function createTransact(db: Kysely<Database>, options: TransactOptions = {}): Transact {
  const run = async <T>(work: (stores: Stores) => Promise<T>) => {
    let queued = false;
    const inTransaction = { ...options, onEventsQueued: () => void (queued = true) };
    const result = await db.transaction().execute((trx) => work(createStores(trx, inTransaction)));
    // Committed now: only then can a worker see the deliveries.
    if (queued) options.onEventsQueued?.();
    return result;
  };
  return async (work) => {
    try {
      return await run(work);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      options.onRetry?.(code);
      return run(work);
    }
  };
}
