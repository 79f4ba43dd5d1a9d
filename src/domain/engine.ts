/**
 * The calculation engine (docs/plans.md): pure. Plain canonical data and plans in, payout lines,
 * attainment and rejects out. No I/O, no clock, no environment.
 *
 * The work is in two passes per plan. Crediting walks every deal once per measure and adds its
 * credit, in plan currency, to a (rep, month) cell: the rep's own credit, and for managers the
 * credit of everyone below them. Paying then walks each assigned rep's quota periods, payout
 * period by payout period, computing what is due to date and paying the difference from what
 * was already paid (docs/plans.md#payout-periods), rounding each line once.
 */
import { cmp } from './order.js';
import type { OnProgress } from './progress.js';
import { ZERO, decimal, divideHalfEven, formatDecimal, parseDecimal, type Decimal } from './decimal.js';
import { minorUnitDigits } from './currency.js';
import {
  amountOf,
  creditMeasure,
  exchange,
  exchangeParts,
  prepareDeals,
  prepareTerritorySplits,
  splitParts,
  type Exchange,
  type MeasureCredit,
  type PlanAmounts,
  type PreparedDeals,
} from './crediting.js';
import { applyDraw } from './draw.js';
import { FxTable } from './fx.js';
import { LockSet, settleLocks } from './locks.js';
import type { CanonicalData, Reject } from './model.js';
import { buildOrg, type Org } from './org.js';
import { PlanPayer } from './paying.js';
import { FiscalCalendar, dayOf, isoOfDay, monthOfDay } from './periods.js';
import { componentIdsOf, planInEffect, type Calendar, type Plan, type PlanVersion } from './plan.js';
import { dealTerritories, TerritoryReps } from './territories.js';
import { Trace, tracedDeals, type AdjustmentTrace, type ManualAdjustmentTrace, type TypedTrace } from './trace.js';
import { FilterSet } from './where.js';

export { Trace };

export interface PayoutLine {
  repId: string;
  planId: string;
  /** The payout period label: `2026-01`, `2026-Q1`, `2026`. */
  period: string;
  /** A component id of the plan, or `draw` or `adjustment`. */
  component: string;
  /** Decimal string rounded half-even to the currency's minor unit. */
  amount: string;
  currency: string;
  trace: Trace;
}

export interface AttainmentRow {
  repId: string;
  planId: string;
  /** The quota period label. */
  period: string;
  measure: string;
  credit: string;
  /** Absent when the rep has no quota for the period. */
  quota?: string;
  attainment?: string;
}

export interface LockedPeriods {
  /** Locked payout period labels (a month, quarter or year label locks every line inside it). */
  periods: string[];
  /** The payout lines stored for those periods when they were locked. */
  lines: PayoutLine[];
}

/**
 * An amount agreed outside the plan (a dispute resolved with an adjustment), paid as an
 * `adjustment` line of the rep's plan in `period`: the same line kind as a locked period's
 * difference, added to it when both fall in one period. The caller chooses the period and keeps it
 * from run to run, so an adjustment is paid once even after its period is locked.
 */
export interface ManualAdjustment {
  repId: string;
  planId: string;
  period: string;
  /** Decimal string in the plan currency, at most its minor unit. */
  amount: string;
  currency: string;
  /** Why: the dispute, its line, who resolved it and how. */
  trace: ManualAdjustmentTrace;
}

export interface CalculationInput {
  calendar: Calendar;
  /** The currency whose FX rate is 1 (fx rates are units of a currency per 1 unit of it). */
  baseCurrency: string;
  plans: Plan[];
  /** Normalized data (see normalize.ts): bad records already turned into rejects. */
  data: CanonicalData;
  /** Last day calculated (YYYY-MM-DD); default: the latest close date of a won deal. */
  asOf?: string;
  locked?: LockedPeriods;
  adjustments?: ManualAdjustment[];
}

export interface CalculationResult {
  /** The last day calculated (YYYY-MM-DD); absent when there was nothing to calculate. */
  asOf?: string;
  payouts: PayoutLine[];
  attainment: AttainmentRow[];
  rejects: Reject[];
}

/** One rep's lines of one plan: the unit that locks and draws settle. */
interface LineGroup {
  repId: string;
  planId: string;
  rep: number;
  intervals: readonly number[];
  lines: PayoutLine[];
  locked: PayoutLine[];
  /** Manual adjustments of this rep's plan (ManualAdjustment). */
  manual?: PayoutLine[];
}

