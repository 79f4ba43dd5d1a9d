/**
 * The calculate step: one plan (queued: one job per plan, in parallel on any workers) or all of
 * them (in process), from the run's stored engine input. Each plan's payout lines and attainment
 * replace the stored ones in one transaction per plan (run-store.ts), so a step that runs twice,
 * or dies midway and runs again, leaves the same rows.
 *
 * Plans are independent in the engine: calculating plan A alone gives exactly plan A's lines and
 * attainment of a calculation of every plan (the locked lines of every plan stay in the input,
 * because a paid deal turning lost is a clawback whichever plan paid it). Only the engine's
 * rejects can repeat across plans (a deal no plan can convert is rejected by each): the report
 * step merges them.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { loadRunInputs, replaceResults, type Database } from '../src/db/index.js';
import { ZERO, decimal, formatDecimal, type Decimal } from '../src/domain/decimal.js';
import { calculate, type AttainmentRow, type CalculationInput, type CalculationResult, type PayoutLine } from '../src/domain/engine.js';
import type { Plan } from '../src/domain/plan.js';
import { LockSet } from '../src/domain/locks.js';
import type { Reject } from '../src/domain/model.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import { RunInputsMissingError, type StepContext } from './step-context.js';

export { RunInputsMissingError };

export interface PlanOutcome {
  planId: string;
  /** Payout lines written (locked periods' lines are left as they were). */
  lines: number;
  attainment: number;
  /** sha256 of the plan's payout lines (every field but the trace) and attainment rows, in the engine's order. */
  hash: string;
  /** Payout totals per period and currency, decimal strings, including locked periods' lines. */
  totals: { period: string; currency: string; amount: string }[];
}

export interface CalculateOutcome {
  asOf?: string;
  plans: PlanOutcome[];
  /** The engine's rejects, as it gave them (by deal id, not yet located in a file). */
  engineRejects: Reject[];
}

export interface ComputedPlans {
  input: CalculationInput;
  result: CalculationResult;
  plans: readonly Plan[];
}

/** The whole step, as a queued job runs it: one plan (or several), calculated and written. */
export async function calculateStep(ctx: StepContext, planIds?: readonly string[]): Promise<CalculateOutcome> {
  return writeResults(ctx, await computePlans(ctx, planIds));
}

/** Calculates the given plans (default: every plan of the run) from the run's stored engine input; writes nothing. */
export async function computePlans(ctx: StepContext, planIds?: readonly string[]): Promise<ComputedPlans> {
  const input = ctx.cache?.input ?? (await loadRunInputs(ctx.db, ctx.runId));
  if (!input) throw new RunInputsMissingError(`run ${ctx.runId} has no stored inputs: its sync step must run before calculate`);
  if (ctx.cache) ctx.cache.input = input;
  const unknown = planIds?.filter((id) => !input.plans.some((p) => p.id === id)) ?? [];
  if (unknown.length > 0) throw new RunInputsMissingError(`run ${ctx.runId}: no plan ${unknown.join(', ')} in the run's inputs`);
  const plans = planIds === undefined ? input.plans : input.plans.filter((p) => planIds.includes(p.id));
  return { input, plans, result: calculate({ ...input, plans }) };
}

/** Replaces each calculated plan's stored results (one transaction per plan). */
export async function writeResults(ctx: StepContext, computed: ComputedPlans): Promise<CalculateOutcome> {
  const { input, result } = computed;
  const outcomes: PlanOutcome[] = [];
  for (const { planId, lines, attainment } of splitByPlan(result, computed.plans)) {
    const written = await writePlanResults(ctx.db, ctx.runId, input, planId, lines, attainment);
    outcomes.push({ planId, lines: written, attainment: attainment.length, hash: planResultHash(lines, attainment), totals: totals(lines) });
    ctx.log.info({ step: 'calculate', planId, lines: written }, `plan ${planId}: ${written} payout lines written`);
  }
  return { ...(result.asOf === undefined ? {} : { asOf: result.asOf }), plans: outcomes, engineRejects: result.rejects };
}

function splitByPlan(result: CalculationResult, plans: readonly Plan[]): { planId: string; lines: PayoutLine[]; attainment: AttainmentRow[] }[] {
  return plans.map((plan) => ({
    planId: plan.id,
    lines: result.payouts.filter((l) => l.planId === plan.id),
    attainment: result.attainment.filter((a) => a.planId === plan.id),
  }));
}

