export type * from './database.js';
export {
  openDatabase,
  fromPGlite,
  isDatabaseUnavailable,
  type DatabaseHandle,
  type DatabaseOptions,
} from './engine.js';
export { migrateToLatest, migrationsApplied } from './migrate.js';
export { createStores, createTransact } from './stores/index.js';
