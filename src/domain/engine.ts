/**
 * The calculation engine (SPEC §3): pure. Plain canonical data and plans in, payout lines,
 * attainment and rejects out. No I/O, no clock, no environment.
 *
 * The work is in two passes per plan. Crediting walks every deal once per measure and adds its
 * credit, in plan currency, to a (rep, month) cell: the rep's own credit, and for managers the
 * credit of everyone below them. Paying then walks each assigned rep's quota periods, payout
 * period by payout period, computing what is due to date and paying the difference from what
 * was already paid (SPEC §3 "Payout periods"), rounding each line once.
 */
import {
  ONE,
  ZERO,
  decimal,
  divideHalfEven,
  formatDecimal,
  min,
  mul,
  mulDiv,
  parseDecimal,
  percentOf,
  roundTo,
  type Decimal,
} from './decimal.js';
import { FxTable } from './fx.js';
import type { CanonicalData, Deal, Reject } from './model.js';
import { FiscalCalendar, businessDate, dayOf, isoOfDay, monthOfDate, monthOfDay, type Period } from './periods.js';
import type { Calendar, Component, Plan } from './plan.js';
import { applyTiers, type TierSlice } from './rate-table.js';
import { compileWhere, type DealPredicate } from './where.js';
import { applyLocks } from './locks.js';
import { applyDraws } from './draw.js';
import { minorUnitDigits } from './currency.js';

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

/** Why a line has its amount. Every money value in it is a decimal string. */
export type Trace = Record<string, unknown>;

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
}

export interface CalculationResult {
  /** The last day calculated (YYYY-MM-DD); absent when there was nothing to calculate. */
  asOf?: string;
  payouts: PayoutLine[];
  attainment: AttainmentRow[];
  rejects: Reject[];
}

/** A deal as the crediting loop reads it: parsed once, shared by every plan. */
interface PreparedDeal {
  deal: Deal;
  day: number;
  month: number;
  amount: Decimal;
  /** Split recipients (rep index, percent, kind); undefined when the deal has no splits. */
  splits: { rep: number; percent: Decimal; overlay: boolean }[] | undefined;
  owner: number;
  /** Lost or deleted, but paid in a locked period: counts only where the clawback window has passed. */
  reversed: boolean;
  /** Day it turned lost or was deleted (its lastModified day), for the clawback window; undefined if unknown. */
  reversedDay: number | undefined;
}

const HUNDRED = decimal('100');

