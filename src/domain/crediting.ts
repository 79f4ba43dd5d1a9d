/**
 * Crediting (SPEC §3 "Credit"): every won deal adds its credit, in plan currency, to a
 * (rep, month) cell of each measure — the rep's own credit, and for each manager above, the credit
 * of everyone below them, each deal counted at most once (at most 100 % of its amount).
 */
import { ONE, ZERO, parseDecimal, percentOf, type Decimal } from './decimal.js';
import type { CanonicalData, Deal } from './model.js';
import { covers, type Org } from './org.js';
import { businessDate, dayOf, monthOfDate } from './periods.js';
import type { Measure } from './plan.js';
import { compileWhere } from './where.js';

export interface SplitShare {
  rep: number;
  percent: Decimal;
  overlay: boolean;
}

/** A deal as the crediting loop reads it: parsed once, shared by every plan. */
export interface PreparedDeal {
  deal: Deal;
  day: number;
  month: number;
  amount: Decimal;
  owner: number;
  /** Undefined when the deal has no splits. */
  splits: SplitShare[] | undefined;
  /** Lost or deleted, but paid in a locked period: counts only where the clawback window has passed. */
  reversed: boolean;
  /** The day it turned lost or was deleted (its lastModified), undefined when unknown. */
  reversedDay: number | undefined;
}

const HUNDRED = 100n * ONE;

export function prepareDeals(data: CanonicalData, org: Org, paidDeals: ReadonlySet<string>, tz: string): PreparedDeal[] {
  const splitsByDeal = new Map<string, SplitShare[]>();
  for (const s of data.splits) {
    const rep = org.index.get(s.repId);
    if (rep === undefined) continue;
    let list = splitsByDeal.get(s.dealId);
    if (!list) splitsByDeal.set(s.dealId, (list = []));
    list.push({ rep, percent: parseDecimal(s.percent)!, overlay: s.kind === 'overlay' });
  }
  // A year has 365 close dates and a million deals: compute each date's day and month once.
  const dates = new Map<string, { day: number; month: number }>();
  const prepared: PreparedDeal[] = [];
  for (const deal of data.deals) {
    const won = deal.stage === 'won' && !deal.deleted;
    const reversed = !won && paidDeals.has(deal.id);
    if (!won && !reversed) continue;
    const owner = org.index.get(deal.ownerId);
    if (owner === undefined) continue;
    let splits = splitsByDeal.get(deal.id);
    // Overlay splits only: the owner keeps 100 % of the revenue credit.
    if (splits && !splits.some((s) => !s.overlay)) splits = [{ rep: owner, percent: HUNDRED, overlay: false }, ...splits];
    let date = dates.get(deal.closeDate);
    if (!date) dates.set(deal.closeDate, (date = { day: dayOf(deal.closeDate), month: monthOfDate(deal.closeDate) }));
    const changed = reversed && deal.lastModified !== undefined ? businessDate(deal.lastModified, tz) : undefined;
    prepared.push({
      deal,
      day: date.day,
      month: date.month,
      amount: fastDecimal(deal.amount),
      owner,
      splits,
      reversed,
      reversedDay: changed === undefined ? undefined : dayOf(changed),
    });
  }
  return prepared;
}

/** parseDecimal for the common `123456.78` shape without building strings; falls back otherwise. */
function fastDecimal(text: string): Decimal {
  let units = 0;
  let fraction = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fraction < 0) fraction = 0;
    else if (c >= 48 && c <= 57 && units < 1e14) {
      units = units * 10 + (c - 48);
      if (fraction >= 0) fraction++;
    } else return parseDecimal(text)!;
  }
  if (fraction > 4) return parseDecimal(text)!;
  return BigInt(units) * SCALE_BY_FRACTION[fraction < 0 ? 0 : fraction]!;
}
const SCALE_BY_FRACTION = [ONE, ONE / 10n, ONE / 100n, ONE / 1000n, ONE / 10000n];

/** Credit of one measure of one plan, per (rep, month) cell: cell = rep × months + month offset. */
export interface MeasureCredit {
  name: string;
  rollup: boolean;
  /** Deal amounts in plan currency, by prepared-deal index. */
  amounts: readonly (Decimal | undefined)[];
  own: Decimal[];
  /** Credit of everyone below a manager, each deal counted at most once. */
  below: Decimal[];
  /**
   * Per cell, the rep's own credited deals: an entry ≥ 0 is a deal index credited in full; an
   * entry < 0 is ~k, an index into `splitCredits`.
   */
  ownRefs: (number[] | undefined)[];
  splitCredits: { deal: number; credit: Decimal; percent: Decimal }[];
  /** Per manager cell: credit through each direct report (by report slot). */
  belowByReport: (Decimal[] | undefined)[];
}

export interface CreditContext {
  org: Org;
  deals: readonly PreparedDeal[];
  /** Assignment intervals of this plan, per rep index. */
  assignments: ReadonlyMap<number, number[]>;
  firstMonth: number;
  months: number;
  clawbackDays: number | undefined;
  /** The calculation date: a reversal whose day is unknown happened on it. */
  asOfDay: number;
}

