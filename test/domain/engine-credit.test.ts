import { describe, expect, it } from 'vitest';
import { amounts, commissionPlan, deal, rep, run } from './builders.js';
import type { Plan } from '../../src/domain/plan.js';

const flat10 = commissionPlan(); // 10 % of credit, quarterly, splits credit
const assign = (repId: string, planId = 'ae', from = '2026-01-01', to?: string) => ({
  repId,
  planId,
  from,
  ...(to ? { to } : {}),
});

describe('credit', () => {
  it('owner credit: 100 % to the owner even when the deal has splits', () => {
    // owner mode ignores the 50/50 split: r1 gets 10,000 × 10 % = 1,000.00, r2 nothing
    const plan: Plan = { ...flat10, measures: { bookings: { credit: 'owner', rollup: true } } };
    const d = deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' });
    const result = run(
      {
        reps: [rep('r1'), rep('r2')],
        deals: [d],
        splits: [
          { dealId: d.id, repId: 'r1', percent: '50', kind: 'revenue' },
          { dealId: d.id, repId: 'r2', percent: '50', kind: 'revenue' },
        ],
        quotas: [
          { repId: 'r1', period: '2026-Q1', amount: '1' },
          { repId: 'r2', period: '2026-Q1', amount: '1' },
        ],
        assignments: [assign('r1'), assign('r2')],
      },
      [plan],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '1000.00' });
  });

  it('split credit: revenue splits share the amount, overlay splits add on top', () => {
    // 10,000 split 60/40 revenue + 25 % overlay to r3:
    // r1 6,000 → 600.00; r2 4,000 → 400.00; r3 2,500 → 250.00
    const d = deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' });
    const result = run(
      {
        reps: [rep('r1'), rep('r2'), rep('r3')],
        deals: [d],
        splits: [
          { dealId: d.id, repId: 'r1', percent: '60', kind: 'revenue' },
          { dealId: d.id, repId: 'r2', percent: '40', kind: 'revenue' },
          { dealId: d.id, repId: 'r3', percent: '25', kind: 'overlay' },
        ],
        quotas: ['r1', 'r2', 'r3'].map((r) => ({ repId: r, period: '2026-Q1', amount: '100000' })),
        assignments: [assign('r1'), assign('r2'), assign('r3')],
      },
      [flat10],
    );
    expect(amounts(result)).toEqual({
      'r1/2026-Q1/commission': '600.00',
      'r2/2026-Q1/commission': '400.00',
      'r3/2026-Q1/commission': '250.00',
    });
    const traced = result.payouts.find((p) => p.repId === 'r2')!.trace.toJSON()['deals'] as {
      deal: string;
      percent: string;
      credit: string;
    }[];
    expect(traced).toEqual([expect.objectContaining({ deal: d.id, percent: '40', credit: '4000' })]);
  });

  it('a deal counts toward a plan only if it closed while the rep was assigned to it', () => {
    // assigned to ae Jan 1 – Feb 28 and to ae2 from Mar 1. Deal A (Feb 20, 1,000) → ae; deal B (Mar 5, 2,000) → ae2.
    // ae pays 10 % of 1,000 = 100.00; ae2 pays 20 % of 2,000 = 400.00. Quotas are prorated (ae: 59 of 90 days).
    const ae2: Plan = {
      ...commissionPlan({ id: 'ae2' }),
      components: [
        {
          id: 'commission',
          kind: 'rate-table',
          measure: 'bookings',
          basis: 'amount',
          mode: 'marginal',
          tiers: [{ from: '0', rate: '0.2' }],
        },
      ],
    };
    const ae: Plan = {
      ...commissionPlan(),
      components: [
        {
          id: 'commission',
          kind: 'rate-table',
          measure: 'bookings',
          basis: 'amount',
          mode: 'marginal',
          tiers: [{ from: '0', rate: '0.1' }],
        },
      ],
    };
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-02-20' }),
          deal({ ownerId: 'r1', amount: '2000', closeDate: '2026-03-05' }),
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '9000' }],
        assignments: [assign('r1', 'ae', '2026-01-01', '2026-02-28'), assign('r1', 'ae2', '2026-03-01')],
      },
      [ae, ae2],
    );
    expect(result.payouts.map((p) => [p.planId, p.amount])).toEqual([
      ['ae', '100.00'],
      ['ae2', '400.00'],
    ]);
    // Proration: ae covers Jan 1 – Feb 28 = 59 of Q1's 90 days → 9,000 × 59 / 90 = 5,900; ae2 covers 31 days → 3,100.
    expect(result.attainment.map((a) => [a.planId, a.quota, a.attainment])).toEqual([
      ['ae', '5900', '0.1694915254'],
      ['ae2', '3100', '0.6451612903'],
    ]);
  });

  it('where filters deals on canonical and extra fields', () => {
    // only New Business counts: 5,000 of the 5,000 + 7,000 → 500.00
    const plan: Plan = {
      ...flat10,
      measures: { bookings: { credit: 'owner', rollup: true, where: { type: ['New Business'] } } },
    };
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '5000', closeDate: '2026-01-10', type: 'New Business' }),
          deal({ ownerId: 'r1', amount: '7000', closeDate: '2026-01-11', type: 'Renewal' }),
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [assign('r1')],
      },
      [plan],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '500.00' });
  });

  it('open, lost and deleted deals credit nothing', () => {
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-01-10' }),
          deal({ ownerId: 'r1', amount: '5000', closeDate: '2026-01-11', stage: 'open' }),
          deal({ ownerId: 'r1', amount: '5000', closeDate: '2026-01-12', stage: 'lost' }),
          deal({ ownerId: 'r1', amount: '5000', closeDate: '2026-01-13', deleted: true }),
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [assign('r1')],
      },
      [flat10],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '100.00' });
  });
});

