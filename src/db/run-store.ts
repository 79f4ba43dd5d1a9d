/**
 * What `attain run` records: the run itself (docs/database.md: when, inputs hash, plan versions, counts,
 * status) and its results. Every write is idempotent: running the same job twice leaves the same
 * rows.
 */
import { sql, type Kysely } from 'kysely';
import type { AttainmentRow, PayoutLine } from '../domain/engine.js';
import type { Reject } from '../domain/model.js';
import type { OnProgress } from '../domain/progress.js';
import { bulkInsert, type BulkColumn } from './bulk-insert.js';
import { copyRows, type CopyColumn } from './copy-in.js';
import { PeriodLockedError } from './errors.js';
import type { Database, Run, RunStatus } from './schema.js';

export interface StartRun {
  id: string;
  trigger: string;
  inputsHash: string;
  /** Plan id → version (e.g. a hash of the plan file). */
  planVersions: Record<string, string>;
}

/** Records a run as `running`. Starting an id again (a retried job) resets it, its result hash and its stored inputs. */
export async function startRun(db: Kysely<Database>, run: StartRun): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      trigger: run.trigger,
      status: 'running',
      inputs_hash: run.inputsHash,
      plan_versions: JSON.stringify(run.planVersions),
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        trigger: eb.ref('excluded.trigger'),
        status: 'running',
        inputs_hash: eb.ref('excluded.inputs_hash'),
        plan_versions: eb.ref('excluded.plan_versions'),
        started_at: sql<Date>`now()`,
        finished_at: null,
        counts: null,
        error: null,
        result_hash: null,
      })),
    )
    .execute();
  // A retried run id stores its inputs anew; the previous attempt's must not be replayed against it.
  await db.deleteFrom('run_inputs').where('run_id', '=', run.id).execute();
}

/** Sets a run's inputs hash once its inputs are known (a CRM run: after the sync). */
export async function recordInputs(db: Kysely<Database>, id: string, inputsHash: string): Promise<void> {
  await db.updateTable('runs').set({ inputs_hash: inputsHash }).where('id', '=', id).execute();
}

export interface FinishRun {
  status: Exclude<RunStatus, 'running'>;
  counts?: Record<string, number>;
  error?: string;
}

