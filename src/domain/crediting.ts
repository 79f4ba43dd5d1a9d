/**
 * Crediting (SPEC §3 "Credit"): every won deal adds its credit, in plan currency, to a
 * (rep, month) cell of each measure — the rep's own credit, and for each manager above, the credit
 * of everyone below them, each deal counted at most once (at most 100 % of its amount).
 *
 * This is the engine's hot loop (a million deals, once per plan and measure), so deals are held
 * in columns of typed arrays, and sums go through `CellSums`: exact integers in a Float64Array
 * while they fit, exact bigints otherwise. Both are exact; the float path only avoids allocating
 * a bigint per deal.
 */
import { ONE, ZERO, parseDecimal, percentOf, type Decimal } from './decimal.js';
import type { CanonicalData, Deal } from './model.js';
import { covers, type Org } from './org.js';
import { businessDate, dayOf, monthOfDate } from './periods.js';
import type { Measure } from './plan.js';
import type { FilterSet } from './where.js';

/** hi parts count units of 10^-4 (a hundredth of a cent): 10^6 units of the 10^-10 scale. */
const SPLIT = ONE / 10_000n;
/** Largest magnitude a double holds exactly: 2^53 − 1 (minus headroom for one more addition). */
const SAFE = Number.MAX_SAFE_INTEGER / 2;
const SAFE_BIG = BigInt(Math.floor(SAFE));
const HUNDRED = 100n * ONE;

/** Won deals (and reversed ones that may still count), column by column. */
export interface PreparedDeals {
  count: number;
  deals: Deal[];
  day: Int32Array;
  month: Int32Array;
  owner: Int32Array;
  /** The amount in its own currency (see PlanAmounts). */
  amounts: PlanAmounts;
  /** Lost or deleted, but paid in a locked period: counts only where the clawback window has passed. */
  reversed: Uint8Array;
  /** The day it turned lost or was deleted (its lastModified), NaN when unknown. */
  reversedDay: Float64Array;
  /** Splits of deal i are entries splitStart[i] … splitStart[i+1] − 1; none: the owner has it all. */
  splitStart: Int32Array;
  splitRep: Int32Array;
  splitPercent: Decimal[];
  /** Per filter of the FilterSet: 1 where the deal passes it. */
  passes: Uint8Array[];
}

export function prepareDeals(data: CanonicalData, org: Org, paidDeals: ReadonlySet<string>, tz: string, filters: FilterSet): PreparedDeals {
  const splitsByDeal = new Map<string, { rep: number; percent: Decimal; overlay: boolean }[]>();
  for (const s of data.splits) {
    const rep = org.index.get(s.repId);
    if (rep === undefined) continue;
    let list = splitsByDeal.get(s.dealId);
    if (!list) splitsByDeal.set(s.dealId, (list = []));
    const units = fastUnits(s.percent);
    list.push({ rep, percent: Number.isNaN(units) ? parseDecimal(s.percent)! : BigInt(units) * SPLIT, overlay: s.kind === 'overlay' });
  }
  const n = data.deals.length;
  const deals: Deal[] = [];
  const day = new Int32Array(n);
  const month = new Int32Array(n);
  const owner = new Int32Array(n);
  const known = new Uint8Array(n).fill(1);
  const hi = new Float64Array(n);
  const lo = new Float64Array(n);
  const big = new Map<number, Decimal>();
  const reversed = new Uint8Array(n);
  const reversedDay = new Float64Array(n);
  const splitStart = new Int32Array(n + 1);
  const splitRep: number[] = [];
  const splitPercent: Decimal[] = [];
  const predicates = filters.predicates;
  const passes = predicates.map(() => new Uint8Array(n));
  // A year has 365 close dates and a million deals: compute each date's day and month once.
  const dates = new Map<string, { day: number; month: number }>();
  let k = 0;
  for (const deal of data.deals) {
    const won = deal.stage === 'won' && !deal.deleted;
    const isReversed = !won && paidDeals.has(deal.id);
    if (!won && !isReversed) continue;
    const ownerIndex = org.index.get(deal.ownerId);
    if (ownerIndex === undefined) continue;
    let date = dates.get(deal.closeDate);
    if (!date) dates.set(deal.closeDate, (date = { day: dayOf(deal.closeDate), month: monthOfDate(deal.closeDate) }));
    deals.push(deal);
    for (let f = 0; f < predicates.length; f++) passes[f]![k] = predicates[f]!(deal) ? 1 : 0;
    day[k] = date.day;
    month[k] = date.month;
    owner[k] = ownerIndex;
    const units = fastUnits(deal.amount);
    if (Number.isNaN(units)) {
      const value = parseDecimal(deal.amount)!;
      const [h, l] = splitParts(value);
      hi[k] = h;
      lo[k] = l;
      if (Number.isNaN(h)) big.set(k, value);
    } else hi[k] = units;
    reversed[k] = isReversed ? 1 : 0;
    const changed = isReversed && deal.lastModified !== undefined ? businessDate(deal.lastModified, tz) : undefined;
    reversedDay[k] = changed === undefined ? NaN : dayOf(changed);
    const splits = splitsByDeal.get(deal.id);
    if (splits) {
      // Overlay splits only: the owner keeps 100 % of the revenue credit.
      if (!splits.some((s) => !s.overlay)) {
        splitRep.push(ownerIndex);
        splitPercent.push(HUNDRED);
      }
      for (const s of splits) {
        splitRep.push(s.rep);
        splitPercent.push(s.percent);
      }
    }
    splitStart[++k] = splitRep.length;
  }
  return {
    count: k,
    deals,
    day: day.subarray(0, k),
    month: month.subarray(0, k),
    owner: owner.subarray(0, k),
    amounts: { known: known.subarray(0, k), hi: hi.subarray(0, k), lo: lo.subarray(0, k), big },
    reversed: reversed.subarray(0, k),
    reversedDay: reversedDay.subarray(0, k),
    splitStart: splitStart.subarray(0, k + 1),
    splitRep: Int32Array.from(splitRep),
    splitPercent,
    passes: passes.map((p) => p.subarray(0, k)),
  };
}

