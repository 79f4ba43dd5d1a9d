/**
 * What every pipeline step is given: the database, the workspace, the run and a logger. Steps hand
 * their work on through the database (the synced rows, the run's stored engine input, the results
 * per plan, the run ledger), so any worker can run any step of any run.
 *
 * The in-process runner (`attain run`) also passes a cache between the steps of one process, to
 * skip reading back what it has just written and to keep one CRM connection for the run; the
 * queued runner never does, and a test proves both give the same payout lines.
 */
import type { OnProgress } from '../src/domain/progress.js';
import type { Kysely } from 'kysely';
import type { Workspace } from '../config/workspace.js';
import type { SourceConnector } from '../connectors/source.js';
import type { PreparedCalculation } from './prepare-calculation.js';
import type { Database } from '../src/db/index.js';
import type { CalculationInput, PreparedInput } from '../src/domain/engine.js';
import type { EstimateBasis } from '../src/domain/estimate.js';
import type { Deal, Split } from '../src/domain/model.js';
import type { StoredPart } from './read-range.js';
import { AttainError } from '../src/domain/errors.js';

export interface StepLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface StepCache {
  workspace?: Workspace;
  /** The source as read (csv) or as synced and read back (CRM). */
  prepared?: PreparedCalculation;
  /** The engine input the sync step stored. */
  input?: CalculationInput;
  /** That input prepared for the engine once (its deals above all), for each plan or shard calculated here. */
  preparedInput?: PreparedInput;
  /** What the parts of that input's estimates made here share (its open deals as won, the won deals credited), made once. */
  estimateBasis?: EstimateBasis;
  /**
   * The ranges of data files this worker read for the run (`deals.csv#0`): its sync step, when it
   * runs here, takes them as they are instead of decoding what the read steps stored.
   */
  csvParts?: Map<string, StoredPart>;
  /** The input's deals and splits cut into the store's parts (by deal id), for a worker's other parts of the run. */
  storeParts?: { count: number; parts: { deals: Deal[]; splits: Split[] }[] };
  /** The CRM connection, opened once for the run (the runner closes it). */
  connector?: SourceConnector;
}

export interface StepContext {
  db: Kysely<Database>;
  workspaceDir: string;
  runId: string;
  env: NodeJS.ProcessEnv;
  log: StepLog;
  /** What the runner keeps between steps (in process: the whole run; queued: the run job, a worker's steps of one run). */
  cache?: StepCache;
  /** Told how far a long step is (a terminal or the log shows it). */
  onProgress?: OnProgress;
}

export const SILENT_LOG: StepLog = { info: () => undefined, warn: () => undefined };

/** A step failed after the results were stored (the CRM refused records): the run is marked failed with this reason. */
export class RunStepError extends AttainError {
  override readonly name = 'RunStepError';
  readonly code = 'RUN_STEP_FAILED';
}

/** The run's inputs are not stored: its sync step has not run (or was removed). */
export class RunInputsMissingError extends AttainError {
  override readonly name = 'RunInputsMissingError';
  readonly code = 'RUN_INPUTS_MISSING';
}
