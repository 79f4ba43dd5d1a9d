import { describe, expect, it } from 'vitest';
import { calculate, prepareInput, type CalculationInput, type CalculationResult } from '../../src/domain/engine.js';
import type { CanonicalData } from '../../src/domain/model.js';
import { amounts, commissionPlan, deal, emptyData, rep, run } from './builders.js';

describe('rate tables', () => {
  const tiers = [
    { from: '0', rate: '0.05' },
    { from: '1.0', rate: '0.06' },
    { from: '1.25', rate: '0.07' },
  ];
  const data = (amount: string) => ({
    reps: [rep('r1')],
    deals: [deal({ ownerId: 'r1', amount, closeDate: '2026-02-10' })],
    quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
    assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
  });

  it('marginal: each slice at its own rate', () => {
    // credit 150,000 on quota 100,000:
    //   0–100,000 × 5 % = 5,000; 100,000–125,000 × 6 % = 1,500; 125,000–150,000 × 7 % = 1,750 → 8,250.00
    const plan = commissionPlan({}, [
      { id: 'commission', kind: 'rate-table', measure: 'bookings', basis: 'attainment', mode: 'marginal', tiers },
    ]);
    const result = run(data('150000'), [plan]);
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '8250.00' });
    expect(result.attainment).toEqual([
      {
        repId: 'r1',
        planId: 'ae',
        period: '2026-Q1',
        measure: 'bookings',
        credit: '150000',
        quota: '100000',
        attainment: '1.5',
      },
    ]);
    const tracedTiers = result.payouts[0]!.trace.toJSON()['tiers'] as { amount: string }[];
    expect(tracedTiers.map((t) => t.amount)).toEqual(['5000', '1500', '1750']);
  });

  it('retroactive: all credit at the rate of the tier reached; a value on a bound takes the higher tier', () => {
    // credit exactly 125,000 = 1.25 × quota → tier 3 (7 %) on everything: 125,000 × 0.07 = 8,750.00
    const plan = commissionPlan({}, [
      { id: 'commission', kind: 'rate-table', measure: 'bookings', basis: 'attainment', mode: 'retroactive', tiers },
    ]);
    expect(amounts(run(data('125000'), [plan]))).toEqual({ 'r1/2026-Q1/commission': '8750.00' });
    // 124,999.99 stays in tier 2 (6 %): 124,999.99 × 0.06 = 7,499.9994 → 7,499.9994 rounds to 7,500.00
    expect(amounts(run(data('124999.99'), [plan]))).toEqual({ 'r1/2026-Q1/commission': '7500.00' });
  });

  it('amount basis: bounds are plan-currency amounts', () => {
    // tiers at 0 (2 %) and 50,000 (4 %); credit 80,000 → 50,000 × 0.02 + 30,000 × 0.04 = 1,000 + 1,200 = 2,200.00, no quota needed
    const plan = commissionPlan({}, [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'amount',
        mode: 'marginal',
        tiers: [
          { from: '0', rate: '0.02' },
          { from: '50000', rate: '0.04' },
        ],
      },
    ]);
    const result = run({ ...data('80000'), quotas: [] }, [plan]);
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '2200.00' });
    expect(result.rejects).toEqual([]);
  });

  it('gate: nothing is paid while attainment is below it', () => {
    // gate 0.5; credit 40,000 / quota 100,000 = 0.4 → 0; credit 60,000 → 0.6 ≥ 0.5 → 60,000 × 5 % = 3,000.00
    const plan = commissionPlan({}, [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'attainment',
        mode: 'marginal',
        tiers,
        gate: '0.5',
      },
    ]);
    expect(amounts(run(data('40000'), [plan]))).toEqual({});
    expect(amounts(run(data('60000'), [plan]))).toEqual({ 'r1/2026-Q1/commission': '3000.00' });
  });

  it('cap: the most a component pays in one quota period', () => {
    // marginal on 150,000 would pay 8,250; cap 8,000 → 8,000.00, trace says the cap applied
    const plan = commissionPlan({}, [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'attainment',
        mode: 'marginal',
        tiers,
        cap: '8000',
      },
    ]);
    const result = run(data('150000'), [plan]);
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '8000.00' });
    expect(result.payouts[0]!.trace.toJSON()['cap']).toEqual({ cap: '8000', uncapped: '8250', applied: true });
  });
});