export function calculate(input: CalculationInput): CalculationResult {
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);
  const { data } = input;
  const rejects: Reject[] = [];

  const org = buildOrg(data);
  const fx = new FxTable(input.baseCurrency, data.fxRates);
  const paidDeals = paidDealIds(input.locked);
  const deals = prepareDeals(data, org, paidDeals, input.calendar.tz);

  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const d of deals) {
    if (d.day < firstDay) firstDay = d.day;
    if (!d.reversed && d.day > lastDay) lastDay = d.day;
  }
  // Locked periods are recomputed too: that is how their changes become adjustments.
  for (const label of input.locked?.periods ?? []) {
    const period = calendar.parse(label);
    if (period && period.startDay < firstDay) firstDay = period.startDay;
  }
  const asOfDay = input.asOf !== undefined ? dayOf(input.asOf) : lastDay;
  if (!Number.isFinite(firstDay) || !Number.isFinite(asOfDay) || asOfDay < firstDay) {
    return { payouts: input.locked?.lines.slice() ?? [], attainment: [], rejects };
  }
  const window = { firstDay, lastDay: asOfDay, firstMonth: monthOfDay(firstDay), lastMonth: monthOfDay(asOfDay) };

  const fxRejected = new Set<number>();
  const quotas = new Map<string, Decimal>();
  for (const q of data.quotas) quotas.set(`${q.repId}\u0000${q.period}`, parseDecimal(q.amount)!);

  let payouts: PayoutLine[] = [];
  const attainment: AttainmentRow[] = [];
  for (const plan of input.plans) {
    const planRun = new PlanCalculation(plan, calendar, org, deals, window, quotas, rejects);
    planRun.credit(fx, fxRejected);
    planRun.pay(payouts, attainment);
  }
  for (const i of fxRejected) {
    const d = deals[i]!.deal;
    rejects.push({
      source: 'deals',
      recordId: d.id,
      reason: `no exchange rate in effect on ${d.closeDate} to convert ${d.currency}`,
    });
  }

  const plansById = new Map(input.plans.map((p) => [p.id, p]));
  if (input.locked && input.locked.periods.length > 0) {
    payouts = applyLocks(payouts, input.locked, calendar, plansById, window);
  }
  payouts = applyDraws(payouts, plansById, calendar, org.assignmentsByPlan, org.repIds, window, input.locked);

  const order = componentOrder(input.plans);
  payouts.sort(
    (a, b) =>
      cmp(a.repId, b.repId) ||
      cmp(a.planId, b.planId) ||
      (calendar.parse(a.period)?.startDay ?? 0) - (calendar.parse(b.period)?.startDay ?? 0) ||
      cmp(a.period, b.period) ||
      (order.get(`${a.planId}\u0000${a.component}`) ?? 99) - (order.get(`${b.planId}\u0000${b.component}`) ?? 99),
  );
  attainment.sort(
    (a, b) => cmp(a.repId, b.repId) || cmp(a.planId, b.planId) || cmp(a.period, b.period) || cmp(a.measure, b.measure),
  );
  rejects.sort((a, b) => cmp(a.source, b.source) || cmp(a.recordId, b.recordId) || cmp(a.reason, b.reason));
  return { asOf: isoOfDay(asOfDay), payouts, attainment, rejects };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function componentOrder(plans: Plan[]): Map<string, number> {
  const order = new Map<string, number>();
  for (const plan of plans) {
    plan.components.forEach((c, i) => order.set(`${plan.id}\u0000${c.id}`, i));
    order.set(`${plan.id}\u0000adjustment`, plan.components.length);
    order.set(`${plan.id}\u0000draw`, plan.components.length + 1);
  }
  return order;
}

export interface Org {
  repIds: string[];
  index: Map<string, number>;
  /** Manager's index, or -1. */
  parent: Int32Array;
  hasReports: Uint8Array;
  /** Per plan id: per rep index, the assignment intervals as [fromDay, toDay] pairs. */
  assignmentsByPlan: Map<string, Map<number, number[]>>;
}

function buildOrg(data: CanonicalData): Org {
  const repIds = data.reps.map((r) => r.id);
  const index = new Map(repIds.map((id, i) => [id, i]));
  const parent = new Int32Array(repIds.length).fill(-1);
  const hasReports = new Uint8Array(repIds.length);
  data.reps.forEach((rep, i) => {
    const m = rep.managerId === undefined ? undefined : index.get(rep.managerId);
    if (m !== undefined) {
      parent[i] = m;
      hasReports[m] = 1;
    }
  });
  const assignmentsByPlan = new Map<string, Map<number, number[]>>();
  for (const a of data.assignments) {
    const rep = index.get(a.repId);
    if (rep === undefined) continue;
    let byRep = assignmentsByPlan.get(a.planId);
    if (!byRep) assignmentsByPlan.set(a.planId, (byRep = new Map()));
    let intervals = byRep.get(rep);
    if (!intervals) byRep.set(rep, (intervals = []));
    intervals.push(dayOf(a.from), a.to === undefined ? Number.MAX_SAFE_INTEGER : dayOf(a.to));
  }
  return { repIds, index, parent, hasReports, assignmentsByPlan };
}

/** Deal ids that were paid in a locked period: their traces list them. */
function paidDealIds(locked: LockedPeriods | undefined): Set<string> {
  const ids = new Set<string>();
  for (const line of locked?.lines ?? []) {
    const listed = line.trace['deals'];
    if (Array.isArray(listed)) for (const entry of listed) ids.add(String((entry as { deal: unknown }).deal));
  }
  return ids;
}

