/**
 * The worked examples and payout curve of a plan document: the engine's own figures for a
 * synthetic rep, checked here by hand against the plan's tiers, gate, cap, bonus and draw.
 */
import { describe, expect, it } from 'vitest';
import { decimal, formatDecimal, ZERO } from '../../src/domain/decimal.js';
import { exampleDealFields, payoutCurve, planExample, type ExampleSetting } from '../../src/domain/plan-examples.js';
import type { Plan } from '../../src/domain/plan.js';
import { commissionPlan } from './builders.js';

const setting: ExampleSetting = {
  calendar: { fiscalYearStartMonth: 1, tz: 'UTC' },
  period: '2026-Q3',
  quota: '100000',
};

/** The demo's account executive plan, as config/plan-schema.ts reads it. */
const ae: Plan = commissionPlan(
  {
    id: 'ae-2026',
    payoutPeriod: 'month',
    measures: { bookings: { credit: 'splits', rollup: true, where: { type: ['New Business', 'Upsell'] } } },
    draw: { amount: '1500', recoverable: true },
    clawback: { windowDays: 90 },
  },
  [
    {
      id: 'commission',
      kind: 'rate-table',
      measure: 'bookings',
      basis: 'attainment',
      mode: 'marginal',
      tiers: [
        { from: '0', rate: '0.06' },
        { from: '1.0', rate: '0.09' },
        { from: '1.5', rate: '0.12' },
      ],
      cap: '60000',
    },
    {
      id: 'multi-year',
      kind: 'per-deal',
      measure: 'bookings',
      where: { contractTermMonths: { gte: '24' } },
      amount: '400',
    },
    { id: 'presidents-club', kind: 'bonus', measure: 'bookings', attainmentAtLeast: '1.2', amount: '3000' },
  ],
);

describe('worked examples', () => {
  it('book deals that every filter counts: the measure’s type and the spiff’s contract term', () => {
    expect(exampleDealFields(ae)).toEqual({ type: 'New Business', contractTermMonths: '24' });
  });

  it('pay at 150 % what the tiers, the spiff and the bonus say, and lines total to the cent', () => {
    const example = planExample(ae, '1.5', setting);
    expect(example.credit).toBe('150000');
    expect(example.deals.map((d) => d.closeDate)).toEqual(['2026-07-31', '2026-08-31', '2026-09-30']);
    expect(example.measures).toEqual([
      expect.objectContaining({ measure: 'bookings', credit: '150000', quota: '100000', attainment: '1.5' }),
    ]);
    const amounts = Object.fromEntries(example.components.map((c) => [c.component, c.amount]));
    // 100,000 × 6 % + 50,000 × 9 %; three deals × 400; 150 % ≥ 120 %.
    expect(amounts).toEqual({ commission: '10500.00', 'multi-year': '1200.00', 'presidents-club': '3000.00' });
    expect(example.total).toBe('14700.00');
    const lineSum = example.lines.reduce((sum, l) => sum + decimal(l.amount), ZERO);
    expect(formatDecimal(lineSum, 2)).toBe(example.total);
    expect(example.components[0]!.explanation).toContain('next 50,000.00 at 9 % = 4,500.00');
  });

  it('show the draw topping up a month that earned less than it', () => {
    const example = planExample(ae, '0.5', setting);
    // 50,000 × 6 % = 3,000 over three months of 1,000 each, below the 1,500 draw.
    expect(example.components.find((c) => c.component === 'commission')?.amount).toBe('3000.00');
    expect(example.components.find((c) => c.component === 'draw')).toBeDefined();
    expect(example.components.find((c) => c.component === 'presidents-club')).toBeUndefined();
  });

  it('apply a gate and a cap', () => {
    const gated = commissionPlan({}, [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'attainment',
        mode: 'retroactive',
        tiers: [{ from: '0', rate: '0.1' }],
        gate: '0.6',
        cap: '12000',
      },
    ]);
    expect(planExample(gated, '0.5', setting).total).toBe('0.00');
    expect(planExample(gated, '1', setting).total).toBe('10000.00');
    expect(planExample(gated, '1.5', setting).total).toBe('12000.00');
  });
});

describe('the payout curve', () => {
  it('runs from 0 to 200 % in 5 % steps, never falls, and its total is the components’ sum', () => {
    const points = payoutCurve(ae, setting);
    const totals = points.filter((p) => p.series === 'total');
    expect(totals.map((p) => p.attainment)).toEqual(
      Array.from({ length: 41 }, (_, i) => formatDecimal((decimal(String(i)) * 5n) / 100n)),
    );
    expect(totals[0]!.amount).toBe('0.00');
    for (let i = 1; i < totals.length; i++)
      expect(decimal(totals[i]!.amount) >= decimal(totals[i - 1]!.amount), totals[i]!.attainment).toBe(true);
    const at = (a: string, series: string) => points.find((p) => p.attainment === a && p.series === series)?.amount;
    expect(at('1.5', 'total')).toBe('14700.00');
    expect(at('1.5', 'commission')).toBe('10500.00');
  });
});
