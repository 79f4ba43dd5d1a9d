/**
 * Paying one plan (docs/plans.md): for each assigned rep and quota period, walk the payout periods in
 * order, compute what each component has earned to date, and pay the difference from what earlier
 * payout periods paid, rounded half-even to the currency's minor unit once per line.
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
  roundTo,
  type Decimal,
} from './decimal.js';
import { creditOfRef, forEachOwnRef, type MeasureCredit, type PreparedDeals } from './crediting.js';
import { minorUnitDigits } from './currency.js';
import { cmp } from './order.js';
import type { AttainmentRow, PayoutLine } from './engine.js';
import type { Reject } from './model.js';
import type { Org } from './org.js';
import type { FiscalCalendar, Period } from './periods.js';
import type { Component, Plan } from './plan.js';
import { applyTiers, type TierSlice } from './rate-table.js';
import {
  Trace,
  type ComponentTrace,
  type CreditedDealTrace,
  type PaidDealTrace,
  type QuotaFacts,
  type TeamTrace,
  type TierSliceTrace,
  type ToDate,
} from './trace.js';
import type { FilterSet } from './where.js';

/**
 * What the components of one walk share (PlanPayer.due): per payout period, each measure's credit
 * and attainment to date; for the whole quota period, each rate table's bounds (its quota is one).
 */
interface DueShared {
  toDate: Map<MeasureCredit, { credit: Decimal; attainment: Decimal | undefined }>;
  bounds: (readonly Decimal[] | undefined)[];
}

/** What a component has earned to date (PlanPayer.due), and how, rendered when asked. */
interface Owed {
  amount: Decimal;
  trace: (toDate?: ToDate) => ComponentTrace;
}

function noTrace(): never {
  throw new Error('due: asked for the amount alone, it has no trace');
}

/** The quota period a line is measured over and how far it got, as every component's trace starts. */
function quotaFacts(
  mc: MeasureCredit,
  at: QuotaPeriodAt,
  credit: Decimal,
  attainment: Decimal | undefined,
): QuotaFacts {
  const { q, quota, proration } = at;
  return {
    measure: mc.name,
    quotaPeriod: q.label,
    creditToDate: formatDecimal(credit),
    quota: quota === undefined ? null : formatDecimal(quota),
    ...(proration
      ? {
          proration: {
            fullQuota: formatDecimal(proration.fullQuota),
            daysCovered: proration.daysCovered,
            daysInPeriod: proration.daysInPeriod,
          },
        }
      : {}),
    ...(attainment === undefined ? {} : { attainmentToDate: formatDecimal(attainment) }),
  };
}

/** A component with its decimals parsed and its filter compiled, once per calculation. */
type Compiled =
  | {
      kind: 'rate-table';
      id: string;
      mc: MeasureCredit;
      source: Extract<Component, { kind: 'rate-table' }>;
      froms: Decimal[];
      rates: Decimal[];
      gate?: Decimal;
      cap?: Decimal;
    }
  | {
      kind: 'per-deal';
      id: string;
      mc: MeasureCredit;
      filter: number;
      amount?: Decimal;
      rate?: Decimal;
      source: Extract<Component, { kind: 'per-deal' }>;
    }
  | {
      kind: 'bonus';
      id: string;
      mc: MeasureCredit;
      threshold: Decimal;
      amount: Decimal;
      source: Extract<Component, { kind: 'bonus' }>;
    }
  | {
      kind: 'override';
      id: string;
      mc: MeasureCredit;
      rate: Decimal;
      source: Extract<Component, { kind: 'override' }>;
    };

export interface PayContext {
  plan: Plan;
  calendar: FiscalCalendar;
  org: Org;
  deals: PreparedDeals;
  measures: ReadonlyMap<string, MeasureCredit>;
  filters: FilterSet;
  quotas: ReadonlyMap<string, Decimal>;
  firstDay: number;
  lastDay: number;
  firstMonth: number;
  lastMonth: number;
  months: number;
  /** Only the quota periods starting in [fromDay, untilDay): those a dated version of the plan pays. */
  quotaPeriods?: { fromDay: number; untilDay: number };
}