function prepareDeals(data: CanonicalData, org: Org, paidDeals: Set<string>, tz: string): PreparedDeal[] {
  const splitsByDeal = new Map<string, PreparedDeal['splits']>();
  for (const s of data.splits) {
    const rep = org.index.get(s.repId);
    if (rep === undefined) continue;
    let list = splitsByDeal.get(s.dealId);
    if (!list) splitsByDeal.set(s.dealId, (list = []));
    list.push({ rep, percent: parseDecimal(s.percent)!, overlay: s.kind === 'overlay' });
  }
  const prepared: PreparedDeal[] = [];
  for (const deal of data.deals) {
    const won = deal.stage === 'won' && !deal.deleted;
    const reversed = !won && paidDeals.has(deal.id);
    if (!won && !reversed) continue;
    const owner = org.index.get(deal.ownerId);
    if (owner === undefined) continue;
    let splits = splitsByDeal.get(deal.id);
    // Overlay splits only: the owner keeps 100 % of the revenue credit (SPEC §3, Credit).
    if (splits && !splits.some((s) => !s.overlay)) splits = [{ rep: owner, percent: HUNDRED, overlay: false }, ...splits];
    const closeDay = dayOf(deal.closeDate);
    prepared.push({
      deal,
      day: closeDay,
      month: monthOfDate(deal.closeDate),
      amount: parseDecimal(deal.amount)!,
      splits,
      owner,
      reversed,
      reversedDay: reversed ? changeDay(deal, tz) : undefined,
    });
  }
  return prepared;
}

/** The day a deal turned lost or was deleted (its lastModified), or undefined when unknown. */
function changeDay(deal: Deal, tz: string): number | undefined {
  const text = deal.lastModified === undefined ? undefined : businessDate(deal.lastModified, tz);
  return text === undefined ? undefined : dayOf(text);
}

interface Window {
  firstDay: number;
  lastDay: number;
  firstMonth: number;
  lastMonth: number;
}

/** Credit of one measure in one plan, per (rep, month) cell. */
interface MeasureCredit {
  name: string;
  rollup: boolean;
  own: Decimal[];
  /** Credit of everyone below a manager, each deal counted at most once (≤ 100 % of its amount). */
  below: Decimal[];
  /** Per cell: the own deals (prepared-deal index and credit). */
  ownDeals: ({ deal: number; credit: Decimal; percent: Decimal | undefined }[] | undefined)[];
  /** Per cell of a manager: credit through each direct report. */
  belowByReport: (Map<number, Decimal> | undefined)[];
}

class PlanCalculation {
  private readonly months: number;
  private readonly assignments: Map<number, number[]>;
  private readonly measures = new Map<string, MeasureCredit>();
  private readonly currencyDigits: number;
  private amounts: (Decimal | undefined)[] = [];

  constructor(
    private readonly plan: Plan,
    private readonly calendar: FiscalCalendar,
    private readonly org: Org,
    private readonly deals: PreparedDeal[],
    private readonly window: Window,
    private readonly quotas: Map<string, Decimal>,
    private readonly rejects: Reject[],
  ) {
    this.months = window.lastMonth - window.firstMonth + 1;
    this.assignments = org.assignmentsByPlan.get(plan.id) ?? new Map();
    this.currencyDigits = minorUnitDigits(plan.currency);
  }

  private assignedOn(rep: number, day: number): boolean {
    const intervals = this.assignments.get(rep);
    if (!intervals) return false;
    for (let i = 0; i < intervals.length; i += 2) if (day >= intervals[i]! && day <= intervals[i + 1]!) return true;
    return false;
  }

