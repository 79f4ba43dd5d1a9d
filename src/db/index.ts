/** The reporting database (SPEC §6): what the CLI and the jobs use. */
export { openDatabase, parsePostgresUrl, type AttainDb, type OpenDatabaseOptions } from './connect.js';
export {
  DatabaseConfigError,
  DatabaseUnavailableError,
  MigrationError,
  PeriodLockedError,
  RunInProgressError,
} from './errors.js';
export { migrateDown, migrateToLatest, migrationStatus, type MigrationOutcome } from './migrate.js';
export {
  readCanonical,
  upsertCanonical,
  type CanonicalCounts,
  type UpsertCanonicalOptions,
} from './canonical-store.js';
export {
  finishRun,
  getRun,
  recordInputs,
  replaceRejects,
  replaceResults,
  startRun,
  type FinishRun,
  type PlanResults,
  type StartRun,
} from './run-store.js';
export { RUN_INPUTS_FORMAT, loadRunInputs, saveRunInputs, setResultHash } from './run-inputs.js';
export {
  listLockEvents,
  listLocks,
  lockPeriod,
  readLockedLines,
  unlockPeriod,
  type PeriodLockInfo,
} from './period-locks.js';
export { withRunLock } from './run-lock.js';
export { createSyncStore, listSyncRejects } from './sync-store.js';
export type { Database } from './schema.js';
export * as analytics from './analytics-store.js';
