export type * from './database.js';
export {
  openDatabase,
  fromPGlite,
  captureQueries,
  isDatabaseUnavailable,
  type DatabaseHandle,
  type DatabaseOptions,
} from './engine.js';
export { migrateToLatest, migrationsApplied } from './migrate.js';
export { createStores, createTransact } from './stores/index.js';
export {
  claimDueMail,
  markMailFailed,
  markMailSent,
  type ClaimedMail,
  type ClaimOptions,
} from './outbox-queue.js';
export type { MailBody } from './mail-crypto.js';
export type { StoreOptions } from './stores/index.js';
