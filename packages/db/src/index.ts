export type * from './database.js';
export {
  openDatabase,
  fromPGlite,
  captureQueries,
  explainQuery,
  isDatabaseUnavailable,
  type DatabaseHandle,
  type DatabaseOptions,
  type PoolStats,
} from './engine.js';
export { migrateToLatest, migrationsApplied, migrationStatus, type MigrationState } from './migrate.js';
export { createStores, createTransact } from './stores/index.js';
export {
  claimDueMail,
  markMailFailed,
  markMailSent,
  outboxBacklog,
  pruneMail,
  retryFailedMail,
  type ClaimedMail,
  type ClaimOptions,
  type PruneOptions,
} from './outbox-queue.js';
export {
  claimDueDeliveries,
  deliveryBacklog,
  markDelivered,
  markDeliveryFailed,
  pruneDeliveries,
  type AttemptOutcome,
  type ClaimedDelivery,
  type DeliveryClaimOptions,
  type DeliveryPruneOptions,
} from './webhook-queue.js';
export {
  ENDED_SESSION_RETENTION_HOURS,
  pruneEndedSessions,
  type SessionPruneOptions,
} from './session-pruning.js';
export { recordSigningKey, type RecordedSigningKey } from './signing-key.js';
export type { MailBody } from './sealed.js';
export type { StoreOptions, TransactOptions } from './stores/index.js';
export { BACKLOG_COUNT_CAP, queueBacklog, type QueueBacklog, type QueueTable } from './queue-upkeep.js';
