/**
 * Crediting (docs/plans.md, "Measures"): every won deal adds its credit, in plan currency, to a
 * (rep, month) cell of each measure — the rep's own credit, and for each manager above, the credit
 * of everyone below them, each deal counted at most once (at most 100 % of its amount).
 *
 * This is the engine's hot loop (a million deals, once per plan and measure), so deals are held
 * in columns of typed arrays, and sums go through `CellSums`: exact integers in a Float64Array
 * while they fit, exact bigints otherwise. Both are exact; the float path only avoids allocating
 * a bigint per deal.
 */
import { ONE, ZERO, percentOf, type Decimal } from './decimal.js';
import {
  FAST_UNIT,
  HUNDRED_UNITS,
  MAX_SAFE_BIG,
  SAFE,
  SAFE_BIG,
  SPLIT,
  buildDealColumns,
  dealColumnsOf,
  joinParts,
  splitParts,
  type DealColumns,
  type SplitColumns,
} from './deal-columns.js';
import type { CanonicalData, Deal } from './model.js';
import { covers, type Org } from './org.js';
import { calendarDay, dayOf } from './periods.js';
import type { Measure } from './plan.js';
import type { FilterSet } from './where.js';

const HUNDRED = 100n * ONE;

export { joinParts, splitParts, type SplitColumns };

/** Territory credit (docs/territories.md#territory-credit): the reps holding each deal's territory on its close date. */
export interface TerritorySplits extends SplitColumns {
  /** The deal's territory, by deal index; undefined when it has none. */
  territoryOf: (string | undefined)[];
}

/**
 * The deals in columns (deal-columns.ts), row i being deals[i], and what one calculation makes of
 * them: which it credits (`selected`: won deals, and reversed ones that may still count), which
 * pass each filter. Every loop over the rows skips those not selected (their amounts are not
 * `known`).
 */
export interface PreparedDeals extends SplitColumns {
  count: number;
  deals: readonly Deal[];
  /** 1 for a deal this calculation credits. */
  selected: Uint8Array;
  selectedCount: number;
  day: Int32Array;
  month: Int32Array;
  owner: Int32Array;
  /** Its currency, as an index into `currencies` (so that converting needs no deal object). */
  currency: Int32Array;
  currencies: string[];
  /** The amount in its own currency (see PlanAmounts); known where selected. */
  amounts: PlanAmounts;
  /** Lost or deleted, but paid in a locked period: counts only where the clawback window has passed. */
  reversed: Uint8Array;
  /**
   * A reversed deal's day it turned lost or was deleted (its lastModified), NaN when unknown; empty
   * when no locked line paid a deal (then none is reversed).
   */
  reversedDay: Float64Array;
  /** Splits of deal i are entries splitStart[i] … splitStart[i+1] − 1; none: the owner has it all. */
  splitStart: Int32Array;
  splitRep: Int32Array;
  /** Split percents in units of 10^-10 (an exact integer double); NaN when too large, then splitPercentBig holds it. */
  splitPercent: Float64Array;
  splitPercentBig: Map<number, Decimal>;
  /** Per filter of the FilterSet: 1 where the deal passes it. */
  passes: Uint8Array[];
  /** Set by prepareTerritorySplits when a measure credits by territory. */
  territory?: TerritorySplits;
}

/**
 * Territory credit as splits (docs/territories.md#territory-credit): for each deal, the owners of
 * its account's territory on its close date with their percents (revenue), and its overlays with
 * theirs (overlay). A deal whose territory nobody holds that day has none, and credits no one.
 */
export function prepareTerritorySplits(
  deals: PreparedDeals,
  org: Org,
  territoryOfDeal: (deal: Deal) => string | undefined,
  holders: (territoryId: string, day: number) => readonly { repId: string; percent: Decimal }[],
): TerritorySplits {
  const splitStart = new Int32Array(deals.count + 1);
  const splitRep: number[] = [];
  const splitPercent: number[] = [];
  const splitPercentBig = new Map<number, Decimal>();
  const territoryOf: (string | undefined)[] = new Array(deals.count);
  for (let i = 0; i < deals.count; i++) {
    const territoryId = deals.selected[i] ? territoryOfDeal(deals.deals[i]!) : undefined;
    territoryOf[i] = territoryId;
    if (territoryId !== undefined) {
      for (const holder of holders(territoryId, deals.day[i]!)) {
        const rep = org.index.get(holder.repId);
        if (rep === undefined) continue;
        const exact = holder.percent <= MAX_SAFE_BIG;
        if (!exact) splitPercentBig.set(splitPercent.length, holder.percent);
        splitPercent.push(exact ? Number(holder.percent) : NaN);
        splitRep.push(rep);
      }
    }
    splitStart[i + 1] = splitRep.length;
  }
  return {
    splitStart,
    splitRep: Int32Array.from(splitRep),
    splitPercent: Float64Array.from(splitPercent),
    splitPercentBig,
    territoryOf,
  };
}

