/**
 * The deals as columns (docs/architecture.md#the-engines-input): what the engine reads of every
 * deal whatever the plan — won or not, its owner and split reps as rep indices, its split
 * percents, its amount as exact fixed-point parts, its currency as an index, its close day and
 * month — resolved once, in typed arrays.
 *
 * normalize() builds them while it checks the deals, which looks every owner and split rep up and
 * pairs every deal with its splits anyway, and ties them to the arrays of the data it returns
 * (dealColumnsOf); prepareDeals (crediting.ts) then only marks the deals a calculation credits and
 * evaluates its filters; the estimates (estimate.ts) select the open deals' rows too. Data without
 * them (built by a test, decoded from a stored run input) gets them from buildDealColumns, with the
 * same code: the results are the same either way.
 */
import { ONE, fastUnits, parseDecimal, type Decimal } from './decimal.js';
import type { CanonicalData, Deal, Rep, Split } from './model.js';
import { dayOf, monthOfDate } from './periods.js';

// The (hi, lo) parts of exact amounts in doubles, shared with the sums of crediting.ts (CellSums).
/** hi parts count units of 10^-4 (a hundredth of a cent): 10^6 units of the 10^-10 scale. */
export const SPLIT = ONE / 10_000n;
/** Largest magnitude a double holds exactly: 2^53 − 1 (minus headroom for one more addition). */
export const SAFE = Number.MAX_SAFE_INTEGER / 2;
export const SAFE_BIG = BigInt(Math.floor(SAFE));
/** 100 % as a double counting units of 10^-10 (percents are held so: exact integers below 2^53). */
export const HUNDRED_UNITS = Number(100n * ONE);
/** A fastUnits unit (10^-4) in units of 10^-10, and the most fastUnits units that stay exact so. */
export const FAST_UNIT = 1e6;
const MAX_FAST_PERCENT = Math.floor(Number.MAX_SAFE_INTEGER / FAST_UNIT);
export const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

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

/** Who a deal credits besides its owner: entries splitStart[i] … splitStart[i+1] − 1 of deal i. */
export interface SplitColumns {
  splitStart: Int32Array;
  splitRep: Int32Array;
  /** Percents in units of 10^-10 (an exact integer double); NaN when too large, then splitPercentBig holds it. */
  splitPercent: Float64Array;
  splitPercentBig: Map<number, Decimal>;
}

/** Deals in columns: row r is deals[r]. */
export interface DealColumns extends SplitColumns {
  count: number;
  deals: readonly Deal[];
  /** 1 where the deal is won and not deleted. */
  won: Uint8Array;
  /** The owner's rep index (its position in data.reps, as buildOrg numbers reps). */
  owner: Int32Array;
  day: Int32Array;
  month: Int32Array;
  /** An index into `currencies`. */
  currency: Int32Array;
  currencies: string[];
  /** The amount as (hi, lo) parts (see CellSums in crediting.ts); hi NaN when too large, then amountBig holds it. */
  amountHi: Float64Array;
  amountLo: Float64Array;
  amountBig: Map<number, Decimal>;
  /**
   * Splits of row r (their reps as rep indices; an overlay-only deal's owner first, with 100 %):
   * entries splitStart[r] … splitStart[r+1] − 1; none, the owner has it all.
   */
  splitStart: Int32Array;
}

/**
 * The columns normalize() built, by the reps array of the data it returned (a fresh one each time:
 * the columns hold indices into it), with the deals and splits arrays they were built from and
 * the lengths of all three. A copy of that data with other quotas or assignments, as a plan
 * diff's side is, keeps them.
 */
const attached = new WeakMap<
  readonly Rep[],
  { columns: DealColumns; splits: readonly Split[]; splitCount: number; repCount: number }
>();

/** Ties `columns`, built from exactly the deals, splits and reps of `data`, to those arrays. */
export function attachDealColumns(data: CanonicalData, columns: DealColumns): void {
  const { splits, reps } = data;
  attached.set(reps, { columns, splits, splitCount: splits.length, repCount: reps.length });
}

/**
 * The columns normalize() built for data holding the very deals, splits and reps arrays of `data`,
 * at the same lengths; undefined for any other (then buildDealColumns builds them).
 */
export function dealColumnsOf(data: CanonicalData): DealColumns | undefined {
  const entry = attached.get(data.reps);
  if (!entry) return undefined;
  const { columns } = entry;
  const same =
    columns.deals === data.deals &&
    columns.count === data.deals.length &&
    entry.splits === data.splits &&
    entry.splitCount === data.splits.length &&
    entry.repCount === data.reps.length;
  return same ? columns : undefined;
}

/**
 * The columns of the deals of `data` that `keep` accepts and whose owner `repIndex` knows (every
 * deal, in normalized data), in their order; splits to reps it does not know are left out.
 */
