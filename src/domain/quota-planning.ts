/**
 * Quota planning (docs/quota-planning.md): next year's company target spread top-down through the
 * manager tree, to reps by last year's bookings, equally or by territory potential, ramped from
 * each rep's hire date and split into quota periods by seasonality; the capacity the headcount can
 * carry; and a check of an existing quota file. Pure: the use case (jobs/quota-plan.ts) reads the
 * workspace and writes the file.
 *
 * Every split of an amount among people or periods is exact to the currency's minor unit by the
 * largest remainder method (`largestRemainder`), so every level and every period sums to its parent
 * to the cent.
 */
import {
  ONE,
  ZERO,
  divideHalfEven,
  formatDecimal,
  mulDiv,
  parseDecimal,
  percentOf,
  roundTo,
  type Decimal,
} from './decimal.js';
import { FxTable } from './fx.js';
import type { CanonicalData, Quota, Rep } from './model.js';
import { managerLoops } from './normalize.js';
import { dayOf, firstDayOfMonth, monthOfDate, type FiscalCalendar, type Period } from './periods.js';
import type { PeriodKind } from './plan.js';

export type QuotaMethod = 'history' | 'equal' | 'potential';
export type Seasonality = 'history' | 'flat';

/** Per rep id, the potential of the territories the rep holds (method `potential`), in base currency. */
export type RepPotential = ReadonlyMap<string, Decimal>;

/** The fiscal year planned: its label (`2027`), its 12 months and the quota periods in it. */
export interface PlanYear {
  label: string;
  /** First month (year × 12 + month − 1). */
  startMonth: number;
  startDay: number;
  endDay: number;
  periods: Period[];
}

export function planYear(calendar: FiscalCalendar, year: number, kind: PeriodKind): PlanYear {
  const whole = calendar.parse(String(year))!;
  return {
    label: whole.label,
    startMonth: whole.startMonth,
    startDay: whole.startDay,
    endDay: whole.endDay,
    periods: calendar.subPeriods(kind, whole),
  };
}

// ── Splitting exactly ────────────────────────────────────────────────────────────────────────────

/**
 * Splits `total` minor units (cents) in proportion to `weights` so that the parts sum to `total`
 * exactly: each part gets the whole units of its exact share, and the units left over go one each
 * to the largest remainders, ties to the earlier position (Hamilton's method). A zero weight never
 * gets a unit. All weights zero: all parts zero, which the callers avoid when `total` is not.
 */
export function largestRemainder(total: bigint, weights: readonly Decimal[]): bigint[] {
  const sum = weights.reduce((a, w) => a + (w > 0n ? w : 0n), 0n);
  if (sum === 0n) return weights.map(() => 0n);
  const parts: bigint[] = [];
  const remainders: { at: number; remainder: bigint }[] = [];
  let given = 0n;
  weights.forEach((weight, at) => {
    const w = weight > 0n ? weight : 0n;
    const part = (total * w) / sum;
    parts.push(part);
    given += part;
    remainders.push({ at, remainder: (total * w) % sum });
  });
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.at - b.at : a.remainder > b.remainder ? -1 : 1));
  for (let i = 0; given < total; i++, given++) parts[remainders[i]!.at]! += 1n;
  return parts;
}

const unitOf = (digits: number): bigint => 10n ** BigInt(10 - digits);

/** A Decimal split in minor units of `digits` decimals; `amount` must already be rounded to them. */
function splitAmount(amount: Decimal, weights: readonly Decimal[], digits: number): Decimal[] {
  const unit = unitOf(digits);
  return largestRemainder(amount / unit, weights).map((units) => units * unit);
}

// ── Ramp and capacity ────────────────────────────────────────────────────────────────────────────

/**
 * Parses `--ramp 0,0.25,0.5,0.75,1`: the share of a full quota a rep carries in the month of hire,
 * the month after, …; from the last value on it stays (so it must be 1). Undefined with the reason.
 */
