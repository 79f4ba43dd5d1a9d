/**
 * The typed trace (src/domain/trace.ts): every kind renders the JSON `attain calc --json` printed
 * before traces had kinds, keys in the same order; a trace read back from storage is typed as the
 * kind it was built as; and every kind has its words.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareCalculation } from '../../jobs/prepare-calculation.js';
import { calculate, type CalculationResult, type ManualAdjustment } from '../../src/domain/engine.js';
import type { Plan } from '../../src/domain/plan.js';
import { classifyTrace, type TraceKind, type TypedTrace } from '../../src/domain/trace.js';
import { explainLine } from '../../src/domain/trace-words.js';
import { commissionPlan, deal, rep, run } from './builders.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');

const QUOTA = ['measure', 'quotaPeriod', 'creditToDate', 'quota'];
const TO_DATE = ['dueToDate', 'paidEarlier', 'rounding'];

/** Lines of the example and demo workspaces, one per kind and shape, with the keys calc --json printed. */
const WORKSPACE_LINES: Record<string, { asOf: string; lines: Record<string, [TraceKind, string[]]> }> = {
  example: {
    asOf: '2026-06-29',
    lines: {
      'm1|mgr-fy26|2026-Q1|team-commission': [
        'rateTable',
        [...QUOTA, 'attainmentToDate', 'basis', 'mode', 'deals', 'team', 'gate', 'tiers', ...TO_DATE],
      ],
      'm1|mgr-fy26|2026-Q1|team-override': [
        'override',
        ['measure', 'quotaPeriod', 'rate', 'teamCreditToDate', 'team', ...TO_DATE],
      ],
      'r1|ae-fy26|2026-01|commission': [
        'rateTable',
        [...QUOTA, 'attainmentToDate', 'basis', 'mode', 'deals', 'tiers', 'cap', ...TO_DATE],
      ],
      'r1|ae-fy26|2026-01|multi-year-spiff': [
        'perDeal',
        [...QUOTA, 'attainmentToDate', 'perDeal', 'deals', ...TO_DATE],
      ],
      'r1|ae-fy26|2026-03|draw': ['draw', ['draw', 'recoverable', 'earned', 'topUp', 'balanceBefore', 'balanceAfter']],
      'r1|ae-fy26|2026-04|draw': [
        'draw',
        ['draw', 'recoverable', 'earned', 'recovered', 'balanceBefore', 'balanceAfter'],
      ],
      'r5|ae-fy26|2026-02|commission': [
        'rateTable',
        [...QUOTA, 'proration', 'attainmentToDate', 'basis', 'mode', 'deals', 'tiers', 'cap', ...TO_DATE],
      ],
      'r5|ae-fy26|2026-02|multi-year-spiff': [
        'perDeal',
        [...QUOTA, 'proration', 'attainmentToDate', 'perDeal', 'deals', ...TO_DATE],
      ],
      'r5|ae-fy26|2026-03|club-bonus': [
        'bonus',
        [...QUOTA, 'proration', 'attainmentToDate', 'attainmentAtLeast', 'reached', 'bonus', ...TO_DATE],
      ],
    },
  },
  demo: {
    asOf: '2026-11-28',
    lines: {
      'east-01|ae-2026|2026-01|commission': [
        'rateTable',
        [...QUOTA, 'attainmentToDate', 'basis', 'mode', 'deals', 'tiers', 'cap', ...TO_DATE],
      ],
      'east-01|ae-2026|2026-01|multi-year': ['perDeal', [...QUOTA, 'attainmentToDate', 'perDeal', 'deals', ...TO_DATE]],
      'east-02|ae-2026|2026-03|presidents-club': [
        'bonus',
        [...QUOTA, 'attainmentToDate', 'attainmentAtLeast', 'reached', 'bonus', ...TO_DATE],
      ],
      'east-mgr|manager-2026|2026-Q1|team-commission': [
        'rateTable',
        [...QUOTA, 'attainmentToDate', 'basis', 'mode', 'deals', 'team', 'gate', 'tiers', ...TO_DATE],
      ],
      'east-mgr|manager-2026|2026-Q1|override': [
        'override',
        ['measure', 'quotaPeriod', 'rate', 'teamCreditToDate', 'team', ...TO_DATE],
      ],
    },
  },
};

const keyOf = (l: { repId: string; planId: string; period: string; component: string }) =>
  `${l.repId}|${l.planId}|${l.period}|${l.component}`;

