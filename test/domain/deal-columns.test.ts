/**
 * The deal columns (src/domain/deal-columns.ts): normalize() builds them for the data it returns,
 * and a calculation on that data gives exactly what one on the same records without them does
 * (the engine then builds them itself).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDealColumns, dealColumnsOf } from '../../src/domain/deal-columns.js';
import { calculate, type CalculationInput } from '../../src/domain/engine.js';
import { estimate } from '../../src/domain/estimate.js';
import type { CanonicalData, Deal, Split } from '../../src/domain/model.js';
import { normalize } from '../../src/domain/normalize.js';
import type { Plan } from '../../src/domain/plan.js';
import { commissionPlan, deal, emptyData, rep } from './builders.js';

const AMOUNTS = ['1250.00', '0.01', '99999.9999', '123.4567891', '12345678901234567890123.25', '7'];
const SPLIT_SETS: Omit<Split, 'dealId'>[][] = [
  [],
  [
    { repId: 'r1', percent: '66.67', kind: 'revenue' },
    { repId: 'r2', percent: '33.33', kind: 'revenue' },
  ],
  [
    { repId: 'r3', percent: '33.3333333', kind: 'revenue' },
    { repId: 'r4', percent: '66.6666667', kind: 'revenue' },
    { repId: 'm', percent: '12.5', kind: 'overlay' },
  ],
  // Overlay only: the owner keeps 100 % of the revenue credit.
  [{ repId: 'r5', percent: '10', kind: 'overlay' }],
  // Rejected with its deal: the revenue splits do not sum to 100, or name a rep nobody knows.
  [{ repId: 'r1', percent: '60', kind: 'revenue' }],
  [
    { repId: 'ghost', percent: '50', kind: 'revenue' },
    { repId: 'r2', percent: '50', kind: 'revenue' },
  ],
];

const dealSpec = fc.record({
  owner: fc.constantFrom('r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'm', 'ghost'),
  amount: fc.constantFrom(...AMOUNTS),
  day: fc.integer({ min: 0, max: 200 }),
  currency: fc.constantFrom('USD', 'USD', 'EUR', 'GBP'),
  stage: fc.constantFrom('won', 'won', 'won', 'open', 'lost'),
  deleted: fc.boolean(),
  type: fc.constantFrom('New Business', 'Renewal', 'Upsell'),
  term: fc.constantFrom(12, 24, 36, '24', null),
  splits: fc.integer({ min: 0, max: SPLIT_SETS.length - 1 }),
  // Won in the calculation whose first quarter is locked, lost by the time of this one.
  reversed: fc.boolean(),
});

const PLANS: Plan[] = [
  commissionPlan(
    { measures: { bookings: { credit: 'splits', rollup: true, where: { type: ['New Business', 'Upsell'] } } } },
    [
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
      { id: 'spiff', kind: 'per-deal', measure: 'bookings', rate: '0.01', where: { term: { gte: '24' } } },
    ],
  ),
  {
    ...commissionPlan({ id: 'mgr', currency: 'EUR', clawback: { windowDays: 30 } }, [
      { id: 'o', kind: 'override', measure: 'bookings', rate: '0.02' },
    ]),
  },
];

type DealSpec = typeof dealSpec extends fc.Arbitrary<infer T> ? T : never;

function records(specs: DealSpec[], reversedLost: boolean): CanonicalData {
  const reps = [rep('m'), ...[0, 1, 2, 3, 4, 5].map((i) => rep(`r${i}`, i < 4 ? 'm' : 'r0'))];
  const deals: Deal[] = specs.map((s, i) => {
    const lost = reversedLost && s.reversed && s.stage === 'won';
    return deal({
      id: `d${i}`,
      ownerId: s.owner,
      amount: s.amount,
      currency: s.currency,
      closeDate: new Date(Date.UTC(2026, 0, 1 + s.day)).toISOString().slice(0, 10),
      stage: lost ? 'lost' : (s.stage as Deal['stage']),
      deleted: s.deleted && s.stage !== 'won',
      type: s.type,
      fields: { term: s.term },
      ...(lost && s.day % 3 !== 0 ? { lastModified: `2026-0${1 + (s.day % 7)}-15T10:00:00Z` } : {}),
    });
  });
  // Splits listed newest deal first: not in the deals' order.
  const splits = specs
    .flatMap((s, i) => SPLIT_SETS[s.splits]!.map((split) => ({ ...split, dealId: `d${i}` })))
    .reverse();
  return {
    ...emptyData(),
    reps,
    deals,
    splits,
    quotas: reps.flatMap((r) =>
      ['2026-Q1', '2026-Q2', '2026-Q3'].map((period) => ({ repId: r.id, period, amount: '20000' })),
    ),
    assignments: [
      ...reps.slice(1).map((r) => ({ repId: r.id, planId: 'ae', from: '2026-01-01' })),
      { repId: 'm', planId: 'mgr', from: '2026-01-01' },
      { repId: 'r0', planId: 'mgr', from: '2026-02-01' },
    ],
    fxRates: [
      { currency: 'EUR', from: '2025-12-01', rate: '0.91' },
      { currency: 'EUR', from: '2026-03-01', rate: '0.9333333' },
    ],
  };
}

function input(data: CanonicalData, extra: Partial<CalculationInput> = {}): CalculationInput {
  return {
    calendar: { fiscalYearStartMonth: 1, tz: 'America/New_York' },
    baseCurrency: 'USD',
    plans: PLANS,
    data,
    asOf: '2026-07-31',
    ...extra,
  };
}

describe('deal columns', () => {
  it('a calculation on normalized data gives what one on the same records without their columns gives', () => {
    fc.assert(
      fc.property(fc.array(dealSpec, { minLength: 1, maxLength: 40 }), (specs) => {
        // The first quarter was paid when every deal was as generated; some won ones are lost since.
        const before = normalize(records(specs, false), { baseCurrency: 'USD' }).data;
        const paid = calculate(input(before));
        const locked = {
          periods: ['2026-Q1'],
          lines: paid.payouts.filter((line) => line.period.startsWith('2026-Q1')),
        };

        const { data } = normalize(records(specs, true), { baseCurrency: 'USD' });
        expect(dealColumnsOf(data)).toBeDefined();
        const withColumns = calculate(input(data, { locked }));
        const copy = { ...data, deals: data.deals.slice() };
        expect(dealColumnsOf(copy)).toBeUndefined();
        const without = calculate(input(copy, { locked }));
        expect(JSON.stringify(withColumns)).toBe(JSON.stringify(without));
        // The estimates of the open deals too: on normalize's columns (open rows taken as won) and
        // on columns built for the copy.
        const estimates = (of: CanonicalData) =>
          estimate(input(of, { locked }), { traces: 'text' }).estimates.map((e) => [
            e.dealId,
            e.repId,
            e.planId,
            e.amount,
            e.closeDate,
            JSON.stringify(e.periods, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
            e.trace.text(),
          ]);
        expect(estimates(data)).toEqual(estimates(copy));
      }),
      { numRuns: 150 },
    );
  });

  it('normalize builds, for every deal it keeps, what the engine would build from the deal alone', () => {
    fc.assert(
      fc.property(fc.array(dealSpec, { minLength: 1, maxLength: 40 }), (specs) => {
        const { data } = normalize(records(specs, true), { baseCurrency: 'USD' });
        const columns = dealColumnsOf(data)!;
        const index = new Map(data.reps.map((r, i) => [r.id, i]));
        const built = buildDealColumns({ ...data }, index, () => true);
        const { currencies: a, currency: ca, ...ours } = columns;
        const { currencies: b, currency: cb, ...theirs } = built;
        expect(ours).toEqual(theirs);
        expect([...ca].map((c) => a[c])).toEqual([...cb].map((c) => b[c]));
      }),
      { numRuns: 150 },
    );
  });

  it('are used only with the very records they were built from', () => {
    const { data } = normalize(records([], false), { baseCurrency: 'USD' });
    const withDeal = normalize(
      { ...data, deals: [deal({ id: 'd1', ownerId: 'r1', amount: '10', closeDate: '2026-01-05' })] },
      { baseCurrency: 'USD' },
    ).data;
    expect(dealColumnsOf(withDeal)?.count).toBe(1);
    expect(dealColumnsOf({ ...withDeal, quotas: [] })?.count).toBe(1);
    expect(dealColumnsOf({ ...withDeal, deals: withDeal.deals.slice() })).toBeUndefined();
    expect(dealColumnsOf({ ...withDeal, splits: withDeal.splits.slice() })).toBeUndefined();
    expect(dealColumnsOf({ ...withDeal, reps: withDeal.reps.slice() })).toBeUndefined();
    // Another normalize() of the same records has columns of its own.
    const again = normalize({ ...data, deals: withDeal.deals }, { baseCurrency: 'USD' }).data;
    expect(dealColumnsOf(again)?.count).toBe(1);
    expect(dealColumnsOf(withDeal)?.count).toBe(1);
    withDeal.splits.push({ dealId: 'd1', repId: 'r2', percent: '100', kind: 'revenue' });
    expect(dealColumnsOf(withDeal)).toBeUndefined();
  });
});