export function parseRamp(text: string): { ramp: Decimal[] } | { problem: string } {
  const items = text.split(',').map((s) => s.trim());
  const ramp: Decimal[] = [];
  for (const [i, item] of items.entries()) {
    const value = parseDecimal(item);
    if (value === undefined)
      return { problem: `value ${i + 1} (${JSON.stringify(item)}) is not a decimal such as 0.25` };
    if (value < ZERO || value > ONE) return { problem: `value ${i + 1} (${item}) is not between 0 and 1` };
    ramp.push(value);
  }
  if (ramp[ramp.length - 1] !== ONE) {
    return { problem: 'the last value must be 1: a rep is fully ramped from that month on' };
  }
  return { ramp };
}

/** The share of a full quota `rep` carries in each month of the year (0 to 1, prorated by days). */
export function monthlyCapacity(
  rep: Pick<Rep, 'hireDate' | 'endDate'>,
  year: PlanYear,
  ramp: readonly Decimal[],
): Decimal[] {
  const hireDay = rep.hireDate === undefined ? undefined : dayOf(rep.hireDate);
  const hireMonth = rep.hireDate === undefined ? undefined : monthOfDate(rep.hireDate);
  const endDay = rep.endDate === undefined ? undefined : dayOf(rep.endDate);
  const capacity: Decimal[] = [];
  for (let m = year.startMonth; m < year.startMonth + 12; m++) {
    const first = firstDayOfMonth(m);
    const last = firstDayOfMonth(m + 1) - 1;
    const from = Math.max(first, hireDay ?? first);
    const to = Math.min(last, endDay ?? last);
    if (to < from) {
      capacity.push(ZERO);
      continue;
    }
    const ramped = hireMonth === undefined ? ONE : ramp[Math.min(m - hireMonth, ramp.length - 1)]!;
    capacity.push(mulDiv(ramped, BigInt(to - from + 1) * ONE, BigInt(last - first + 1) * ONE));
  }
  return capacity;
}

/** Full-quota rep-years in a year of monthly capacities: their sum ÷ 12. */
export function rampedHeadcount(capacity: readonly Decimal[]): Decimal {
  return divideHalfEven(
    capacity.reduce((a, c) => a + c, ZERO),
    12n,
  );
}

/** Whether the rep works any day of [fromDay, toDay]. */
function employedDuring(rep: Pick<Rep, 'hireDate' | 'endDate'>, fromDay: number, toDay: number): boolean {
  return (
    (rep.hireDate === undefined || dayOf(rep.hireDate) <= toDay) &&
    (rep.endDate === undefined || dayOf(rep.endDate) >= fromDay)
  );
}

// ── Last year's bookings ─────────────────────────────────────────────────────────────────────────

export interface Bookings {
  /** Per rep, the revenue credit of the won deals closed in the year, in base currency. */
  byRep: Map<string, Decimal>;
  /** Per month of the fiscal year (0 = its first month), every won deal's amount. */
  byMonth: Decimal[];
  total: Decimal;
}

/**
 * The won deals closed in `year` (not deleted), in base currency at the rate of the close date,
 * credited as revenue credit is: by the deal's revenue splits, or to its owner when it has none.
 */
export function bookingsOf(
  data: Pick<CanonicalData, 'deals' | 'splits' | 'fxRates'>,
  baseCurrency: string,
  year: PlanYear,
): Bookings {
  const fx = new FxTable(baseCurrency, data.fxRates);
  const splits = new Map<string, { repId: string; percent: Decimal }[]>();
  for (const s of data.splits) {
    if (s.kind !== 'revenue') continue;
    let list = splits.get(s.dealId);
    if (!list) splits.set(s.dealId, (list = []));
    list.push({ repId: s.repId, percent: parseDecimal(s.percent)! });
  }
  const byRep = new Map<string, Decimal>();
  const byMonth = new Array<Decimal>(12).fill(ZERO);
  let total = ZERO;
  const add = (repId: string, amount: Decimal) => byRep.set(repId, (byRep.get(repId) ?? ZERO) + amount);
  for (const deal of data.deals) {
    if (deal.stage !== 'won' || deal.deleted) continue;
    const day = dayOf(deal.closeDate);
    if (day < year.startDay || day > year.endDay) continue;
    const amount = fx.convert(parseDecimal(deal.amount)!, deal.currency, baseCurrency, day);
    if (amount === undefined) continue;
    byMonth[monthOfDate(deal.closeDate) - year.startMonth]! += amount;
    total += amount;
    const credit = splits.get(deal.id);
    if (credit) for (const s of credit) add(s.repId, percentOf(amount, s.percent));
    else add(deal.ownerId, amount);
  }
  return { byRep, byMonth, total };
}

