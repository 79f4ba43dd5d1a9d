/**
 * Estimates (docs/estimates.md): for every open deal, what each affected rep would earn if that
 * deal alone closed won, at its amount, on its close date (on the as-of date when that date has
 * passed), everything else as it is.
 *
 * No recalculation per deal. Crediting runs once, for the won deals, on the window the open deals
 * reach; each open deal is then credited alone (creditMeasure on a small org of the reps credited
 * on it and everyone above them), its credit is added to the cells of those reps for a moment, and
 * only the quota period it lands in is paid again, for those reps (PlanPayer.payQuotaPeriodOf):
 * the lines of other quota periods cannot change, and locks and draws move no money between
 * periods (locks.ts posts a locked period's difference as an adjustment line; draw lines are not
 * counted). An estimate is the difference of those lines' sums, so it is exactly what a full
 * calculation with the deal won would add to the rep's non-draw lines of that plan.
 */
import { cmp } from './order.js';
import { ZERO, decimal, formatDecimal, type Decimal } from './decimal.js';
import { minorUnitDigits } from './currency.js';
import {
  creditMeasure,
  prepareColumns,
  type MeasureCredit,
  type PlanAmounts,
  type PreparedDeals,
  type TerritorySplits,
} from './crediting.js';
import {
  calculationBasis,
  convertAmounts,
  prepareTerritoryCredit,
  versionsOf,
  type CalculationInput,
} from './engine.js';
import { buildDealColumns, dealColumnsOf } from './deal-columns.js';
import type { Deal } from './model.js';
import type { Org } from './org.js';
import { PlanPayer, type QuotaPeriodSlots } from './paying.js';
import { FiscalCalendar, dayOf, isoOfDay, monthOfDay } from './periods.js';
import type { Plan } from './plan.js';
import type { QuotaFacts, TraceJson, TypedTrace } from './trace.js';
import type { FilterSet } from './where.js';

export interface Estimate {
  dealId: string;
  repId: string;
  planId: string;
  /** The change in the rep's non-draw payout lines of the plan: exact, in the plan currency's minor unit. */
  amount: string;
  currency: string;
  /** The day the deal is taken to close: its close date, or the as-of date when that has passed. */
  closeDate: string;
  /** Each payout period whose lines the deal changes, in order, and by how much (exact). */
  periods: { period: string; change: Decimal }[];
  /**
   * Why: the deal, the quota period it lands in, the credit it adds and each line it changes.
   * Rendered when read, by evaluating the deal alone again (docs/estimates.md#how-it-is-fast).
   */
  trace: EstimateTrace;
}

/**
 * An estimate's trace: `toJSON()` (which JSON.stringify calls) gives it as JSON, `text()` as JSON
 * text, the same bytes. Rendered when read, or held as the text it was rendered to at once
 * (EstimateOptions `traces`).
 */
export class EstimateTrace {
  private constructor(
    private readonly build: (() => TraceJson) | undefined,
    private readonly json: string | undefined,
  ) {}

  /** Rendered when read. */
  static lazy(build: () => TraceJson): EstimateTrace {
    return new EstimateTrace(build, undefined);
  }

  /** A trace that is already plain JSON. */
  static of(json: TraceJson): EstimateTrace {
    return new EstimateTrace(() => json, undefined);
  }

  /** A trace rendered to JSON text at once. */
  static text(text: string): EstimateTrace {
    return new EstimateTrace(undefined, text);
  }

  toJSON(): TraceJson {
    return this.json === undefined ? this.build!() : (JSON.parse(this.json) as TraceJson);
  }

  text(): string {
    return this.json ?? JSON.stringify(this.build!());
  }
}

export interface EstimateResult {
  /** The last day of the window the estimates are calculated through; absent when there is nothing open. */
  asOf?: string;
  estimates: Estimate[];
}

export interface EstimateOptions {
  /**
   * Estimate only the open deals this accepts (`attain estimate --deal`, a part of a run's
   * estimates): each as it is estimated with every other, in the window of every open deal.
   */
  deals?: (dealId: string) => boolean;
  /**
   * `lazy` (default): each trace is rendered when read, by evaluating its deal alone again; the
   * estimates hold no traces. `text`: rendered at once, as JSON text, in the one evaluation of each
   * deal: for a caller that reads every trace (the run's store, `attain estimate --json`).
   */
  traces?: 'lazy' | 'text';
}