export function buildDealColumns(
  data: CanonicalData,
  repIndex: ReadonlyMap<string, number>,
  keep: (deal: Deal) => boolean,
): DealColumns {
  const { deals, splits } = data;
  const dealSplits = splitsOfDeals(data);
  const builder = new DealColumnsBuilder(deals.length, splits.length + (deals.length >> 4) + 16);
  const reps: number[] = [];
  const credited: Split[] = [];
  // Sized once, trimmed at the end: growing a million-entry array copies it over and over.
  const kept = new Array<Deal>(deals.length);
  let rows = 0;
  for (let j = 0; j < deals.length; j++) {
    const deal = deals[j]!;
    if (!keep(deal)) continue;
    const owner = repIndex.get(deal.ownerId);
    if (owner === undefined) continue;
    const row = rows++;
    builder.deal(row, deal, owner, builder.currencyIndex(deal.currency));
    let count = 0;
    for (let x = dealSplits.start[j]!; x < dealSplits.start[j + 1]!; x++) {
      const split = splits[dealSplits.order[x]!]!;
      const rep = repIndex.get(split.repId);
      if (rep === undefined) continue;
      reps[count] = rep;
      credited[count++] = split;
    }
    if (count > 0) builder.splits(row, reps, credited, count);
    kept[row] = deal;
  }
  kept.length = rows;
  return builder.build(kept);
}

/**
 * Writes columns row by row: each row's deal (deal()), then, rows in order, the splits of those
 * that have some (splits()). Sized for `capacity` rows and `splitCapacity` split entries (callers
 * give every split plus an owner's entry per 16 deals, for overlay-only deals); grows the split
 * entries in the rare case that is not enough. Numbers only, no object per deal or split:
 * long-lived fresh heap objects would make every young-generation GC trace and copy them all.
 */
export class DealColumnsBuilder {
  private readonly won: Uint8Array;
  private readonly owner: Int32Array;
  private readonly day: Int32Array;
  private readonly month: Int32Array;
  private readonly currency: Int32Array;
  private readonly hi: Float64Array;
  private readonly lo: Float64Array;
  private big = new Map<number, Decimal>();
  private readonly currencies: string[] = [];
  private readonly currencyIndexes = new Map<string, number>();
  /** A year has 365 close dates and a million deals: each date's day and month is computed once. */
  private readonly dates = new Map<string, { day: number; month: number }>();
  private readonly splitStart: Int32Array;
  private splitRep: Int32Array;
  private splitPercent: Float64Array;
  private readonly splitPercentBig = new Map<number, Decimal>();
  private entries = 0;
  private rows = 0;

  constructor(capacity: number, splitCapacity: number) {
    this.won = new Uint8Array(capacity);
    this.owner = new Int32Array(capacity);
    this.day = new Int32Array(capacity);
    this.month = new Int32Array(capacity);
    this.currency = new Int32Array(capacity);
    this.hi = new Float64Array(capacity);
    this.lo = new Float64Array(capacity);
    this.splitStart = new Int32Array(capacity + 1);
    this.splitRep = new Int32Array(splitCapacity);
    this.splitPercent = new Float64Array(splitCapacity);
  }

  /** The index of a currency code in the columns' `currencies`, added when new. */
  currencyIndex(code: string): number {
    let c = this.currencyIndexes.get(code);
    if (c === undefined) this.currencyIndexes.set(code, (c = this.currencies.push(code) - 1));
    return c;
  }

  /** The index of a currency code added before, or undefined. */
  knownCurrency(code: string): number | undefined {
    return this.currencyIndexes.get(code);
  }

  /** Row `row` is `deal`, owned by rep index `owner`, in currency index `currency`. */
  deal(row: number, deal: Deal, owner: number, currency: number): void {
    this.won[row] = deal.stage === 'won' && !deal.deleted ? 1 : 0;
    this.owner[row] = owner;
    this.currency[row] = currency;
    let date = this.dates.get(deal.closeDate);
    if (!date)
      this.dates.set(deal.closeDate, (date = { day: dayOf(deal.closeDate), month: monthOfDate(deal.closeDate) }));
    this.day[row] = date.day;
    this.month[row] = date.month;
    const units = fastUnits(deal.amount);
    if (Number.isNaN(units)) {
      const value = parseDecimal(deal.amount)!;
      const [h, l] = splitParts(value);
      this.hi[row] = h;
      this.lo[row] = l;
      if (Number.isNaN(h)) this.big.set(row, value);
    } else this.hi[row] = units; // lo stays 0 as allocated: memory never written costs next to nothing.
    if (row >= this.rows) this.rows = row + 1;
  }