/** `123456.78` → 1234567800 (units of 10^-4); NaN for anything with more decimals or too large. */
function fastUnits(text: string): number {
  let units = 0;
  let fraction = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fraction < 0) fraction = 0;
    else if (c >= 48 && c <= 57 && fraction < 4 && units < 1e14) {
      units = units * 10 + (c - 48);
      if (fraction >= 0) fraction++;
    } else return NaN;
  }
  for (let f = fraction < 0 ? 0 : fraction; f < 4; f++) units *= 10;
  return units;
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
  private readonly spill: Decimal[];

  constructor(size: number) {
    this.hi = new Float64Array(size);
    this.lo = new Float64Array(size);
    this.spill = new Array<Decimal>(size).fill(ZERO);
  }

  add(cell: number, hi: number, lo: number): void {
    const h = this.hi[cell]! + hi;
    const l = this.lo[cell]! + lo;
    if (h > SAFE || h < -SAFE || l > SAFE || l < -SAFE) {
      this.spill[cell] = this.spill[cell]! + BigInt(this.hi[cell]!) * SPLIT + BigInt(this.lo[cell]!) + BigInt(hi) * SPLIT + BigInt(lo);
      this.hi[cell] = 0;
      this.lo[cell] = 0;
    } else {
      this.hi[cell] = h;
      this.lo[cell] = l;
    }
  }

  addDecimal(cell: number, value: Decimal): void {
    const hi = value / SPLIT;
    if (hi > SAFE_BIG || hi < -SAFE_BIG) this.spill[cell] = this.spill[cell]! + value;
    else this.add(cell, Number(hi), Number(value - hi * SPLIT));
  }

  get(cell: number): Decimal {
    const hi = this.hi[cell]!;
    const lo = this.lo[cell]!;
    const spill = this.spill[cell]!;
    if (hi === 0 && lo === 0) return spill;
    return BigInt(hi) * SPLIT + BigInt(lo) + spill;
  }
}

/** Splits a value into the (hi, lo) parts CellSums adds; hi is NaN when it is too large for a double. */
export function splitParts(value: Decimal): [number, number] {
  const hi = value / SPLIT;
  if (hi > SAFE_BIG || hi < -SAFE_BIG) return [NaN, 0];
  return [Number(hi), Number(value - hi * SPLIT)];
}