export interface CalculateOptions {
  /**
   * Pay only the reps this accepts (a shard of a plan's reps). Crediting still walks every deal,
   * so a manager's roll-up holds the credit of everyone below them whichever shard pays whom: the
   * lines and attainment of each rep are exactly those of a calculation of every rep.
   */
  reps?: (repId: string) => boolean;
  /** Told as each plan is done (the plans, over every deal each). */
  onProgress?: OnProgress;
  /**
   * The input prepared once (prepareInput) for several calculations of the same data,
   * locked lines and plans, or of some of those plans: a run's plans or shards calculated one by
   * one skip preparing every deal again. Refused when it was prepared from other data.
   */
  prepared?: PreparedInput;
}

/**
 * What calculate() prepares from its input before paying any plan (calculationBasis and the
 * prepared deals, territory columns included): the same for every plan and shard of one input.
 */
export interface PreparedInput {
  /** What it was prepared from: calculate() takes it only with the same data, locked lines, time zone and base currency, and these plans or some of them. */
  data: CanonicalData;
  locked: LockedPeriods | undefined;
  tz: string;
  baseCurrency: string;
  plans: ReadonlySet<Plan>;
  org: Org;
  fx: FxTable;
  filters: FilterSet;
  deals: PreparedDeals;
}

/** Whether calculate(input) may take `prepared` (CalculateOptions.prepared). */
export function preparedFor(prepared: PreparedInput, input: CalculationInput): boolean {
  return (
    prepared.data === input.data &&
    prepared.locked === input.locked &&
    prepared.tz === input.calendar.tz &&
    prepared.baseCurrency === input.baseCurrency &&
    input.plans.every((plan) => prepared.plans.has(plan))
  );
}

/** Prepares `input` for calculate() (CalculateOptions.prepared); calculate does this itself when not given one. */
export function prepareInput(input: CalculationInput): PreparedInput {
  const { org, fx, paidDeals, filters } = calculationBasis(input);
  const deals = prepareDeals(input.data, org, paidDeals, input.calendar.tz, filters);
  prepareTerritoryCredit(deals, input.plans, input.data, org);
  return {
    data: input.data,
    locked: input.locked,
    tz: input.calendar.tz,
    baseCurrency: input.baseCurrency,
    plans: new Set(input.plans),
    org,
    fx,
    filters,
    deals,
  };
}