// ── The tree ─────────────────────────────────────────────────────────────────────────────────────

/** A rep on the plan: in the tree, with the capacity and quota the plan gives them. */
export interface PlanNode {
  rep: Rep;
  /** Index of the manager among the nodes, or -1 at the top. */
  parent: number;
  reports: number[];
}

export interface TreeProblem {
  repId: string;
  reason: string;
}

/**
 * The reps on the plan (active, not gone before the year starts, hired before it ends), in file
 * order, as a tree. A rep whose manager chain leaves that tree (an unknown manager, a loop, a
 * manager not on the plan) is a problem: the plan would not know whose number the rep carries.
 */
export function planTree(reps: readonly Rep[], year: PlanYear): { nodes: PlanNode[]; problems: TreeProblem[] } {
  const byId = new Map<string, Rep>();
  for (const rep of reps) if (!byId.has(rep.id)) byId.set(rep.id, rep);
  const problems: TreeProblem[] = [];
  const onPlan = (rep: Rep) => rep.active && employedDuring(rep, year.startDay, year.endDay);
  const known = new Map<string, { managerId?: string | undefined }>();
  for (const rep of byId.values()) {
    if (rep.managerId !== undefined && !byId.has(rep.managerId)) {
      // Only the plan's reps matter: one who left years ago may keep a stale manager.
      if (onPlan(rep)) problems.push({ repId: rep.id, reason: `managerId ${rep.managerId} is not a known rep` });
      known.set(rep.id, {});
    } else known.set(rep.id, { managerId: rep.managerId });
  }
  for (const loop of managerLoops(known)) {
    for (const id of loop) {
      // A loop through a rep off the plan is reported below as a manager not on the plan.
      if (!loop.every((member) => onPlan(byId.get(member)!))) continue;
      problems.push({ repId: id, reason: `manager chain loops (${[...loop, loop[0]].join(' → ')})` });
    }
  }
  const nodes: PlanNode[] = [];
  const index = new Map<string, number>();
  for (const rep of byId.values()) {
    if (!onPlan(rep)) continue;
    index.set(rep.id, nodes.length);
    nodes.push({ rep, parent: -1, reports: [] });
  }
  for (const [i, node] of nodes.entries()) {
    const managerId = node.rep.managerId;
    if (managerId === undefined || !byId.has(managerId)) continue;
    const m = index.get(managerId);
    if (m === undefined) {
      const manager = byId.get(managerId)!;
      const why = !manager.active
        ? 'is not active'
        : manager.endDate !== undefined && dayOf(manager.endDate) < year.startDay
          ? `left on ${manager.endDate}`
          : `starts on ${manager.hireDate}`;
      problems.push({
        repId: node.rep.id,
        reason: `manager ${managerId} ${why}, so is not on the ${year.label} plan`,
      });
      continue;
    }
    node.parent = m;
    nodes[m]!.reports.push(i);
  }
  problems.sort((a, b) => (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0));
  return { nodes, problems };
}

/** Indexes of the nodes, parents before their reports (the order the target flows down). */
function topDown(nodes: readonly PlanNode[]): number[] {
  const order = nodes.flatMap((n, i) => (n.parent === -1 ? [i] : []));
  for (let k = 0; k < order.length; k++) order.push(...nodes[order[k]!]!.reports);
  return order;
}

// ── The plan ─────────────────────────────────────────────────────────────────────────────────────