export async function finishRun(db: Kysely<Database>, id: string, outcome: FinishRun): Promise<void> {
  const result = await db
    .updateTable('runs')
    .set({
      status: outcome.status,
      finished_at: sql<Date>`now()`,
      counts: outcome.counts === undefined ? null : JSON.stringify(outcome.counts),
      error: outcome.error ?? null,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new Error(`cannot finish run ${id}: no such run (startRun records it first)`);
}

export async function getRun(db: Kysely<Database>, id: string): Promise<Run | undefined> {
  return db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A retried run: running again, keeping its row and what its completed steps stored. */
export async function reopenRun(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('runs')
    .set({ status: 'running', error: null, finished_at: null })
    .where('id', '=', id)
    .execute();
}

/** When the last run that succeeded finished; undefined before the first. */
export async function lastSucceededAt(db: Kysely<Database>): Promise<Date | undefined> {
  const row = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.max('finished_at').as('at'))
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  return row?.at ? new Date(row.at) : undefined;
}

/** The last `limit` runs, the latest first. */
/**
 * The plan versions of a run and of the last succeeded run before it (when there is one), to see
 * which plan files changed between them.
 */
export async function planVersionsSincePrevious(
  db: Kysely<Database>,
  runId: string,
): Promise<{ current?: Pick<Run, 'id' | 'plan_versions'>; previous?: Pick<Run, 'id' | 'plan_versions'> }> {
  const runs = await db
    .selectFrom('runs')
    .select(['id', 'plan_versions'])
    .where((eb) => eb.or([eb('id', '=', runId), eb('status', '=', 'succeeded')]))
    .orderBy('started_at', 'desc')
    .limit(2)
    .execute();
  const current = runs.find((r) => r.id === runId);
  const previous = runs.find((r) => r.id !== runId);
  return { ...(current ? { current } : {}), ...(previous ? { previous } : {}) };
}

export async function listRecentRuns(db: Kysely<Database>, limit: number): Promise<Run[]> {
  return db.selectFrom('runs').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
}

export interface PlanResults {
  runId: string;
  planId: string;
  /**
   * Every payout and quota period of the plan that the run calculated: their stored rows are
   * replaced, including rows for which the new result has nothing (a payout that went to zero).
   * Locked periods must be left out: their lines are never rewritten.
   */
  periods: readonly string[];
  lines: readonly PayoutLine[];
  attainment: readonly AttainmentRow[];
  /** Replace these reps' rows only (a shard of the plan's reps); absent: every rep's. */
  reps?: readonly string[];
}

/** The columns of a payout line (the bench writes them the former way too, to compare). */
export const payoutLineColumns: CopyColumn<PayoutLine>[] = [
  { name: 'rep_id', type: 'text', value: (l) => l.repId },
  { name: 'period', type: 'text', value: (l) => l.period },
  { name: 'component', type: 'text', value: (l) => l.component },
  { name: 'amount', type: 'numeric', value: (l) => l.amount },
  { name: 'currency', type: 'text', value: (l) => l.currency },
  // The lazy trace renders its JSON here (JSON.stringify calls its toJSON), chunk by chunk, and is not kept.
  // A NUL in it (PostgreSQL text cannot hold one) is written as U+FFFD.
  { name: 'trace', type: 'jsonb', value: (l) => l.trace },
];

const attainmentColumns: CopyColumn<AttainmentRow>[] = [
  { name: 'rep_id', type: 'text', value: (a) => a.repId },
  { name: 'period', type: 'text', value: (a) => a.period },
  { name: 'measure', type: 'text', value: (a) => a.measure },
  { name: 'credit', type: 'numeric', value: (a) => a.credit },
  { name: 'quota', type: 'numeric', value: (a) => a.quota ?? null },
  { name: 'attainment', type: 'numeric', value: (a) => a.attainment ?? null },
];

/**
 * Replaces one plan's payout lines and attainment for the given periods, in ONE transaction: the
 * old rows go and the new ones come together, so a run that fails midway leaves the previous
 * results as they were. Writing the same results twice leaves the same rows.
 *
 * As a last line of defence it refuses (PeriodLockedError, nothing written) to delete or write
 * payout lines in a period whose own label is locked; the caller still has to leave out periods
 * locked through an enclosing label (a month of a locked quarter), which only the calendar knows.
 */
export async function replaceResults(
  db: Kysely<Database>,
  results: PlanResults,
  options: { chunkSize?: number; onProgress?: OnProgress } = {},
): Promise<{ lines: number; attainment: number }> {
  const { runId, planId } = results;
  const periods = [...new Set(results.periods)];
  const known = new Set(periods);
  const linePeriods = new Set<string>();
  const reps = results.reps && new Set(results.reps);
  const outside = (row: { planId: string; period: string; repId: string }) =>
    row.planId !== planId || !known.has(row.period) || (reps !== undefined && !reps.has(row.repId));
  const stray = results.lines.find(outside) ?? results.attainment.find(outside);
  if (stray) {
    throw new Error(
      `replaceResults for plan ${planId}: a row of plan ${stray.planId}, period ${stray.period}, rep ${stray.repId} is outside the periods (or reps) being replaced`,
    );
  }
  for (const line of results.lines) linePeriods.add(line.period);
  if (periods.length === 0) return { lines: 0, attainment: 0 };

  const insertOptions = {
    constants: { run_id: runId, plan_id: planId },
    chunkSize: options.chunkSize,
    onProgress: options.onProgress,
  };
  await db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('locks')
      .select('period')
      .where('period', '=', (eb) => eb.fn.any(eb.val([...linePeriods])))
      .union(
        trx
          .selectFrom('payout_lines')
          .select('period')
          .where('plan_id', '=', planId)
          .where('period', '=', (eb) => eb.fn.any(eb.val(periods)))
          .where('period', 'in', trx.selectFrom('locks').select('period')),
      )
      .execute();
    if (locked.length > 0) {
      const labels = locked.map((r) => r.period).sort();
      throw new PeriodLockedError(
        labels,
        `plan ${planId}: period ${labels.join(', ')} is locked; its payout lines are never rewritten`,
      );
    }

    for (const table of ['payout_lines', 'attainment'] as const) {
      let remove = trx
        .deleteFrom(table)
        .where('plan_id', '=', planId)
        .where('period', '=', (eb) => eb.fn.any(eb.val(periods)));
      if (results.reps) remove = remove.where('rep_id', '=', (eb) => eb.fn.any(eb.val([...results.reps!])));
      await remove.execute();
    }
    // COPY: new rows only (the old ones were deleted above), at the database's loading speed.
    await copyRows(trx, 'payout_lines', payoutLineColumns, results.lines, insertOptions);
    await copyRows(trx, 'attainment', attainmentColumns, results.attainment, insertOptions);
  });
  return { lines: results.lines.length, attainment: results.attainment.length };
}

const rejectColumns: BulkColumn<Reject>[] = [
  { name: 'source', type: 'text', value: (r) => r.source },
  { name: 'record_id', type: 'text', value: (r) => r.recordId },
  { name: 'reason', type: 'text', value: (r) => r.reason },
];

/** Stores a run's rejects, replacing any stored for the same run id (a retried job). */
export async function replaceRejects(db: Kysely<Database>, runId: string, rejects: readonly Reject[]): Promise<number> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('rejects').where('run_id', '=', runId).execute();
    await bulkInsert(trx, 'rejects', rejectColumns, rejects, { constants: { run_id: runId } });
  });
  return rejects.length;
}

/**
 * Stores the rejects one step of a run found (`sync`, or a calculate step's key), replacing that
 * step's: a step run again stores the same. The run's report reads them all back (readStepRejects),
 * so that a list of any length stays in the database and only its count travels through the queue.
 */
export async function replaceStepRejects(
  db: Kysely<Database>,
  runId: string,
  step: string,
  rejects: readonly Reject[],
): Promise<number> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('step_rejects').where('run_id', '=', runId).where('step', '=', step).execute();
    await bulkInsert(trx, 'step_rejects', rejectColumns, rejects, { constants: { run_id: runId, step } });
  });
  return rejects.length;
}

/** A run's step rejects: the sync step's (read from the source) and the calculate steps' (the engine's). */
export async function readStepRejects(
  db: Kysely<Database>,
  runId: string,
): Promise<{ source: Reject[]; engine: Reject[] }> {
  const rows = await db
    .selectFrom('step_rejects')
    .select(['step', 'source', 'record_id', 'reason'])
    .where('run_id', '=', runId)
    .execute();
  const toReject = (r: (typeof rows)[number]): Reject => ({
    source: r.source,
    recordId: r.record_id,
    reason: r.reason,
  });
  return {
    source: rows.filter((r) => r.step === 'sync').map(toReject),
    engine: rows.filter((r) => r.step !== 'sync').map(toReject),
  };
}

/** Forgets a run's step rejects once the run has recorded them all (it succeeded). */
export async function clearStepRejects(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('step_rejects').where('run_id', '=', runId).execute();
}
