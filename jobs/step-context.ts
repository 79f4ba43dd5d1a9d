/**
 * What every pipeline step is given: the database, the workspace, the run and a logger. Steps hand
 * their work on through the database (the synced rows, the run's stored engine input, the results
 * per plan, the run ledger), so any worker can run any step of any run.
 *
 * The in-process runner (`attain run`) may also pass a cache between the steps of one process, to
 * skip reading back what it has just written; the queued runner never does, and a test proves both
 * give the same payout lines.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/index.js';
import type { PreparedCalculation } from '../src/cli/calculation-inputs.js';
import type { CalculationInput } from '../src/domain/engine.js';

export interface StepLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface StepCache {
  prepared?: PreparedCalculation;
  input?: CalculationInput;
}

export interface StepContext {
  db: Kysely<Database>;
  workspaceDir: string;
  runId: string;
  log: StepLog;
  /** In-process runs only. */
  cache?: StepCache;
}

export const SILENT_LOG: StepLog = { info: () => undefined, warn: () => undefined };