export interface QuotaPlanInput {
  year: PlanYear;
  nodes: readonly PlanNode[];
  /** The company target, in base currency. */
  target: Decimal;
  method: QuotaMethod;
  /** Each split among reports totals the parent's quota × this (1 = none). */
  overassign: Decimal;
  /** Share of a full quota by month since hire (`parseRamp`); `[1]` = no ramp. */
  ramp: readonly Decimal[];
  seasonality: Seasonality;
  /** Last fiscal year's bookings (method and seasonality `history`). */
  lastYear: Bookings;
  /** Method `potential`: per rep, the potential of their territories. */
  potential?: RepPotential;
  /** Minor-unit digits of the base currency (2 for USD). */
  digits: number;
}

export interface PlannedQuota {
  repId: string;
  name: string;
  managerId: string | undefined;
  /** Carries a quota of their own (no reports on the plan); a manager's quota is their team's. */
  carrier: boolean;
  /** Full-quota rep-years (ramped, prorated from the start date); 0 for a manager. */
  rampedHeadcount: Decimal;
  annual: Decimal;
  /** By `year.periods`. */
  periods: Decimal[];
  /** Whether the rep works any day of each period. */
  employed: boolean[];
}

export interface QuotaPlan {
  year: string;
  periods: string[];
  target: Decimal;
  method: QuotaMethod;
  overassign: Decimal;
  ramp: readonly Decimal[];
  seasonality: Seasonality;
  /** Tree order (parents before reports). */
  quotas: PlannedQuota[];
}

/** A plan that cannot be made from these inputs (nobody to carry the target, no history to go by). */
export class QuotaPlanProblem extends Error {
  override readonly name = 'QuotaPlanProblem';
}

export function planQuotas(input: QuotaPlanInput): QuotaPlan {
  const { nodes, year, digits } = input;
  if (input.target <= ZERO) throw new QuotaPlanProblem('the target must be a positive amount');
  if (nodes.length === 0) throw new QuotaPlanProblem(`no rep is on the ${year.label} plan`);
  const season = seasonWeights(input);
  const seasonTotal = season.reduce((a, s) => a + s, ZERO);
  const capacity = nodes.map((n) => monthlyCapacity(n.rep, year, input.ramp));
  // The share of the year's (seasonal) selling a rep is there for, ramped: 1 for a full year.
  const effective = capacity.map((c) =>
    divideHalfEven(
      c.reduce((a, x, m) => a + x * season[m]!, 0n),
      seasonTotal,
    ),
  );
  const leafWeight = leafWeights(input, effective);
  const order = topDown(nodes);
  const weight = nodes.map(() => ZERO);
  for (const i of [...order].reverse()) {
    const node = nodes[i]!;
    weight[i] = node.reports.length === 0 ? leafWeight[i]! : node.reports.reduce((a, r) => a + weight[r]!, ZERO);
  }
  const roots = order.filter((i) => nodes[i]!.parent === -1);
  if (roots.reduce((a, r) => a + weight[r]!, ZERO) === ZERO) {
    throw new QuotaPlanProblem(
      input.method === 'history'
        ? `the reps on the ${year.label} plan booked nothing last year: use --method equal`
        : `no rep on the ${year.label} plan can carry a quota (none is on board, ramped above 0, in the year)`,
    );
  }

  // Annual quotas, top down.
  const annual = nodes.map(() => ZERO);
  const split = (amount: Decimal, among: readonly number[]) => {
    const parts = splitAmount(
      amount,
      among.map((i) => weight[i]!),
      digits,
    );
    among.forEach((i, k) => (annual[i] = parts[k]!));
  };
  const target = roundTo(input.target, digits);
  if (target <= ZERO) throw new QuotaPlanProblem(`the target rounds to 0 in the currency's ${digits} decimals`);
  if (roots.length === 1) annual[roots[0]!] = target;
  else split(overassigned(target, input), roots);
  for (const i of order) {
    const reports = nodes[i]!.reports;
    if (reports.length > 0) split(overassigned(annual[i]!, input), reports);
  }

  // Quota periods, bottom up: a carrier's by seasonality × capacity, a manager's in the shape of the team's.
  const periodAmounts: Decimal[][] = nodes.map(() => []);
  for (const i of [...order].reverse()) {
    const node = nodes[i]!;
    let shape: Decimal[];
    if (node.reports.length === 0) {
      shape = year.periods.map((p) => {
        let w = ZERO;
        for (let m = p.startMonth; m < p.startMonth + p.months; m++) {
          w += capacity[i]![m - year.startMonth]! * season[m - year.startMonth]!;
        }
        return w;
      });
      if (shape.every((w) => w === ZERO)) shape = year.periods.map(() => ONE);
    } else {
      shape = year.periods.map((_, p) => node.reports.reduce((a, r) => a + periodAmounts[r]![p]!, ZERO));
      if (shape.every((w) => w === ZERO)) shape = year.periods.map(() => ONE);
    }
    periodAmounts[i] = splitAmount(annual[i]!, shape, digits);
  }

  return {
    year: year.label,
    periods: year.periods.map((p) => p.label),
    target,
    method: input.method,
    overassign: input.overassign,
    ramp: input.ramp,
    seasonality: input.seasonality,
    quotas: order.map((i) => {
      const { rep, reports } = nodes[i]!;
      return {
        repId: rep.id,
        name: rep.name,
        managerId: nodes[i]!.parent === -1 ? undefined : nodes[nodes[i]!.parent]!.rep.id,
        carrier: reports.length === 0,
        rampedHeadcount: reports.length === 0 ? rampedHeadcount(capacity[i]!) : ZERO,
        annual: annual[i]!,
        periods: periodAmounts[i]!,
        employed: year.periods.map((p) => employedDuring(rep, p.startDay, p.endDay)),
      };
    }),
  };
}

