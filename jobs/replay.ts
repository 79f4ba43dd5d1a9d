/**
 * `attain replay RUN_ID` (docs/cli.md): recomputes a past run from the engine input it stored
 * (src/db/run-inputs.ts), not from today's source or tables, and compares the result's hash with
 * the one the run recorded. A mismatch means the engine (or the plans' meaning) changed since.
 * Reads only: replaying writes nothing and takes no run lock.
 */
import { getRun, loadRunInputs, type AttainDb } from '../src/db/index.js';
import { calculate } from '../src/domain/engine.js';
import { AttainError } from '../src/domain/errors.js';
import { resultHashOf } from './calculate.js';

export interface ReplayOutcome {
  runId: string;
  storedHash: string;
  replayedHash: string;
  matches: boolean;
  /** Payout lines the replay calculated. */
  lines: number;
}

/** The run is unknown, or has nothing to replay (no stored inputs or result hash). */
export class ReplayError extends AttainError {
  override readonly name = 'ReplayError';
  readonly code = 'REPLAY_IMPOSSIBLE';

  constructor(
    readonly runId: string,
    message: string,
  ) {
    super(message);
  }
}

export async function replayRun(database: AttainDb, runId: string): Promise<ReplayOutcome> {
  const { db } = database;
  const run = await getRun(db, runId);
  if (!run) throw new ReplayError(runId, `no run ${runId} in ${database.describe}`);
  const input = await loadRunInputs(db, runId);
  if (!input || run.result_hash === null) {
    const why =
      run.status === 'running'
        ? 'it is still running'
        : run.status === 'failed'
          ? `it failed before calculating (${run.error ?? 'no reason recorded'})`
          : 'it was recorded before runs stored their inputs';
    throw new ReplayError(
      runId,
      `run ${runId} cannot be replayed: it has no stored ${input ? 'result hash' : 'inputs'} (${why})`,
    );
  }
  const result = calculate(input);
  const replayedHash = resultHashOf(result, input.plans);
  return {
    runId,
    storedHash: run.result_hash,
    replayedHash,
    matches: replayedHash === run.result_hash,
    lines: result.payouts.length,
  };
}
