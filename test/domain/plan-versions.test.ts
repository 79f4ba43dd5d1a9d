/** The engine on a plan with dated versions (docs/plans.md#changing-a-plan-mid-year): locks, and who reads the plan. */
import { describe, expect, it } from 'vitest';
import { decimal, formatDecimal } from '../../src/domain/decimal.js';
import type { CalculationResult } from '../../src/domain/engine.js';
import type { Component, Plan, PlanVersion } from '../../src/domain/plan.js';
import { planOn } from '../../src/domain/plan.js';
import { targetIncentive } from '../../src/domain/target-incentive.js';
import { commissionPlan, deal, rep, run } from './builders.js';

const commission = (rate: string): Component => ({
  id: 'commission',
  kind: 'rate-table',
  measure: 'bookings',
  basis: 'amount',
  mode: 'marginal',
  tiers: [{ from: '0', rate }],
});

/** Quarterly quota paid monthly at 10 %; from `effective`, 20 %. */
function plan(effective?: string): Plan {
  const base = commissionPlan({ payoutPeriod: 'month' }, [commission('0.1')]);
  if (!effective) return base;
  const version: PlanVersion = {
    effective,
    hash: 'h'.repeat(64),
    name: base.name,
    measures: base.measures,
    components: [commission('0.2')],
  };
  return { ...base, versions: [version] };
}

const data = {
  reps: [rep('r1')],
  assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
  deals: [
    deal({ id: 'jan', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' }),
    deal({ id: 'may', ownerId: 'r1', amount: '5000', closeDate: '2026-05-10' }),
  ],
};

const lines = (result: CalculationResult) =>
  result.payouts.map((l) => {
    const version = (l.trace.toJSON()['planVersion'] as { effective: string } | undefined)?.effective ?? '-';
    return `${l.period} ${l.component} ${l.amount} ${version}`;
  });

describe('a plan with a dated version, with locked periods', () => {
  const january = run(data, [plan()], { asOf: '2026-01-31' }).payouts;
  const locked = { periods: ['2026-01'], lines: january };

  it('a version from April leaves locked January alone: no adjustment', () => {
    expect(lines(run(data, [plan('2026-04-01')], { asOf: '2026-06-30', locked }))).toEqual([
      '2026-01 commission 1000.00 -',
      '2026-05 commission 1000.00 2026-04-01',
    ]);
  });

  it('a version dated back to January re-pays the locked month as an adjustment in the first open one', () => {
    const result = run(data, [plan('2026-01-01')], { asOf: '2026-06-30', locked });
    expect(lines(result)).toEqual([
      '2026-01 commission 1000.00 -',
      '2026-02 adjustment 1000.00 -',
      '2026-05 commission 1000.00 2026-01-01',
    ]);
    expect(result.payouts[1]!.trace.toJSON()).toMatchObject({
      byComponent: [{ component: 'commission', locked: '1000', recomputed: '2000' }],
    });
  });
});

describe('planOn', () => {
  it('is the plan itself before the first version and without versions, the version from its date', () => {
    const versioned = plan('2026-04-01');
    expect(planOn(plan(), '2026-07-01')).toStrictEqual(plan());
    expect(planOn(versioned, '2026-01-01')).toBe(versioned);
    const april = planOn(versioned, '2026-04-01');
    expect(april.versions).toBeUndefined();
    expect(april.components).toStrictEqual([commission('0.2')]);
    // What the report's target incentive reads for a rep-period, at 100 % of a 100,000 quota.
    expect(formatDecimal(targetIncentive(planOn(versioned, '2026-01-01'), decimal('100000')), 2)).toBe('10000.00');
    expect(formatDecimal(targetIncentive(april, decimal('100000')), 2)).toBe('20000.00');
  });
});