describe('payout periods inside a quota period', () => {
  it('pays cumulatively: due to date minus what earlier months paid', () => {
    // quota 100,000 per quarter; tiers 0 → 5 %, 1.0 → 10 %; monthly payouts.
    // Jan: 60,000 → due 3,000 → pays 3,000.00
    // Feb: +60,000 = 120,000 → due 100,000 × 5 % + 20,000 × 10 % = 7,000 → pays 4,000.00
    // Mar: nothing new → due 7,000, paid 7,000 → no line
    const plan = commissionPlan({ payoutPeriod: 'month' }, [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'attainment',
        mode: 'marginal',
        tiers: [
          { from: '0', rate: '0.05' },
          { from: '1', rate: '0.1' },
        ],
      },
    ]);
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '60000', closeDate: '2026-01-15' }),
          deal({ ownerId: 'r1', amount: '60000', closeDate: '2026-02-15' }),
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
      },
      [plan],
      { asOf: '2026-03-31' },
    );
    expect(amounts(result)).toEqual({ 'r1/2026-01/commission': '3000.00', 'r1/2026-02/commission': '4000.00' });
  });

  it('rounds the due-to-date half-even and pays the difference, so lines add up to the rounded total', () => {
    // rate 0.001255:
    // Jan: 1,000 × 0.001255 = 1.255 due → half-even → 1.26 (the 5 rounds 1.25 up to the even 1.26)
    // Feb: 2,000 × 0.001255 = 2.51 due → 2.51 − 1.26 paid = 1.25; Jan + Feb = 2.51 = the rounded total
    const plan = commissionPlan({ payoutPeriod: 'month' }, [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'amount',
        mode: 'marginal',
        tiers: [{ from: '0', rate: '0.001255' }],
      },
    ]);
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-01-15' }),
          deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-02-15' }),
        ],
        assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
      },
      [plan],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-01/commission': '1.26', 'r1/2026-02/commission': '1.25' });
  });
});

describe('a prepared input (CalculateOptions.prepared)', () => {
  const data: CanonicalData = {
    ...emptyData(),
    reps: [rep('m1'), rep('r1', 'm1'), rep('r2', 'm1')],
    deals: [
      deal({ id: 'd1', ownerId: 'r1', amount: '60000', closeDate: '2026-01-15' }),
      deal({ id: 'd2', ownerId: 'r2', amount: '25000.50', closeDate: '2026-02-03' }),
      deal({ id: 'd3', ownerId: 'r1', amount: '40000', closeDate: '2026-03-30' }),
    ],
    splits: [
      { dealId: 'd2', repId: 'r1', percent: '40', kind: 'revenue' },
      { dealId: 'd2', repId: 'r2', percent: '60', kind: 'revenue' },
    ],
    quotas: ['m1', 'r1', 'r2'].map((repId) => ({ repId, period: '2026-Q1', amount: '80000' })),
    assignments: [
      { repId: 'r1', planId: 'ae', from: '2026-01-01' },
      { repId: 'r2', planId: 'ae', from: '2026-01-01' },
      { repId: 'm1', planId: 'mgr', from: '2026-01-01' },
    ],
  };
  const ae = commissionPlan({ payoutPeriod: 'month', measures: { bookings: { credit: 'splits', rollup: true } } });
  const mgr = commissionPlan({ id: 'mgr', measures: { bookings: { credit: 'splits', rollup: true } } });
  const input: CalculationInput = {
    calendar: { fiscalYearStartMonth: 1, tz: 'UTC' },
    baseCurrency: 'USD',
    plans: [ae, mgr],
    data,
  };
  const text = (result: CalculationResult) => JSON.stringify([result.payouts, result.attainment, result.rejects]);

  it('gives each plan and shard the lines of a calculation that prepares its own', () => {
    const prepared = prepareInput(input);
    const whole = calculate(input);
    expect(whole.payouts.length).toBeGreaterThan(4);
    for (const plans of [[ae], [mgr], [ae, mgr]]) {
      expect(text(calculate({ ...input, plans }, { prepared }))).toBe(text(calculate({ ...input, plans })));
      const reps = (id: string) => id !== 'r2';
      expect(text(calculate({ ...input, plans }, { prepared, reps }))).toBe(
        text(calculate({ ...input, plans }, { reps })),
      );
    }
    expect(text(calculate(input, { prepared }))).toBe(text(whole));
  });

  it('is refused for other data or plans it was not prepared with', () => {
    const prepared = prepareInput({ ...input, plans: [ae] });
    expect(() => calculate({ ...input, plans: [ae, mgr] }, { prepared })).toThrow(/prepared from another input/);
    expect(() => calculate({ ...input, data: { ...data } }, { prepared })).toThrow(/prepared from another input/);
  });
});