/** What the reports of a quota share: the quota × the over-assignment, to the cent. */
function overassigned(amount: Decimal, input: QuotaPlanInput): Decimal {
  return roundTo(mulDiv(amount, input.overassign, ONE), input.digits);
}

/** Per month of the year, how much of the year's selling happens in it. */
function seasonWeights(input: QuotaPlanInput): Decimal[] {
  if (input.seasonality === 'flat') return new Array<Decimal>(12).fill(ONE);
  const shape = input.lastYear.byMonth.map((b) => (b > ZERO ? b : ZERO));
  if (shape.every((b) => b === ZERO)) {
    throw new QuotaPlanProblem('no won deals last year to take the seasonality from: use --seasonality flat');
  }
  return shape;
}

/**
 * What a carrier's share of the team's number is in proportion to, before the ramp: last year's
 * bookings (a rep who was not there all of last year counts as the mean of those who were), 1
 * each, or their territories' potential; times the rep's effective capacity this year.
 */
function leafWeights(input: QuotaPlanInput, effective: readonly Decimal[]): Decimal[] {
  const { nodes, method } = input;
  if (method === 'equal') return [...effective];
  if (method === 'potential') {
    const potential = input.potential;
    if (!potential) throw new QuotaPlanProblem('--method potential needs each rep’s territory potential');
    return nodes.map((n, i) => mulDiv(clamp(potential.get(n.rep.id) ?? ZERO), effective[i]!, ONE));
  }
  const lastYearFirstDay = firstDayOfMonth(input.year.startMonth - 12);
  const tenured = (rep: Rep) => rep.hireDate === undefined || dayOf(rep.hireDate) <= lastYearFirstDay;
  const history = nodes.map((n) => clamp(input.lastYear.byRep.get(n.rep.id) ?? ZERO));
  const tenuredCarriers = nodes.flatMap((n, i) => (n.reports.length === 0 && tenured(n.rep) ? [i] : []));
  const mean =
    tenuredCarriers.length === 0
      ? ZERO
      : divideHalfEven(
          tenuredCarriers.reduce((a, i) => a + history[i]!, ZERO),
          BigInt(tenuredCarriers.length),
        );
  return nodes.map((n, i) => mulDiv(tenured(n.rep) ? history[i]! : mean, effective[i]!, ONE));
}