describe('currency', () => {
  it('converts at the rate in effect on the close date: amount ÷ rate(deal) × rate(plan)', () => {
    // EUR rate 0.8 from Jan 1, 0.9 from Feb 1 (EUR per USD). Deal 900 EUR on Feb 3 → 900 ÷ 0.9 × 1 = 1,000 USD → 100.00
    // Deal 800 EUR on Jan 31 → 800 ÷ 0.8 = 1,000 USD → 100.00; total 200.00
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '900', currency: 'EUR', closeDate: '2026-02-03' }),
          deal({ ownerId: 'r1', amount: '800', currency: 'EUR', closeDate: '2026-01-31' }),
        ],
        fxRates: [
          { currency: 'EUR', from: '2026-01-01', rate: '0.8' },
          { currency: 'EUR', from: '2026-02-01', rate: '0.9' },
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [assign('r1')],
      },
      [flat10],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '200.00' });
    expect(result.attainment[0]!.credit).toBe('2000');
  });

  it('converts into a non-base plan currency through the base', () => {
    // plan in GBP; GBP 0.75 per USD, EUR 0.9 per USD. 900 EUR → 900 ÷ 0.9 × 0.75 = 750 GBP → 10 % = 75.00 GBP
    const plan = commissionPlan({ currency: 'GBP' });
    const result = run(
      {
        reps: [rep('r1')],
        deals: [deal({ ownerId: 'r1', amount: '900', currency: 'EUR', closeDate: '2026-02-03' })],
        fxRates: [
          { currency: 'EUR', from: '2026-01-01', rate: '0.9' },
          { currency: 'GBP', from: '2026-01-01', rate: '0.75' },
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [assign('r1')],
      },
      [plan],
    );
    expect(result.payouts.map((p) => [p.amount, p.currency])).toEqual([['75.00', 'GBP']]);
  });

  it('a deal closed before its currency has any rate becomes a reject', () => {
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ id: 'early', ownerId: 'r1', amount: '900', currency: 'EUR', closeDate: '2025-12-31' }),
          deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-01-05' }),
        ],
        fxRates: [{ currency: 'EUR', from: '2026-01-01', rate: '0.9' }],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [assign('r1', 'ae', '2025-10-01')],
      },
      [flat10],
    );
    expect(result.rejects).toEqual([
      expect.objectContaining({ recordId: 'early', reason: 'no exchange rate in effect on 2025-12-31 to convert EUR' }),
      expect.objectContaining({ recordId: 'r1/2025-Q4', reason: expect.stringContaining('no quota') }),
    ]);
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/commission': '100.00' });
  });
});