/** The small org of one open deal: the reps credited on it and everyone above them. */
interface DealChain {
  org: Org;
  /** Full org index of each mini rep. */
  full: number[];
  deals: PreparedDeals;
}

export function estimate(input: CalculationInput, options: EstimateOptions = {}): EstimateResult {
  const made = estimatesOf(input, options);
  if (!made) return { estimates: [] };
  const estimates = [...made.each];
  estimates.sort((a, b) => cmp(a.dealId, b.dealId) || cmp(a.repId, b.repId) || cmp(a.planId, b.planId));
  return { asOf: made.asOf, estimates };
}

/** Estimates as they are made: `each` gives them one at a time, plan by plan and deal by deal. */
export interface EstimatesMade {
  /** The last day of the window the estimates are calculated through. */
  asOf: string;
  /** Iterated once: each deal is evaluated as it is reached. */
  each: Iterable<Estimate>;
}

/**
 * What every estimate of one input shares, whichever deals are estimated: the open deals as won,
 * the won deals credited once per plan version, the reps' lines without any open deal as they are
 * paid. Made once (estimateBasis) and given to estimatesOf for each part of a run's estimates on
 * one worker, it is computed once instead of once per part; the estimates are the same either way.
 */
export interface EstimateBasis {
  readonly input: CalculationInput;
  readonly asOf: string;
  /** The open deals it estimates: by deal id, their index among the prepared deals. */
  readonly candidates: readonly number[];
  readonly prepared: PreparedDeals;
  /** The plans' versions, each with its payer and base credit, made when first estimated. */
  readonly plans: () => Iterable<PlanEstimate>;
}