const clamp = (d: Decimal): Decimal => (d > ZERO ? d : ZERO);

/** The quotas.csv rows: every period a rep works in or has a quota for, in tree then period order. */
export function quotaRows(plan: QuotaPlan, digits: number): Quota[] {
  return plan.quotas.flatMap((q) =>
    plan.periods.flatMap((period, p) =>
      q.employed[p] || q.periods[p]! !== ZERO
        ? [{ repId: q.repId, period, amount: formatDecimal(q.periods[p]!, digits) }]
        : [],
    ),
  );
}

// ── Summary ──────────────────────────────────────────────────────────────────────────────────────

export interface TeamSummary {
  managerId: string;
  name: string;
  quota: Decimal;
  /** The direct reports' quotas together. */
  reportsTotal: Decimal;
  /** Carriers anywhere below the manager, and their full-quota rep-years. */
  carriers: number;
  rampedHeadcount: Decimal;
}

export interface QuotaSummary {
  year: string;
  target: Decimal | undefined;
  /** The carriers' quotas together: what the reps are asked to sell. */
  carriersTotal: Decimal;
  /** carriersTotal ÷ target (1.1 = 110 %); undefined without a target. */
  coverage: Decimal | undefined;
  carriers: number;
  rampedHeadcount: Decimal;
  byPeriod: { period: string; amount: Decimal }[];
  teams: TeamSummary[];
}

/** The summary of quotas given in tree order (parents before reports): a plan's, or a file's being checked. */
export function summarize(
  year: string,
  periods: readonly string[],
  quotas: readonly PlannedQuota[],
  target: Decimal | undefined,
): QuotaSummary {
  const carriers = quotas.filter((q) => q.carrier);
  const carriersTotal = carriers.reduce((a, q) => a + q.annual, ZERO);
  const below = new Map<string, { carriers: number; ramped: Decimal; reportsTotal: Decimal }>();
  for (const q of quotas) below.set(q.repId, { carriers: 0, ramped: ZERO, reportsTotal: ZERO });
  const byId = new Map(quotas.map((q) => [q.repId, q]));
  for (const q of carriers) {
    for (let m = q.managerId; m !== undefined; m = byId.get(m)?.managerId) {
      const team = below.get(m);
      if (!team) break;
      team.carriers++;
      team.ramped += q.rampedHeadcount;
    }
  }
  for (const q of quotas) if (q.managerId !== undefined) below.get(q.managerId)!.reportsTotal += q.annual;
  return {
    year,
    target,
    carriersTotal,
    coverage: target === undefined ? undefined : divideHalfEven(carriersTotal * ONE, target),
    carriers: carriers.length,
    rampedHeadcount: carriers.reduce((a, q) => a + q.rampedHeadcount, ZERO),
    byPeriod: periods.map((period, p) => ({ period, amount: carriers.reduce((a, q) => a + q.periods[p]!, ZERO) })),
    teams: quotas
      .filter((q) => !q.carrier)
      .map((q) => {
        const team = below.get(q.repId)!;
        return {
          managerId: q.repId,
          name: q.name,
          quota: q.annual,
          reportsTotal: team.reportsTotal,
          carriers: team.carriers,
          rampedHeadcount: team.ramped,
        };
      }),
  };
}

// ── Checking a quota file ────────────────────────────────────────────────────────────────────────

export interface QuotaFinding {
  repId: string;
  reason: string;
}

/**
 * A ramping carrier's period quota above this × their ramp in the period × the median quota of the
 * fully ramped carriers in that period is flagged: a new hire given a full number.
 */
export const LOADED_FACTOR = parseDecimal('1.5')!;

/**
 * An existing quota file against the year's tree: the summary (coverage of the target, per team)
 * and what looks wrong: quotas for reps not on the plan or in periods they do not work, carriers
 * without a quota, managers whose reports carry less than they do, and quotas out of line with
 * the ramp (`unrampedQuotas`).
 */
