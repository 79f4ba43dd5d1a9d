/**
 * `attain diff` (docs/cli.md#attain-diff): what a plan change costs and whom it moves, from two
 * calculations of the same inputs, one under the base plans and one under the head plans. Pure:
 * the two results in, the comparison out; every amount an exact decimal string.
 *
 * Amounts are summed per payout line. When every plan of both sides pays in one currency, that
 * is the currency of the comparison; otherwise each rep's lines of a plan and payout period are
 * converted into the base currency at the rates in effect on the period's last day and rounded
 * once to its minor unit, so every total is the sum of the rows below it to the cent.
 */
import { ZERO, decimal, formatDecimal, type Decimal } from './decimal.js';
import { minorUnitDigits } from './currency.js';
import { AttainError } from './errors.js';
import type { AttainmentRow, PayoutLine } from './engine.js';
import { FxTable } from './fx.js';
import type { FxRate } from './model.js';
import { isoOfDay, type FiscalCalendar, type Period } from './periods.js';
import { planOn, type Component, type Plan } from './plan.js';
import { tieredAmount } from './rate-table.js';

/**
 * The comparison cannot be made: a revision or folder that does not exist or holds no plans, git
 * missing, a workspace never read, an amount with no exchange rate to convert it (exit 2).
 */
export class DiffError extends AttainError {
  override readonly name = 'DiffError';
  readonly code = 'DIFF_IMPOSSIBLE';
}

/** One side of the comparison: its plans and what a calculation under them gave. */
export interface DiffSide {
  /** What the side is: `HEAD`, `main~1`, `working tree`, a folder. */
  ref: string;
  plans: readonly Plan[];
  payouts: readonly PayoutLine[];
  attainment: readonly AttainmentRow[];
}

export interface DiffOptions {
  calendar: FiscalCalendar;
  baseCurrency: string;
  /** The inputs' exchange rates: only read when the plans pay in more than one currency. */
  fxRates: readonly FxRate[];
  /** Only payout periods inside it, and attainment of quota periods overlapping it. */
  period?: Pick<Period, 'startDay' | 'endDay'>;
}

export interface AmountChange {
  base: string;
  head: string;
  delta: string;
}

/** The attainment bands, as the JSON names them. */
export const BANDS = ['0-50', '50-75', '75-100', '100-125', '125+'] as const;
export type Band = (typeof BANDS)[number];

export interface Crossing {
  repId: string;
  planId: string;
  /** The quota period. */
  period: string;
  component: string;
  /** `gate`: the rate table's gate is met; `bonus`: the bonus threshold is reached; `cap`: the cap applies. */
  kind: 'gate' | 'bonus' | 'cap';
  base: boolean;
  head: boolean;
}

export interface PlanDiff {
  currency: string;
  base: { ref: string; total: string };
  head: { ref: string; total: string };
  delta: string;
  byPlan: ({ planId: string } & AmountChange)[];
  byPeriod: ({ period: string } & AmountChange)[];
  /** Largest change first (by its size), then by rep and plan id. */
  byRep: ({ repId: string; planId: string } & AmountChange)[];
  /** Per band, how many (rep, plan, quota period) fall in it; see attainmentOfPlan. */
  bands: Record<Band, { base: number; head: number }>;
  crossings: Crossing[];
}