/**
 * The deals of `data` for one calculation: the deal columns normalize() built (deal-columns.ts),
 * or, for data without them, columns built here of the deals it may credit; and on them what
 * depends on the calculation: which deals it credits (reversals come from its locked lines) and
 * which pass each of its filters.
 */
export function prepareDeals(
  data: CanonicalData,
  org: Org,
  paidDeals: ReadonlySet<string>,
  tz: string,
  filters: FilterSet,
): PreparedDeals {
  const columns =
    dealColumnsOf(data) ??
    buildDealColumns(data, org.index, (deal) => (deal.stage === 'won' && !deal.deleted) || paidDeals.has(deal.id));
  return prepareColumns(columns, paidDeals, tz, filters);
}

/** prepareDeals on the given columns: the won deals and those reversed after being paid (`paidDeals`) selected. */
export function prepareColumns(
  columns: DealColumns,
  paidDeals: ReadonlySet<string>,
  tz: string,
  filters: FilterSet,
): PreparedDeals {
  const n = columns.count;
  const selected = new Uint8Array(n);
  const reversed = new Uint8Array(n);
  const anyPaid = paidDeals.size > 0;
  const reversedDay = new Float64Array(anyPaid ? n : 0);
  const predicates = filters.predicates;
  const passes = predicates.map(() => new Uint8Array(n));
  const { won, deals } = columns;
  let selectedCount = 0;
  for (let i = 0; i < n; i++) {
    if (won[i]) selected[i] = 1;
    else if (anyPaid && paidDeals.has(deals[i]!.id)) {
      selected[i] = 1;
      reversed[i] = 1;
      const lastModified = deals[i]!.lastModified;
      const changed = lastModified !== undefined ? calendarDay(lastModified, tz) : undefined;
      reversedDay[i] = changed === undefined ? NaN : dayOf(changed);
    } else continue;
    selectedCount++;
    if (predicates.length > 0) {
      const deal = deals[i]!;
      for (let f = 0; f < predicates.length; f++) passes[f]![i] = predicates[f]!(deal) ? 1 : 0;
    }
  }
  return {
    count: n,
    deals,
    selected,
    selectedCount,
    day: columns.day,
    month: columns.month,
    owner: columns.owner,
    currency: columns.currency,
    currencies: columns.currencies,
    amounts: { known: selected, hi: columns.amountHi, lo: columns.amountLo, big: columns.amountBig },
    reversed,
    reversedDay,
    splitStart: columns.splitStart,
    splitRep: columns.splitRep,
    splitPercent: columns.splitPercent,
    splitPercentBig: columns.splitPercentBig,
    passes,
  };
}

/** A split's percent as an exact decimal. */
export function percentAt(deals: SplitColumns, sp: number): Decimal {
  const units = deals.splitPercent[sp]!;
  return Number.isNaN(units) ? deals.splitPercentBig.get(sp)! : BigInt(units);
}

/**
 * Exact sums per cell without a bigint per addition. A value v (units of 10^-10) is added as two
 * doubles: hi = trunc(v / 10^6) (units of 10^-4) and lo = v − hi × 10^6. Each part is an exact
 * integer; while each running sum stays below 2^53 the doubles are exact, and a sum about to pass
 * that spills into a bigint.
 */
export class CellSums {
  private readonly hi: Float64Array;
  private readonly lo: Float64Array;
  /** Created by the first spill: most calculations never spill, and then hold no bigint per cell. */
  private spill: Decimal[] | undefined;

  constructor(private readonly size: number) {
    this.hi = new Float64Array(size);
    this.lo = new Float64Array(size);
  }