/** One rep's quota period: what every line of it shares. */
export interface QuotaPeriodAt {
  rep: number;
  q: Period;
  /** Prorated where the assignment covers part of the period; undefined without a quota. */
  quota: Decimal | undefined;
  proration: Proration | undefined;
}

interface Proration {
  daysCovered: number;
  daysInPeriod: number;
  fullQuota: Decimal;
}

/**
 * A rep's quota period as estimate.ts compares it: each (payout period, component) slot at
 * `index * width + component`, zero amounts included.
 */
export interface QuotaPeriodSlots {
  /** The rep, the quota period and its quota. */
  at: QuotaPeriodAt;
  /** The quota period's label. */
  period: string;
  /** Its payout periods that the window reaches, in order. */
  payoutPeriods: Period[];
  /** The plan's component ids, in order: `width` of them. */
  components: string[];
  width: number;
  /** The first payout period paid again; the ones before are the given slots' own. */
  from: number;
  /** What each slot's line pays (ZERO: no line). */
  amount: Decimal[];
  /** The due-to-date each slot's line was paid from. */
  due: Decimal[];
  /** Each slot's trace, rendered when read (none when asked for the amounts alone). */
  trace: Trace[];
}

export class PlanPayer {
  private readonly components: Compiled[];
  private componentIds: string[] | undefined;
  private readonly digits: number;
  /** While set, traces hold only the figures an estimate reads (see briefly). */
  private brief = false;
  /** due's answer when only the amount is wanted: one object, reused. */
  private readonly amountOnly: Owed = { amount: ZERO, trace: noTrace };

  constructor(private readonly ctx: PayContext) {
    this.digits = minorUnitDigits(ctx.plan.currency);
    this.components = ctx.plan.components.map((c) => compile(c, ctx.measures.get(c.measure)!, ctx.filters));
  }

  /** Whether a deal passes a per-deal component's filter (evaluated once per deal, in prepareDeals). */
  private perDealPasses(c: Compiled & { kind: 'per-deal' }): (deal: number) => boolean {
    const passes = c.filter >= 0 ? this.ctx.deals.passes[c.filter]! : undefined;
    return passes ? (deal) => passes[deal] === 1 : () => true;
  }

  /** The payout lines of one rep (in period and component order) and their attainment rows. */
  payRep(rep: number, intervals: readonly number[], attainment: AttainmentRow[], rejects: Reject[]): PayoutLine[] {
    const { plan, calendar, firstDay, lastDay, quotaPeriods } = this.ctx;
    const lines: PayoutLine[] = [];
    for (const q of calendar.periodsCovering(plan.quotaPeriod, intervals, firstDay, lastDay)) {
      if (quotaPeriods && (q.startDay < quotaPeriods.fromDay || q.startDay >= quotaPeriods.untilDay)) continue;
      this.payQuotaPeriod(rep, q, intervals, lines, attainment, rejects);
    }
    return lines;
  }