export function diffPlans(base: DiffSide, head: DiffSide, options: DiffOptions): PlanDiff {
  const currencies = new Set([...base.plans, ...head.plans].map((p) => p.currency));
  const currency = currencies.size === 1 ? [...currencies][0]! : options.baseCurrency;
  const digits = minorUnitDigits(currency);
  const fx = currencies.size === 1 ? undefined : new FxTable(options.baseCurrency, options.fxRates);
  const inside = periodTest(options.calendar, options.period, 'inside');
  const overlaps = periodTest(options.calendar, options.period, 'overlaps');

  const baseCells = sumCells(base.payouts, inside, options.calendar, currency, fx);
  const headCells = sumCells(head.payouts, inside, options.calendar, currency, fx);

  const byPlan = new Map<string, [Decimal, Decimal]>();
  const byPeriod = new Map<string, [Decimal, Decimal]>();
  const byRep = new Map<string, [Decimal, Decimal]>();
  for (const plan of [...base.plans, ...head.plans]) if (!byPlan.has(plan.id)) byPlan.set(plan.id, [ZERO, ZERO]);
  const add = (map: Map<string, [Decimal, Decimal]>, key: string, side: 0 | 1, amount: Decimal) => {
    let pair = map.get(key);
    if (!pair) map.set(key, (pair = [ZERO, ZERO]));
    pair[side] += amount;
  };
  let baseTotal = ZERO;
  let headTotal = ZERO;
  for (const [side, cells] of [
    [0, baseCells],
    [1, headCells],
  ] as const) {
    for (const cell of cells.values()) {
      add(byPlan, cell.planId, side, cell.amount);
      add(byPeriod, cell.period, side, cell.amount);
      add(byRep, `${cell.repId}\u0000${cell.planId}`, side, cell.amount);
      if (side === 0) baseTotal += cell.amount;
      else headTotal += cell.amount;
    }
  }

  const change = ([b, h]: [Decimal, Decimal]): AmountChange => ({
    base: formatDecimal(b, digits),
    head: formatDecimal(h, digits),
    delta: formatDecimal(h - b, digits),
  });
  const abs = (d: Decimal) => (d < ZERO ? -d : d);
  const periodOrder = (label: string) => options.calendar.parse(label);

  return {
    currency,
    base: { ref: base.ref, total: formatDecimal(baseTotal, digits) },
    head: { ref: head.ref, total: formatDecimal(headTotal, digits) },
    delta: formatDecimal(headTotal - baseTotal, digits),
    byPlan: [...byPlan].map(([planId, pair]) => ({ planId, ...change(pair) })),
    byPeriod: [...byPeriod]
      .sort(([a], [b]) => {
        const pa = periodOrder(a);
        const pb = periodOrder(b);
        // In the order they are paid: by last day, a quarter after its months.
        return (pa?.endDay ?? 0) - (pb?.endDay ?? 0) || (pa?.months ?? 0) - (pb?.months ?? 0) || compare(a, b);
      })
      .map(([period, pair]) => ({ period, ...change(pair) })),
    byRep: [...byRep]
      .map(([key, pair]) => ({ key, pair, size: abs(pair[1] - pair[0]) }))
      .sort((a, b) => (a.size === b.size ? compare(a.key, b.key) : a.size > b.size ? -1 : 1))
      .map(({ key, pair }) => {
        const [repId, planId] = key.split('\u0000') as [string, string];
        return { repId, planId, ...change(pair) };
      }),
    bands: bands(base, head, overlaps, options.calendar),
    crossings: crossings(base, head, overlaps, options.calendar),
  };
}

interface Cell {
  repId: string;
  planId: string;
  period: string;
  amount: Decimal;
}

/**
 * A side's payout lines summed per rep, plan and payout period, in the comparison's currency. Lines
 * in another currency are summed in their own first and converted once per cell.
 */
