import type { Stores, Transact } from '@tessera/api';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { auditStore } from './audit.js';
import { oneTimeTokenStore } from './one-time-tokens.js';
import { outboxStore } from './outbox.js';
import { sessionStore } from './sessions.js';
import { userStore } from './users.js';

export interface StoreOptions {
  /** 32-byte key that encrypts queued mail carrying a live token. */
  mailKey?: Uint8Array;
}

/** Every store, bound to `db` (a connection pool or an open transaction). */
export function createStores(db: Kysely<Database>, options: StoreOptions = {}): Stores {
  return {
    users: userStore(db),
    sessions: sessionStore(db),
    audit: auditStore(db),
    oneTimeTokens: oneTimeTokenStore(db),
    outbox: outboxStore(db, options.mailKey),
  };
}

/** Runs work in one transaction with stores bound to it. */
export function createTransact(db: Kysely<Database>, options: StoreOptions = {}): Transact {
  return (work) => db.transaction().execute((trx) => work(createStores(trx, options)));
}