export function checkQuotas(input: {
  year: PlanYear;
  calendar: FiscalCalendar;
  nodes: readonly PlanNode[];
  quotas: readonly Quota[];
  ramp: readonly Decimal[];
  target?: Decimal;
}): { summary: QuotaSummary; findings: QuotaFinding[] } {
  const { year, nodes } = input;
  const periodIndex = new Map(year.periods.map((p, i) => [p.label, i]));
  const nodeIndex = new Map(nodes.map((n, i) => [n.rep.id, i]));
  const findings: QuotaFinding[] = [];
  const amounts = nodes.map(() => year.periods.map(() => ZERO));
  const hasQuota = nodes.map(() => false);
  const kind = year.periods[0]!.kind;
  for (const q of input.quotas) {
    const p = periodIndex.get(q.period);
    if (p === undefined) {
      const other = input.calendar.parse(q.period);
      if (other && other.startDay >= year.startDay && other.endDay <= year.endDay) {
        findings.push({
          repId: q.repId,
          reason: `has a quota for ${q.period}, which is not a ${kind} (--periods ${kind})`,
        });
      }
      continue;
    }
    const i = nodeIndex.get(q.repId);
    if (i === undefined) {
      findings.push({ repId: q.repId, reason: `has a quota for ${q.period} but is not on the ${year.label} plan` });
      continue;
    }
    const period = year.periods[p]!;
    const rep = nodes[i]!.rep;
    const amount = parseDecimal(q.amount)!;
    if (amount !== ZERO && !employedDuring(rep, period.startDay, period.endDay)) {
      findings.push({
        repId: q.repId,
        reason:
          rep.hireDate !== undefined && dayOf(rep.hireDate) > period.endDay
            ? `has a quota for ${q.period}, before the hire date ${rep.hireDate}`
            : `has a quota for ${q.period}, after the end date ${rep.endDate}`,
      });
    }
    amounts[i]![p]! += amount;
    hasQuota[i] = true;
  }
  const order = topDown(nodes);
  const capacities: Decimal[][] = [];
  const quotas: PlannedQuota[] = order.map((i) => {
    const { rep, reports, parent } = nodes[i]!;
    const capacity = monthlyCapacity(rep, year, input.ramp);
    capacities.push(capacity);
    return {
      repId: rep.id,
      name: rep.name,
      managerId: parent === -1 ? undefined : nodes[parent]!.rep.id,
      carrier: reports.length === 0,
      rampedHeadcount: reports.length === 0 ? rampedHeadcount(capacity) : ZERO,
      annual: amounts[i]!.reduce((a, x) => a + x, ZERO),
      periods: amounts[i]!,
      employed: year.periods.map((p) => employedDuring(rep, p.startDay, p.endDay)),
    };
  });
  const summary = summarize(
    year.label,
    year.periods.map((p) => p.label),
    quotas,
    input.target,
  );
  for (const [k, q] of quotas.entries()) {
    if (q.carrier && q.rampedHeadcount > ZERO && !hasQuota[order[k]!]) {
      findings.push({ repId: q.repId, reason: `carries no quota in ${year.label}` });
    }
  }
  for (const team of summary.teams) {
    if (team.reportsTotal < team.quota) {
      findings.push({
        repId: team.managerId,
        reason: `the reports' quotas total ${formatDecimal(team.reportsTotal)}, less than the manager's ${formatDecimal(team.quota)}`,
      });
    }
  }
  findings.push(...unrampedQuotas(year, quotas, capacities));
  findings.sort((a, b) => (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0));
  return { summary, findings };
}

/**
 * Ramping carriers whose quota in a period does not follow their ramp: above LOADED_FACTOR × their
 * capacity in the period (the mean of its months) × the median quota of the fully ramped carriers
 * in that period.
 */