/** The basis of `input`'s estimates (EstimateBasis); undefined when it has no open deal to estimate. */
export function estimateBasis(input: CalculationInput): EstimateBasis | undefined {
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);
  const { data } = input;
  const { org, fx, paidDeals, filters } = calculationBasis(input);

  // The deals in columns (normalize's, or built here for every deal of a known owner), the won
  // ones and the reversals of paid ones selected, as the engine's calculation selects them.
  const columns = dealColumnsOf(data) ?? buildDealColumns(data, org.index, () => true);
  const calculated = prepareColumns(columns, paidDeals, input.calendar.tz, filters);
  const { selected, passes } = calculated;

  // The calculation's own window (engine.ts): from the earliest won or reversed deal (or locked
  // period) through asOf, by default the latest close date of a won deal.
  let firstDay = Infinity;
  let lastWon = -Infinity;
  for (let i = 0; i < calculated.count; i++) {
    if (!selected[i]) continue;
    const day = calculated.day[i]!;
    if (day < firstDay) firstDay = day;
    if (columns.won[i] && day > lastWon) lastWon = day;
  }
  for (const label of input.locked?.periods ?? []) {
    const period = calendar.parse(label);
    if (period && period.startDay < firstDay) firstDay = period.startDay;
  }
  const asOfDay = input.asOf !== undefined ? dayOf(input.asOf) : lastWon;

  // Open deals close on their close date, or on asOf when that has passed: their rows are selected
  // too, as won on that day (the columns' own arrays copied first: normalize's are shared). A deal
  // paid in a locked period and open again is a reversal the calculation already handles: it gets
  // no estimate.
  const deals = calculated.deals.slice();
  const day = calculated.day.slice();
  const month = calculated.month.slice();
  const predicates = filters.predicates;
  const candidates: number[] = [];
  let lastDay = asOfDay;
  for (let i = 0; i < calculated.count; i++) {
    const d = deals[i]!;
    if (d.stage !== 'open' || d.deleted || selected[i] || paidDeals.has(d.id)) continue;
    const closes = Number.isFinite(asOfDay) ? Math.max(day[i]!, asOfDay) : day[i]!;
    const won: Deal = { ...d, stage: 'won', closeDate: isoOfDay(closes) };
    deals[i] = won;
    day[i] = closes;
    month[i] = monthOfDay(closes);
    selected[i] = 1;
    for (let f = 0; f < predicates.length; f++) passes[f]![i] = predicates[f]!(won) ? 1 : 0;
    candidates.push(i);
    if (closes > lastDay) lastDay = closes;
    if (closes < firstDay) firstDay = closes;
  }
  if (candidates.length === 0) return undefined;
  const prepared: PreparedDeals = {
    ...calculated,
    deals,
    day,
    month,
    selectedCount: calculated.selectedCount + candidates.length,
  };
  prepareTerritoryCredit(prepared, input.plans, data, org);
  const firstMonth = monthOfDay(firstDay);
  const lastMonth = monthOfDay(lastDay);
  const months = lastMonth - firstMonth + 1;
  const window = { firstDay, lastDay };
  const quotas = new Map<string, Decimal>();
  for (const q of data.quotas) quotas.set(`${q.repId}\u0000${q.period}`, decimal(q.amount));
  // One builder for every plan's chains, lazy traces' included: a chain lives only while its deal is evaluated.
  const chains = new ChainBuilder(org, prepared);

  // Each plan's versions (a plan with dated versions is paid version by version, engine.ts, each
  // on its own quota periods), their estimates made when first reached, then kept: the next part
  // of a run's estimates finds them made.
  const versions = input.plans.flatMap((plan) => {
    const assignments = org.assignmentsByPlan.get(plan.id);
    return assignments ? versionsOf(plan).map((version) => ({ plan, assignments, ...version })) : [];
  });
  const made: PlanEstimate[] = [];
  const amountsByCurrency = new Map<string, PlanAmounts>();
  const baseByPlan = new Map<Plan, PlanAmounts>();
  const planEstimate = ({ plan, assignments, inEffect, quotaPeriods }: (typeof versions)[number]): PlanEstimate => {
    let amounts = amountsByCurrency.get(plan.currency);
    if (!amounts)
      amountsByCurrency.set(plan.currency, (amounts = convertAmounts(prepared, fx, plan.currency, window, new Set())));
    let base = baseByPlan.get(plan);
    if (!base) {
      // The won deals alone: the open ones are unknown to the base credit.
      const known = amounts.known.slice();
      for (const i of candidates) known[i] = 0;
      baseByPlan.set(plan, (base = { ...amounts, known }));
    }
    const clawbackDays = plan.clawback?.windowDays;
    const measures = new Map<string, MeasureCredit>();
    for (const [name, measure] of Object.entries(inEffect.measures)) {
      const ctx = { org, deals: prepared, assignments, firstMonth, months, clawbackDays, asOfDay: lastDay };
      measures.set(name, creditMeasure(ctx, name, measure, base, filters.idOf(measure.where)));
    }
    const payer = new PlanPayer({
      plan: inEffect,
      calendar,
      org,
      deals: prepared,
      measures,
      filters,
      quotas,
      firstDay,
      lastDay,
      firstMonth,
      lastMonth,
      months,
      ...(quotaPeriods && { quotaPeriods }),
    });
    return new PlanEstimate(
      inEffect,
      payer,
      measures,
      assignments,
      calendar,
      filters,
      months,
      firstMonth,
      amounts,
      (i) => chains.chain(i),
      quotaPeriods
        ? (i) => {
            const { startDay } = calendar.periodOf(inEffect.quotaPeriod, prepared.month[i]!);
            return startDay >= quotaPeriods.fromDay && startDay < quotaPeriods.untilDay;
          }
        : () => true,
    );
  };
  function* planEstimates(): Generator<PlanEstimate> {
    for (let k = 0; k < versions.length; k++) yield (made[k] ??= planEstimate(versions[k]!));
  }
  return { input, asOf: isoOfDay(lastDay), candidates, prepared, plans: planEstimates };
}

/**
 * The estimates one at a time, in the order they are made, not sorted; absent when there is no
 * open deal. For a caller that writes each away as it comes (the run's store): a trace rendered at
 * once (`traces: 'text'`) then lives only until it is written, instead of every trace at once.
 * `basis`: made by estimateBasis from this same input, for the parts of a run's estimates.
 */
export function estimatesOf(
  input: CalculationInput,
  options: EstimateOptions & { basis?: EstimateBasis } = {},
): EstimatesMade | undefined {
  if (options.basis && options.basis.input !== input)
    throw new Error('estimatesOf: the basis was made from another input');
  const basis = options.basis ?? estimateBasis(input);
  if (!basis) return undefined;
  const { prepared } = basis;
  const only = options.deals;
  const candidates = only ? basis.candidates.filter((i) => only(prepared.deals[i]!.id)) : basis.candidates;
  const traces = options.traces ?? 'lazy';
  function* each(): Generator<Estimate> {
    const made: Estimate[] = [];
    for (const planEstimate of basis!.plans()) {
      for (const i of candidates) {
        if (!planEstimate.estimates(i)) continue;
        // Each deal's chain is built again for each plan, into the same arrays: keeping 100,000
        // chains alive costs the collector more.
        planEstimate.estimate(i, made, traces);
        yield* made;
        made.length = 0;
      }
    }
  }
  return { asOf: basis.asOf, each: each() };
}