  /**
   * One rep's quota period containing `month`, every (payout period, component) slot of it with
   * its amount, zero ones included, so that an estimate (estimate.ts) compares two of them slot by
   * slot. Given the slots of the same quota period before a change that starts in `month`, the
   * payout periods ending before `month` are taken from them instead of being paid again: nothing
   * a change from `month` on adds reaches them; the slots paid again have no traces, or with
   * `traces` pinned ones (see walk): read them under `briefly`, before the cells change again.
   */
  quotaPeriodSlots(
    rep: number,
    intervals: readonly number[],
    month: number,
    change?: { before: QuotaPeriodSlots; traces: boolean },
  ): QuotaPeriodSlots {
    const before = change?.before;
    const q = before?.at.q ?? this.ctx.calendar.periodOf(this.ctx.plan.quotaPeriod, month);
    // The same rep and quota period as `before`: its quota is the same too.
    const at = before?.at ?? this.quotaPeriodAt(rep, q, intervals);
    const payouts = before?.payoutPeriods ?? this.payoutPeriods(q);
    const width = this.components.length;
    const slots: QuotaPeriodSlots = {
      at,
      period: q.label,
      payoutPeriods: payouts,
      components: (this.componentIds ??= this.components.map((c) => c.id)),
      width,
      from: 0,
      amount: new Array<Decimal>(payouts.length * width).fill(ZERO),
      due: new Array<Decimal>(payouts.length * width).fill(ZERO),
      trace: change?.traces === false ? [] : new Array<Trace>(payouts.length * width),
    };
    const paid = new Array<Decimal>(width).fill(ZERO);
    const perDealDue = new Array<Decimal>(width).fill(ZERO);
    if (before) {
      let from = 0;
      while (from < payouts.length && payouts[from]!.startMonth + payouts[from]!.months - 1 < month) from++;
      for (let s = 0; s < from * width; s++) {
        slots.amount[s] = before.amount[s]!;
        slots.due[s] = before.due[s]!;
        if (change?.traces !== false) slots.trace[s] = before.trace[s]!;
        paid[s % width] = paid[s % width]! + before.amount[s]!;
      }
      for (let k = 0; k < width && from > 0; k++)
        if (this.components[k]!.kind === 'per-deal') perDealDue[k] = before.due[(from - 1) * width + k]!;
      slots.from = from;
    }
    this.walk(
      at,
      payouts,
      slots.from,
      paid,
      perDealDue,
      !change ? 'every' : change.traces ? 'pinned' : 'amounts',
      (s, _p, _c, amount, due, trace) => {
        slots.amount[s] = amount;
        slots.due[s] = due;
        if (trace) slots.trace[s] = trace;
      },
    );
    return slots;
  }

  /**
   * Runs `work` with traces that hold only the figures an estimate reads (estimate.ts): no deal
   * or team lists, no paid-to-date, each tier by its number and rate.
   */
  briefly<T>(work: () => T): T {
    this.brief = true;
    try {
      return work();
    } finally {
      this.brief = false;
    }
  }

  private payQuotaPeriod(
    rep: number,
    q: Period,
    intervals: readonly number[],
    lines: PayoutLine[],
    attainment: AttainmentRow[] | undefined,
    rejects: Reject[],
  ): void {
    const { plan } = this.ctx;
    const at = this.quotaPeriodAt(rep, q, intervals);
    const { quota } = at;
    const repId = this.ctx.org.repIds[rep]!;
    const lastMonth = Math.min(q.startMonth + q.months - 1, this.ctx.lastMonth);
    for (const mc of attainment ? this.ctx.measures.values() : []) {
      const credit = this.credit(mc, rep, q.startMonth, lastMonth, mc.rollup);
      attainment!.push({
        repId,
        planId: plan.id,
        period: q.label,
        measure: mc.name,
        credit: formatDecimal(credit),
        ...(quota === undefined ? {} : { quota: formatDecimal(quota) }),
        ...(quota === undefined || quota === ZERO
          ? {}
          : { attainment: formatDecimal(divideHalfEven(credit * ONE, quota)) }),
      });
    }
    if (quota === undefined && this.components.some(needsQuota)) {
      rejects.push({
        source: 'quotas',
        recordId: `${repId}/${q.label}`,
        reason: `no quota for ${repId} in ${q.label} (plan ${plan.id}): its attainment-based components pay nothing`,
      });
    }
    const width = this.components.length;
    this.walk(
      at,
      this.payoutPeriods(q),
      0,
      new Array<Decimal>(width).fill(ZERO),
      new Array<Decimal>(width).fill(ZERO),
      'lines',
      (_s, p, c, amount, _due, trace) =>
        lines.push({
          repId,
          planId: plan.id,
          period: p.label,
          component: c.id,
          amount: formatDecimal(amount, this.digits),
          currency: plan.currency,
          trace: trace!,
        }),
    );
  }

