/** The comparison of two calculations (src/domain/plan-diff.ts): currencies, bands, crossings, periods. */
import { describe, expect, it } from 'vitest';
import { ZERO, decimal, formatDecimal } from '../../src/domain/decimal.js';
import { Trace, type CalculationResult } from '../../src/domain/engine.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import type { Component, Plan } from '../../src/domain/plan.js';
import { DiffError, bandOf, diffPlans, type DiffSide } from '../../src/domain/plan-diff.js';
import { commissionPlan, deal, rep, run } from './builders.js';

const calendar = new FiscalCalendar(1);

function side(ref: string, plans: Plan[], result: CalculationResult): DiffSide {
  return { ref, plans, payouts: result.payouts, attainment: result.attainment };
}

function table(overrides: Partial<Extract<Component, { kind: 'rate-table' }>>): Component {
  return {
    id: 'commission',
    kind: 'rate-table',
    measure: 'bookings',
    basis: 'attainment',
    mode: 'marginal',
    tiers: [{ from: '0', rate: '0.1' }],
    ...overrides,
  };
}

const reps = [rep('r1'), rep('r2'), rep('r3')];
const deals = [
  deal({ ownerId: 'r1', amount: '60000', closeDate: '2026-02-10' }),
  deal({ ownerId: 'r2', amount: '95000', closeDate: '2026-03-01' }),
  deal({ ownerId: 'r3', amount: '130000', closeDate: '2026-05-20' }),
];
const quotas = reps.flatMap((r) => ['2026-Q1', '2026-Q2'].map((period) => ({ repId: r.id, period, amount: '100000' })));
const assignments = reps.map((r) => ({ repId: r.id, planId: 'ae', from: '2026-01-01' }));
const data = { reps, deals, quotas, assignments };

function calc(plan: Plan): DiffSide {
  return side(plan === basePlan ? 'base' : 'head', [plan], run(data, [plan], { asOf: '2026-06-30' }));
}
const basePlan = commissionPlan({}, [table({ gate: '0.9', cap: '20000' })]);