/** Each line's trace, as built and as read back from its stored JSON. */
function expectStoredKindsAgree(result: CalculationResult): void {
  for (const line of result.payouts) {
    const stored = JSON.parse(JSON.stringify(line.trace)) as Record<string, unknown>;
    expect(classifyTrace(line.component, stored).kind, keyOf(line)).toBe(line.trace.read().kind);
  }
}

describe.each(Object.entries(WORKSPACE_LINES))('the traces of examples/%s', (name, { asOf, lines }) => {
  it('render the keys calc --json printed, in its order, each line of the kind it was built as', async () => {
    const { input } = await prepareCalculation(resolve(EXAMPLES, name), { asOf });
    const result = calculate(input);
    const byKey = new Map(result.payouts.map((line) => [keyOf(line), line]));
    for (const [key, [kind, keys]] of Object.entries(lines)) {
      const line = byKey.get(key);
      expect(line, key).toBeDefined();
      expect(line!.trace.read().kind, key).toBe(kind);
      expect(Object.keys(line!.trace.toJSON()), key).toEqual(keys);
    }
    expectStoredKindsAgree(result);
  });
});

describe('adjustment traces', () => {
  const monthly: Plan = commissionPlan({ payoutPeriod: 'month' }, [
    {
      id: 'commission',
      kind: 'rate-table',
      measure: 'bookings',
      basis: 'amount',
      mode: 'marginal',
      tiers: [{ from: '0', rate: '0.1' }],
    },
  ]);
  const data = (late: boolean) => ({
    reps: [rep('r1')],
    deals: [
      deal({ id: 'a1', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10' }),
      ...(late ? [deal({ id: 'a2', ownerId: 'r1', amount: '5000', closeDate: '2026-01-20' })] : []),
      deal({ id: 'a3', ownerId: 'r1', amount: '1000', closeDate: '2026-03-02' }),
    ],
    assignments: [{ repId: 'r1', planId: 'ae', from: '2026-01-01' }],
  });
  const manual = (amount: string, period: string): ManualAdjustment => ({
    repId: 'r1',
    planId: 'ae',
    period,
    amount,
    currency: 'USD',
    trace: { reason: 'dispute 7 resolved with an adjustment', dispute: '7', line: 'ae|r1|2026-01|commission' },
  });
  const january = run(data(false), [monthly], { asOf: '2026-03-31' }).payouts.filter((p) => p.period === '2026-01');
  const adjustmentOf = (result: CalculationResult) => result.payouts.find((p) => p.component === 'adjustment')!;

  it('a locked period changed: the reason, periods, components and deals, in that order', () => {
    const result = run(data(true), [monthly], {
      asOf: '2026-03-31',
      locked: { periods: ['2026-01'], lines: january },
    });
    const trace = adjustmentOf(result).trace;
    expect(trace.read().kind).toBe('lockAdjustment');
    expect(Object.keys(trace.toJSON())).toEqual(['reason', 'lockedPeriods', 'byComponent', 'clawedBack', 'added']);
    expectStoredKindsAgree(result);
  });

  it('a manual adjustment: its own trace as given', () => {
    const result = run(data(false), [monthly], { asOf: '2026-03-31', adjustments: [manual('250.00', '2026-02')] });
    const trace = adjustmentOf(result).trace;
    expect(trace.read().kind).toBe('manualAdjustment');
    expect(Object.keys(trace.toJSON())).toEqual(['reason', 'dispute', 'line']);
    expect(explainLine(trace.read())).toBe('dispute 7 resolved with an adjustment');
    expectStoredKindsAgree(result);
  });

  it('several in one period: the reason and each part with its amount first', () => {
    const result = run(data(true), [monthly], {
      asOf: '2026-03-31',
      locked: { periods: ['2026-01'], lines: january },
      adjustments: [manual('-80.50', '2026-02')],
    });
    const trace = adjustmentOf(result).trace;
    expect(trace.read().kind).toBe('adjustmentSum');
    const json = trace.toJSON() as { adjustments: object[] };
    expect(Object.keys(json)).toEqual(['reason', 'adjustments']);
    expect(json.adjustments.map((part) => Object.keys(part))).toEqual([
      ['amount', 'reason', 'dispute', 'line'],
      ['amount', 'reason', 'lockedPeriods', 'byComponent', 'clawedBack', 'added'],
    ]);
    expect(explainLine(trace.read())).toBe(
      '-80.50: dispute 7 resolved with an adjustment; 500.00: paid periods 2026-01 changed: commission 1,000.00 paid, now 1,500.00; added: a2',
    );
    expectStoredKindsAgree(result);
  });
});

describe('explainLine', () => {
  const toDate = { dueToDate: '1200', paidEarlier: '800', rounding: 'due to date rounded half-even' };
  const quota = { measure: 'bookings', quotaPeriod: '2026-Q1', creditToDate: '90000', quota: '100000' };
  /** One trace of every kind: the compiler refuses this table without each. */
  const samples: { [K in TraceKind]: Extract<TypedTrace, { kind: K }> } = {
    rateTable: {
      kind: 'rateTable',
      json: {
        ...quota,
        attainmentToDate: '0.9',
        basis: 'attainment',
        mode: 'marginal',
        tiers: [
          { tier: 1, from: '0', fromAmount: '0', toAmount: '50000', rate: '0.05', credit: '50000', amount: '2500' },
        ],
        cap: { cap: '2000', uncapped: '2500', applied: true },
        ...toDate,
      },
    },
    perDeal: {
      kind: 'perDeal',
      json: {
        ...quota,
        perDeal: '400',
        deals: [{ deal: 'D-3', closeDate: '2026-02-10', credit: '5000', pays: '400' }],
        ...toDate,
      },
    },
    bonus: {
      kind: 'bonus',
      json: { ...quota, attainmentToDate: '1.1', attainmentAtLeast: '1', reached: true, bonus: '5000', ...toDate },
    },
    override: {
      kind: 'override',
      json: { measure: 'team', quotaPeriod: '2026-Q1', rate: '0.01', teamCreditToDate: '120000', ...toDate },
    },
    draw: {
      kind: 'draw',
      json: {
        draw: '1000',
        recoverable: true,
        earned: '300.00',
        topUp: '700.00',
        balanceBefore: '0.00',
        balanceAfter: '700.00',
      },
    },
    lockAdjustment: {
      kind: 'lockAdjustment',
      json: {
        reason: 'inputs of locked periods changed; the difference is paid (or recovered) here',
        lockedPeriods: ['2026-01'],
        byComponent: [{ component: 'commission', locked: '1000', recomputed: '0' }],
        clawedBack: ['p1'],
        added: [],
      },
    },
    manualAdjustment: { kind: 'manualAdjustment', json: { reason: 'dispute 3 resolved with an adjustment' } },
    adjustmentSum: {
      kind: 'adjustmentSum',
      json: {
        reason: 'several adjustments fall in this period; this line is their sum',
        adjustments: [
          { amount: '10.00', reason: 'dispute 1 resolved with an adjustment' },
          { amount: '5.00', reason: 'dispute 2 resolved with an adjustment' },
        ],
      },
    },
    other: { kind: 'other', json: { note: 'a trace of an older version' } },
  };
  const words: Record<TraceKind, string> = {
    rateTable:
      'first 50,000.00 at 5 % = 2,500.00; capped at 2,000.00 (attainment 90 % of 100,000.00 quota in 2026-Q1); due to date in 2026-Q1 1,200.00 less 800.00 paid earlier',
    perDeal: '1 deal × 400.00 = 400.00 in 2026-Q1; due to date in 2026-Q1 1,200.00 less 800.00 paid earlier',
    bonus:
      'attainment 110 % of 100,000.00 quota in 2026-Q1 reached 100 %: bonus 5,000.00; due to date in 2026-Q1 1,200.00 less 800.00 paid earlier',
    override:
      "1 % of the team's credit 120,000.00 in 2026-Q1 = 1,200.00; due to date in 2026-Q1 1,200.00 less 800.00 paid earlier",
    draw: 'earned 300.00, below the recoverable draw of 1,000.00: topped up by 700.00 (balance from 0.00 to 700.00)',
    lockAdjustment: 'paid periods 2026-01 changed: commission 1,000.00 paid, now 0.00; clawed back: p1',
    manualAdjustment: 'dispute 3 resolved with an adjustment',
    adjustmentSum: '10.00: dispute 1 resolved with an adjustment; 5.00: dispute 2 resolved with an adjustment',
    other: 'a trace of an older version',
  };

  it.each(Object.values(samples))('has words for a $kind trace', (trace) => {
    expect(explainLine(trace)).toBe(words[trace.kind]);
  });

  it('reads a stored trace as the kind it was built as', () => {
    const adjustments: TraceKind[] = ['lockAdjustment', 'manualAdjustment', 'adjustmentSum'];
    for (const trace of Object.values(samples)) {
      const component = trace.kind === 'draw' ? 'draw' : adjustments.includes(trace.kind) ? 'adjustment' : 'commission';
      expect(classifyTrace(component, trace.json).kind).toBe(trace.kind);
    }
  });
});