  /** What every line of a rep's quota period shares: the quota, prorated where the assignment covers part of it. */
  private quotaPeriodAt(rep: number, q: Period, intervals: readonly number[]): QuotaPeriodAt {
    const daysInPeriod = q.endDay - q.startDay + 1;
    let covered = 0;
    for (let i = 0; i < intervals.length; i += 2) {
      const from = Math.max(intervals[i]!, q.startDay);
      const to = Math.min(intervals[i + 1]!, q.endDay);
      if (to >= from) covered += to - from + 1;
    }
    const fullQuota = this.ctx.quotas.get(`${this.ctx.org.repIds[rep]!}\u0000${q.label}`);
    // The quota is prorated by calendar days covered when the assignment covers part of the period.
    if (fullQuota === undefined || covered === daysInPeriod) return { rep, q, quota: fullQuota, proration: undefined };
    return {
      rep,
      q,
      quota: mulDiv(fullQuota, BigInt(covered) * ONE, BigInt(daysInPeriod) * ONE),
      proration: { daysCovered: covered, daysInPeriod, fullQuota },
    };
  }

  /** The payout periods of a quota period that the calculation's window reaches. */
  private payoutPeriods(q: Period): Period[] {
    return this.ctx.calendar
      .subPeriods(this.ctx.plan.payoutPeriod, q)
      .filter((p) => p.startDay <= this.ctx.lastDay && p.endDay >= this.ctx.firstDay);
  }

  /**
   * Walks the payout periods of a quota period in order from `payouts[from]`, with what each
   * component has paid before it (`paid`) and per-deal sums (`perDealDue`), and hands each
   * (payout period, component) slot's amount to `emit`: the lines only (`lines`), or every slot,
   * zero ones too, with a trace read when wanted (`every`), none (`amounts`) or a pinned one. A `pinned` slot's trace keeps what this evaluation found instead of evaluating
   * again when read, so it stays right after the cells change but must be read under `briefly`
   * (its deal lists would be read from the cells as they are then).
   */
  private walk(
    at: QuotaPeriodAt,
    payouts: readonly Period[],
    from: number,
    paid: Decimal[],
    perDealDue: Decimal[],
    slots: 'lines' | 'every' | 'pinned' | 'amounts',
    emit: (slot: number, p: Period, c: Compiled, amount: Decimal, due: Decimal, trace: Trace | undefined) => void,
  ): void {
    const width = this.components.length;
    const shared: DueShared = { toDate: new Map(), bounds: new Array<readonly Decimal[] | undefined>(width) };
    for (let i = from; i < payouts.length; i++) {
      const p = payouts[i]!;
      const toMonth = Math.min(p.startMonth + p.months - 1, this.ctx.lastMonth);
      const fromMonth = Math.max(p.startMonth, this.ctx.firstMonth);
      shared.toDate.clear();
      for (let k = 0; k < width; k++) {
        const c = this.components[k]!;
        const perDealEarlier = perDealDue[k]!;
        const owed = this.due(c, at, fromMonth, toMonth, perDealEarlier, slots === 'pinned', shared, k);
        const due = owed.amount;
        if (c.kind === 'per-deal') perDealDue[k] = due;
        const paidEarlier = paid[k]!;
        // The due-to-date is rounded, then what earlier lines paid is taken off: each line is
        // whole minor units, and the lines of a quota period add up to its rounded result
        // (rounding the difference instead would drift a cent at exact halves: half-even is not
        // shift-invariant).
        const amount = roundTo(due, this.digits) - paidEarlier;
        paid[k] = paidEarlier + amount;
        if (amount === ZERO && slots === 'lines') continue;
        emit(
          i * width + k,
          p,
          c,
          amount,
          due,
          slots === 'amounts'
            ? undefined
            : slots === 'pinned'
              ? new Trace(() => owed.trace())
              : new LineTrace(this, c, at, fromMonth, toMonth, perDealEarlier, due, paidEarlier),
        );
      }
    }
  }