/** A rep's quota period without the deal: its slots, and their facts once read. */
interface BaseSlots {
  slots: QuotaPeriodSlots;
  facts: (LineFacts | undefined)[];
}

/** A line an open deal changes (after: ZERO where the line goes). */
interface LineChange {
  period: string;
  component: string;
  /** The line without the deal, when there is one: its amount and facts. */
  before: { amount: Decimal; facts: () => LineFacts } | undefined;
  after: Decimal;
  facts: LineFacts;
}

/** An estimate's trace: the deal, the rep's role, and what it changes with the figures. */
function traceJson(deal: Deal, rep: RepChange): TraceJson {
  return {
    deal: deal.id,
    name: deal.name,
    amount: deal.amount,
    currency: deal.currency,
    closeDate: deal.closeDate,
    role: rep.credited ? 'credited' : 'manager',
    quotaPeriod: rep.quotaPeriod,
    credit: rep.credit,
    changes: rep.changes!,
  };
}

/** What an open deal changes for one rep of its chain (m). */
interface RepChange {
  m: number;
  credited: boolean;
  difference: Decimal;
  periods: { period: string; change: Decimal }[];
  quotaPeriod: string;
  /** The credit the deal adds to the rep, by measure. */
  credit: Record<string, string>;
  /** With the figures: the lines it changes, then their traces. */
  list?: LineChange[];
  changes?: TraceJson[];
}

/** One plan's estimates: its base credit and payer, and the base lines of each (rep, quota period) once. */
export class PlanEstimate {
  private readonly baseSlots = new Map<string, BaseSlots>();
  private readonly digits: number;

  constructor(
    private readonly plan: Plan,
    private readonly payer: PlanPayer,
    private readonly measures: ReadonlyMap<string, MeasureCredit>,
    private readonly assignments: ReadonlyMap<number, number[]>,
    private readonly calendar: FiscalCalendar,
    private readonly filters: FilterSet,
    private readonly months: number,
    private readonly firstMonth: number,
    private readonly amounts: PlanAmounts,
    private readonly chainOf: (deal: number) => DealChain,
    /** Whether this version of the plan pays the quota period open deal i lands in (a dated version pays some). */
    private readonly pays: (deal: number) => boolean,
  ) {
    this.digits = minorUnitDigits(plan.currency);
  }

  /** Whether this plan (version) estimates open deal i: its amount converts, and the version pays the quota period it lands in. */
  estimates(i: number): boolean {
    return this.amounts.known[i] !== 0 && this.pays(i);
  }

  /** The estimates of open deal i; their traces as `traces` says (EstimateOptions). */
  estimate(i: number, out: Estimate[], traces: 'lazy' | 'text'): void {
    const chain = this.chainOf(i);
    const deal = chain.deals.deals[0]!;
    for (const rep of this.evaluate(i, chain, traces === 'text')) {
      if (rep.difference === ZERO && !rep.credited) continue;
      const { m } = rep;
      out.push({
        dealId: deal.id,
        repId: chain.org.repIds[rep.m]!,
        planId: this.plan.id,
        amount: formatDecimal(rep.difference, this.digits),
        currency: this.plan.currency,
        closeDate: deal.closeDate,
        periods: rep.periods,
        trace:
          traces === 'text'
            ? EstimateTrace.text(JSON.stringify(traceJson(deal, rep)))
            : EstimateTrace.lazy(() => this.traceOf(i, m)),
      });
    }
  }

  /** The last deal whose traces were read, and its traces by rep of its chain: estimates are read deal by deal. */
  private rendered: { deal: number; traces: Map<number, TraceJson> } | undefined;

  /** Deal i's trace for rep m of its chain: the deal evaluated alone again, this time with the figures. */
  private traceOf(i: number, m: number): TraceJson {
    if (this.rendered?.deal !== i) {
      const chain = this.chainOf(i);
      const deal = chain.deals.deals[0]!;
      const traces = new Map<number, TraceJson>();
      for (const rep of this.evaluate(i, chain, true)) traces.set(rep.m, traceJson(deal, rep));
      this.rendered = { deal: i, traces };
    }
    return this.rendered.traces.get(m)!;
  }