export function calculate(input: CalculationInput, options: CalculateOptions = {}): CalculationResult {
  const only = options.reps;
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);
  const { data } = input;
  const rejects: Reject[] = [];
  const prepared = options.prepared ?? prepareInput(input);
  if (!preparedFor(prepared, input)) throw new Error('calculate: the prepared input was prepared from another input');
  const { org, fx, filters, deals } = prepared;

  // The calculated window: from the earliest close date (or locked period) through asOf.
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (let i = 0; i < deals.count; i++) {
    if (!deals.selected[i]) continue;
    const day = deals.day[i]!;
    if (day < firstDay) firstDay = day;
    if (!deals.reversed[i] && day > lastDay) lastDay = day;
  }
  for (const label of input.locked?.periods ?? []) {
    const period = calendar.parse(label);
    if (period && period.startDay < firstDay) firstDay = period.startDay;
  }
  const asOfDay = input.asOf !== undefined ? dayOf(input.asOf) : lastDay;
  if (!Number.isFinite(firstDay) || !Number.isFinite(asOfDay) || asOfDay < firstDay) {
    return { payouts: input.locked?.lines.filter((l) => !only || only(l.repId)) ?? [], attainment: [], rejects };
  }
  const firstMonth = monthOfDay(firstDay);
  const lastMonth = monthOfDay(asOfDay);
  const months = lastMonth - firstMonth + 1;

  const quotas = new Map<string, Decimal>();
  for (const q of data.quotas) quotas.set(`${q.repId}\u0000${q.period}`, parseDecimal(q.amount)!);

  // Deal amounts in each plan currency, converted once per currency at the close-date rate. The
  // rates of a currency pair change rarely: each (deal currency, day) gets its exchange once, and
  // most deals then convert in exact doubles (exchangeParts), the rest with bigints.
  const fxRejected = new Set<number>();
  const amountsByCurrency = new Map<string, PlanAmounts>();
  const amountsIn = (currency: string): PlanAmounts => {
    let amounts = amountsByCurrency.get(currency);
    if (!amounts) {
      amounts = convertAmounts(deals, fx, currency, { firstDay, lastDay: asOfDay }, fxRejected);
      amountsByCurrency.set(currency, amounts);
    }
    return amounts;
  };

  const groups = new Map<string, LineGroup>();
  const attainment: AttainmentRow[] = [];
  const task = `calculating ${deals.selectedCount.toLocaleString('en')} deals`;
  let plansDone = 0;
  const progress = (done: number) => options.onProgress?.({ task, done, unit: 'plans', total: input.plans.length });
  for (const plan of input.plans) {
    progress(plansDone++);
    const assignments = org.assignmentsByPlan.get(plan.id);
    if (!assignments) continue;
    const amounts = amountsIn(plan.currency);
    const creditContext = {
      org,
      deals,
      assignments,
      firstMonth,
      months,
      clawbackDays: plan.clawback?.windowDays,
      asOfDay,
    };
    // A plan with dated versions is paid version by version, each on its own quota periods.
    for (const { inEffect, quotaPeriods, version } of versionsOf(plan)) {
      const measures = new Map<string, MeasureCredit>();
      for (const [name, measure] of Object.entries(inEffect.measures)) {
        measures.set(name, creditMeasure(creditContext, name, measure, amounts, filters.idOf(measure.where)));
      }
      const payer = new PlanPayer({
        plan: inEffect,
        calendar,
        org,
        deals,
        measures,
        filters,
        quotas,
        firstDay,
        lastDay: asOfDay,
        firstMonth,
        lastMonth,
        months,
        ...(quotaPeriods && { quotaPeriods }),
      });
      for (const [rep, intervals] of assignments) {
        const repId = org.repIds[rep]!;
        if (only && !only(repId)) continue;
        let lines = payer.payRep(rep, intervals, attainment, rejects);
        if (version) lines = lines.map((line) => paidByVersion(line, version));
        const key = `${repId}\u0000${plan.id}`;
        const group = groups.get(key);
        if (group) for (const line of lines) group.lines.push(line);
        else groups.set(key, { repId, planId: plan.id, rep, intervals, lines, locked: [] });
      }
    }
  }
  progress(plansDone);
  for (const i of fxRejected) {
    const d = deals.deals[i]!;
    rejects.push({
      source: 'deals',
      recordId: d.id,
      reason: `no exchange rate in effect on ${d.closeDate} to convert ${d.currency}`,
    });
  }

  // Settle locks and draws per rep and plan.
  const locks = new LockSet(input.locked?.periods ?? [], calendar);
  for (const line of input.locked?.lines ?? []) {
    if (only && !only(line.repId)) continue;
    const key = `${line.repId}\u0000${line.planId}`;
    let group = groups.get(key);
    if (!group)
      groups.set(
        key,
        (group = { repId: line.repId, planId: line.planId, rep: -1, intervals: [], lines: [], locked: [] }),
      );
    group.locked.push(line);
  }
  for (const a of input.adjustments ?? []) {
    if (only && !only(a.repId)) continue;
    const key = `${a.repId}\u0000${a.planId}`;
    let group = groups.get(key);
    if (!group)
      groups.set(key, (group = { repId: a.repId, planId: a.planId, rep: -1, intervals: [], lines: [], locked: [] }));
    (group.manual ??= []).push({
      ...a,
      component: 'adjustment',
      trace: new Trace(() => ({ kind: 'manualAdjustment', json: a.trace })),
    });
  }
  const plans = new Map(input.plans.map((p) => [p.id, p]));
  const order = componentOrder(input.plans);
  const periodStart = new Map<string, number>();
  const startOf = (label: string) => {
    let day = periodStart.get(label);
    if (day === undefined) periodStart.set(label, (day = calendar.parse(label)?.startDay ?? 0));
    return day;
  };
  const sortedGroups = [...groups.values()].sort((a, b) => cmp(a.repId, b.repId) || cmp(a.planId, b.planId));
  const payouts: PayoutLine[] = [];
  for (const group of sortedGroups) {
    const plan = plans.get(group.planId);
    let lines = group.manual ? [...group.lines, ...group.manual] : group.lines;
    if (!locks.empty) lines = settleLocks(lines, group.locked, plan, calendar, locks, asOfDay);
    if (plan?.draw && group.rep >= 0)
      lines = applyDraw(lines, group.repId, plan, calendar, group.intervals, { firstDay, lastDay: asOfDay }, locks);
    if (group.manual) lines = oneAdjustmentPerPeriod(lines);
    if (lines !== group.lines) {
      // Period, then the plan's component order (adjustment and draw last).
      const componentRank = order.get(group.planId);
      const keyed = lines.map((line) => ({
        line,
        key: startOf(line.period) * 1000 + (componentRank?.get(line.component) ?? 999),
      }));
      keyed.sort((a, b) => a.key - b.key);
      for (const { line } of keyed) payouts.push(line);
    } else {
      for (const line of lines) payouts.push(line);
    }
  }

  attainment.sort(
    (a, b) =>
      cmp(a.repId, b.repId) ||
      cmp(a.planId, b.planId) ||
      startOf(a.period) - startOf(b.period) ||
      cmp(a.measure, b.measure),
  );
  rejects.sort((a, b) => cmp(a.source, b.source) || cmp(a.recordId, b.recordId) || cmp(a.reason, b.reason));
  return { asOf: isoOfDay(asOfDay), payouts, attainment, rejects };
}

