/**
 * Worked examples and the payout curve of a plan document (docs/plan-documents.md), computed by
 * the engine itself: a synthetic workspace of one rep with a quota, booking a given attainment in
 * one quota period, calculated with `calculate` like any other input. So the figures a rep reads
 * on the document are the figures the plan pays, never a second implementation of the rules.
 */
import { ZERO, decimal, divideHalfEven, formatDecimal, mul, parseDecimal, type Decimal } from './decimal.js';
import { calculate, type AttainmentRow, type CalculationInput, type PayoutLine } from './engine.js';
import type { Deal } from './model.js';
import { FiscalCalendar, isoOfDay } from './periods.js';
import type { Calendar, Plan, Where } from './plan.js';
import { explainLine, money } from './trace-words.js';
import { compileWhere } from './where.js';

/** The synthetic rep of every example. */
export const EXAMPLE_REP = 'example-rep';

export interface ExampleSetting {
  calendar: Calendar;
  /** The quota period the examples book in (a label of the plan's quotaPeriod kind: `2026-Q3`). */
  period: string;
  /** The example rep's quota for that period, in plan currency. */
  quota: string;
}

export interface ExampleComponent {
  component: string;
  /** The component's lines summed over the payout periods of the quota period. */
  amount: string;
  /**
   * The engine's words for the component's line (the quota period to date), after each payout
   * period's amount when it paid in several.
   */
  explanation: string;
}

export interface PlanExample {
  /** The attainment booked, a fraction of quota (`1.5`). */
  attainment: string;
  /** Credit booked in the quota period, in plan currency. */
  credit: string;
  /** One deal per payout period, closing on its last day. */
  deals: { id: string; closeDate: string; amount: string }[];
  /** The deals' fields chosen so that they count toward the measures (`type: New Business`). */
  dealFields: Record<string, string>;
  /** Each measure's attainment as the engine computed it. */
  measures: AttainmentRow[];
  components: ExampleComponent[];
  /** Every line of the period, draws included, summed: what the rep is paid for the quota period. */
  total: string;
  lines: PayoutLine[];
}

/** The one-rep input booking `attainment` × quota in the setting's quota period. */
export function exampleInput(plan: Plan, attainment: Decimal, setting: ExampleSetting): CalculationInput {
  const fiscal = new FiscalCalendar(setting.calendar.fiscalYearStartMonth);
  const quotaPeriod = fiscal.parse(setting.period);
  if (!quotaPeriod || quotaPeriod.kind !== plan.quotaPeriod)
    throw new RangeError(`${setting.period} is not a ${plan.quotaPeriod} (the quota period of plan ${plan.id})`);
  const payoutPeriods = fiscal.subPeriods(plan.payoutPeriod, quotaPeriod);
  const credit = mul(decimal(setting.quota), attainment);
  const fields = exampleDealFields(plan);
  const deals: Deal[] = [];
  if (credit !== ZERO) {
    // Even bookings: one deal per payout period, the last taking what dividing leaves over.
    const each = divideHalfEven(credit, BigInt(payoutPeriods.length));
    payoutPeriods.forEach((payout, i) => {
      const amount = i === payoutPeriods.length - 1 ? credit - each * BigInt(payoutPeriods.length - 1) : each;
      const { type, ...rest } = fields;
      deals.push({
        id: `example-${i + 1}`,
        name: `Example deal ${i + 1}`,
        ownerId: EXAMPLE_REP,
        amount: formatDecimal(amount),
        currency: plan.currency,
        closeDate: isoOfDay(payout.endDay),
        stage: 'won',
        ...(type === undefined ? {} : { type }),
        fields: rest,
        deleted: false,
      });
    });
  }
  return {
    calendar: setting.calendar,
    baseCurrency: plan.currency,
    plans: [plan],
    data: {
      reps: [{ id: EXAMPLE_REP, name: 'Example rep', email: '', active: true }],
      deals,
      splits: [],
      quotas: [{ repId: EXAMPLE_REP, period: quotaPeriod.label, amount: setting.quota }],
      assignments: [{ repId: EXAMPLE_REP, planId: plan.id, from: isoOfDay(quotaPeriod.startDay) }],
      fxRates: [],
    },
    asOf: isoOfDay(quotaPeriod.endDay),
  };
}