  /**
   * What deal i, won alone, changes for each rep of its chain it reaches: the difference in the
   * rep's lines of the quota period it lands in, by payout period, and with `explain` the lines
   * it changes with the figures that say why.
   */
  private evaluate(i: number, chain: DealChain, explain: boolean): RepChange[] {
    const { plan, measures, assignments, amounts } = this;
    const deals = chain.deals;
    const mini = new Map<number, number[]>();
    chain.full.forEach((full, m) => {
      const intervals = assignments.get(full);
      if (intervals) mini.set(m, intervals);
    });
    if (mini.size === 0) return [];
    const hi = amounts.hi[i]!;
    const big = new Map<number, Decimal>();
    if (Number.isNaN(hi)) big.set(0, amounts.big.get(i)!);
    const dealAmounts: PlanAmounts = {
      known: Uint8Array.of(1),
      hi: Float64Array.of(hi),
      lo: Float64Array.of(amounts.lo[i]!),
      big,
    };
    const month = deals.month[0]!;
    const ctx = {
      org: chain.org,
      deals,
      assignments: mini,
      firstMonth: month,
      months: 1,
      clawbackDays: plan.clawback?.windowDays,
      asOfDay: deals.day[0]!,
    };
    // The deal's credit alone, per measure and rep of its chain.
    const credits: { mc: MeasureCredit; alone: MeasureCredit }[] = [];
    for (const [name, measure] of Object.entries(plan.measures)) {
      const mc = measures.get(name)!;
      const alone = creditMeasure(ctx, name, measure, dealAmounts, this.filters.idOf(measure.where));
      credits.push({ mc, alone });
    }
    const affected: number[] = [];
    const credited = new Set<number>();
    for (let m = 0; m < chain.full.length; m++) {
      let touched = false;
      for (const { alone } of credits) {
        if (alone.cellStart[m + 1]! > alone.cellStart[m]!) credited.add(m);
        if (alone.own.get(m) !== ZERO || alone.below.get(m) !== ZERO || credited.has(m)) touched = true;
      }
      if (touched) affected.push(m);
    }
    if (affected.length === 0) return [];

    const before = affected.map((m) => this.slotsBefore(chain.full[m]!, month));
    this.apply(i, chain, credits, 1n);
    // Each rep's lines that change, their figures read now, while the deal counts.
    const changed = this.payer.briefly(() =>
      affected.map((m, x): RepChange => {
        const base = before[x]!;
        const was = base.slots;
        const rep = chain.full[m]!;
        const now = this.payer.quotaPeriodSlots(rep, assignments.get(rep)!, month, { before: was, traces: explain });
        const { width } = now;
        let difference = ZERO;
        const periods: { period: string; change: Decimal }[] = [];
        const list: LineChange[] = [];
        // Lines paid with the deal that it changes, in line order; then the ones it ends.
        for (let s = now.from * width; s < now.amount.length; s++) {
          const amount = now.amount[s]!;
          const wasAmount = was.amount[s]!;
          if (amount === wasAmount) continue;
          difference += amount - wasAmount;
          const period = now.payoutPeriods[Math.floor(s / width)]!.label;
          if (periods.at(-1)?.period === period) periods.at(-1)!.change += amount - wasAmount;
          else periods.push({ period, change: amount - wasAmount });
          if (!explain || amount === ZERO) continue;
          list.push({
            period,
            component: now.components[s % width]!,
            before: wasAmount === ZERO ? undefined : { amount: wasAmount, facts: () => this.baseFacts(base, s) },
            after: amount,
            facts: facts(now.trace[s]!.read()),
          });
        }
        for (let s = now.from * width; s < now.amount.length && explain; s++) {
          const wasAmount = was.amount[s]!;
          if (wasAmount === ZERO || now.amount[s] !== ZERO) continue;
          list.push({
            period: was.payoutPeriods[Math.floor(s / width)]!.label,
            component: was.components[s % width]!,
            before: { amount: wasAmount, facts: () => this.baseFacts(base, s) },
            after: ZERO,
            facts: {},
          });
        }
        const credit: Record<string, string> = {};
        for (const { alone } of credits) {
          const added = alone.own.get(m) + (alone.rollup ? alone.below.get(m) : ZERO);
          if (added !== ZERO) credit[alone.name] = formatDecimal(added);
        }
        return {
          m,
          credited: credited.has(m),
          difference,
          periods,
          quotaPeriod: now.period,
          credit,
          ...(explain ? { list } : {}),
        };
      }),
    );
    this.apply(i, chain, credits, -1n);
    // The base lines' figures are read with the cells as they are without the deal.
    if (explain)
      for (const rep of changed)
        rep.changes = this.payer.briefly(() => rep.list!.map((c) => changeTrace(c, this.digits)));
    return changed;
  }