  /** A line's trace (LineTrace), rendered by evaluating `due` again. */
  renderLine(t: LineTrace): ComponentTrace {
    return this.due(t.c, t.at, t.fromMonth, t.toMonth, t.perDealEarlier, true).trace(
      this.brief
        ? undefined
        : {
            dueToDate: formatDecimal(t.due),
            paidEarlier: formatDecimal(t.paidEarlier),
            rounding: `due to date rounded half-even to ${this.digits} decimals, minus paid earlier`,
          },
    );
  }

  /** Credit of a rep's cells from `fromMonth` to `toMonth` (own, plus everyone below with roll-up). */
  private credit(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number, withBelow: boolean): Decimal {
    const { firstMonth, months } = this.ctx;
    const base = rep * months - firstMonth;
    const from = base + Math.max(fromMonth, firstMonth);
    const own = mc.own.sum(from, base + toMonth);
    return withBelow ? own + mc.below.sum(from, base + toMonth) : own;
  }

  private below(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number): Decimal {
    const { firstMonth, months } = this.ctx;
    const base = rep * months - firstMonth;
    return mc.below.sum(base + Math.max(fromMonth, firstMonth), base + toMonth);
  }

  /**
   * What `c` has earned in the quota period through `toMonth`, and how (rendered lazily). A per-deal
   * component adds this payout period's deals to `perDealEarlier`, its due through the one before.
   * The trace ends with what the line pays (`toDate`), which only the caller knows. Within one
   * walk, `shared` (with `k`, the component's position) keeps what the components of a payout
   * period share: a measure's credit to date, a rate table's bounds. Without `explain`, only the
   * amount is wanted: it comes back in one object reused from call to call (read it at once), and
   * nothing is made for a trace, which is most of what a calculation would otherwise allocate.
   */
  private due(
    c: Compiled,
    at: QuotaPeriodAt,
    fromMonth: number,
    toMonth: number,
    perDealEarlier: Decimal,
    explain: boolean,
    shared?: DueShared,
    k = 0,
  ): Owed {
    const { rep, q, quota } = at;
    const mc = c.mc;
    let known = shared?.toDate.get(mc);
    if (!known) {
      const credit = this.credit(mc, rep, q.startMonth, toMonth, mc.rollup);
      known = {
        credit,
        attainment: quota === undefined || quota === ZERO ? undefined : divideHalfEven(credit * ONE, quota),
      };
      shared?.toDate.set(mc, known);
    }
    const { credit, attainment } = known;

    switch (c.kind) {
      case 'rate-table': {
        if (c.source.basis === 'attainment' && attainment === undefined)
          return explain
            ? this.rateTableOwed(c, at, credit, attainment, fromMonth, toMonth, ZERO, 'no quota')
            : this.amountIs(ZERO);
        if (c.gate !== undefined && (attainment === undefined || attainment < c.gate))
          return explain
            ? this.rateTableOwed(c, at, credit, attainment, fromMonth, toMonth, ZERO, 'gate not met')
            : this.amountIs(ZERO);
        let bounds = shared?.bounds[k];
        if (!bounds) {
          bounds = c.source.basis === 'attainment' ? c.froms.map((f) => mul(f, quota!)) : c.froms;
          if (shared) shared.bounds[k] = bounds;
        }
        const slices = applyTiers(credit, bounds, c.rates, c.source.mode);
        let amount = ZERO;
        for (const s of slices) amount += s.amount;
        const uncapped = amount;
        if (c.cap !== undefined) amount = min(amount, c.cap);
        return explain
          ? this.rateTableOwed(c, at, credit, attainment, fromMonth, toMonth, amount, { slices, uncapped })
          : this.amountIs(amount);
      }
      case 'per-deal': {
        // Own deals only: a spiff pays the people credited on the deal, not their managers.
        const { firstMonth, months } = this.ctx;
        const base = rep * months - firstMonth;
        // A fixed amount per deal only needs the count; a rate needs each deal's credit.
        const passes = this.perDealPasses(c);
        let added = ZERO;
        let count = 0;
        for (let m = fromMonth; m <= toMonth; m++) {
          forEachOwnRef(mc, base + m, (deal, ref) => {
            if (!passes(deal)) return;
            if (c.amount === undefined) added += mul(creditOfRef(mc, ref).credit, c.rate!);
            else count++;
          });
        }
        if (c.amount !== undefined) added = c.amount * BigInt(count);
        const amount = perDealEarlier + added;
        return explain
          ? this.perDealOwed(c, at, credit, attainment, fromMonth, toMonth, amount)
          : this.amountIs(amount);
      }
      case 'bonus': {
        const reached = attainment !== undefined && attainment >= c.threshold;
        const amount = reached ? c.amount : ZERO;
        return explain ? this.bonusOwed(c, at, credit, attainment, reached, amount) : this.amountIs(amount);
      }
      case 'override': {
        const teamCredit = this.below(mc, rep, q.startMonth, toMonth);
        const amount = mul(teamCredit, c.rate);
        return explain ? this.overrideOwed(c, at, fromMonth, toMonth, teamCredit, amount) : this.amountIs(amount);
      }
    }
  }