  add(cell: number, hi: number, lo: number): void {
    const h = this.hi[cell]! + hi;
    const l = this.lo[cell]! + lo;
    if (h > SAFE || h < -SAFE || l > SAFE || l < -SAFE) {
      this.addSpill(cell, BigInt(this.hi[cell]!) * SPLIT + BigInt(this.lo[cell]!) + BigInt(hi) * SPLIT + BigInt(lo));
      this.hi[cell] = 0;
      this.lo[cell] = 0;
    } else {
      this.hi[cell] = h;
      this.lo[cell] = l;
    }
  }

  addDecimal(cell: number, value: Decimal): void {
    const hi = value / SPLIT;
    if (hi > SAFE_BIG || hi < -SAFE_BIG) this.addSpill(cell, value);
    else this.add(cell, Number(hi), Number(value - hi * SPLIT));
  }

  private addSpill(cell: number, value: Decimal): void {
    const spill = (this.spill ??= new Array<Decimal>(this.size).fill(ZERO));
    spill[cell] = spill[cell]! + value;
  }

  /** The sum of cells `from` … `to` (none when to < from), exactly as adding each get() (one bigint at the end). */
  sum(from: number, to: number): Decimal {
    let hi = 0;
    let lo = 0;
    let spill = ZERO;
    const spills = this.spill;
    for (let cell = from; cell <= to; cell++) {
      const h = hi + this.hi[cell]!;
      const l = lo + this.lo[cell]!;
      if (h > SAFE || h < -SAFE || l > SAFE || l < -SAFE) {
        spill += BigInt(hi) * SPLIT + BigInt(lo);
        hi = this.hi[cell]!;
        lo = this.lo[cell]!;
      } else {
        hi = h;
        lo = l;
      }
      if (spills && spills[cell] !== ZERO) spill += spills[cell]!;
    }
    if (hi === 0 && lo === 0) return spill;
    return BigInt(hi) * SPLIT + BigInt(lo) + spill;
  }

  get(cell: number): Decimal {
    const hi = this.hi[cell]!;
    const lo = this.lo[cell]!;
    const spill = this.spill?.[cell] ?? ZERO;
    if (hi === 0 && lo === 0) return spill;
    return BigInt(hi) * SPLIT + BigInt(lo) + spill;
  }
}

/** Deal amounts in one plan currency. */
export interface PlanAmounts {
  /** False where no exchange rate was in effect (or the deal is after the calculated window). */
  known: Uint8Array;
  /** The amount as (hi, lo) parts (see CellSums); hi NaN when too large, then `big` holds it. */
  hi: Float64Array;
  lo: Float64Array;
  big: Map<number, Decimal>;
}

/** A deal's amount in plan currency as an exact decimal. */
export function amountOf(amounts: PlanAmounts, i: number): Decimal {
  const hi = amounts.hi[i]!;
  return Number.isNaN(hi) ? amounts.big.get(i)! : joinParts(hi, amounts.lo[i]!);
}

/** Credit of one measure of one plan: cell = rep × months + month offset. */
export interface MeasureCredit {
  name: string;
  rollup: boolean;
  deals: PreparedDeals;
  amounts: PlanAmounts;
  own: CellSums;
  /** Credit of everyone below a manager, each deal counted at most once. */
  below: CellSums;
  /** By the cell of a manager's direct report: credit that reached the manager through that report. */
  throughReport: CellSums;
  /** Own credited deals per cell: refs[cellStart[c] … cellStart[c+1] − 1]. */
  cellStart: Int32Array;
  /** A ref ≥ 0 is a deal credited in full; ~k is entry k of the split credits. */
  refs: Int32Array;
  /** Split credit k: its deal, its split (see PreparedDeals), and the credit as (hi, lo) parts. */
  splitCreditDeal: number[];
  splitCreditSplit: number[];
  splitCreditHi: number[];
  splitCreditLo: number[];
  /** Split credits too large for the parts (hi NaN), by k. */
  splitCreditBig: Map<number, Decimal>;
  /** The splits the split credits came from: the deals' own, or their territory's reps. */
  splits: SplitColumns;
  /** By deal index, the territory credited (a measure crediting by territory only). */
  territoryOf?: readonly (string | undefined)[];
  /** Own credited deals added on top of `refs` for a while: an open deal's estimate (estimate.ts). */
  extraRefs?: { cell: number; ref: number }[];
}