  /** The rep's quota period containing `month` without the deal, computed once. */
  private slotsBefore(rep: number, month: number): BaseSlots {
    const q = this.calendar.periodOf(this.plan.quotaPeriod, month);
    const key = `${rep}\u0000${q.label}`;
    let base = this.baseSlots.get(key);
    if (!base) {
      const slots = this.payer.quotaPeriodSlots(rep, this.assignments.get(rep)!, month);
      this.baseSlots.set(key, (base = { slots, facts: new Array(slots.amount.length) }));
    }
    return base;
  }

  /** The facts of a line without the deal, read once: many deals land in the same rep's period. */
  private baseFacts(base: BaseSlots, slot: number): LineFacts {
    return (base.facts[slot] ??= facts(base.slots.trace[slot]!.read()));
  }

  /** Adds (sign 1n) or takes back (−1n) the deal's credit in the plan's cells and refs. */
  private apply(
    i: number,
    chain: DealChain,
    credits: { mc: MeasureCredit; alone: MeasureCredit }[],
    sign: bigint,
  ): void {
    const offset = chain.deals.month[0]! - this.firstMonth;
    for (const { mc, alone } of credits) {
      for (let m = 0; m < chain.full.length; m++) {
        const cell = chain.full[m]! * this.months + offset;
        const own = alone.own.get(m);
        const below = alone.below.get(m);
        const through = alone.throughReport.get(m);
        if (own !== ZERO) mc.own.addDecimal(cell, own * sign);
        if (below !== ZERO) mc.below.addDecimal(cell, below * sign);
        if (through !== ZERO) mc.throughReport.addDecimal(cell, through * sign);
      }
      if (sign < 0n) {
        // The split credits were appended last: take them off the end.
        for (const { ref } of mc.extraRefs ?? []) {
          if (ref >= 0) continue;
          mc.splitCreditDeal.pop();
          mc.splitCreditSplit.pop();
          mc.splitCreditHi.pop();
          mc.splitCreditLo.pop();
          mc.splitCreditBig.delete(~ref);
        }
        delete mc.extraRefs;
        continue;
      }
      const extra: { cell: number; ref: number }[] = [];
      for (let m = 0; m < chain.full.length; m++) {
        const cell = chain.full[m]! * this.months + offset;
        for (let r = alone.cellStart[m]!; r < alone.cellStart[m + 1]!; r++) {
          const ref = alone.refs[r]!;
          if (ref >= 0) {
            extra.push({ cell, ref: i });
            continue;
          }
          const k = mc.splitCreditHi.length;
          const split = ~ref;
          mc.splitCreditDeal.push(i);
          mc.splitCreditSplit.push(mc.deals.splitStart[i]! + alone.splitCreditSplit[split]!);
          mc.splitCreditHi.push(alone.splitCreditHi[split]!);
          mc.splitCreditLo.push(alone.splitCreditLo[split]!);
          const large = alone.splitCreditBig.get(split);
          if (large !== undefined) mc.splitCreditBig.set(k, large);
          extra.push({ cell, ref: ~k });
        }
      }
      if (extra.length > 0) mc.extraRefs = extra;
    }
  }
}

/** A line the deal changes: before, after, the change, and the facts that explain it. */
function changeTrace(c: LineChange, digits: number): TraceJson {
  const from = c.before?.amount ?? ZERO;
  const was = c.before ? c.before.facts() : {};
  return {
    period: c.period,
    component: c.component,
    before: formatDecimal(from, digits),
    after: formatDecimal(c.after, digits),
    change: formatDecimal(c.after - from, digits),
    why: notes(c.component, was, c.facts),
    ...(Object.keys(c.facts).length > 0 ? { facts: c.facts } : {}),
  };
}

/**
 * The facts of a line's trace that say why it pays what it pays (not its deal list), keys in this
 * order: measure, creditToDate, quota, attainmentToDate, gate, cap, reached, attainmentAtLeast,
 * teamCreditToDate, rate, perDeal, tiers.
 */