function unrampedQuotas(
  year: PlanYear,
  quotas: readonly PlannedQuota[],
  capacities: readonly Decimal[][],
): QuotaFinding[] {
  const findings: QuotaFinding[] = [];
  year.periods.forEach((period, p) => {
    const share = capacities.map((c) => {
      let sum = ZERO;
      for (let m = period.startMonth; m < period.startMonth + period.months; m++) sum += c[m - year.startMonth]!;
      return divideHalfEven(sum, BigInt(period.months));
    });
    const full = quotas
      .filter((q, k) => q.carrier && share[k] === ONE && q.periods[p]! > ZERO)
      .map((q) => q.periods[p]!)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (full.length === 0) return;
    const median = full[Math.floor((full.length - 1) / 2)]!;
    quotas.forEach((q, k) => {
      if (!q.carrier || share[k] === ONE || q.periods[p]! === ZERO) return;
      const limit = mulDiv(mulDiv(median, share[k]!, ONE), LOADED_FACTOR, ONE);
      if (q.periods[p]! > limit) {
        findings.push({
          repId: q.repId,
          reason: `quota ${formatDecimal(q.periods[p]!)} in ${period.label} while ramped to ${formatDecimal(share[k]!, 2)} of a full period: more than ${formatDecimal(LOADED_FACTOR)} × that share of the fully ramped reps' median ${formatDecimal(median)}`,
        });
      }
    });
  });
  return findings;
}

// ── Capacity ─────────────────────────────────────────────────────────────────────────────────────

export interface CapacityGroup {
  headcount: number;
  rampedHeadcount: Decimal;
  /** productivity × ramped headcount, to the cent. */
  bookings: Decimal;
}

export interface Capacity {
  year: string;
  productivity: Decimal;
  /** Carriers hired on or before `today` (or with no hire date). */
  current: CapacityGroup;
  /** Carriers hired after `today`: the hires already in reps.csv. */
  planned: CapacityGroup;
  bookings: Decimal;
  target: Decimal | undefined;
  /** target − bookings, when there is a target. */
  gap: Decimal | undefined;
  /** One more hire starting on `hiresStart`, ramped. */
  perHire: { start: string; rampedHeadcount: Decimal; bookings: Decimal };
  /** Hires (starting on `hiresStart`) to close the gap; 0 without one, undefined when a hire carries nothing. */
  hiresNeeded: number | undefined;
}

/**
 * What the carriers on the year's plan can sell, each at `productivity` a full-quota year, ramped
 * and prorated from their start; against a target, the gap and the hires it takes, each hire
 * assumed to start on `hiresStart` and ramp like any other.
 */
export function capacityOf(input: {
  year: PlanYear;
  nodes: readonly PlanNode[];
  ramp: readonly Decimal[];
  productivity: Decimal;
  target?: Decimal;
  today: string;
  hiresStart: string;
  digits: number;
}): Capacity {
  const { year, productivity, digits } = input;
  const group = (reps: readonly Pick<Rep, 'hireDate' | 'endDate'>[]): CapacityGroup => {
    const ramped = reps.reduce((a, r) => a + rampedHeadcount(monthlyCapacity(r, year, input.ramp)), ZERO);
    return {
      headcount: reps.length,
      rampedHeadcount: ramped,
      bookings: roundTo(mulDiv(productivity, ramped, ONE), digits),
    };
  };
  const carriers = input.nodes.filter((n) => n.reports.length === 0).map((n) => n.rep);
  const current = group(carriers.filter((r) => r.hireDate === undefined || r.hireDate <= input.today));
  const planned = group(carriers.filter((r) => r.hireDate !== undefined && r.hireDate > input.today));
  const hire = group([{ hireDate: input.hiresStart }]);
  const bookings = current.bookings + planned.bookings;
  const gap = input.target === undefined ? undefined : input.target - bookings;
  let hiresNeeded: number | undefined = 0;
  if (gap !== undefined && gap > ZERO) {
    hiresNeeded = hire.bookings === ZERO ? undefined : Number((gap + hire.bookings - 1n) / hire.bookings);
  }
  return {
    year: year.label,
    productivity,
    current,
    planned,
    bookings,
    target: input.target,
    gap,
    perHire: { start: input.hiresStart, rampedHeadcount: hire.rampedHeadcount, bookings: hire.bookings },
    hiresNeeded,
  };
}