describe('managers', () => {
  // m1 manages r1 and r2; vp manages m1.
  const reps = [rep('vp'), rep('m1', 'vp'), rep('r1', 'm1'), rep('r2', 'm1')];
  const managerPlan = (components: Plan['components'], rollup = true): Plan => ({
    id: 'mgr',
    name: 'Manager',
    currency: 'USD',
    quotaPeriod: 'quarter',
    payoutPeriod: 'quarter',
    measures: { team: { credit: 'splits', rollup } },
    components,
  });

  it('roll-up: a manager’s attainment counts everyone below them', () => {
    // r1 10,000, r2 30,000 → m1 40,000 on quota 80,000 = 0.5; vp also 40,000 on 200,000 = 0.2.
    const plan = managerPlan([
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'team',
        basis: 'attainment',
        mode: 'marginal',
        tiers: [{ from: '0', rate: '0.01' }],
      },
    ]);
    const result = run(
      {
        reps,
        deals: [
          deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' }),
          deal({ ownerId: 'r2', amount: '30000', closeDate: '2026-01-20' }),
        ],
        quotas: [
          { repId: 'm1', period: '2026-Q1', amount: '80000' },
          { repId: 'vp', period: '2026-Q1', amount: '200000' },
        ],
        assignments: [assign('m1', 'mgr'), assign('vp', 'mgr')],
      },
      [plan],
    );
    expect(result.attainment.map((a) => [a.repId, a.credit, a.attainment])).toEqual([
      ['m1', '40000', '0.5'],
      ['vp', '40000', '0.2'],
    ]);
    // 1 % of 40,000 = 400.00 each; m1's trace shows the credit through each direct report
    expect(amounts(result)).toEqual({ 'm1/2026-Q1/commission': '400.00', 'vp/2026-Q1/commission': '400.00' });
    const m1 = result.payouts.find((p) => p.repId === 'm1')!;
    expect(m1.trace.toJSON()['team']).toEqual({ credit: '40000', byDirectReport: { r1: '10000', r2: '30000' } });
    expect(
      (result.payouts.find((p) => p.repId === 'vp')!.trace.toJSON()['team'] as { byDirectReport: unknown })
        .byDirectReport,
    ).toEqual({ m1: '40000' });
  });

  it('rollup: false counts only the manager’s own deals', () => {
    const plan = managerPlan(
      [
        {
          id: 'commission',
          kind: 'rate-table',
          measure: 'team',
          basis: 'amount',
          mode: 'marginal',
          tiers: [{ from: '0', rate: '0.01' }],
        },
      ],
      false,
    );
    const result = run(
      {
        reps,
        deals: [
          deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' }),
          deal({ ownerId: 'm1', amount: '5000', closeDate: '2026-01-20' }),
        ],
        assignments: [assign('m1', 'mgr')],
      },
      [plan],
    );
    // only m1's own 5,000 → 50.00
    expect(amounts(result)).toEqual({ 'm1/2026-Q1/commission': '50.00' });
  });

  it('override: pays on everyone below, each deal counted once', () => {
    // One deal 10,000 split 50/50 between r1 and r2, plus a 30 % overlay to r2: below m1 that is
    // 130 % of the deal, counted once → 10,000. Override 2 % → 200.00. A deal owned by m1 itself
    // (4,000) is not "below" m1 and pays no override.
    const d = deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-02-10' });
    const plan = managerPlan([{ id: 'override', kind: 'override', measure: 'team', rate: '0.02' }]);
    const result = run(
      {
        reps,
        deals: [d, deal({ ownerId: 'm1', amount: '4000', closeDate: '2026-02-11' })],
        splits: [
          { dealId: d.id, repId: 'r1', percent: '50', kind: 'revenue' },
          { dealId: d.id, repId: 'r2', percent: '50', kind: 'revenue' },
          { dealId: d.id, repId: 'r2', percent: '30', kind: 'overlay' },
        ],
        assignments: [assign('m1', 'mgr')],
      },
      [plan],
    );
    expect(amounts(result)).toEqual({ 'm1/2026-Q1/override': '200.00' });
    expect(result.payouts[0]!.trace.toJSON()['teamCreditToDate']).toBe('10000');
  });
});

