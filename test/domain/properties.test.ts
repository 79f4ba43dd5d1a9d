/** Invariants of the engine, checked on generated inputs (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ONE, ZERO, decimal, formatDecimal, parseDecimal } from '../../src/domain/decimal.js';
import { applyTiers } from '../../src/domain/rate-table.js';
import { commissionPlan, deal, rep, run } from './builders.js';
import type { Plan } from '../../src/domain/plan.js';

const cents = fc.integer({ min: 1, max: 50_000_000 }).map((c) => (c / 100).toFixed(2));

describe('properties', () => {
  it('revenue-split credit sums to the deal amount', () => {
    fc.assert(
      fc.property(
        cents,
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 }),
        (amount, weights) => {
          // Percentages with two decimals summing to exactly 100.
          const total = weights.reduce((a, b) => a + b, 0);
          const hundredths = weights.map((w) => Math.floor((w * 10000) / total));
          hundredths[0]! += 10000 - hundredths.reduce((a, b) => a + b, 0);
          const reps = weights.map((_, i) => rep(`r${i}`));
          const d = deal({ ownerId: 'r0', amount, closeDate: '2026-01-10' });
          const plan = commissionPlan({}, [
            {
              id: 'c',
              kind: 'rate-table',
              measure: 'bookings',
              basis: 'amount',
              mode: 'marginal',
              tiers: [{ from: '0', rate: '1' }],
            },
          ]);
          const result = run(
            {
              reps,
              deals: [d],
              splits: hundredths.map((h, i) => ({
                dealId: d.id,
                repId: `r${i}`,
                percent: (h / 100).toFixed(2),
                kind: 'revenue' as const,
              })),
              assignments: reps.map((r) => ({ repId: r.id, planId: 'ae', from: '2026-01-01' })),
            },
            [plan],
          );
          const credit = result.attainment.reduce((sum, a) => sum + parseDecimal(a.credit)!, ZERO);
          // Each split's credit is rounded to 10 decimals; with ≤ 5 splits the sum is within 5 × 10^-10.
          const diff = credit - decimal(amount);
          expect(diff < 0n ? -diff : diff).toBeLessThanOrEqual(5n);
        },
      ),
      { numRuns: 200 },
    );
  });

  const tierTable = fc
    .uniqueArray(fc.integer({ min: 1, max: 300 }), { minLength: 0, maxLength: 4 })
    .chain((bounds) =>
      fc.tuple(
        fc.constant([0, ...bounds.sort((a, b) => a - b)]),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
      ),
    )
    .map(([bounds, rates]) => ({
      bounds: bounds.map((b) => BigInt(b) * 1000n * ONE),
      rates: rates.map((r) => (BigInt(r) * ONE) / 10000n),
    }));

  it('marginal payout never decreases as credit grows and is continuous at tier bounds', () => {
    const payout = (credit: bigint, t: { bounds: bigint[]; rates: bigint[] }) =>
      applyTiers(credit, t.bounds, t.rates, 'marginal').reduce((s, x) => s + x.amount, ZERO);
    fc.assert(
      fc.property(tierTable, fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 400_000 }), (t, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(payout(BigInt(lo) * ONE, t)).toBeLessThanOrEqual(payout(BigInt(hi) * ONE, t));
        // At every bound, a cent below and the bound itself differ by at most cent × highest rate (+ rounding).
        for (const bound of t.bounds.slice(1)) {
          const below = payout(bound - ONE / 100n, t);
          const at = payout(bound, t);
          const maxRate = t.rates.reduce((m, r) => (r > m ? r : m), ZERO);
          expect(at - below).toBeLessThanOrEqual((maxRate * (ONE / 100n)) / ONE + 2n);
          expect(at).toBeGreaterThanOrEqual(below);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('monthly payouts inside a quarter add up to the quarterly result', () => {
    const deals = fc.array(fc.tuple(cents, fc.integer({ min: 0, max: 89 })), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(deals, fc.constantFrom('marginal', 'retroactive'), (list, mode) => {
        const components: Plan['components'] = [
          {
            id: 'c',
            kind: 'rate-table',
            measure: 'bookings',
            basis: 'attainment',
            mode: mode as 'marginal' | 'retroactive',
            tiers: [
              { from: '0', rate: '0.03' },
              { from: '0.5', rate: '0.07' },
              { from: '1', rate: '0.11' },
            ],
            cap: '90000',
          },
          { id: 'b', kind: 'bonus', measure: 'bookings', attainmentAtLeast: '1', amount: '1000' },
        ];
        const data = {
          reps: [rep('r1')],
          deals: list.map(([amount, day]) =>
            deal({ ownerId: 'r1', amount, closeDate: new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10) }),
          ),
          quotas: [{ repId: 'r1', period: '2026-Q1', amount: '500000' }],
          assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
        };
        const total = (payoutPeriod: 'month' | 'quarter') =>
          run(data, [commissionPlan({ payoutPeriod }, components)], { asOf: '2026-03-31' }).payouts.reduce(
            (s, p) => s + decimal(p.amount),
            ZERO,
          );
        expect(formatDecimal(total('month'))).toBe(formatDecimal(total('quarter')));
      }),
      { numRuns: 150 },
    );
  });
});

describe('determinism', () => {
  it('the same input gives byte-identical JSON, whatever order the records arrive in', () => {
    const dealArb = fc.record({
      owner: fc.integer({ min: 0, max: 5 }),
      amount: cents,
      day: fc.integer({ min: 0, max: 180 }),
      currency: fc.constantFrom('USD', 'EUR'),
      split: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(dealArb, { minLength: 1, maxLength: 40 }), fc.integer(), (specs, seed) => {
        const reps = [rep('m'), ...[0, 1, 2, 3, 4, 5].map((i) => rep(`r${i}`, 'm'))];
        const deals = specs.map((s, i) =>
          deal({
            id: `d${i}`,
            ownerId: `r${s.owner}`,
            amount: s.amount,
            currency: s.currency,
            closeDate: new Date(Date.UTC(2026, 0, 1 + s.day)).toISOString().slice(0, 10),
          }),
        );
        const splits = specs.flatMap((s, i) =>
          s.split === undefined || s.split === s.owner
            ? []
            : [
                { dealId: `d${i}`, repId: `r${s.owner}`, percent: '66.67', kind: 'revenue' as const },
                { dealId: `d${i}`, repId: `r${s.split}`, percent: '33.33', kind: 'revenue' as const },
              ],
        );
        const plans: Plan[] = [
          commissionPlan({ payoutPeriod: 'month', draw: { amount: '500', recoverable: true } }, [
            {
              id: 'c',
              kind: 'rate-table',
              measure: 'bookings',
              basis: 'attainment',
              mode: 'marginal',
              tiers: [
                { from: '0', rate: '0.05' },
                { from: '1', rate: '0.08' },
              ],
            },
          ]),
          { ...commissionPlan({ id: 'mgr' }, [{ id: 'o', kind: 'override', measure: 'bookings', rate: '0.01' }]) },
        ];
        const data = {
          reps,
          deals,
          splits,
          quotas: reps.flatMap((r) =>
            ['2026-Q1', '2026-Q2', '2026-Q3'].map((period) => ({ repId: r.id, period, amount: '100000' })),
          ),
          assignments: [
            ...reps.slice(1).map((r) => ({ repId: r.id, planId: 'ae', from: '2026-01-01' })),
            { repId: 'm', planId: 'mgr', from: '2026-01-01' },
          ],
          fxRates: [{ currency: 'EUR', from: '2025-12-01', rate: '0.91' }],
        };
        const shuffle = <T>(list: T[]): T[] => {
          const copy = list.slice();
          let s = seed;
          for (let i = copy.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) | 0;
            const j = Math.abs(s) % (i + 1);
            [copy[i], copy[j]] = [copy[j]!, copy[i]!];
          }
          return copy;
        };
        const json = (d: typeof data) => JSON.stringify(run(d, plans, { asOf: '2026-07-31' }));
        const first = json(data);
        expect(json(data)).toBe(first);
        expect(
          json({
            ...data,
            reps: shuffle(data.reps),
            deals: shuffle(data.deals),
            splits: shuffle(data.splits),
            quotas: shuffle(data.quotas),
            assignments: shuffle(data.assignments),
          }),
        ).toBe(first);
      }),
      { numRuns: 100 },
    );
  });
});