  /** due's answer when only the amount is wanted: the one reused object. */
  private amountIs(amount: Decimal): Owed {
    this.amountOnly.amount = amount;
    return this.amountOnly;
  }

  private rateTableOwed(
    c: Compiled & { kind: 'rate-table' },
    at: QuotaPeriodAt,
    credit: Decimal,
    attainment: Decimal | undefined,
    fromMonth: number,
    toMonth: number,
    amount: Decimal,
    outcome: 'no quota' | 'gate not met' | { slices: readonly TierSlice[]; uncapped: Decimal },
  ): Owed {
    // What the trace starts with: the quota facts, the table's basis and mode, its deals and team.
    const facts = () => {
      const { mc } = c;
      const team = mc.rollup && this.ctx.org.reportCount[at.rep]! > 0;
      return {
        ...quotaFacts(mc, at, credit, attainment),
        basis: c.source.basis,
        mode: c.source.mode,
        ...(this.brief ? {} : { deals: this.dealsTrace(mc, at.rep, fromMonth, toMonth) }),
        ...(team && !this.brief ? { team: this.teamTrace(mc, at.rep, fromMonth, toMonth) } : {}),
      };
    };
    if (outcome === 'no quota')
      return {
        amount,
        trace: (toDate) => ({
          kind: 'rateTable',
          json: { ...facts(), note: 'no quota: an attainment-based rate table pays nothing', ...toDate },
        }),
      };
    if (outcome === 'gate not met')
      return {
        amount,
        trace: (toDate) => ({
          kind: 'rateTable',
          json: { ...facts(), gate: { threshold: c.source.gate!, met: false }, ...toDate },
        }),
      };
    const { slices, uncapped } = outcome;
    return {
      amount,
      trace: (toDate) => ({
        kind: 'rateTable',
        json: {
          ...facts(),
          ...(c.gate !== undefined ? { gate: { threshold: c.source.gate!, met: true } } : {}),
          tiers: slices.map((s) =>
            this.brief
              ? { tier: s.tier + 1, rate: formatDecimal(s.rate) }
              : sliceTrace(s, c.source.tiers[s.tier]!.from),
          ),
          ...(c.cap !== undefined
            ? { cap: { cap: c.source.cap!, uncapped: formatDecimal(uncapped), applied: uncapped > c.cap } }
            : {}),
          ...toDate,
        },
      }),
    };
  }