/**
 * One `adjustment` line per period (its key is the line's identity, in the database and in the
 * CRM): a manual adjustment falling in the period of a locked period's adjustment, or another
 * manual one, is added to it, each part kept in the trace.
 */
function oneAdjustmentPerPeriod(lines: PayoutLine[]): PayoutLine[] {
  const byPeriod = new Map<string, PayoutLine[]>();
  for (const line of lines) {
    if (line.component !== 'adjustment') continue;
    const same = byPeriod.get(line.period);
    if (same) same.push(line);
    else byPeriod.set(line.period, [line]);
  }
  if ([...byPeriod.values()].every((same) => same.length === 1)) return lines;
  const result: PayoutLine[] = [];
  for (const line of lines) {
    const same = line.component === 'adjustment' ? byPeriod.get(line.period)! : undefined;
    if (!same || same.length === 1) {
      result.push(line);
      continue;
    }
    if (same[0] !== line) continue;
    const digits = minorUnitDigits(line.currency);
    const amount = same.reduce((sum, l) => sum + decimal(l.amount), ZERO);
    result.push({
      ...line,
      amount: formatDecimal(amount, digits),
      trace: new Trace(() => ({
        kind: 'adjustmentSum',
        json: {
          reason: 'several adjustments fall in this period; this line is their sum',
          adjustments: same.map((l) => ({ amount: l.amount, ...adjustmentJson(l.trace) })),
        },
      })),
    });
  }
  return result;
}

/** The JSON of an adjustment line's trace, to be one part of a sum. */
function adjustmentJson(trace: Trace): AdjustmentTrace {
  const t = trace.read();
  switch (t.kind) {
    case 'lockAdjustment':
    case 'manualAdjustment':
    case 'adjustmentSum':
      return t.json;
    default:
      // Every adjustment line's trace is one of the three (trace.ts classifyTrace).
      throw new Error(`an adjustment line with a ${t.kind} trace`);
  }
}

/**
 * The plan in effect over each stretch of quota periods: the plan's own keys until its first
 * version, then each version until the next (a version starts on the first day of a quota period,
 * which config/plan-schema.ts checks). One entry, the plan itself, for a plan without versions.
 */
export function versionsOf(
  plan: Plan,
): { inEffect: Plan; quotaPeriods?: { fromDay: number; untilDay: number }; version?: PlanVersion }[] {
  const versions = plan.versions ?? [];
  if (versions.length === 0) return [{ inEffect: plan }];
  const starts = versions.map((v) => dayOf(v.effective));
  return [
    { inEffect: plan, quotaPeriods: { fromDay: -Infinity, untilDay: starts[0]! } },
    ...versions.map((version, i) => ({
      inEffect: planInEffect(plan, version),
      quotaPeriods: { fromDay: starts[i]!, untilDay: starts[i + 1] ?? Infinity },
      version,
    })),
  ];
}

/** A line paid by a dated version names it in its trace (lines paid by the plan's own keys name none). */
function paidByVersion(line: PayoutLine, version: PlanVersion): PayoutLine {
  const planVersion = { effective: version.effective, hash: version.hash };
  const { trace } = line;
  return { ...line, trace: new Trace(() => withPlanVersion(trace.read(), planVersion)) };
}

/** A component's trace with the version that paid it last; other kinds are never paid by a version. */
function withPlanVersion(t: TypedTrace, planVersion: { effective: string; hash: string }): TypedTrace {
  switch (t.kind) {
    case 'rateTable':
      return { kind: t.kind, json: { ...t.json, planVersion } };
    case 'perDeal':
      return { kind: t.kind, json: { ...t.json, planVersion } };
    case 'bonus':
      return { kind: t.kind, json: { ...t.json, planVersion } };
    case 'override':
      return { kind: t.kind, json: { ...t.json, planVersion } };
    default:
      return t;
  }
}

