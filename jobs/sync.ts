/**
 * The sync step (with store): reads the source, stores its canonical records in the reporting
 * database, and stores the run's engine input (the normalized data, the plans, the locked lines)
 * as the run's inputs: what the calculate steps read, on whichever worker they run, and what
 * `attain replay` recomputes from.
 *
 * Idempotent: the store is a snapshot upsert in one transaction, the inputs a replace keyed by run.
 */
import { createHash } from 'node:crypto';
import { prepareCalculation, type PreparedCalculation } from '../src/cli/calculation-inputs.js';
import { listLocks, readLockedLines, saveRunInputs, upsertCanonical } from '../src/db/index.js';
import type { CalculationInput } from '../src/domain/engine.js';
import { LockSet } from '../src/domain/locks.js';
import type { Reject } from '../src/domain/model.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import type { StepContext } from './step-context.js';

export interface SyncOutcome {
  reps: number;
  deals: number;
  /** The plans to calculate, one calculate step each. */
  plans: string[];
  /** Found while reading and normalizing (the calculate steps add the engine's). */
  sourceRejects: Reject[];
  inputsHash: string;
  planVersions: Record<string, string>;
}

export async function syncStep(ctx: StepContext, options: { asOf?: string }): Promise<SyncOutcome> {
  const prepared = await prepareCalculation(ctx.workspaceDir, options.asOf === undefined ? {} : { asOf: options.asOf });
  const stored = await upsertCanonical(ctx.db, prepared.input.data, 'csv');
  ctx.log.info({ step: 'store', ...stored }, `stored ${stored.reps} reps, ${stored.deals} deals, ${stored.splits} splits`);

  const input = await withLockedLines(ctx, prepared);
  const bytes = await saveRunInputs(ctx.db, ctx.runId, input);
  const outcome: SyncOutcome = {
    reps: prepared.counts.reps,
    deals: prepared.counts.deals,
    plans: prepared.workspace.plans.map((p) => p.id),
    sourceRejects: prepared.rejects,
    inputsHash: inputsHash(prepared),
    planVersions: planVersions(prepared),
  };
  await ctx.db
    .updateTable('runs')
    .set({ inputs_hash: outcome.inputsHash, plan_versions: JSON.stringify(outcome.planVersions) })
    .where('id', '=', ctx.runId)
    .execute();
  if (ctx.cache) Object.assign(ctx.cache, { prepared, input });
  ctx.log.info({ step: 'sync', inputBytes: bytes }, `${outcome.reps} reps, ${outcome.deals} deals, ${outcome.sourceRejects.length} rejects`);
  return outcome;
}

/** The engine input: the source data plus the lines of locked periods as they were paid (SPEC §3). */
async function withLockedLines(ctx: StepContext, prepared: PreparedCalculation): Promise<CalculationInput> {
  const { input } = prepared;
  const lockedPeriods = (await listLocks(ctx.db)).map((l) => l.period);
  if (lockedPeriods.length === 0) return input;
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);
  const locks = new LockSet(lockedPeriods, calendar);
  const lines = await readLockedLines(ctx.db, (label) => {
    const period = calendar.parse(label);
    return period !== undefined && locks.isLocked(period);
  });
  return { ...input, locked: { periods: lockedPeriods, lines } };
}

/** A hash of everything the result depends on: plans, calendar, base currency, data. */
function inputsHash(prepared: PreparedCalculation): string {
  const hash = createHash('sha256');
  const { input } = prepared;
  hash.update(JSON.stringify({ calendar: input.calendar, baseCurrency: input.baseCurrency, asOf: input.asOf ?? null, plans: input.plans }));
  for (const [name, records] of Object.entries(input.data)) {
    hash.update(name);
    for (const record of records as object[]) hash.update(JSON.stringify(record));
  }
  return hash.digest('hex');
}

function planVersions(prepared: PreparedCalculation): Record<string, string> {
  return Object.fromEntries(prepared.input.plans.map((p) => [p.id, createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12)]));
}