  private perDealOwed(
    c: Compiled & { kind: 'per-deal' },
    at: QuotaPeriodAt,
    credit: Decimal,
    attainment: Decimal | undefined,
    fromMonth: number,
    toMonth: number,
    amount: Decimal,
  ): Owed {
    const { mc } = c;
    const { firstMonth, months } = this.ctx;
    const base = at.rep * months - firstMonth;
    const passes = this.perDealPasses(c);
    return {
      amount,
      trace: (toDate) => {
        const listed: PaidDealTrace[] = [];
        for (let m = fromMonth; m <= toMonth && !this.brief; m++) {
          forEachOwnRef(mc, base + m, (deal, ref) => {
            if (!passes(deal)) return;
            const d = this.ctx.deals.deals[deal]!;
            const dealCredit = creditOfRef(mc, ref).credit;
            listed.push({
              deal: d.id,
              closeDate: d.closeDate,
              credit: formatDecimal(dealCredit),
              pays: formatDecimal(c.amount ?? mul(dealCredit, c.rate!)),
            });
          });
        }
        listed.sort(byCloseDateAndId);
        return {
          kind: 'perDeal',
          json: {
            ...quotaFacts(mc, at, credit, attainment),
            ...(c.amount === undefined ? { rate: c.source.rate! } : { perDeal: c.source.amount! }),
            deals: listed,
            ...toDate,
          },
        };
      },
    };
  }

  private bonusOwed(
    c: Compiled & { kind: 'bonus' },
    at: QuotaPeriodAt,
    credit: Decimal,
    attainment: Decimal | undefined,
    reached: boolean,
    amount: Decimal,
  ): Owed {
    return {
      amount,
      trace: (toDate) => ({
        kind: 'bonus',
        json: {
          ...quotaFacts(c.mc, at, credit, attainment),
          attainmentAtLeast: c.source.attainmentAtLeast,
          reached,
          bonus: c.source.amount,
          ...toDate,
        },
      }),
    };
  }

  private overrideOwed(
    c: Compiled & { kind: 'override' },
    at: QuotaPeriodAt,
    fromMonth: number,
    toMonth: number,
    teamCredit: Decimal,
    amount: Decimal,
  ): Owed {
    const { mc } = c;
    return {
      amount,
      trace: (toDate) => ({
        kind: 'override',
        json: {
          measure: mc.name,
          quotaPeriod: at.q.label,
          rate: c.source.rate,
          teamCreditToDate: formatDecimal(teamCredit),
          ...(this.brief ? {} : { team: this.teamTrace(mc, at.rep, fromMonth, toMonth) }),
          ...toDate,
        },
      }),
    };
  }

  private dealsTrace(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number): CreditedDealTrace[] {
    const { firstMonth, months, deals } = this.ctx;
    const listed: CreditedDealTrace[] = [];
    for (let m = fromMonth; m <= toMonth; m++) {
      forEachOwnRef(mc, rep * months - firstMonth + m, (deal, ref) => {
        const d = deals.deals[deal]!;
        const { credit, percent } = creditOfRef(mc, ref);
        // Keys in this order (the JSON's), each shape one literal: a key added after the literal
        // (or an object spread per optional key) costs the collector another allocation per deal.
        const { id, closeDate, amount, currency } = d;
        const territory = mc.territoryOf?.[deal];
        let listedDeal: CreditedDealTrace;
        if (percent === undefined)
          listedDeal = mc.territoryOf
            ? { deal: id, closeDate, amount, currency, territory, credit: formatDecimal(credit) }
            : { deal: id, closeDate, amount, currency, credit: formatDecimal(credit) };
        else
          listedDeal = mc.territoryOf
            ? {
                deal: id,
                closeDate,
                amount,
                currency,
                percent: formatDecimal(percent),
                territory,
                credit: formatDecimal(credit),
              }
            : { deal: id, closeDate, amount, currency, percent: formatDecimal(percent), credit: formatDecimal(credit) };
        listed.push(listedDeal);
      });
    }
    return listed.sort(byCloseDateAndId);
  }

