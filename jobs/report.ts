/**
 * The report step, in two parts around write-back. `recordResults` (once every plan is calculated)
 * merges the calculate steps' outcomes into the run's rejects and result hash, and voids the
 * approvals whose lines the run changed (even if write-back then fails); `finishReport`
 * (last) records the run as succeeded with its counts and returns its summary. Idempotent: the
 * rejects are replaced by run id, the ledger row is updated in place.
 */
import { prepareCalculation } from './prepare-calculation.js';
import { clearStepRejects, finishRun, readStepRejects, replaceRejects, setResultHash } from '../src/db/index.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import { formatDecimal } from '../src/domain/decimal.js';
import { compareRejects, type Reject } from '../src/domain/model.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import { mergeEngineRejects, runResultHash, sumByPeriodAndCurrency, type CalculateOutcome } from './calculate.js';
import type { StepContext } from './step-context.js';
import { workspaceOf, type SyncOutcome } from './sync.js';
import type { WriteBackOutcome } from './write-back-step.js';
import { checkAfterRun, type VoidedApproval } from './pay-cycle.js';

/** Rejects shown with a run's outcome (the rest are in the database's `rejects`, by run id). */
export const REJECT_SAMPLE = 5;

export interface RecordedResults {
  asOf?: string;
  lines: number;
  /** How many records were rejected; the list is in the `rejects` table (it may be long: it never travels through Redis). */
  rejects: number;
  /** The first few rejects, in file and line order, for the run's summary. */
  rejectSample: Reject[];
  resultHash: string;
  /** Payout totals per period and currency, in period order. */
  totals: { period: string; currency: string; amount: string }[];
  /** The same per plan: a plan's periods are one cadence (months, or quarters), so they add up. */
  planTotals?: { planId: string; period: string; currency: string; amount: string }[];
  /** Approvals this run voided by changing an approved line (checked once its results are stored). */
  approvalsVoided?: VoidedApproval[];
}

export interface ReportOutcome extends RecordedResults {
  runId: string;
  reps: number;
  deals: number;
  writeback?: WriteBackOutcome['summary'];
  stoppedEarly?: string;
  lockedPeriods?: string[];
  /** Where the results are (the database as its runner describes it, the password masked). */
  database?: string;
}

export async function recordResults(
  ctx: StepContext,
  sync: SyncOutcome,
  calculated: readonly CalculateOutcome[],
): Promise<RecordedResults> {
  const stored = await readStepRejects(ctx.db, ctx.runId);
  const engineRejects = mergeEngineRejects([stored.engine]);
  const rejects = await locateRejects(ctx, stored.source, engineRejects);
  await replaceRejects(ctx.db, ctx.runId, rejects);
  const plans = calculated.flatMap((c) => c.plans);
  const resultHash = runResultHash(plans, engineRejects);
  await setResultHash(ctx.db, ctx.runId, resultHash);
  const asOf = calculated.find((c) => c.asOf !== undefined)?.asOf;
  const workspace = await workspaceOf(ctx);
  const voided = await checkAfterRun(ctx.db, ctx.runId, workspace.config.calendar.fiscalYearStartMonth);
  return {
    ...(asOf === undefined ? {} : { asOf }),
    lines: plans.reduce((n, p) => n + p.lines, 0),
    rejects: rejects.length,
    rejectSample: rejects.slice(0, REJECT_SAMPLE),
    resultHash,
    totals: totalsByPeriod(
      plans.flatMap((p) => p.totals),
      new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth),
    ),
    planTotals: plans.flatMap((p) =>
      totalsByPeriod(p.totals, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth)).map((t) => ({
        planId: p.planId,
        ...t,
      })),
    ),
    ...(voided.length > 0 ? { approvalsVoided: voided } : {}),
  };
}

export async function finishReport(
  ctx: StepContext,
  sync: SyncOutcome,
  recorded: RecordedResults,
  writeback: WriteBackOutcome,
): Promise<ReportOutcome> {
  const counts = {
    reps: sync.reps,
    deals: sync.deals,
    rejects: recorded.rejects,
    lines: recorded.lines,
    ...writeback.summary,
  };
  await finishRun(ctx.db, ctx.runId, { status: 'succeeded', counts });
  await clearStepRejects(ctx.db, ctx.runId);
  ctx.log.info(
    { step: 'report', ...counts },
    `run succeeded: ${recorded.lines} payout lines, ${recorded.rejects} rejects`,
  );
  return {
    runId: ctx.runId,
    reps: sync.reps,
    deals: sync.deals,
    ...recorded,
    ...(writeback.summary ? { writeback: writeback.summary } : {}),
    ...(sync.stoppedEarly ? { stoppedEarly: sync.stoppedEarly } : {}),
    ...(sync.lockedPeriods ? { lockedPeriods: sync.lockedPeriods } : {}),
  };
}

/**
 * All rejects in file and line order. The engine names a rejected deal by id; its file and line
 * come from the source as read. In process the sync step's reading is at hand; a queued step
 * reads the source again, only when the engine rejected a deal.
 */
async function locateRejects(ctx: StepContext, sourceRejects: Reject[], engineRejects: Reject[]): Promise<Reject[]> {
  if (ctx.cache?.prepared) return ctx.cache.prepared.allRejects(engineRejects);
  if (engineRejects.some((r) => r.source === 'deals')) {
    const workspace = await workspaceOf(ctx);
    const prepared = await prepareCalculation(workspace.dir, { workspace, db: ctx.db });
    return prepared.allRejects(engineRejects);
  }
  return [...sourceRejects, ...engineRejects].sort(compareRejects);
}

function totalsByPeriod(
  rows: { period: string; currency: string; amount: string }[],
  calendar: FiscalCalendar,
): RecordedResults['totals'] {
  return (
    sumByPeriodAndCurrency(rows)
      .map((t) => ({ ...t, end: calendar.parse(t.period)?.endDay ?? 0 }))
      // By the day each period ends: the months of a quarter come before the quarter.
      .sort(
        (a, b) =>
          a.end - b.end || (a.period < b.period ? -1 : a.period > b.period ? 1 : a.currency < b.currency ? -1 : 1),
      )
      .map((t) => ({
        period: t.period,
        currency: t.currency,
        amount: formatDecimal(t.amount, minorUnitDigits(t.currency)),
      }))
  );
}