describe('per-deal and bonus', () => {
  it('per-deal pays a fixed amount or a rate for each own deal matching its filter', () => {
    // two deals with contractTermMonths 36 and 12; spiff 500 for ≥ 24 → 500.00; kicker 1 % of all → 30 + 20 = 50.00
    const plan = commissionPlan({}, [
      {
        id: 'spiff',
        kind: 'per-deal',
        measure: 'bookings',
        where: { contractTermMonths: { gte: '24' } },
        amount: '500',
      },
      { id: 'kicker', kind: 'per-deal', measure: 'bookings', rate: '0.01' },
    ]);
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '3000', closeDate: '2026-01-10', fields: { contractTermMonths: '36' } }),
          deal({ ownerId: 'r1', amount: '2000', closeDate: '2026-01-11', fields: { contractTermMonths: '12' } }),
        ],
        assignments: [assign('r1')],
      },
      [plan],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-Q1/spiff': '500.00', 'r1/2026-Q1/kicker': '50.00' });
  });

  it('bonus is paid once per quota period, in the payout period in which it is reached', () => {
    // quota 100,000; Jan 60,000 (0.6), Feb +50,000 (1.1 ≥ 1.0) → 2,000.00 in Feb; Mar +10,000: nothing more
    const plan = commissionPlan({ payoutPeriod: 'month' }, [
      { id: 'club', kind: 'bonus', measure: 'bookings', attainmentAtLeast: '1.0', amount: '2000' },
    ]);
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '60000', closeDate: '2026-01-10' }),
          deal({ ownerId: 'r1', amount: '50000', closeDate: '2026-02-10' }),
          deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-03-10' }),
        ],
        quotas: [{ repId: 'r1', period: '2026-Q1', amount: '100000' }],
        assignments: [assign('r1')],
      },
      [plan],
    );
    expect(amounts(result)).toEqual({ 'r1/2026-02/club': '2000.00' });
  });
});

describe('periods and time zone', () => {
  it('fiscal quarters follow fiscalYearStartMonth', () => {
    // FY starts in February: a January 2026 deal is in 2025-Q4, a February one in 2026-Q1.
    const result = run(
      {
        reps: [rep('r1')],
        deals: [
          deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-01-31' }),
          deal({ ownerId: 'r1', amount: '2000', closeDate: '2026-02-01' }),
        ],
        assignments: [assign('r1', 'ae', '2025-01-01')],
        quotas: [
          { repId: 'r1', period: '2025-Q4', amount: '10000' },
          { repId: 'r1', period: '2026-Q1', amount: '10000' },
        ],
      },
      [flat10],
      { calendar: { fiscalYearStartMonth: 2, tz: 'UTC' } },
    );
    expect(amounts(result)).toEqual({ 'r1/2025-Q4/commission': '100.00', 'r1/2026-Q1/commission': '200.00' });
  });
});