export function creditMeasure(ctx: CreditContext, name: string, measure: Measure, amounts: readonly (Decimal | undefined)[]): MeasureCredit {
  const { org, deals, assignments, months, firstMonth, clawbackDays, asOfDay } = ctx;
  const cells = org.repIds.length * months;
  const mc: MeasureCredit = {
    name,
    rollup: measure.rollup,
    amounts,
    own: new Array<Decimal>(cells).fill(ZERO),
    below: new Array<Decimal>(cells).fill(ZERO),
    ownRefs: new Array(cells),
    splitCredits: [],
    belowByReport: new Array(cells),
  };
  const where = compileWhere(measure.where);
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
  const share = new Map<number, Decimal>();
  const ownShare = new Map<number, Decimal>();

  for (let i = 0; i < deals.length; i++) {
    const amount = amounts[i];
    if (amount === undefined) continue;
    const d = deals[i]!;
    // A deal reversed inside the plan's clawback window is clawed back; after it, it stands.
    if (d.reversed && clawbackDays !== undefined && (d.reversedDay ?? asOfDay) - d.day <= clawbackDays) continue;
    const offset = d.month - firstMonth;
    const splits = bySplits ? d.splits : undefined;

    if (splits === undefined) {
      const owner = d.owner;
      const ownerAssigned = covers(assigned[owner], d.day);
      if (!ownerAssigned && managerCount === 0) continue;
      if (where && !where(d.deal)) continue;
      if (ownerAssigned) {
        const cell = owner * months + offset;
        mc.own[cell] = mc.own[cell]! + amount;
        (mc.ownRefs[cell] ??= []).push(i);
      }
      if (managerCount === 0) continue;
      for (let child = owner, node = parent[owner]!; node >= 0; child = node, node = parent[node]!) {
        if (!isManager[node] || !covers(assigned[node], d.day)) continue;
        addBelow(mc, org, node * months + offset, node, child, amount, amount);
      }
      continue;
    }

    if (where && !where(d.deal)) continue;
    share.clear();
    ownShare.clear();
    for (const s of splits) {
      if (covers(assigned[s.rep], d.day)) {
        const cell = s.rep * months + offset;
        const credit = s.percent === HUNDRED ? amount : percentOf(amount, s.percent);
        mc.own[cell] = mc.own[cell]! + credit;
        (mc.ownRefs[cell] ??= []).push(~mc.splitCredits.length);
        mc.splitCredits.push({ deal: i, credit, percent: s.percent });
      }
      if (managerCount === 0) continue;
      ownShare.set(s.rep, (ownShare.get(s.rep) ?? ZERO) + s.percent);
      for (let node = s.rep; node >= 0; node = parent[node]!) share.set(node, (share.get(node) ?? ZERO) + s.percent);
    }
    for (const [node, total] of share) {
      // What this node's subtree brings its manager (for the trace), and what lies below it.
      const manager = parent[node]!;
      if (manager >= 0 && isManager[manager] && covers(assigned[manager], d.day)) {
        const byReport = (mc.belowByReport[manager * months + offset] ??= new Array<Decimal>(org.reportCount[manager]!).fill(ZERO));
        const slot = org.reportSlot[node]!;
        byReport[slot] = byReport[slot]! + capped(amount, total);
      }
      if (!isManager[node] || !covers(assigned[node], d.day)) continue;
      const belowPercent = total - (ownShare.get(node) ?? ZERO);
      if (belowPercent <= ZERO) continue;
      const cell = node * months + offset;
      mc.below[cell] = mc.below[cell]! + capped(amount, belowPercent);
    }
  }
  return mc;
}

function addBelow(mc: MeasureCredit, org: Org, cell: number, node: number, child: number, credit: Decimal, childCredit: Decimal): void {
  mc.below[cell] = mc.below[cell]! + credit;
  const byReport = (mc.belowByReport[cell] ??= new Array<Decimal>(org.reportCount[node]!).fill(ZERO));
  const slot = org.reportSlot[child]!;
  byReport[slot] = byReport[slot]! + childCredit;
}

/** `percent` of `amount`, at most all of it: a team counts each deal at most once. */
function capped(amount: Decimal, percent: Decimal): Decimal {
  return percent >= HUNDRED ? amount : percentOf(amount, percent);
}

/** Calls `visit` for each own credited deal of a cell. */
export function forEachOwnDeal(
  mc: MeasureCredit,
  cell: number,
  visit: (deal: number, credit: Decimal, percent: Decimal | undefined) => void,
): void {
  const refs = mc.ownRefs[cell];
  if (!refs) return;
  for (const ref of refs) {
    if (ref >= 0) visit(ref, mc.amounts[ref]!, undefined);
    else {
      const s = mc.splitCredits[~ref]!;
      visit(s.deal, s.credit, s.percent);
    }
  }
}