  /** The credit of everyone below a manager in a payout period, by direct report. */
  private teamTrace(mc: MeasureCredit, rep: number, fromMonth: number, toMonth: number): TeamTrace {
    const { org, firstMonth, months } = this.ctx;
    const reports: [string, Decimal][] = [];
    for (const child of org.reports[rep]!) {
      let credit = ZERO;
      for (let m = fromMonth; m <= toMonth; m++) credit += mc.throughReport.get(child * months - firstMonth + m);
      if (credit !== ZERO) reports.push([org.repIds[child]!, credit]);
    }
    reports.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return {
      credit: formatDecimal(this.below(mc, rep, fromMonth, toMonth)),
      byDirectReport: Object.fromEntries(reports.map(([id, credit]) => [id, formatDecimal(credit)])),
    };
  }
}

/**
 * A line's trace, rendered when read by evaluating `due` again (it is deterministic): a line keeps
 * only these few values alive, in this one object, not the closures and tier slices of its
 * evaluation (a hundred thousand lines of those made every young-generation GC copy them).
 */
class LineTrace extends Trace {
  constructor(
    private readonly payer: PlanPayer,
    readonly c: Compiled,
    readonly at: QuotaPeriodAt,
    readonly fromMonth: number,
    readonly toMonth: number,
    readonly perDealEarlier: Decimal,
    readonly due: Decimal,
    readonly paidEarlier: Decimal,
  ) {
    super();
  }

  override read(): ComponentTrace {
    return this.payer.renderLine(this);
  }
}

function compile(c: Component, mc: MeasureCredit, filters: FilterSet): Compiled {
  switch (c.kind) {
    case 'rate-table':
      return {
        kind: c.kind,
        id: c.id,
        mc,
        source: c,
        froms: c.tiers.map((t) => decimal(t.from)),
        rates: c.tiers.map((t) => decimal(t.rate)),
        ...(c.gate === undefined ? {} : { gate: decimal(c.gate) }),
        ...(c.cap === undefined ? {} : { cap: decimal(c.cap) }),
      };
    case 'per-deal': {
      return {
        kind: c.kind,
        id: c.id,
        mc,
        source: c,
        filter: filters.idOf(c.where),
        ...(c.amount === undefined ? {} : { amount: decimal(c.amount) }),
        ...(c.rate === undefined ? {} : { rate: decimal(c.rate) }),
      };
    }
    case 'bonus':
      return {
        kind: c.kind,
        id: c.id,
        mc,
        source: c,
        threshold: decimal(c.attainmentAtLeast),
        amount: decimal(c.amount),
      };
    case 'override':
      return { kind: c.kind, id: c.id, mc, source: c, rate: decimal(c.rate) };
  }
}

/**
 * Traces list deals by close date, then id: the same whatever order the source delivered them in.
 * The order of `${closeDate} ${deal}` as strings: by close date, then deal id when the dates are
 * as long (they are all YYYY-MM-DD), without building two strings per comparison (a trace's deals
 * are sorted each time it is rendered: most of writing a million-deal org's payout lines).
 */
function byCloseDateAndId(a: { closeDate: string; deal: string }, b: { closeDate: string; deal: string }): number {
  if (a.closeDate.length !== b.closeDate.length) return cmp(`${a.closeDate} ${a.deal}`, `${b.closeDate} ${b.deal}`);
  return cmp(a.closeDate, b.closeDate) || cmp(a.deal, b.deal);
}

function needsQuota(c: Compiled): boolean {
  return (c.kind === 'rate-table' && (c.source.basis === 'attainment' || c.gate !== undefined)) || c.kind === 'bonus';
}

function sliceTrace(slice: TierSlice, from: string): TierSliceTrace {
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