function sumCells(
  lines: readonly PayoutLine[],
  inside: (label: string) => boolean,
  calendar: FiscalCalendar,
  currency: string,
  fx: FxTable | undefined,
): Map<string, Cell> {
  const cells = new Map<string, Cell & { from: string }>();
  for (const line of lines) {
    if (!inside(line.period)) continue;
    const key = `${line.repId}\u0000${line.planId}\u0000${line.period}\u0000${line.currency}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { repId: line.repId, planId: line.planId, period: line.period, amount: ZERO, from: line.currency };
      cells.set(key, cell);
    }
    cell.amount += decimal(line.amount);
  }
  if (!fx) return cells;
  const digits = minorUnitDigits(currency);
  const converted = new Map<string, Cell>();
  for (const cell of cells.values()) {
    const day = calendar.parse(cell.period)?.endDay ?? 0;
    const amount = fx.convert(cell.amount, cell.from, currency, day);
    if (amount === undefined) {
      // A draw or an adjustment can fall in a period before a currency's first rate.
      throw new DiffError(
        `${cell.repId}'s ${cell.planId} lines of ${cell.period} are in ${cell.from}, with no exchange rate in effect on the period's last day to convert them into ${currency}: add one to fx.csv`,
      );
    }
    const key = `${cell.repId}\u0000${cell.planId}\u0000${cell.period}`;
    const rounded = decimal(formatDecimal(amount, digits));
    const previous = converted.get(key);
    if (previous) previous.amount += rounded;
    else converted.set(key, { repId: cell.repId, planId: cell.planId, period: cell.period, amount: rounded });
  }
  return converted;
}

function periodTest(
  calendar: FiscalCalendar,
  period: Pick<Period, 'startDay' | 'endDay'> | undefined,
  how: 'inside' | 'overlaps',
): (label: string) => boolean {
  if (!period) return () => true;
  const seen = new Map<string, boolean>();
  return (label) => {
    let answer = seen.get(label);
    if (answer === undefined) {
      const p = calendar.parse(label);
      answer =
        p !== undefined &&
        (how === 'inside'
          ? p.startDay >= period.startDay && p.endDay <= period.endDay
          : p.startDay <= period.endDay && p.endDay >= period.startDay);
      seen.set(label, answer);
    }
    return answer;
  };
}

/**
 * The measure whose attainment places a rep in a band: that of the plan's first rate table, else
 * of its first component, else its first measure by name.
 */
export function bandMeasure(plan: Plan): string | undefined {
  const table = plan.components.find((c) => c.kind === 'rate-table') ?? plan.components[0];
  return table?.measure ?? Object.keys(plan.measures).sort()[0];
}

export function bandOf(attainment: Decimal): Band {
  if (attainment < decimal('0.5')) return '0-50';
  if (attainment < decimal('0.75')) return '50-75';
  if (attainment < decimal('1')) return '75-100';
  if (attainment < decimal('1.25')) return '100-125';
  return '125+';
}

/**
 * Each side's plan as it pays a quota period: a plan with dated versions pays each quota period by
 * the version in effect on its first day (docs/plans.md#changing-a-plan-mid-year).
 */
function planPaying(side: DiffSide, calendar: FiscalCalendar): (planId: string, period: string) => Plan | undefined {
  const plans = new Map(side.plans.map((p) => [p.id, p]));
  return (planId, period) => {
    const plan = plans.get(planId);
    const start = calendar.parse(period)?.startDay;
    return plan === undefined || start === undefined ? plan : planOn(plan, isoOfDay(start));
  };
}

function bands(
  base: DiffSide,
  head: DiffSide,
  overlaps: (label: string) => boolean,
  calendar: FiscalCalendar,
): Record<Band, { base: number; head: number }> {
  const counts = Object.fromEntries(BANDS.map((b) => [b, { base: 0, head: 0 }])) as Record<
    Band,
    { base: number; head: number }
  >;
  for (const [name, side] of [
    ['base', base],
    ['head', head],
  ] as const) {
    const paying = planPaying(side, calendar);
    for (const row of side.attainment) {
      if (row.attainment === undefined || !overlaps(row.period)) continue;
      const plan = paying(row.planId, row.period);
      if (plan === undefined || row.measure !== bandMeasure(plan)) continue;
      counts[bandOf(decimal(row.attainment))][name]++;
    }
  }
  return counts;
}

type Status = Map<string, boolean>;

/** The gates, bonus thresholds and caps whose outcome differs between the sides; absent on a side counts as not met. */
function crossings(
  base: DiffSide,
  head: DiffSide,
  overlaps: (label: string) => boolean,
  calendar: FiscalCalendar,
): Crossing[] {
  const before = statuses(base, overlaps, calendar);
  const after = statuses(head, overlaps, calendar);
  const found: Crossing[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(key) ?? false;
    const h = after.get(key) ?? false;
    if (b === h) continue;
    const [repId, planId, period, component, kind] = key.split('\u0000') as [
      string,
      string,
      string,
      string,
      Crossing['kind'],
    ];
    found.push({ repId, planId, period, component, kind, base: b, head: h });
  }
  return found.sort(
    (x, y) =>
      compare(x.repId, y.repId) ||
      compare(x.planId, y.planId) ||
      compare(x.period, y.period) ||
      compare(x.component, y.component) ||
      compare(x.kind, y.kind),
  );
}

/**
 * Each (rep, plan, quota period, component, kind) of a side with whether its gate is met, its bonus
 * reached or its cap applied at the end of the quota period (as far as calculated): the same
 * credit and quota the engine paid the period's last line on (src/domain/paying.ts).
 */
function statuses(side: DiffSide, overlaps: (label: string) => boolean, calendar: FiscalCalendar): Status {
  const status: Status = new Map();
  const paying = planPaying(side, calendar);
  for (const row of side.attainment) {
    if (!overlaps(row.period)) continue;
    const plan = paying(row.planId, row.period);
    if (!plan) continue;
    const attainment = row.attainment === undefined ? undefined : decimal(row.attainment);
    for (const c of plan.components) {
      if (c.measure !== row.measure) continue;
      const key = (kind: Crossing['kind']) =>
        `${row.repId}\u0000${row.planId}\u0000${row.period}\u0000${c.id}\u0000${kind}`;
      if (c.kind === 'bonus') {
        status.set(key('bonus'), attainment !== undefined && attainment >= decimal(c.attainmentAtLeast));
      } else if (c.kind === 'rate-table') {
        const gateMet = c.gate === undefined || (attainment !== undefined && attainment >= decimal(c.gate));
        if (c.gate !== undefined) status.set(key('gate'), gateMet);
        if (c.cap !== undefined) status.set(key('cap'), gateMet && uncapped(c, row) > decimal(c.cap));
      }
    }
  }
  return status;
}

/** What a rate table pays for a quota period before its cap (nothing without a quota on the attainment basis). */
function uncapped(c: Extract<Component, { kind: 'rate-table' }>, row: AttainmentRow): Decimal {
  const credit = decimal(row.credit);
  if (c.basis === 'attainment' && (row.quota === undefined || decimal(row.quota) === ZERO)) return ZERO;
  return tieredAmount(c, credit, row.quota === undefined ? ZERO : decimal(row.quota));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
