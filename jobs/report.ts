/**
 * The report step, last of a run: merges the calculate steps' outcomes into the run's rejects,
 * result hash, counts and payout totals, and records the run as succeeded. Idempotent: the rejects
 * are replaced by run id, the ledger row updated in place.
 */
import { prepareCalculation } from '../src/cli/calculation-inputs.js';
import { finishRun, replaceRejects, setResultHash } from '../src/db/index.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import { ZERO, decimal, formatDecimal, type Decimal } from '../src/domain/decimal.js';
import { compareRejects, type Reject } from '../src/domain/model.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import { mergeEngineRejects, runResultHash, type CalculateOutcome } from './calculate.js';
import type { StepContext } from './step-context.js';
import type { SyncOutcome } from './sync.js';

export interface ReportOutcome {
  runId: string;
  asOf?: string;
  reps: number;
  deals: number;
  lines: number;
  rejects: Reject[];
  resultHash: string;
  /** Payout totals per period and currency, in period order. */
  totals: { period: string; currency: string; amount: string }[];
}

export async function reportStep(ctx: StepContext, sync: SyncOutcome, calculated: readonly CalculateOutcome[], fiscalYearStartMonth: number): Promise<ReportOutcome> {
  const engineRejects = mergeEngineRejects(calculated.map((c) => c.engineRejects));
  const rejects = await locateRejects(ctx, sync, engineRejects);
  await replaceRejects(ctx.db, ctx.runId, rejects);
  const plans = calculated.flatMap((c) => c.plans);
  const resultHash = runResultHash(plans, engineRejects);
  await setResultHash(ctx.db, ctx.runId, resultHash);
  const lines = plans.reduce((n, p) => n + p.lines, 0);
  await finishRun(ctx.db, ctx.runId, { status: 'succeeded', counts: { reps: sync.reps, deals: sync.deals, rejects: rejects.length, lines } });
  const asOf = calculated.find((c) => c.asOf !== undefined)?.asOf;
  ctx.log.info({ step: 'report', lines, rejects: rejects.length }, `run succeeded: ${lines} payout lines, ${rejects.length} rejects`);
  return {
    runId: ctx.runId,
    ...(asOf === undefined ? {} : { asOf }),
    reps: sync.reps,
    deals: sync.deals,
    lines,
    rejects,
    resultHash,
    totals: totalsByPeriod(plans.flatMap((p) => p.totals), new FiscalCalendar(fiscalYearStartMonth)),
  };
}

/**
 * All rejects in file and line order. The engine names a rejected deal by id; its file and line
 * come from the source as read. In process the sync step's reading is at hand; a queued report
 * step reads the files again, only when the engine rejected a deal.
 */
async function locateRejects(ctx: StepContext, sync: SyncOutcome, engineRejects: Reject[]): Promise<Reject[]> {
  if (ctx.cache?.prepared) return ctx.cache.prepared.allRejects(engineRejects);
  if (engineRejects.some((r) => r.source === 'deals')) {
    const prepared = await prepareCalculation(ctx.workspaceDir);
    return prepared.allRejects(engineRejects);
  }
  return [...sync.sourceRejects, ...engineRejects].sort(compareRejects);
}

function totalsByPeriod(rows: { period: string; currency: string; amount: string }[], calendar: FiscalCalendar): ReportOutcome['totals'] {
  const totals = new Map<string, { period: string; currency: string; amount: Decimal; end: number }>();
  for (const row of rows) {
    const key = `${row.period}\u0000${row.currency}`;
    let total = totals.get(key);
    if (!total) totals.set(key, (total = { period: row.period, currency: row.currency, amount: ZERO, end: calendar.parse(row.period)?.endDay ?? 0 }));
    total.amount += decimal(row.amount);
  }
  return [...totals.values()]
    // By the day each period ends: the months of a quarter come before the quarter.
    .sort((a, b) => a.end - b.end || (a.period < b.period ? -1 : a.period > b.period ? 1 : a.currency < b.currency ? -1 : 1))
    .map((t) => ({ period: t.period, currency: t.currency, amount: formatDecimal(t.amount, minorUnitDigits(t.currency)) }));
}