/** The engine's result for one rep at `attainment` (a fraction: `0.5`, `1`, `1.5`). */
export function planExample(plan: Plan, attainment: string, setting: ExampleSetting): PlanExample {
  const input = exampleInput(plan, decimal(attainment), setting);
  const result = calculate(input);
  const byComponent = new Map<string, PayoutLine[]>();
  let total = ZERO;
  for (const line of result.payouts) {
    total += decimal(line.amount);
    byComponent.set(line.component, [...(byComponent.get(line.component) ?? []), line]);
  }
  const order = [...plan.components.map((c) => c.id), 'draw', 'adjustment'];
  const components = order
    .filter((id) => byComponent.has(id))
    .map((id) => {
      const lines = byComponent.get(id)!;
      const last = lines.at(-1)!;
      const amount = lines.reduce((sum, l) => sum + decimal(l.amount), ZERO);
      const words = explainLine(last.trace.read());
      // Paid over several payout periods: each period's line, then how the last one was computed.
      const explanation =
        lines.length === 1
          ? words
          : `${lines.map((l) => `${l.period} ${money(l.amount)}`).join(' + ')}. In ${last.period}: ${words}`;
      return { component: id, amount: formatDecimal(amount, 2), explanation };
    });
  const deals = input.data.deals;
  return {
    attainment,
    credit: formatDecimal(deals.reduce((sum, d) => sum + decimal(d.amount), ZERO)),
    deals: deals.map((d) => ({ id: d.id, closeDate: d.closeDate, amount: d.amount })),
    dealFields: { ...(deals[0]?.type === undefined ? {} : { type: deals[0].type }), ...stringFields(deals[0]) },
    measures: result.attainment,
    components,
    total: formatDecimal(total, 2),
    lines: result.payouts,
  };
}

export interface CurvePoint {
  /** A fraction of quota. */
  attainment: string;
  /** A plan component, or `total` (the components together, draws left out). */
  series: string;
  amount: string;
}

/**
 * What the plan's components pay for the quota period against attainment from 0 to `to` in
 * `step`s (fractions), each point one engine calculation. Draws are left out: a draw is a floor
 * paid in advance, not a payout earned.
 */
export function payoutCurve(plan: Plan, setting: ExampleSetting, to = '2', step = '0.05'): CurvePoint[] {
  const points: CurvePoint[] = [];
  const components = plan.components.map((c) => c.id);
  for (let a = ZERO; a <= decimal(to); a += decimal(step)) {
    const attainment = formatDecimal(a);
    const { payouts } = calculate(exampleInput(plan, a, setting));
    const sums = new Map<string, Decimal>(components.map((id) => [id, ZERO]));
    for (const line of payouts)
      if (sums.has(line.component)) sums.set(line.component, sums.get(line.component)! + decimal(line.amount));
    let total = ZERO;
    for (const [series, amount] of sums) {
      total += amount;
      if (components.length > 1) points.push({ attainment, series, amount: formatDecimal(amount, 2) });
    }
    points.push({ attainment, series: 'total', amount: formatDecimal(total, 2) });
  }
  return points;
}

/** A deal to try a value on: only the field under test matters. */
const PROBE: Deal = {
  id: '',
  name: '',
  ownerId: '',
  amount: '0',
  currency: 'XXX',
  closeDate: '2000-01-01',
  stage: 'won',
  fields: {},
  deleted: false,
};

const CANONICAL = new Set(['currency', 'name', 'ownerId', 'stage', 'amount', 'closeDate']);

/**
 * Field values for the example deals that meet the plan's filters: every measure's `where`, and a
 * per-deal component's where it can be met too. Conditions on the fields the example sets itself
 * (amount, close date, currency, …) are left to the engine. When filters contradict each other
 * (one measure counts New Business, another Renewals) the first ones win, and the engine's
 * attainment per measure on the document shows what each measure counted.
 */
export function exampleDealFields(plan: Plan): Record<string, string> {
  const wheres: Where[] = [];
  for (const measure of Object.values(plan.measures)) if (measure.where) wheres.push(measure.where);
  for (const component of plan.components)
    if (component.kind === 'per-deal' && component.where) wheres.push(component.where);
  const fields: Record<string, string> = {};
  for (const where of wheres) Object.assign(fields, satisfy(fields, where) ?? {});
  return fields;
}

/** Values meeting `where` that agree with `fixed`, or undefined when there are none. */
function satisfy(fixed: Record<string, string>, where: Where): Record<string, string> | undefined {
  const chosen: Record<string, string> = {};
  for (const [field, condition] of Object.entries(where)) {
    if (CANONICAL.has(field)) continue;
    const test = compileWhere({ [field]: condition })!;
    const holds = (value: string) => test({ ...PROBE, type: value, fields: { [field]: value } });
    const current = fixed[field];
    if (current !== undefined) {
      if (!holds(current)) return undefined;
      continue;
    }
    const value = candidates(condition).find(holds);
    if (value === undefined) return undefined;
    chosen[field] = value;
  }
  return chosen;
}

function candidates(condition: Where[string]): string[] {
  if (typeof condition === 'string') return [condition];
  if (Array.isArray(condition)) return condition;
  const values: string[] = [...(condition.eq === undefined ? [] : [condition.eq]), ...(condition.in ?? [])];
  for (const bound of [condition.gte, condition.lte, condition.gt, condition.lt]) {
    if (bound === undefined) continue;
    values.push(bound);
    const number = parseDecimal(bound);
    if (number !== undefined) values.push(formatDecimal(number + decimal('1')), formatDecimal(number - decimal('1')));
  }
  // Only `ne`, or bounds that are not numbers: any other value may do.
  return [...values, 'example', '1'];
}

function stringFields(deal: Deal | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(deal?.fields ?? {}).map(([k, v]) => [k, String(v)]));
}