export interface CreditContext {
  org: Org;
  deals: PreparedDeals;
  /** Assignment intervals of this plan, per rep index. */
  assignments: ReadonlyMap<number, number[]>;
  firstMonth: number;
  months: number;
  clawbackDays: number | undefined;
  /** The calculation date: a reversal whose day is unknown happened on it. */
  asOfDay: number;
}

export function creditMeasure(
  ctx: CreditContext,
  name: string,
  measure: Measure,
  amounts: PlanAmounts,
  filter: number,
): MeasureCredit {
  const { org, deals, assignments, months, firstMonth, clawbackDays, asOfDay } = ctx;
  const cells = org.repIds.length * months;
  const own = new CellSums(cells);
  const below = new CellSums(cells);
  const throughReport = new CellSums(cells);
  const ownCells = new RefList(deals.count < 64 ? 16 : 1024);
  const splitCreditDeal: number[] = [];
  const splitCreditSplit: number[] = [];
  const splitCreditHi: number[] = [];
  const splitCreditLo: number[] = [];
  const splitCreditBig = new Map<number, Decimal>();
  const passes = filter >= 0 ? deals.passes[filter] : undefined;
  const byTerritory = measure.credit === 'territory';
  const bySplits = measure.credit === 'splits' || byTerritory;
  const splitColumns: SplitColumns = byTerritory ? deals.territory! : deals;
  const { parent } = org;
  // Assignment intervals by rep index, and the plan's managers: only they make the tree above a
  // credited rep worth walking.
  const assigned: (number[] | undefined)[] = new Array(org.repIds.length);
  const isManager = new Uint8Array(org.repIds.length);
  let managerCount = 0;
  for (const [rep, intervals] of assignments) {
    assigned[rep] = intervals;
    if (org.reportCount[rep]! > 0) {
      isManager[rep] = 1;
      managerCount++;
    }
  }
  // A split deal's shares per node (the reps credited and everyone above them): a handful of
  // entries, so parallel arrays with a linear search beat a Map; reused from deal to deal
  // (`nodes` counts the live entries). Percents are summed as exact integer doubles (units of
  // 10^-10) when they are small enough, else as bigints.
  const shareNode: number[] = [];
  const share: number[] = [];
  const ownShare: number[] = [];
  const bigShare: Decimal[] = [];
  const bigOwnShare: Decimal[] = [];
  let nodes = 0;
  const slotOf = (node: number): number => {
    for (let k = 0; k < nodes; k++) if (shareNode[k] === node) return k;
    shareNode[nodes] = node;
    share[nodes] = 0;
    ownShare[nodes] = 0;
    bigShare[nodes] = ZERO;
    bigOwnShare[nodes] = ZERO;
    return nodes++;
  };
  const addShare = (node: number, percent: number, own: boolean) => {
    const k = slotOf(node);
    share[k] = share[k]! + percent;
    if (own) ownShare[k] = ownShare[k]! + percent;
  };
  const addBigShare = (node: number, percent: Decimal, own: boolean) => {
    const k = slotOf(node);
    bigShare[k] = bigShare[k]! + percent;
    if (own) bigOwnShare[k] = bigOwnShare[k]! + percent;
  };
  /** Adds `percent` (capped at 100 %) of deal i's amount to a cell: doubles when exact, else bigints. */
  const addPercent = (sums: CellSums, cell: number, i: number, percent: number) => {
    if (percent >= HUNDRED_UNITS) addAmount(sums, cell, i);
    else if (percentParts(his[i]!, los[i]!, percent, parts)) sums.add(cell, parts.hi, parts.lo);
    else sums.addDecimal(cell, percentOf(amountOf(amounts, i), BigInt(percent)));
  };
  const addAmount = (sums: CellSums, cell: number, i: number) => {
    const hi = his[i]!;
    if (Number.isNaN(hi)) sums.addDecimal(cell, amounts.big.get(i)!);
    else sums.add(cell, hi, los[i]!);
  };
  const { day, month, owner: owners, reversed, reversedDay } = deals;
  const { splitStart, splitRep, splitPercent } = splitColumns;
  const { known, hi: his, lo: los } = amounts;

  for (let i = 0; i < deals.count; i++) {
    if (!known[i]) continue;
    const d = day[i]!;
    // A deal reversed inside the plan's clawback window is clawed back; after it, it stands.
    if (reversed[i] && clawbackDays !== undefined) {
      const changed = Number.isNaN(reversedDay[i]!) ? asOfDay : reversedDay[i]!;
      if (changed - d <= clawbackDays) continue;
    }
    const offset = month[i]! - firstMonth;
    const from = splitStart[i]!;
    const to = splitStart[i + 1]!;

    // By territory, a deal nobody holds the territory of credits no one (not its owner).
    if (byTerritory && from === to) continue;
    if (!bySplits || from === to) {
      const owner = owners[i]!;
      const ownerAssigned = covers(assigned[owner], d);
      if (!ownerAssigned && managerCount === 0) continue;
      if (passes && !passes[i]) continue;
      const hi = his[i]!;
      const lo = los[i]!;
      if (Number.isNaN(hi)) {
        // Too large for the double path: the rare bigint way.
        const amount = amountOf(amounts, i);
        if (ownerAssigned) own.addDecimal(owner * months + offset, amount);
        for (
          let child = owner, node = parent[owner]!;
          node >= 0 && managerCount > 0;
          child = node, node = parent[node]!
        ) {
          if (!isManager[node] || !covers(assigned[node], d)) continue;
          below.addDecimal(node * months + offset, amount);
          throughReport.addDecimal(child * months + offset, amount);
        }
      } else {
        if (ownerAssigned) own.add(owner * months + offset, hi, lo);
        for (
          let child = owner, node = parent[owner]!;
          node >= 0 && managerCount > 0;
          child = node, node = parent[node]!
        ) {
          if (!isManager[node] || !covers(assigned[node], d)) continue;
          below.add(node * months + offset, hi, lo);
          throughReport.add(child * months + offset, hi, lo);
        }
      }
      if (ownerAssigned) ownCells.push(owner * months + offset, i);
      continue;
    }

    if (passes && !passes[i]) continue;
    // Percents as doubles while every partial sum of them stays an exact integer.
    let magnitude = 0;
    for (let sp = from; sp < to; sp++) magnitude += Math.abs(splitPercent[sp]!);
    const exactPercents = magnitude <= Number.MAX_SAFE_INTEGER;
    nodes = 0;
    for (let sp = from; sp < to; sp++) {
      const rep = splitRep[sp]!;
      const percent = splitPercent[sp]!;
      if (covers(assigned[rep], d)) {
        const cell = rep * months + offset;
        const k = splitCreditHi.length;
        if (exactPercents && percent === HUNDRED_UNITS && !Number.isNaN(his[i]!)) {
          parts.hi = his[i]!;
          parts.lo = los[i]!;
        } else if (!exactPercents || !percentParts(his[i]!, los[i]!, percent, parts)) {
          const credit = percentOf(amountOf(amounts, i), percentAt(splitColumns, sp));
          [parts.hi, parts.lo] = splitParts(credit);
          if (Number.isNaN(parts.hi)) splitCreditBig.set(k, credit);
        }
        if (Number.isNaN(parts.hi)) own.addDecimal(cell, splitCreditBig.get(k)!);
        else own.add(cell, parts.hi, parts.lo);
        ownCells.push(cell, ~k);
        splitCreditDeal.push(i);
        splitCreditSplit.push(sp);
        splitCreditHi.push(parts.hi);
        splitCreditLo.push(parts.lo);
      }
      if (managerCount === 0) continue;
      if (exactPercents) {
        addShare(rep, percent, true);
        for (let node = parent[rep]!; node >= 0; node = parent[node]!) addShare(node, percent, false);
      } else {
        const exact = percentAt(splitColumns, sp);
        addBigShare(rep, exact, true);
        for (let node = parent[rep]!; node >= 0; node = parent[node]!) addBigShare(node, exact, false);
      }
    }
    for (let k = 0; k < nodes; k++) {
      const node = shareNode[k]!;
      // What this node's subtree brings its manager (for the trace), and what lies below it.
      const manager = parent[node]!;
      const toManager = manager >= 0 && isManager[manager] && covers(assigned[manager], d);
      const toBelow = isManager[node] && covers(assigned[node], d);
      if (exactPercents) {
        const total = share[k]!;
        if (toManager) addPercent(throughReport, node * months + offset, i, total);
        const belowPercent = total - ownShare[k]!;
        if (toBelow && belowPercent > 0) addPercent(below, node * months + offset, i, belowPercent);
      } else {
        const total = bigShare[k]!;
        const amount = amountOf(amounts, i);
        if (toManager) throughReport.addDecimal(node * months + offset, capped(amount, total));
        const belowPercent = total - bigOwnShare[k]!;
        if (toBelow && belowPercent > ZERO) below.addDecimal(node * months + offset, capped(amount, belowPercent));
      }
    }
  }
  const { cellStart, refs } = ownCells.byCell(cells);
  return {
    name,
    rollup: measure.rollup,
    deals,
    amounts,
    own,
    below,
    throughReport,
    cellStart,
    refs,
    splitCreditDeal,
    splitCreditSplit,
    splitCreditHi,
    splitCreditLo,
    splitCreditBig,
    splits: splitColumns,
    ...(byTerritory ? { territoryOf: deals.territory!.territoryOf } : {}),
  };
}