/** Joins (hi, lo) parts back into a value. */
export function joinParts(hi: number, lo: number): Decimal {
  return BigInt(hi) * SPLIT + BigInt(lo);
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
  splitCreditDeal: number[];
  splitCredit: Decimal[];
  splitCreditPercent: Decimal[];
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

export function creditMeasure(ctx: CreditContext, name: string, measure: Measure, amounts: PlanAmounts, filter: number): MeasureCredit {
  const { org, deals, assignments, months, firstMonth, clawbackDays, asOfDay } = ctx;
  const cells = org.repIds.length * months;
  const own = new CellSums(cells);
  const below = new CellSums(cells);
  const throughReport = new CellSums(cells);
  const ownCells = new RefList();
  const splitCreditDeal: number[] = [];
  const splitCredit: Decimal[] = [];
  const splitCreditPercent: Decimal[] = [];
  const passes = filter >= 0 ? deals.passes[filter] : undefined;
  const bySplits = measure.credit === 'splits';
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
  // entries, so parallel arrays with a linear search beat a Map.
  const shareNode: number[] = [];
  const share: Decimal[] = [];
  const ownShare: Decimal[] = [];
  const addShare = (node: number, percent: Decimal, own: boolean) => {
    let k = shareNode.indexOf(node);
    if (k < 0) {
      k = shareNode.push(node) - 1;
      share.push(ZERO);
      ownShare.push(ZERO);
    }
    share[k] = share[k]! + percent;
    if (own) ownShare[k] = ownShare[k]! + percent;
  };
  const { day, month, owner: owners, splitStart, splitRep, splitPercent, reversed, reversedDay } = deals;
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
        for (let child = owner, node = parent[owner]!; node >= 0 && managerCount > 0; child = node, node = parent[node]!) {
          if (!isManager[node] || !covers(assigned[node], d)) continue;
          below.addDecimal(node * months + offset, amount);
          throughReport.addDecimal(child * months + offset, amount);
        }
      } else {
        if (ownerAssigned) own.add(owner * months + offset, hi, lo);
        for (let child = owner, node = parent[owner]!; node >= 0 && managerCount > 0; child = node, node = parent[node]!) {
          if (!isManager[node] || !covers(assigned[node], d)) continue;
          below.add(node * months + offset, hi, lo);
          throughReport.add(child * months + offset, hi, lo);
        }
      }
      if (ownerAssigned) ownCells.push(owner * months + offset, i);
      continue;
    }

    if (passes && !passes[i]) continue;
    const amount = amountOf(amounts, i);
    shareNode.length = 0;
    share.length = 0;
    ownShare.length = 0;
    for (let sp = from; sp < to; sp++) {
      const rep = splitRep[sp]!;
      const percent = splitPercent[sp]!;
      if (covers(assigned[rep], d)) {
        const cell = rep * months + offset;
        const credit = percent === HUNDRED ? amount : percentOf(amount, percent);
        own.addDecimal(cell, credit);
        ownCells.push(cell, ~splitCredit.length);
        splitCreditDeal.push(i);
        splitCredit.push(credit);
        splitCreditPercent.push(percent);
      }
      if (managerCount === 0) continue;
      addShare(rep, percent, true);
      for (let node = parent[rep]!; node >= 0; node = parent[node]!) addShare(node, percent, false);
    }
    for (let k = 0; k < shareNode.length; k++) {
      const node = shareNode[k]!;
      const total = share[k]!;
      // What this node's subtree brings its manager (for the trace), and what lies below it.
      const manager = parent[node]!;
      if (manager >= 0 && isManager[manager] && covers(assigned[manager], d)) {
        throughReport.addDecimal(node * months + offset, capped(amount, total));
      }
      if (!isManager[node] || !covers(assigned[node], d)) continue;
      const belowPercent = total - ownShare[k]!;
      if (belowPercent > ZERO) below.addDecimal(node * months + offset, capped(amount, belowPercent));
    }
  }
  const { cellStart, refs } = ownCells.byCell(cells);
  return { name, rollup: measure.rollup, amounts, own, below, throughReport, cellStart, refs, splitCreditDeal, splitCredit, splitCreditPercent };
}

/** `percent` of `amount`, at most all of it: a team counts each deal at most once. */
function capped(amount: Decimal, percent: Decimal): Decimal {
  return percent >= HUNDRED ? amount : percentOf(amount, percent);
}

/** (cell, ref) pairs appended in deal order, then grouped by cell (a counting sort, stable). */
class RefList {
  private cells = new Int32Array(1024);
  private refs = new Int32Array(1024);
  private length = 0;

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
}

/** The credit behind a ref, and the split percent where it came from a split. */
export function creditOfRef(mc: MeasureCredit, ref: number): { credit: Decimal; percent: Decimal | undefined } {
  return ref >= 0
    ? { credit: amountOf(mc.amounts, ref), percent: undefined }
    : { credit: mc.splitCredit[~ref]!, percent: mc.splitCreditPercent[~ref] };
}