/** The result hash of a calculation of every plan at once (`attain replay`): the same as the steps' per plan. */
export function resultHashOf(result: CalculationResult, plans: readonly Plan[]): string {
  const perPlan = splitByPlan(result, plans).map(({ planId, lines, attainment }) => ({ planId, hash: planResultHash(lines, attainment) }));
  return runResultHash(perPlan, result.rejects);
}

/** Every unlocked period the plan has results for, now or from an earlier run, is replaced as a whole. */
async function writePlanResults(
  db: Kysely<Database>,
  runId: string,
  input: CalculationInput,
  planId: string,
  lines: PayoutLine[],
  attainment: AttainmentRow[],
): Promise<number> {
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);
  const locks = new LockSet(input.locked?.periods ?? [], calendar);
  const locked = (label: string) => {
    const period = calendar.parse(label);
    return period !== undefined && locks.isLocked(period);
  };
  const planLines = lines.filter((l) => !locked(l.period));
  const stored = await db.selectFrom('payout_lines').select('period').distinct().where('plan_id', '=', planId).execute();
  const storedAttainment = await db.selectFrom('attainment').select('period').distinct().where('plan_id', '=', planId).execute();
  const periods = new Set([...stored, ...storedAttainment].map((r) => r.period).filter((p) => !locked(p)));
  for (const row of [...planLines, ...attainment]) periods.add(row.period);
  const count = await replaceResults(db, { runId, planId, periods: [...periods], lines: planLines, attainment });
  return count.lines;
}

export function planResultHash(lines: readonly PayoutLine[], attainment: readonly AttainmentRow[]): string {
  const hash = createHash('sha256');
  hash.update(`payouts ${lines.length}\n`);
  for (const { repId, planId, period, component, amount, currency } of lines) hash.update(`${JSON.stringify([repId, planId, period, component, amount, currency])}\n`);
  hash.update(`attainment ${attainment.length}\n`);
  for (const row of attainment) hash.update(`${JSON.stringify(row)}\n`);
  return hash.digest('hex');
}

/**
 * A run's result hash, recorded on the run and compared by `attain replay`: the plans' hashes in
 * plan id order, then the engine's rejects merged across plans. The same whether the plans were
 * calculated together (in process, replay) or one job each (queued).
 */
export function runResultHash(plans: readonly Pick<PlanOutcome, 'planId' | 'hash'>[], engineRejects: readonly Reject[]): string {
  const hash = createHash('sha256');
  const sorted = [...plans].sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0));
  hash.update(`plans ${sorted.length}\n`);
  for (const p of sorted) hash.update(`${p.planId} ${p.hash}\n`);
  const rejects = mergeEngineRejects([engineRejects]);
  hash.update(`rejects ${rejects.length}\n`);
  for (const r of rejects) hash.update(`${JSON.stringify(r)}\n`);
  return hash.digest('hex');
}

/** The engine's rejects of several calculate steps, each once, in the engine's order (source, record, reason). */
export function mergeEngineRejects(lists: readonly (readonly Reject[])[]): Reject[] {
  const seen = new Map<string, Reject>();
  for (const list of lists) for (const r of list) seen.set(`${r.source}\u0000${r.recordId}\u0000${r.reason}`, r);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

function totals(lines: readonly PayoutLine[]): PlanOutcome['totals'] {
  return sumByPeriodAndCurrency(lines).map((s) => ({ period: s.period, currency: s.currency, amount: formatDecimal(s.amount) }));
}

/** Amounts summed per period and currency, exactly, in first-seen order: a plan's lines, or the plans' totals of a run. */
export function sumByPeriodAndCurrency(rows: readonly { period: string; currency: string; amount: string }[]): { period: string; currency: string; amount: Decimal }[] {
  const sums = new Map<string, { period: string; currency: string; amount: Decimal }>();
  for (const row of rows) {
    const key = `${row.period}\u0000${row.currency}`;
    let sum = sums.get(key);
    if (!sum) sums.set(key, (sum = { period: row.period, currency: row.currency, amount: ZERO }));
    sum.amount += decimal(row.amount);
  }
  return [...sums.values()];
}