/** The (hi, lo) parts of a split credit (a shared scratch pair: the hot loop allocates nothing). */
const parts = { hi: 0, lo: 0 };

/**
 * `percent` (units of 10^-10) of the amount with parts (hi, lo), rounded half-even to 10^-10
 * exactly as percentOf rounds it, in doubles; the result goes to `out`. Exact when the percent
 * has at most 4 decimals and every intermediate is an integer below 2^53; returns false (and the
 * caller takes the bigint way) otherwise.
 *
 * amount × percent ÷ 100 = (hi × 10^6 + lo) × p ÷ 10^6, with p = percent ÷ 10^6 (units of 10^-4 %):
 * the whole part hi × p plus lo × p ÷ 10^6, which alone needs rounding.
 */
export function percentParts(hi: number, lo: number, percent: number, out: { hi: number; lo: number }): boolean {
  if (percent % FAST_UNIT !== 0) return false;
  const p = percent / FAST_UNIT;
  const whole = hi * p;
  const fraction = lo * p;
  // NaN (a too-large amount) fails these too.
  if (!(Math.abs(whole) <= SAFE) || !(Math.abs(fraction) <= SAFE)) return false;
  let q = floorDivide(fraction);
  const r = fraction - q * FAST_UNIT;
  // Half-even on the whole result: its parity is that of whole + q.
  const twice = 2 * r;
  if (twice > FAST_UNIT || (twice === FAST_UNIT && (Math.abs(whole % 2) + Math.abs(q % 2)) % 2 === 1)) q++;
  out.hi = floorDivide(whole);
  out.lo = whole - out.hi * FAST_UNIT + q;
  return true;
}