  /** Pass 1: credit every deal to the (rep, month) cells of every measure. */
  credit(fx: FxTable, fxRejected: Set<number>): void {
    const { plan, deals, org, window } = this;
    if (this.assignments.size === 0) return;
    const cells = org.repIds.length * this.months;
    const anyManager = [...this.assignments.keys()].some((r) => org.hasReports[r] === 1);
    const clawbackDays = plan.clawback?.windowDays;

    // Convert every deal once into plan currency (shared by the plan's measures).
    this.amounts = new Array<Decimal | undefined>(deals.length);
    for (let i = 0; i < deals.length; i++) {
      const d = deals[i]!;
      if (d.day > window.lastDay) continue;
      const amount = fx.convert(d.amount, d.deal.currency, plan.currency, d.day);
      if (amount === undefined) fxRejected.add(i);
      this.amounts[i] = amount;
    }

    for (const [name, measure] of Object.entries(plan.measures)) {
      const mc: MeasureCredit = {
        name,
        rollup: measure.rollup,
        own: new Array<Decimal>(cells).fill(ZERO),
        below: new Array<Decimal>(cells).fill(ZERO),
        ownDeals: new Array(cells),
        belowByReport: new Array(cells),
      };
      this.measures.set(name, mc);
      const where: DealPredicate | undefined = compileWhere(measure.where);
      const bySplits = measure.credit === 'splits';
      // Scratch space for a deal's shares per rep (percent below and including each node).
      const share = new Map<number, Decimal>();
      const ownShare = new Map<number, Decimal>();

      for (let i = 0; i < deals.length; i++) {
        const d = deals[i]!;
        const amount = this.amounts[i];
        if (amount === undefined) continue;
        // A deal reversed within the plan's clawback window is clawed back; after it, it stands.
        // When the source does not say when it changed, it changed as of the calculation date.
        if (d.reversed && clawbackDays !== undefined && (d.reversedDay ?? window.lastDay) - d.day <= clawbackDays) continue;
        if (where && !where(d.deal)) continue;
        const monthOffset = d.month - window.firstMonth;
        const splits = bySplits ? d.splits : undefined;

        if (splits === undefined) {
          this.addOwn(mc, d.owner, monthOffset, i, amount, undefined, d.day);
          if (anyManager) this.addBelowSingle(mc, d.owner, monthOffset, amount, d.day);
          continue;
        }
        share.clear();
        ownShare.clear();
        for (const s of splits) {
          this.addOwn(mc, s.rep, monthOffset, i, percentOf(amount, s.percent), s.percent, d.day);
          if (!anyManager) continue;
          ownShare.set(s.rep, (ownShare.get(s.rep) ?? ZERO) + s.percent);
          for (let node = s.rep; node >= 0; node = org.parent[node]!) share.set(node, (share.get(node) ?? ZERO) + s.percent);
        }
        if (!anyManager) continue;
        for (const [node, total] of share) {
          if (!org.hasReports[node] || !this.assignedOn(node, d.day)) continue;
          const belowPercent = total - (ownShare.get(node) ?? ZERO);
          if (belowPercent <= ZERO) continue;
          const cell = node * this.months + monthOffset;
          mc.below[cell] = mc.below[cell]! + percentOf(amount, min(belowPercent, HUNDRED));
          const byReport = (mc.belowByReport[cell] ??= new Map());
          for (const [child, childShare] of share) {
            if (org.parent[child] !== node) continue;
            byReport.set(child, (byReport.get(child) ?? ZERO) + percentOf(amount, min(childShare, HUNDRED)));
          }
        }
      }
    }
  }

  private addOwn(mc: MeasureCredit, rep: number, monthOffset: number, deal: number, credit: Decimal, percent: Decimal | undefined, day: number): void {
    if (!this.assignedOn(rep, day)) return;
    const cell = rep * this.months + monthOffset;
    mc.own[cell] = mc.own[cell]! + credit;
    (mc.ownDeals[cell] ??= []).push({ deal, credit, percent });
  }