describe('diffPlans', () => {
  it('a dated version is judged in the quota periods it pays: its cap crosses in Q2, the first quarter stands', () => {
    const version = { effective: '2026-04-01', hash: 'v2', name: basePlan.name, measures: basePlan.measures };
    const head: Plan = {
      ...basePlan,
      versions: [{ ...version, components: [table({ gate: '0.5', cap: '9600' })] }],
    };
    const diff = diffPlans(calc(basePlan), calc(head), { calendar, baseCurrency: 'USD', fxRates: [] });
    // r1's 60 % in Q1 is still below the plan's own 90 % gate; r3's 130 % in Q2 meets the version's cap.
    expect(diff.crossings).toEqual([
      { repId: 'r3', planId: 'ae', period: '2026-Q2', component: 'commission', kind: 'cap', base: false, head: true },
    ]);
    expect(diff.byRep[0]).toMatchObject({ repId: 'r3', delta: '-3400.00' });
  });

  it('a gate lowered and a cap cut: the reps who cross them, and the cost per rep, largest change first', () => {
    const head = commissionPlan({}, [table({ gate: '0.5', cap: '9600' })]);
    const diff = diffPlans(calc(basePlan), calc(head), { calendar, baseCurrency: 'USD', fxRates: [] });
    // r1 at 60 % now passes the gate (6,000); r3 at 130 % is capped at 9,600 (was 13,000); r2 at 95 % unchanged.
    expect(diff.byRep).toEqual([
      { repId: 'r1', planId: 'ae', base: '0.00', head: '6000.00', delta: '6000.00' },
      { repId: 'r3', planId: 'ae', base: '13000.00', head: '9600.00', delta: '-3400.00' },
      { repId: 'r2', planId: 'ae', base: '9500.00', head: '9500.00', delta: '0.00' },
    ]);
    expect(diff).toMatchObject({ base: { total: '22500.00' }, head: { total: '25100.00' }, delta: '2600.00' });
    expect(diff.crossings).toEqual([
      { repId: 'r1', planId: 'ae', period: '2026-Q1', component: 'commission', kind: 'gate', base: false, head: true },
      { repId: 'r3', planId: 'ae', period: '2026-Q2', component: 'commission', kind: 'cap', base: false, head: true },
    ]);
    // The cap status is the engine's own (its trace says whether the cap applied).
    const capped = run(data, [head], { asOf: '2026-06-30' }).payouts.filter(
      (l) => (l.trace.toJSON() as { cap?: { applied: boolean } }).cap?.applied,
    );
    expect(capped.map((l) => l.repId)).toEqual(['r3']);
  });

  it('bands count rep quota periods by the attainment of the first rate table’s measure', () => {
    const diff = diffPlans(calc(basePlan), calc(basePlan), { calendar, baseCurrency: 'USD', fxRates: [] });
    // Q1: r1 60 %, r2 95 %, r3 0 %; Q2: r1 0 %, r2 0 %, r3 130 %.
    expect(diff.bands).toEqual({
      '0-50': { base: 3, head: 3 },
      '50-75': { base: 1, head: 1 },
      '75-100': { base: 1, head: 1 },
      '100-125': { base: 0, head: 0 },
      '125+': { base: 1, head: 1 },
    });
    expect(diff.crossings).toEqual([]);
    expect([bandOf(decimal('0.4999')), bandOf(decimal('0.5')), bandOf(decimal('1.25'))]).toEqual([
      '0-50',
      '50-75',
      '125+',
    ]);
  });

  it('keeps to a period: payout periods inside it, quota periods overlapping it', () => {
    const head = commissionPlan({}, [table({ gate: '0.5', cap: '9600' })]);
    const q2 = calendar.parse('2026-Q2')!;
    const diff = diffPlans(calc(basePlan), calc(head), { calendar, baseCurrency: 'USD', fxRates: [], period: q2 });
    expect(diff.byPeriod.map((p) => p.period)).toEqual(['2026-Q2']);
    expect(diff.delta).toBe('-3400.00');
    expect(diff.crossings.map((c) => c.kind)).toEqual(['cap']);
    expect(Object.values(diff.bands).reduce((n, b) => n + b.base, 0)).toBe(3);
  });

  it('plans in two currencies: amounts in the base currency, each rep-period converted once, totals equal the rows to the cent', () => {
    const euro = commissionPlan({ id: 'eu', currency: 'EUR', payoutPeriod: 'month' }, [
      table({ basis: 'amount', tiers: [{ from: '0', rate: '0.0333' }] }),
    ]);
    const both = [basePlan, euro];
    const fxRates = [{ currency: 'EUR', from: '2026-01-01', rate: '0.9' }];
    const mixed = {
      ...data,
      assignments: [...assignments, ...reps.map((r) => ({ repId: r.id, planId: 'eu', from: '2026-01-01' }))],
      fxRates,
    };
    const result = run(mixed, both, { asOf: '2026-06-30' });
    const raised = [
      basePlan,
      { ...euro, components: [table({ basis: 'amount', tiers: [{ from: '0', rate: '0.0444' }] })] },
    ];
    const after = run(mixed, raised, { asOf: '2026-06-30' });
    const diff = diffPlans(side('base', both, result), side('head', raised, after), {
      calendar,
      baseCurrency: 'USD',
      fxRates,
    });
    expect(diff.currency).toBe('USD');
    // r1's February: 60,000 USD is 54,000 EUR at 0.9 EUR per USD, × 0.0333 = 1,798.20 EUR, back at 0.9: 1,998.00 USD.
    const euroLine = result.payouts.find((l) => l.planId === 'eu' && l.repId === 'r1' && l.period === '2026-02')!;
    expect(euroLine).toMatchObject({ amount: '1798.20', currency: 'EUR' });
    expect(diff.byRep.find((r) => r.repId === 'r1' && r.planId === 'eu')!.base).toBe('1998.00');
    for (const key of ['base', 'head', 'delta'] as const) {
      const rows = formatDecimal(
        diff.byRep.reduce((s, r) => s + decimal(r[key]), ZERO),
        2,
      );
      const periods = formatDecimal(
        diff.byPeriod.reduce((s, r) => s + decimal(r[key]), ZERO),
        2,
      );
      const total = key === 'delta' ? diff.delta : diff[key].total;
      expect(rows).toBe(total);
      expect(periods).toBe(total);
    }
  });

  it('a line in a currency with no rate yet at its period’s end cannot be converted: a DiffError (exit 2), not a crash', () => {
    const euro = commissionPlan({ id: 'eu', currency: 'EUR' });
    const draw = {
      repId: 'r1',
      planId: 'eu',
      period: '2026-Q1',
      component: 'draw',
      amount: '100.00',
      currency: 'EUR',
      trace: Trace.stored('draw', {}),
    };
    const sideWithDraw: DiffSide = { ref: 'x', plans: [basePlan, euro], payouts: [draw], attainment: [] };
    const compare = () =>
      diffPlans(sideWithDraw, sideWithDraw, {
        calendar,
        baseCurrency: 'USD',
        fxRates: [{ currency: 'EUR', from: '2026-04-01', rate: '0.9' }],
      });
    expect(compare).toThrow(DiffError);
    expect(compare).toThrow(/r1's eu lines of 2026-Q1 are in EUR, with no exchange rate/);
  });
});