/** floor(x ÷ d) for exact integers |x| ≤ SAFE and 0 < d ≤ SAFE, exactly (every product and difference below is exact). */
function floorDivide(x: number, d = FAST_UNIT): number {
  const q = Math.floor(x / d);
  // x ÷ d is rounded, so its floor can be one off: the remainder says which way.
  const r = x - q * d;
  return r < 0 ? q - 1 : r >= d ? q + 1 : q;
}

/**
 * An exchange at one day's rates as a fraction: value × num ÷ den, rounded half-even (FxTable's
 * convert). For the double path, num is taken per fastUnits unit of the amount and split as
 * whole × den + rest, so that the parts stay below 2^53 where the bigint product would not.
 */
export interface Exchange {
  num: Decimal;
  den: Decimal;
  /** (num × 10^6) ÷ den as whole + rest ÷ den in exact doubles; NaN when too large. */
  whole: number;
  rest: number;
  divisor: number;
}

export function exchange(num: Decimal, den: Decimal): Exchange {
  let a = num * SPLIT;
  let b = den;
  const g = gcd(a, b);
  a /= g;
  b /= g;
  const whole = a / b;
  const fits = (v: bigint) => v <= SAFE_BIG && v >= -SAFE_BIG;
  const ok = b > 0n && fits(b) && fits(whole);
  return {
    num,
    den,
    whole: ok ? Number(whole) : NaN,
    rest: ok ? Number(a - whole * b) : NaN,
    divisor: ok ? Number(b) : NaN,
  };
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/**
 * The amount with parts (hi, lo) exchanged (see Exchange), into `out`; false when the double
 * path is not exact (lo ≠ 0, or an intermediate past 2^53), and the caller takes the bigint way.
 * amount × num ÷ den = hi × (whole + rest ÷ divisor): hi × whole, plus hi × rest ÷ divisor rounded.
 */
export function exchangeParts(hi: number, lo: number, x: Exchange, out: { hi: number; lo: number }): boolean {
  if (lo !== 0) return false;
  const whole = hi * x.whole;
  const fraction = hi * x.rest;
  // NaN (a too-large amount or exchange) fails these too.
  if (!(Math.abs(whole) <= SAFE) || !(Math.abs(fraction) <= SAFE)) return false;
  let q = floorDivide(fraction, x.divisor);
  const r = fraction - q * x.divisor;
  // Half-even on the whole result: its parity is that of whole + q.
  const twice = 2 * r;
  if (twice > x.divisor || (twice === x.divisor && (Math.abs(whole % 2) + Math.abs(q % 2)) % 2 === 1)) q++;
  const value = whole + q;
  if (!(Math.abs(value) <= SAFE)) return false;
  out.hi = floorDivide(value);
  out.lo = value - out.hi * FAST_UNIT;
  return true;
}

/** `percent` of `amount`, at most all of it: a team counts each deal at most once. */
function capped(amount: Decimal, percent: Decimal): Decimal {
  return percent >= HUNDRED ? amount : percentOf(amount, percent);
}

/** (cell, ref) pairs appended in deal order, then grouped by cell (a counting sort, stable). */
class RefList {
  private cells: Int32Array;
  private refs: Int32Array;
  private length = 0;

  /** `capacity`: room for this many before growing (small for one deal's credit, estimate.ts). */
  constructor(capacity = 1024) {
    this.cells = new Int32Array(capacity);
    this.refs = new Int32Array(capacity);
  }

  push(cell: number, ref: number): void {
    if (this.length === this.cells.length) {
      const cells = new Int32Array(this.length * 2);
      cells.set(this.cells);
      this.cells = cells;
      const refs = new Int32Array(this.length * 2);
      refs.set(this.refs);
      this.refs = refs;
    }
    this.cells[this.length] = cell;
    this.refs[this.length++] = ref;
  }

  byCell(cellCount: number): { cellStart: Int32Array; refs: Int32Array } {
    const cellStart = new Int32Array(cellCount + 1);
    for (let i = 0; i < this.length; i++) cellStart[this.cells[i]! + 1]!++;
    for (let c = 0; c < cellCount; c++) cellStart[c + 1]! += cellStart[c]!;
    const next = cellStart.slice(0, cellCount);
    const refs = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) refs[next[this.cells[i]!]!++] = this.refs[i]!;
    return { cellStart, refs };
  }
}