type LineFacts = {
  measure?: string;
  creditToDate?: string;
  quota?: string | null;
  attainmentToDate?: string;
  gate?: { threshold: string; met: boolean };
  cap?: { cap: string; uncapped: string; applied: boolean };
  reached?: boolean;
  attainmentAtLeast?: string;
  teamCreditToDate?: string;
  rate?: string;
  perDeal?: string;
  tiers?: { tier: number; rate: string }[];
};

function facts(trace: TypedTrace): LineFacts {
  // One object, its keys set in the order above: no spread copies, for every line of every change.
  const quotaFacts = (t: QuotaFacts): LineFacts => {
    const f: LineFacts = { measure: t.measure, creditToDate: t.creditToDate, quota: t.quota };
    if (t.attainmentToDate !== undefined) f.attainmentToDate = t.attainmentToDate;
    return f;
  };
  switch (trace.kind) {
    case 'rateTable': {
      const { gate, cap, tiers } = trace.json;
      const f = quotaFacts(trace.json);
      if (gate !== undefined) f.gate = gate;
      if (cap !== undefined) f.cap = cap;
      if (tiers !== undefined) f.tiers = tiers.map((t) => ({ tier: t.tier, rate: t.rate }));
      return f;
    }
    case 'perDeal': {
      const { rate, perDeal } = trace.json;
      const f = quotaFacts(trace.json);
      if (rate !== undefined) f.rate = rate;
      if (perDeal !== undefined) f.perDeal = perDeal;
      return f;
    }
    case 'bonus': {
      const f = quotaFacts(trace.json);
      f.reached = trace.json.reached;
      f.attainmentAtLeast = trace.json.attainmentAtLeast;
      return f;
    }
    case 'override':
      return { measure: trace.json.measure, teamCreditToDate: trace.json.teamCreditToDate, rate: trace.json.rate };
    default:
      return {};
  }
}

/** In words: the tier the credit lands in, a gate crossed, a cap or a bonus reached. */
function notes(component: string, before: LineFacts, after: LineFacts): string[] {
  const said: string[] = [];
  if (after.gate?.met && !before.gate?.met) said.push(`gate of ${after.gate.threshold} attainment crossed`);
  const top = after.tiers?.at(-1);
  if (top) {
    const was = before.tiers?.at(-1);
    said.push(
      was && was.tier < top.tier
        ? `reaches tier ${top.tier} (rate ${top.rate})`
        : `lands in tier ${top.tier} (rate ${top.rate})`,
    );
  }
  if (after.cap?.applied === true && before.cap?.applied !== true) said.push('cap reached');
  if (after.reached === true && before.reached !== true)
    said.push(`bonus reached (attainment at least ${String(after.attainmentAtLeast)})`);
  if (after.teamCreditToDate !== undefined) said.push(`override of ${String(after.rate)} on the team's credit`);
  if (after.perDeal !== undefined) said.push(`pays ${after.perDeal} per deal`);
  else if (component !== 'adjustment' && after.rate !== undefined && after.teamCreditToDate === undefined)
    said.push(`pays ${after.rate} of the deal's credit`);
  if (said.length === 0 && Object.keys(after).length === 0) said.push('no longer paid once the deal closes');
  return said;
}

/**
 * The reps credited on a deal and everyone above them, as a small org, and the deal alone in it
 * (dealChain). A chain is built for every open deal and plan, and lives only while that deal is
 * evaluated (a lazy trace builds its own when read): so one builder's arrays are reused from chain
 * to chain, instead of a dozen small typed arrays and maps made for each (docs/estimates.md#how-it-is-fast).
 */
class ChainBuilder {
  /** Each full-org rep's mini index while a chain is built, else −1. */
  private readonly miniOf: Int32Array;
  /** The small orgs, by size: their arrays are filled anew for each chain. */
  private readonly orgs: Org[] = [];
  private readonly deal: PreparedDeals;
  /** The deal alone, as the chain's deals list. */
  private readonly alone: Deal[] = [];

