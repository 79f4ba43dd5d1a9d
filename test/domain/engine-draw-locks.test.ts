import { describe, expect, it } from 'vitest';
import { amounts, commissionPlan, deal, rep, run } from './builders.js';
import type { Plan } from '../../src/domain/plan.js';
import type { CanonicalData } from '../../src/domain/model.js';

// 10 % of credit, paid monthly inside quarters, amount basis (no quota needed).
const monthly = (overrides: Partial<Plan> = {}): Plan =>
  commissionPlan({ payoutPeriod: 'month', ...overrides }, [
    {
      id: 'commission',
      kind: 'rate-table',
      measure: 'bookings',
      basis: 'amount',
      mode: 'marginal',
      tiers: [{ from: '0', rate: '0.1' }],
    },
  ]);

describe('draws', () => {
  const data = (): Partial<CanonicalData> => ({
    reps: [rep('r1')],
    // commission: Jan 3,000 × 10 % = 300; Feb 0; Mar 25,000 × 10 % = 2,500
    deals: [
      deal({ ownerId: 'r1', amount: '3000', closeDate: '2026-01-10' }),
      deal({ ownerId: 'r1', amount: '25000', closeDate: '2026-03-10' }),
    ],
    assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
  });

  it('recoverable: tops up to the draw, then recovers the balance from earnings above it', () => {
    // draw 1,000. Jan earned 300 → draw +700 (balance 700). Feb earned 0 → +1,000 (balance 1,700).
    // Mar earned 2,500 → 1,500 above the draw → recovers min(1,700, 1,500) = 1,500 → draw −1,500 (balance 200).
    const result = run(data(), [monthly({ draw: { amount: '1000', recoverable: true } })]);
    expect(amounts(result)).toEqual({
      'r1/2026-01/commission': '300.00',
      'r1/2026-01/draw': '700.00',
      'r1/2026-02/draw': '1000.00',
      'r1/2026-03/commission': '2500.00',
      'r1/2026-03/draw': '-1500.00',
    });
    expect(result.payouts.at(-1)!.trace.toJSON()).toMatchObject({
      balanceBefore: '1700.00',
      balanceAfter: '200.00',
      recovered: '1500.00',
    });
  });

  it('non-recoverable: tops up and forgives', () => {
    // Jan +700, Feb +1,000, Mar earned 2,500 > 1,000 but nothing to recover.
    const result = run(data(), [monthly({ draw: { amount: '1000', recoverable: false } })]);
    expect(amounts(result)).toEqual({
      'r1/2026-01/commission': '300.00',
      'r1/2026-01/draw': '700.00',
      'r1/2026-02/draw': '1000.00',
      'r1/2026-03/commission': '2500.00',
    });
  });
});

describe('locked periods, adjustments and clawbacks', () => {
  const base = (deals: CanonicalData['deals']): Partial<CanonicalData> => ({
    reps: [rep('r1')],
    deals,
    assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
  });

  it('never rewrites a locked period; a change inside it becomes an adjustment in the first open period', () => {
    const d1 = deal({ id: 'a1', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' });
    const d3 = deal({ id: 'a3', ownerId: 'r1', amount: '1000', closeDate: '2026-03-02' });
    const plan = monthly();
    const first = run(base([d1, d3]), [plan], { asOf: '2026-03-31' });
    const januaryLines = first.payouts.filter((p) => p.period === '2026-01');
    expect(januaryLines.map((p) => p.amount)).toEqual(['1000.00']);

    // A late-entered January deal of 5,000: January is locked, so its 500.00 is paid as an adjustment in February.
    const late = deal({ id: 'a2', ownerId: 'r1', amount: '5000', closeDate: '2026-01-20' });
    const second = run(base([d1, late, d3]), [plan], {
      asOf: '2026-03-31',
      locked: { periods: ['2026-01'], lines: januaryLines },
    });
    expect(amounts(second)).toEqual({
      'r1/2026-01/commission': '1000.00',
      'r1/2026-02/adjustment': '500.00',
      'r1/2026-03/commission': '100.00',
    });
    expect(second.payouts.find((p) => p.component === 'adjustment')!.trace.toJSON()).toMatchObject({
      lockedPeriods: ['2026-01'],
      byComponent: [{ component: 'commission', locked: '1000', recomputed: '1500' }],
      added: ['a2'],
    });
  });

  it('claws back a paid deal that turns lost within the window, and not after it', () => {
    const paid = deal({ id: 'p1', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' });
    const other = deal({ id: 'p2', ownerId: 'r1', amount: '2000', closeDate: '2026-05-05' });
    const plan = monthly({ clawback: { windowDays: 90 } });
    const first = run(base([paid, other]), [plan]);
    const locked = { periods: ['2026-01'], lines: first.payouts.filter((p) => p.period === '2026-01') };
    expect(locked.lines.map((p) => p.amount)).toEqual(['1000.00']);

    // Lost on 2026-03-01: 50 days after closing, inside 90 → −1,000.00 in February, the first open period.
    const lostEarly = { ...paid, stage: 'lost' as const, lastModified: '2026-03-01T10:00:00Z' };
    const clawed = run(base([lostEarly, other]), [plan], { locked });
    expect(amounts(clawed)).toMatchObject({ 'r1/2026-01/commission': '1000.00', 'r1/2026-02/adjustment': '-1000.00' });
    expect(clawed.payouts.find((p) => p.component === 'adjustment')!.trace.toJSON()).toMatchObject({
      clawedBack: ['p1'],
    });

    // Deleted on 2026-05-01: 111 days after closing, outside the window → nothing changes.
    const lostLate = { ...paid, deleted: true, lastModified: '2026-05-01' };
    const kept = run(base([lostLate, other]), [plan], { locked });
    expect(kept.payouts.filter((p) => p.component === 'adjustment')).toEqual([]);
    expect(amounts(kept)).toEqual(amounts(first));
  });

  it('a locked draw carries its balance into open periods', () => {
    // Jan earned 300, draw 1,000 → locked draw +700. Feb (open) earned 2,000 → recovers min(700, 1,000) = 700.
    const plan = monthly({ draw: { amount: '1000', recoverable: true } });
    const deals = [
      deal({ ownerId: 'r1', amount: '3000', closeDate: '2026-01-10' }),
      deal({ ownerId: 'r1', amount: '20000', closeDate: '2026-02-10' }),
    ];
    const first = run(base(deals), [plan]);
    const locked = { periods: ['2026-01'], lines: first.payouts.filter((p) => p.period === '2026-01') };
    const second = run(base(deals), [plan], { locked });
    expect(amounts(second)).toEqual({
      'r1/2026-01/commission': '300.00',
      'r1/2026-01/draw': '700.00',
      'r1/2026-02/commission': '2000.00',
      'r1/2026-02/draw': '-700.00',
    });
  });
});