  /** A deal credited 100 % to one rep: every manager above gets all of it, through one report. */
  private addBelowSingle(mc: MeasureCredit, rep: number, monthOffset: number, amount: Decimal, day: number): void {
    const { parent } = this.org;
    for (let child = rep, node = parent[rep]!; node >= 0; child = node, node = parent[node]!) {
      if (!this.assignedOn(node, day)) continue;
      const cell = node * this.months + monthOffset;
      mc.below[cell] = mc.below[cell]! + amount;
      const byReport = (mc.belowByReport[cell] ??= new Map());
      byReport.set(child, (byReport.get(child) ?? ZERO) + amount);
    }
  }

  /** Pass 2: pay every assigned rep, quota period by quota period. */
  pay(payouts: PayoutLine[], attainment: AttainmentRow[]): void {
    const { plan, calendar, window } = this;
    for (const [rep, intervals] of this.assignments) {
      // Quota periods touched by the assignment inside the calculated window.
      const quotaPeriods = new Map<string, Period>();
      for (let i = 0; i < intervals.length; i += 2) {
        const from = Math.max(intervals[i]!, window.firstDay);
        const to = Math.min(intervals[i + 1]!, window.lastDay);
        if (from > to) continue;
        for (let m = monthOfDay(from); m <= monthOfDay(to); m++) {
          const q = calendar.periodOf(plan.quotaPeriod, m);
          quotaPeriods.set(q.label, q);
        }
      }
      const ordered = [...quotaPeriods.values()].sort((a, b) => a.startDay - b.startDay);
      for (const q of ordered) this.payQuotaPeriod(rep, q, intervals, payouts, attainment);
    }
  }

  private payQuotaPeriod(rep: number, q: Period, intervals: number[], payouts: PayoutLine[], attainment: AttainmentRow[]): void {
    const { plan, calendar, window, org } = this;
    const repId = org.repIds[rep]!;
    const daysInPeriod = q.endDay - q.startDay + 1;
    let covered = 0;
    for (let i = 0; i < intervals.length; i += 2) {
      const from = Math.max(intervals[i]!, q.startDay);
      const to = Math.min(intervals[i + 1]!, q.endDay);
      if (to >= from) covered += to - from + 1;
    }
    const fullQuota = this.quotas.get(`${repId}\u0000${q.label}`);
    // SPEC §3: the quota is prorated by calendar days covered when the assignment covers part of the period.
    const quota =
      fullQuota === undefined ? undefined : covered === daysInPeriod ? fullQuota : mulDiv(fullQuota, BigInt(covered) * ONE, BigInt(daysInPeriod) * ONE);
    const proration = covered === daysInPeriod ? undefined : { daysCovered: covered, daysInPeriod };

    // Attainment rows: every measure of the plan, credit through the calculated window.
    const lastMonthInWindow = Math.min(q.startMonth + q.months - 1, window.lastMonth);
    for (const mc of this.measures.values()) {
      const credit = this.creditBetween(mc, rep, q.startMonth, lastMonthInWindow);
      attainment.push({
        repId,
        planId: plan.id,
        period: q.label,
        measure: mc.name,
        credit: formatDecimal(credit),
        ...(quota === undefined ? {} : { quota: formatDecimal(quota) }),
        ...(quota === undefined || quota === ZERO ? {} : { attainment: formatDecimal(divideHalfEven(credit * ONE, quota)) }),
      });
    }
    if (quota === undefined && plan.components.some((c) => needsQuota(c))) {
      this.rejects.push({
        source: 'quotas',
        recordId: `${repId}/${q.label}`,
        reason: `no quota for ${repId} in ${q.label} (plan ${plan.id}): its attainment-based components pay nothing`,
      });
    }

    const paid = new Map<string, Decimal>();
    for (const p of calendar.subPeriods(plan.payoutPeriod, q)) {
      if (p.startDay > window.lastDay || p.endDay < window.firstDay) continue;
      const toMonth = Math.min(p.startMonth + p.months - 1, window.lastMonth);
      for (const component of plan.components) {
        const mc = this.measures.get(component.measure)!;
        const due = this.dueToDate(component, mc, rep, q, p, toMonth, quota, proration, fullQuota);
        const paidEarlier = paid.get(component.id) ?? ZERO;
        const amount = roundTo(due.amount - paidEarlier, this.currencyDigits);
        if (amount === ZERO) continue;
        paid.set(component.id, paidEarlier + amount);
        payouts.push({
          repId,
          planId: plan.id,
          period: p.label,
          component: component.id,
          amount: formatDecimal(amount, this.currencyDigits),
          currency: plan.currency,
          trace: {
            ...due.trace,
            dueToDate: formatDecimal(due.amount),
            paidEarlier: formatDecimal(paidEarlier),
            rounding: `half-even to ${this.currencyDigits} decimals`,
          },
        });
      }
    }
  }

