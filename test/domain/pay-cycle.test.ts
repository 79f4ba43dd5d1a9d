/**
 * The pay cycle's pure rules and the engine's manual adjustments: a dispute's adjustment is an
 * `adjustment` line in its period, added to a locked period's adjustment when both fall there,
 * and paid once, even after its period is locked.
 */
import { describe, expect, it } from 'vitest';
import type { ManualAdjustment } from '../../src/domain/engine.js';
import { LockSet } from '../../src/domain/locks.js';
import { changedLines, firstOpenPeriod, fingerprintOf, parseLineKey, periodState } from '../../src/domain/pay-cycle.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import type { Plan } from '../../src/domain/plan.js';
import { amounts, commissionPlan, deal, rep, run } from './builders.js';

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
const data = (deals = [deal({ id: 'a1', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' })]) => ({
  reps: [rep('r1')],
  deals: [...deals, deal({ id: 'a3', ownerId: 'r1', amount: '1000', closeDate: '2026-03-02' })],
  assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
});
const manual = (amount: string, period: string, dispute = '1'): ManualAdjustment => ({
  repId: 'r1',
  planId: 'ae',
  period,
  amount,
  currency: 'USD',
  trace: { reason: `dispute ${dispute} resolved with an adjustment`, dispute },
});

describe('manual adjustments in the engine', () => {
  it('pays a manual adjustment as an adjustment line of its period, with its trace', () => {
    const result = run(data(), [monthly()], { asOf: '2026-03-31', adjustments: [manual('250.00', '2026-02')] });
    expect(amounts(result)).toEqual({
      'r1/2026-01/commission': '1000.00',
      'r1/2026-02/adjustment': '250.00',
      'r1/2026-03/commission': '100.00',
    });
    expect(result.payouts[1]!.trace.toJSON()).toMatchObject({ dispute: '1' });
  });

  it('adds a manual adjustment to the locked-period adjustment of the same period: one line, both parts traced', () => {
    const plan = monthly();
    const first = run(data(), [plan], { asOf: '2026-03-31' });
    const january = first.payouts.filter((p) => p.period === '2026-01');
    const late = deal({ id: 'a2', ownerId: 'r1', amount: '5000', closeDate: '2026-01-20' });
    const result = run(
      data([deal({ id: 'a1', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' }), late]),
      [plan],
      {
        asOf: '2026-03-31',
        locked: { periods: ['2026-01'], lines: january },
        adjustments: [manual('-80.50', '2026-02'), manual('10.00', '2026-02', '2')],
      },
    );
    // 500.00 for the late January deal, −80.50 and +10.00 from two disputes.
    expect(amounts(result)).toEqual({
      'r1/2026-01/commission': '1000.00',
      'r1/2026-02/adjustment': '429.50',
      'r1/2026-03/commission': '100.00',
    });
    const trace = result.payouts.find((p) => p.component === 'adjustment')!.trace.toJSON();
    expect((trace['adjustments'] as { amount: string }[]).map((a) => a.amount)).toEqual(['-80.50', '10.00', '500.00']);
  });

  it('pays an adjustment once: after its period is locked, the locked line stands and nothing is added', () => {
    const plan = monthly();
    const adjustments = [manual('250.00', '2026-02')];
    const first = run(data(), [plan], { asOf: '2026-03-31', adjustments });
    const paid = first.payouts.filter((p) => p.period !== '2026-03');
    const second = run(data(), [plan], {
      asOf: '2026-03-31',
      locked: { periods: ['2026-01', '2026-02'], lines: paid },
      adjustments,
    });
    expect(amounts(second)).toEqual(amounts(first));
  });

  it('an adjustment whose period was locked before it was paid is paid in the first open period', () => {
    const plan = monthly();
    const first = run(data(), [plan], { asOf: '2026-03-31' });
    const paid = first.payouts.filter((p) => p.period !== '2026-03');
    const result = run(data(), [plan], {
      asOf: '2026-03-31',
      locked: { periods: ['2026-01', '2026-02'], lines: paid },
      adjustments: [manual('250.00', '2026-02')],
    });
    expect(amounts(result)['r1/2026-03/adjustment']).toBe('250.00');
  });

  it('without adjustments the result is as before (same lines, same order)', () => {
    const plan = monthly();
    expect(run(data(), [plan], { adjustments: [] }).payouts.map((p) => p.amount)).toEqual(
      run(data(), [plan]).payouts.map((p) => p.amount),
    );
  });
});

describe('pay-cycle rules', () => {
  const calendar = new FiscalCalendar(1);

  it('line keys are plan|rep|period|component', () => {
    expect(parseLineKey('ae|r1|2026-01|commission')).toEqual({
      planId: 'ae',
      repId: 'r1',
      period: '2026-01',
      component: 'commission',
    });
    expect(parseLineKey('ae|r1|2026-01')).toBeUndefined();
    expect(parseLineKey('ae||2026-01|commission')).toBeUndefined();
  });

  it('a period is open, approved, paid (locked) or exported: the furthest reached', () => {
    expect(periodState({ exported: false, locked: false, approved: false })).toBe('open');
    expect(periodState({ exported: false, locked: false, approved: true })).toBe('approved');
    expect(periodState({ exported: false, locked: true, approved: false })).toBe('paid');
    expect(periodState({ exported: true, locked: true, approved: true })).toBe('exported');
  });

  it('the first open period skips locked and approved ones, in the plan cadence', () => {
    const locks = new LockSet(['2026-01'], calendar);
    const from = calendar.parse('2026-01')!;
    expect(firstOpenPeriod(calendar, 'month', from, locks, (l) => l === '2026-02').label).toBe('2026-03');
    expect(firstOpenPeriod(calendar, 'quarter', from, new LockSet(['2026-Q1'], calendar), () => false).label).toBe(
      '2026-Q2',
    );
    expect(firstOpenPeriod(calendar, 'month', calendar.parse('2026-05')!, locks, () => false).label).toBe('2026-05');
  });

  it('says which approved lines changed, appeared or disappeared', () => {
    const line = (repId: string, amount: string) => ({
      planId: 'ae',
      repId,
      period: '2026-01',
      component: 'commission',
      amount,
      currency: 'USD',
    });
    const approved = fingerprintOf([line('r1', '100.00'), line('r2', '50.00')]);
    const now = fingerprintOf([line('r1', '120.00'), line('r3', '5.00')]);
    expect(changedLines(approved, now)).toEqual([
      { key: 'ae|r1|2026-01|commission', approved: '100.00 USD', now: '120.00 USD' },
      { key: 'ae|r2|2026-01|commission', approved: '50.00 USD', now: null },
      { key: 'ae|r3|2026-01|commission', approved: null, now: '5.00 USD' },
    ]);
    expect(changedLines(approved, approved)).toEqual([]);
  });
});
