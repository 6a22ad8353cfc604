import type { Stores, Transact } from '@tessera/api';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { auditStore } from './audit.js';
import { sessionStore } from './sessions.js';
import { userStore } from './users.js';

/** Every store, bound to `db` (a connection pool or an open transaction). */
export function createStores(db: Kysely<Database>): Stores {
  return { users: userStore(db), sessions: sessionStore(db), audit: auditStore(db) };
}

/** Runs work in one transaction with stores bound to it. */
export function createTransact(db: Kysely<Database>): Transact {
  return (work) => db.transaction().execute((trx) => work(createStores(trx)));
}