  private creditBetween(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number, includeBelow = mc.rollup): Decimal {
    let total = ZERO;
    const base = rep * this.months - this.window.firstMonth;
    const start = Math.max(fromMonth, this.window.firstMonth);
    for (let m = start; m <= toMonth; m++) {
      total += mc.own[base + m]!;
      if (includeBelow) total += mc.below[base + m]!;
    }
    return total;
  }

  private belowBetween(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number): Decimal {
    let total = ZERO;
    const base = rep * this.months - this.window.firstMonth;
    for (let m = Math.max(fromMonth, this.window.firstMonth); m <= toMonth; m++) total += mc.below[base + m]!;
    return total;
  }

  /** What `component` has earned in quota period `q` up to the end of payout period `p`. */
  private dueToDate(
    component: Component,
    mc: MeasureCredit,
    rep: number,
    q: Period,
    p: Period,
    toMonth: number,
    quota: Decimal | undefined,
    proration: { daysCovered: number; daysInPeriod: number } | undefined,
    fullQuota: Decimal | undefined,
  ): { amount: Decimal; trace: Trace } {
    const credit = this.creditBetween(mc, rep, q.startMonth, toMonth);
    const attainment = quota === undefined || quota === ZERO ? undefined : divideHalfEven(credit * ONE, quota);
    const common: Trace = {
      measure: mc.name,
      quotaPeriod: q.label,
      creditToDate: formatDecimal(credit),
      ...(quota === undefined ? { quota: null } : { quota: formatDecimal(quota) }),
      ...(proration && fullQuota !== undefined ? { proration: { fullQuota: formatDecimal(fullQuota), ...proration } } : {}),
      ...(attainment === undefined ? {} : { attainmentToDate: formatDecimal(attainment) }),
    };
    const periodFrom = Math.max(p.startMonth, this.window.firstMonth);

    switch (component.kind) {
      case 'rate-table': {
        const trace: Trace = { ...common, basis: component.basis, mode: component.mode, deals: this.dealsTrace(mc, rep, periodFrom, toMonth) };
        if (mc.rollup && this.org.hasReports[rep]) trace['team'] = this.teamTrace(mc, rep, periodFrom, toMonth);
        if (component.basis === 'attainment' && attainment === undefined) {
          return { amount: ZERO, trace: { ...trace, note: 'no quota: an attainment-based rate table pays nothing' } };
        }
        if (component.gate !== undefined) {
          const gate = decimal(component.gate);
          const met = attainment !== undefined && attainment >= gate;
          trace['gate'] = { threshold: component.gate, met };
          if (!met) return { amount: ZERO, trace };
        }
        const bounds = component.tiers.map((t) => (component.basis === 'attainment' ? mul(decimal(t.from), quota!) : decimal(t.from)));
        const rates = component.tiers.map((t) => decimal(t.rate));
        const slices = applyTiers(credit, bounds, rates, component.mode);
        trace['tiers'] = slices.map((s) => sliceTrace(s, component.tiers[s.tier]!.from));
        let amount = slices.reduce((sum, s) => sum + s.amount, ZERO);
        if (component.cap !== undefined) {
          const cap = decimal(component.cap);
          trace['cap'] = { cap: component.cap, uncapped: formatDecimal(amount), applied: amount > cap };
          amount = min(amount, cap);
        }
        return { amount, trace };
      }
      case 'per-deal': {
        const where = compileWhere(component.where);
        const rate = component.rate === undefined ? undefined : decimal(component.rate);
        const fixed = component.amount === undefined ? undefined : decimal(component.amount);
        let amount = ZERO;
        // Own deals only: a spiff pays the people credited on the deal, not their managers.
        const base = rep * this.months - this.window.firstMonth;
        const listed: Trace[] = [];
        for (let m = Math.max(q.startMonth, this.window.firstMonth); m <= toMonth; m++) {
          for (const entry of mc.ownDeals[base + m] ?? []) {
            const d = this.deals[entry.deal]!;
            if (where && !where(d.deal)) continue;
            const pays = fixed ?? mul(entry.credit, rate!);
            amount += pays;
            if (m >= periodFrom) listed.push({ deal: d.deal.id, credit: formatDecimal(entry.credit), pays: formatDecimal(pays) });
          }
        }
        return { amount, trace: { ...common, ...(fixed === undefined ? { rate: component.rate } : { perDeal: component.amount }), deals: listed } };
      }
      case 'bonus': {
        const threshold = decimal(component.attainmentAtLeast);
        const reached = attainment !== undefined && attainment >= threshold;
        return {
          amount: reached ? decimal(component.amount) : ZERO,
          trace: { ...common, attainmentAtLeast: component.attainmentAtLeast, reached, bonus: component.amount },
        };
      }
      case 'override': {
        const teamCredit = this.belowBetween(mc, rep, q.startMonth, toMonth);
        return {
          amount: mul(teamCredit, decimal(component.rate)),
          trace: {
            measure: mc.name,
            quotaPeriod: q.label,
            rate: component.rate,
            teamCreditToDate: formatDecimal(teamCredit),
            team: this.teamTrace(mc, rep, periodFrom, toMonth),
          },
        };
      }
    }
  }