  /**
   * Keeps the rows whose `drop` flag is 0, in order (before any splits() call): for rows written
   * as records came in, some rejected later.
   */
  dropRows(drop: Uint8Array): void {
    const big = new Map<number, Decimal>();
    let k = 0;
    for (let r = 0; r < this.rows; r++) {
      if (drop[r]) continue;
      this.won[k] = this.won[r]!;
      this.owner[k] = this.owner[r]!;
      this.currency[k] = this.currency[r]!;
      this.day[k] = this.day[r]!;
      this.month[k] = this.month[r]!;
      this.hi[k] = this.hi[r]!;
      this.lo[k] = this.lo[r]!;
      if (Number.isNaN(this.hi[r]!)) big.set(k, this.big.get(r)!);
      k++;
    }
    this.big = big;
    this.rows = k;
  }

  /**
   * The splits of row `row` (after those of every earlier row): `count` of them, to rep indices
   * `reps`. Overlay splits only: the owner keeps 100 % of the revenue credit, an entry first.
   */
  splits(row: number, reps: readonly number[], splits: readonly Split[], count: number): void {
    let revenue = false;
    for (let x = 0; x < count; x++) if (splits[x]!.kind !== 'overlay') revenue = true;
    if (this.entries + count + 1 > this.splitRep.length) {
      this.splitRep = grown(this.splitRep, this.entries + count + 1);
      this.splitPercent = grown(this.splitPercent, this.splitRep.length);
    }
    let entries = this.entries;
    if (count > 0 && !revenue) {
      this.splitRep[entries] = this.owner[row]!;
      this.splitPercent[entries++] = HUNDRED_UNITS;
    }
    for (let x = 0; x < count; x++) {
      const text = splits[x]!.percent;
      const units = fastUnits(text);
      if (Number.isNaN(units) || units > MAX_FAST_PERCENT) {
        const value = parseDecimal(text)!;
        const exact = value <= MAX_SAFE_BIG && value >= -MAX_SAFE_BIG;
        if (!exact) this.splitPercentBig.set(entries, value);
        this.splitPercent[entries] = exact ? Number(value) : NaN;
      } else this.splitPercent[entries] = units * FAST_UNIT;
      this.splitRep[entries++] = reps[x]!;
    }
    this.entries = entries;
    this.splitStart[row + 1] = entries;
  }

  /** The columns of rows 0 … deals.length − 1, `deals` their deals. */
  build(deals: readonly Deal[]): DealColumns {
    const n = deals.length;
    const { splitStart } = this;
    // Rows without splits start where the row before them ends.
    for (let r = 1; r <= n; r++) if (splitStart[r]! < splitStart[r - 1]!) splitStart[r] = splitStart[r - 1]!;
    return {
      count: n,
      deals,
      won: this.won.subarray(0, n),
      owner: this.owner.subarray(0, n),
      day: this.day.subarray(0, n),
      month: this.month.subarray(0, n),
      currency: this.currency.subarray(0, n),
      currencies: this.currencies,
      amountHi: this.hi.subarray(0, n),
      amountLo: this.lo.subarray(0, n),
      amountBig: this.big,
      splitStart: splitStart.subarray(0, n + 1),
      splitRep: this.splitRep.subarray(0, this.entries),
      splitPercent: this.splitPercent.subarray(0, this.entries),
      splitPercentBig: this.splitPercentBig,
    };
  }
}

/** `array` copied into one of at least `size` entries (twice its length or more). */
function grown<T extends Int32Array | Float64Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, size));
  bigger.set(array);
  return bigger;
}

/**
 * The splits of each deal (by position in data.deals), in the order they appear in data.splits:
 * entries order[start[j]] … order[start[j+1] − 1].
 *
 * Sources list splits grouped by deal and mostly in deal order, and then one merge walk matches
 * them without looking a million deal ids up in a map. Any other order takes the map. Deal ids
 * are unique in normalized data (normalize rejects repeats), so each split group has one deal.
 */
function splitsOfDeals(data: CanonicalData): { start: Int32Array; order: Int32Array } {
  const { deals, splits } = data;
  const start = new Int32Array(deals.length + 1);
  let c = 0;
  for (let j = 0; j < deals.length && c < splits.length; j++) {
    const id = deals[j]!.id;
    while (c < splits.length && splits[c]!.dealId === id) c++;
    start[j + 1] = c;
  }
  if (c === splits.length) {
    // Every split matched, in order: order is the identity; fill the tail of start.
    for (let j = 1; j <= deals.length; j++) if (start[j]! < start[j - 1]!) start[j] = start[j - 1]!;
    const order = new Int32Array(splits.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return { start, order };
  }
  const byDeal = new Map<string, number[]>();
  splits.forEach((s, i) => {
    let list = byDeal.get(s.dealId);
    if (!list) byDeal.set(s.dealId, (list = []));
    list.push(i);
  });
  const order: number[] = [];
  for (let j = 0; j < deals.length; j++) {
    const list = byDeal.get(deals[j]!.id);
    if (list) for (const i of list) order.push(i);
    start[j + 1] = order.length;
  }
  return { start, order: Int32Array.from(order) };
}
