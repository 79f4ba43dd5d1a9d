/** The reporting database (docs/database.md): what the CLI and the jobs use. */
export { openDatabase, parsePostgresUrl, type AttainDb, type OpenDatabaseOptions } from './connect.js';
export {
  DatabaseConfigError,
  DatabaseUnavailableError,
  MigrationError,
  PeriodLockedError,
  RunEndedError,
  RunInProgressError,
} from './errors.js';
export { migrateDown, migrateToLatest, migrationStatus, type MigrationOutcome } from './migrate.js';
export {
  readCanonical,
  upsertCanonical,
  storeCanonicalRest,
  storeDealsPart,
  type CanonicalCounts,
  type UpsertCanonicalOptions,
} from './canonical-store.js';
export {
  clearStepRejects,
  finishRun,
  getRun,
  lastSucceededAt,
  listRecentRuns,
  planVersionsSincePrevious,
  readStepRejects,
  replaceStepRejects,
  recordInputs,
  reopenRun,
  replaceRejects,
  replaceResults,
  startRun,
  type FinishRun,
  type PlanResults,
  type StartRun,
} from './run-store.js';
export { deleteRunInputParts, loadRunInputPart, RunInputPartFormatError, saveRunInputPart } from './run-input-parts.js';
export { RUN_INPUTS_FORMAT, latestRunWithInputs, loadRunInputs, saveRunInputs, setResultHash } from './run-inputs.js';
export {
  listLockEvents,
  listLocks,
  lockPeriod,
  readLockedLines,
  unlockPeriod,
  type PeriodLockInfo,
} from './period-locks.js';
export {
  readAttainmentRatios,
  readPayoutLines,
  removeOtherRunsResults,
  storedResultPeriods,
  type StoredPayoutLine,
} from './results-store.js';
export { withRunLock } from './run-lock.js';
export {
  acquireRunLease,
  readRunLease,
  reconcileRuns,
  releaseRunLease,
  renewRunLease,
  type LeaseOutcome,
  type LeaseRequest,
  type RunLease,
  type RunVerdict,
} from './run-lease.js';
export { createSyncStore, listSyncRejects } from './sync-store.js';
export {
  deleteWritebackState,
  readWritebackState,
  saveWritebackState,
  type WritebackStateRow,
  type WritebackStateUpdate,
} from './writeback-state.js';
export type { Database } from './schema.js';
export { listAuditEvents, recordAuditEvent, type AuditEvent, type AuditEventInput } from './audit-log.js';
export * from './disputes.js';
export * from './approvals.js';
export * from './payout-periods.js';
export * as analytics from './analytics-store.js';
export {
  listPlanAcknowledgements,
  recordPlanAcknowledgements,
  type NewPlanAcknowledgement,
} from './plan-acknowledgements.js';
export type { PlanAcknowledgement } from './schema.js';
export { readEstimates, replaceEstimates, type StoredEstimate } from './estimates-store.js';