/**
 * What a calculation over `input` starts from, the engine's and the estimates' alike: the org, the
 * exchange rates, the deals locked lines paid (a reopened one is a reversal), and one filter set
 * for every `where` of every plan and dated version.
 */
export function calculationBasis(input: CalculationInput): {
  org: Org;
  fx: FxTable;
  paidDeals: Set<string>;
  filters: FilterSet;
} {
  const org = buildOrg(input.data);
  const fx = new FxTable(input.baseCurrency, input.data.fxRates);
  const paidDeals = new Set<string>();
  for (const line of input.locked?.lines ?? []) for (const id of tracedDeals(line.trace.read())) paidDeals.add(id);
  const filters = new FilterSet();
  for (const plan of input.plans) {
    for (const { measures, components } of [plan, ...(plan.versions ?? [])]) {
      for (const measure of Object.values(measures)) filters.add(measure.where);
      for (const component of components) if (component.kind === 'per-deal') filters.add(component.where);
    }
  }
  return { org, fx, paidDeals, filters };
}

/**
 * Territory credit's split columns (docs/territories.md#territory-credit) on `deals`, when a measure
 * of any plan, or of any of its dated versions, credits by territory.
 */
export function prepareTerritoryCredit(
  deals: PreparedDeals,
  plans: readonly Plan[],
  data: CanonicalData,
  org: Org,
): void {
  const byTerritory = plans.some((plan) =>
    [plan, ...(plan.versions ?? [])].some(({ measures }) =>
      Object.values(measures).some((m) => m.credit === 'territory'),
    ),
  );
  if (!byTerritory) return;
  const reps = new TerritoryReps(data.territoryAssignments ?? []);
  deals.territory = prepareTerritorySplits(deals, org, dealTerritories(data), (id, day) => reps.on(id, day));
}

/**
 * Deal amounts in one currency, converted at the close-date rate (docs/plans.md): each (deal
 * currency, day) gets its exchange once, and most deals then convert in exact doubles
 * (exchangeParts), the rest with bigints. Deals after the window stay unknown; a deal with no rate
 * in effect is added to `fxRejected`. The engine and the estimates (estimate.ts) share it.
 */
export function convertAmounts(
  deals: PreparedDeals,
  fx: FxTable,
  currency: string,
  window: { firstDay: number; lastDay: number },
  fxRejected: Set<number>,
): PlanAmounts {
  const { firstDay, lastDay: asOfDay } = window;
  const own = deals.amounts;
  const known = new Uint8Array(deals.count);
  const hi = new Float64Array(deals.count);
  const lo = new Float64Array(deals.count);
  const big = new Map<number, Decimal>();
  const span = asOfDay - firstDay + 1;
  const exchanges = deals.currencies.map(() => new Array<Exchange | null | undefined>(span));
  const parts = { hi: 0, lo: 0 };
  for (let i = 0; i < deals.count; i++) {
    const day = deals.day[i]!;
    if (day > asOfDay || !own.known[i]) continue;
    const from = deals.currencies[deals.currency[i]!]!;
    if (from === currency) {
      known[i] = 1;
      hi[i] = own.hi[i]!;
      lo[i] = own.lo[i]!;
      if (Number.isNaN(hi[i]!)) big.set(i, own.big.get(i)!);
      continue;
    }
    const byDay = exchanges[deals.currency[i]!]!;
    let x = byDay[day - firstDay];
    if (x === undefined) {
      const fromRate = fx.rateOn(from, day);
      const toRate = fx.rateOn(currency, day);
      byDay[day - firstDay] = x = fromRate === undefined || toRate === undefined ? null : exchange(toRate, fromRate);
    }
    if (x === null) {
      fxRejected.add(i);
      continue;
    }
    known[i] = 1;
    if (exchangeParts(own.hi[i]!, own.lo[i]!, x, parts)) {
      hi[i] = parts.hi;
      lo[i] = parts.lo;
      continue;
    }
    const converted = divideHalfEven(amountOf(own, i) * x.num, x.den);
    [hi[i], lo[i]] = splitParts(converted);
    if (Number.isNaN(hi[i]!)) big.set(i, converted);
  }
  return { known, hi, lo, big };
}

/** Per plan: component id → rank; adjustment and draw come after the plan's components. */
function componentOrder(plans: Plan[]): Map<string, Map<string, number>> {
  return new Map(
    plans.map((plan) => {
      const ids = componentIdsOf(plan);
      return [
        plan.id,
        new Map([...ids.map((id, i) => [id, i] as const), ['adjustment', ids.length], ['draw', ids.length + 1]]),
      ];
    }),
  );
}