  private dealsTrace(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number): Trace[] {
    const listed: Trace[] = [];
    const base = rep * this.months - this.window.firstMonth;
    for (let m = fromMonth; m <= toMonth; m++) {
      for (const entry of mc.ownDeals[base + m] ?? []) {
        const d = this.deals[entry.deal]!;
        listed.push({
          deal: d.deal.id,
          closeDate: d.deal.closeDate,
          amount: d.deal.amount,
          currency: d.deal.currency,
          ...(entry.percent === undefined ? {} : { percent: formatDecimal(entry.percent) }),
          credit: formatDecimal(entry.credit),
        });
      }
    }
    return listed;
  }

  /** The credit of everyone below a manager in a payout period, by direct report. */
  private teamTrace(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number): Trace {
    const byReport = new Map<number, Decimal>();
    const base = rep * this.months - this.window.firstMonth;
    for (let m = fromMonth; m <= toMonth; m++) {
      for (const [child, credit] of mc.belowByReport[base + m] ?? []) byReport.set(child, (byReport.get(child) ?? ZERO) + credit);
    }
    const reports: Record<string, string> = {};
    for (const [child, credit] of [...byReport].sort((a, b) => cmp(this.org.repIds[a[0]]!, this.org.repIds[b[0]]!))) {
      reports[this.org.repIds[child]!] = formatDecimal(credit);
    }
    return { credit: formatDecimal(this.belowBetween(mc, rep, fromMonth, toMonth)), byDirectReport: reports };
  }
}

function needsQuota(component: Component): boolean {
  return (component.kind === 'rate-table' && (component.basis === 'attainment' || component.gate !== undefined)) || component.kind === 'bonus';
}

function sliceTrace(slice: TierSlice, from: string): Trace {
  return {
    tier: slice.tier + 1,
    from,
    fromAmount: formatDecimal(slice.from),
    ...(slice.to === undefined ? {} : { toAmount: formatDecimal(slice.to) }),
    rate: formatDecimal(slice.rate),
    credit: formatDecimal(slice.credit),
    amount: formatDecimal(slice.amount),
  };
}