/** Calls `visit` with the deal index and ref of each own credited deal of a cell (see creditOfRef). */
export function forEachOwnRef(mc: MeasureCredit, cell: number, visit: (deal: number, ref: number) => void): void {
  for (let r = mc.cellStart[cell]!; r < mc.cellStart[cell + 1]!; r++) {
    const ref = mc.refs[r]!;
    visit(ref >= 0 ? ref : mc.splitCreditDeal[~ref]!, ref);
  }
  if (mc.extraRefs) {
    for (const { cell: c, ref } of mc.extraRefs) if (c === cell) visit(ref >= 0 ? ref : mc.splitCreditDeal[~ref]!, ref);
  }
}

/** The credit behind a ref, and the split percent where it came from a split. */
export function creditOfRef(mc: MeasureCredit, ref: number): { credit: Decimal; percent: Decimal | undefined } {
  if (ref >= 0) return { credit: amountOf(mc.amounts, ref), percent: undefined };
  const k = ~ref;
  const hi = mc.splitCreditHi[k]!;
  const credit = Number.isNaN(hi) ? mc.splitCreditBig.get(k)! : joinParts(hi, mc.splitCreditLo[k]!);
  return { credit, percent: percentAt(mc.splits, mc.splitCreditSplit[k]!) };
}