  constructor(
    private readonly org: Org,
    private readonly prepared: PreparedDeals,
  ) {
    this.miniOf = new Int32Array(org.repIds.length).fill(-1);
    this.deal = {
      count: 1,
      deals: this.alone,
      selected: Uint8Array.of(1),
      selectedCount: 1,
      day: new Int32Array(1),
      month: new Int32Array(1),
      owner: new Int32Array(1),
      currency: new Int32Array(1),
      currencies: prepared.currencies,
      amounts: prepared.amounts,
      reversed: new Uint8Array(1),
      reversedDay: Float64Array.of(NaN),
      splitStart: new Int32Array(2),
      splitRep: new Int32Array(0),
      splitPercent: new Float64Array(0),
      splitPercentBig: new Map(),
      passes: prepared.passes.map(() => new Uint8Array(1)),
    };
  }

  /** Deal i's chain; valid until the next call. */
  chain(i: number): DealChain {
    const { org, prepared, miniOf } = this;
    const full: number[] = [];
    const add = (rep: number) => {
      for (let node = rep; node >= 0 && miniOf[node] === -1; node = org.parent[node]!)
        miniOf[node] = full.push(node) - 1;
    };
    add(prepared.owner[i]!);
    const from = prepared.splitStart[i]!;
    const to = prepared.splitStart[i + 1]!;
    for (let sp = from; sp < to; sp++) add(prepared.splitRep[sp]!);
    // Territory credit: the reps holding the deal's territory on its close date are credited too.
    const territory = prepared.territory;
    if (territory)
      for (let sp = territory.splitStart[i]!; sp < territory.splitStart[i + 1]!; sp++) add(territory.splitRep[sp]!);

    const small = (this.orgs[full.length] ??= {
      repIds: new Array<string>(full.length),
      index: new Map(),
      parent: new Int32Array(full.length),
      reportCount: new Int32Array(full.length),
      reportSlot: new Int32Array(full.length),
      reports: full.map(() => []),
      assignmentsByPlan: new Map(),
    });
    for (let m = 0; m < full.length; m++) {
      const rep = full[m]!;
      const parent = org.parent[rep]!;
      small.repIds[m] = org.repIds[rep]!;
      small.parent[m] = parent >= 0 ? miniOf[parent]! : -1;
      small.reportCount[m] = org.reportCount[rep]!;
    }

    const deal = this.deal;
    this.alone[0] = prepared.deals[i]!;
    deal.day[0] = prepared.day[i]!;
    deal.month[0] = prepared.month[i]!;
    deal.owner[0] = miniOf[prepared.owner[i]!]!;
    deal.currency[0] = prepared.currency[i]!;
    deal.splitStart[1] = to - from;
    deal.splitRep =
      from === to ? EMPTY_REPS : Int32Array.from(prepared.splitRep.subarray(from, to), (rep) => miniOf[rep]!);
    deal.splitPercent = from === to ? EMPTY_PERCENTS : prepared.splitPercent.slice(from, to);
    deal.splitPercentBig = NO_BIG;
    for (let sp = from; sp < to; sp++) {
      const value = prepared.splitPercentBig.get(sp);
      if (value === undefined) continue;
      if (deal.splitPercentBig === NO_BIG) deal.splitPercentBig = new Map();
      deal.splitPercentBig.set(sp - from, value);
    }
    for (let f = 0; f < deal.passes.length; f++) deal.passes[f]![0] = prepared.passes[f]![i]!;
    if (territory) deal.territory = territoryOfOne(territory, i, miniOf);
    for (const rep of full) miniOf[rep] = -1;
    return { org: small, full, deals: deal };
  }
}

const EMPTY_REPS = new Int32Array(0);
const EMPTY_PERCENTS = new Float64Array(0);
/** No split percent too large for a double: shared, never written. */
const NO_BIG: Map<number, Decimal> = new Map();

/** Deal i's territory splits alone, its reps renumbered into the small org. */
function territoryOfOne(territory: TerritorySplits, i: number, miniOf: Int32Array): TerritorySplits {
  const from = territory.splitStart[i]!;
  const to = territory.splitStart[i + 1]!;
  const splitPercentBig = new Map<number, Decimal>();
  for (let sp = from; sp < to; sp++) {
    const value = territory.splitPercentBig.get(sp);
    if (value !== undefined) splitPercentBig.set(sp - from, value);
  }
  return {
    splitStart: Int32Array.of(0, to - from),
    splitRep: Int32Array.from(territory.splitRep.subarray(from, to), (rep) => miniOf[rep]!),
    splitPercent: territory.splitPercent.slice(from, to),
    splitPercentBig,
    territoryOf: [territory.territoryOf[i]],
  };
}
