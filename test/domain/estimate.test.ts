/** Estimates (docs/estimates.md): what an open deal would pay, against a full calculation with it won. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZERO, decimal, formatDecimal, type Decimal } from '../../src/domain/decimal.js';
import { calculate, type CalculationInput } from '../../src/domain/engine.js';
import { estimate, estimateBasis, estimatesOf, type Estimate } from '../../src/domain/estimate.js';
import { cmp } from '../../src/domain/order.js';
import type { CanonicalData, Deal, Split } from '../../src/domain/model.js';
import type { Component, Plan } from '../../src/domain/plan.js';
import { tracedDeals } from '../../src/domain/trace.js';
import { commissionPlan, deal, emptyData, rep } from './builders.js';

const CALENDAR = { fiscalYearStartMonth: 1, tz: 'UTC' };

function input(data: Partial<CanonicalData>, plans: Plan[], extra: Partial<CalculationInput> = {}): CalculationInput {
  return { calendar: CALENDAR, baseCurrency: 'USD', plans, data: { ...emptyData(), ...data }, ...extra };
}

/** `rep plan` → the sum of its non-draw payout lines. */
function totals(calcInput: CalculationInput): Map<string, Decimal> {
  const sums = new Map<string, Decimal>();
  for (const line of calculate(calcInput).payouts) {
    if (line.component === 'draw') continue;
    const key = `${line.repId} ${line.planId}`;
    sums.set(key, (sums.get(key) ?? ZERO) + decimal(line.amount));
  }
  return sums;
}

/**
 * For each open deal: `rep plan` → what a full calculation through `asOf` with the deal won adds
 * (non-zero only). The deal closes on its close date, or on the calculation's own as-of date when
 * that has passed.
 */
function fullDifferences(calcInput: CalculationInput, asOf: string): Map<string, Map<string, string>> {
  const ownAsOf = calcInput.asOf ?? calculate(calcInput).asOf!;
  // An open deal paid in a locked period is a reversal, not an estimate (docs/estimates.md).
  const paid = new Set((calcInput.locked?.lines ?? []).flatMap((l) => tracedDeals(l.trace.read())));
  const at = { ...calcInput, asOf };
  const before = totals(at);
  const result = new Map<string, Map<string, string>>();
  let latest = ownAsOf;
  for (const d of calcInput.data.deals) {
    if (d.stage !== 'open' || d.deleted || paid.has(d.id)) continue;
    const won: Deal = { ...d, stage: 'won', closeDate: d.closeDate < ownAsOf ? ownAsOf : d.closeDate };
    if (won.closeDate > latest) latest = won.closeDate;
    const after = totals({ ...at, data: { ...at.data, deals: at.data.deals.map((x) => (x === d ? won : x)) } });
    const changed = new Map<string, string>();
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const difference = (after.get(key) ?? ZERO) - (before.get(key) ?? ZERO);
      if (difference !== ZERO) changed.set(key, formatDecimal(difference, 2));
    }
    result.set(d.id, changed);
  }
  // The estimates are calculated through the latest of the as-of date and the deals' close dates.
  expect(asOf).toBe(latest);
  return result;
}

function estimated(calcInput: CalculationInput): { asOf?: string; byDeal: Map<string, Map<string, string>> } {
  const result = estimate(calcInput);
  const byDeal = new Map<string, Map<string, string>>();
  for (const e of result.estimates) {
    expect(e.amount).toMatch(/^-?\d+\.\d{2}$/);
    if (decimal(e.amount) === ZERO) continue;
    let map = byDeal.get(e.dealId);
    if (!map) byDeal.set(e.dealId, (map = new Map()));
    map.set(`${e.repId} ${e.planId}`, e.amount);
  }
  return { ...(result.asOf ? { asOf: result.asOf } : {}), byDeal };
}

const cents = fc.integer({ min: 0, max: 20_000_000 }).map((c) => (c / 100).toFixed(2));
const dayOf2026 = (day: number) => new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);

const tiers = fc
  .uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 3 })
  .chain((bounds) =>
    fc.tuple(
      fc.constant([0, ...bounds.sort((a, b) => a - b)]),
      fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
    ),
  );

const rateTable = fc.record({
  basis: fc.constantFrom('attainment' as const, 'amount' as const),
  mode: fc.constantFrom('marginal' as const, 'retroactive' as const),
  tiers,
  gate: fc.option(fc.constantFrom('0.2', '0.5', '1'), { nil: undefined }),
  cap: fc.option(fc.constantFrom('5000', '40000'), { nil: undefined }),
});

const componentsArb = fc.record({
  table: rateTable,
  bonus: fc.option(fc.constantFrom('0.5', '1', '1.5'), { nil: undefined }),
  perDeal: fc.option(fc.constantFrom({ amount: '150' }, { rate: '0.0125' }), { nil: undefined }),
  perDealWhere: fc.boolean(),
});

function components(spec: ComponentSpec): Component[] {
  const { table, bonus, perDeal, perDealWhere } = spec;
  const list: Component[] = [
    {
      id: 'commission',
      kind: 'rate-table',
      measure: 'bookings',
      basis: table.basis,
      mode: table.mode,
      tiers: table.tiers[0].map((bound, i) => ({
        from: table.basis === 'attainment' ? (bound / 10).toFixed(1) : String(bound * 20_000),
        rate: (table.tiers[1][i]! / 10_000).toFixed(4),
      })),
      ...(table.gate === undefined ? {} : { gate: table.gate }),
      ...(table.cap === undefined ? {} : { cap: table.cap }),
    },
  ];
  if (bonus !== undefined)
    list.push({ id: 'bonus', kind: 'bonus', measure: 'bookings', attainmentAtLeast: bonus, amount: '1000' });
  if (perDeal !== undefined)
    list.push({
      id: 'spiff',
      kind: 'per-deal',
      measure: 'bookings',
      ...perDeal,
      ...(perDealWhere ? { where: { type: 'new' } } : {}),
    });
  return list;
}
type ComponentSpec = {
  table: {
    basis: 'attainment' | 'amount';
    mode: 'marginal' | 'retroactive';
    tiers: [readonly number[], number[]];
    gate: string | undefined;
    cap: string | undefined;
  };
  bonus: string | undefined;
  perDeal: { amount: string } | { rate: string } | undefined;
  perDealWhere: boolean;
};

const dealArb = fc.record({
  owner: fc.integer({ min: 0, max: 5 }),
  amount: cents,
  day: fc.integer({ min: 0, max: 300 }),
  currency: fc.constantFrom('USD', 'USD', 'EUR'),
  stage: fc.constantFrom('won' as const, 'won' as const, 'open' as const, 'lost' as const),
  deleted: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  type: fc.constantFrom('new', 'renewal'),
  split: fc.option(
    fc.record({
      rep: fc.integer({ min: 0, max: 5 }),
      percent: fc.constantFrom('50', '33.33', '25.5'),
      kind: fc.constantFrom('revenue' as const, 'overlay' as const),
    }),
    { nil: undefined },
  ),
});

const workspaceArb = fc.record({
  deals: fc.array(dealArb, { minLength: 1, maxLength: 25 }),
  components: componentsArb,
  credit: fc.constantFrom('splits' as const, 'owner' as const),
  rollup: fc.boolean(),
  quotaPeriod: fc.constantFrom('quarter' as const, 'year' as const),
  payoutPeriod: fc.constantFrom('month' as const, 'quarter' as const),
  draw: fc.boolean(),
  managerPlan: fc.boolean(),
  startDay: fc.integer({ min: 0, max: 120 }),
  endDay: fc.option(fc.integer({ min: 150, max: 330 }), { nil: undefined }),
  asOf: fc.option(fc.integer({ min: 100, max: 250 }), { nil: undefined }),
  lockQ1: fc.boolean(),
  versioned: fc.boolean(),
  clawback: fc.boolean(),
});

describe('estimates', () => {
  it('flipping any one open deal to won changes each rep’s non-draw lines by exactly its estimate', () => {
    fc.assert(
      fc.property(workspaceArb, (w) => {
        // vp ← m0, m1 ← r0…r5 (r4 and r5 report to the vp directly).
        const reps = [
          rep('vp'),
          rep('m0', 'vp'),
          rep('m1', 'vp'),
          ...[0, 1, 2, 3, 4, 5].map((i) => rep(`r${i}`, i < 2 ? 'm0' : i < 4 ? 'm1' : 'vp')),
        ];
        const deals = w.deals.map((s, i) =>
          deal({
            id: `d${i}`,
            ownerId: `r${s.owner}`,
            amount: s.amount,
            currency: s.currency,
            stage: s.stage,
            deleted: s.deleted,
            type: s.type,
            fields: { type: s.type },
            closeDate: dayOf2026(s.day),
          }),
        );
        // A first won deal, so that the calculated window starts before every open deal.
        deals.unshift(deal({ id: 'first', ownerId: 'r0', amount: '100', closeDate: '2026-01-02' }));
        const splits: Split[] = w.deals.flatMap((s, i) =>
          s.split === undefined || s.split.rep === s.owner
            ? []
            : [
                ...(s.split.kind === 'revenue'
                  ? [{ dealId: `d${i}`, repId: `r${s.owner}`, percent: '50', kind: 'revenue' as const }]
                  : []),
                { dealId: `d${i}`, repId: `r${s.split.rep}`, percent: s.split.percent, kind: s.split.kind },
              ],
        );
        const plans: Plan[] = [
          commissionPlan(
            {
              quotaPeriod: w.quotaPeriod,
              payoutPeriod: w.payoutPeriod,
              measures: { bookings: { credit: w.credit, rollup: w.rollup } },
              ...(w.draw ? { draw: { amount: '500', recoverable: true } } : {}),
              ...(w.clawback ? { clawback: { windowDays: 90 } } : {}),
              // From Q3 (quarterly quotas only: a version starts a quota period), other rates and a bonus.
              ...(w.versioned && w.quotaPeriod === 'quarter'
                ? {
                    versions: [
                      {
                        effective: '2026-07-01',
                        hash: 'test',
                        name: 'AE from Q3',
                        measures: { bookings: { credit: w.credit, rollup: w.rollup } },
                        components: [
                          {
                            id: 'commission',
                            kind: 'rate-table' as const,
                            measure: 'bookings',
                            basis: 'attainment' as const,
                            mode: 'retroactive' as const,
                            tiers: [
                              { from: '0', rate: '0.04' },
                              { from: '0.8', rate: '0.09' },
                            ],
                          },
                          {
                            id: 'q3-bonus',
                            kind: 'bonus' as const,
                            measure: 'bookings',
                            attainmentAtLeast: '0.25',
                            amount: '300',
                          },
                        ],
                      },
                    ],
                  }
                : {}),
            },
            components(w.components),
          ),
          commissionPlan({ id: 'mgr', payoutPeriod: w.payoutPeriod }, [
            { id: 'override', kind: 'override', measure: 'bookings', rate: '0.015' },
            {
              id: 'team',
              kind: 'rate-table',
              measure: 'bookings',
              basis: 'attainment',
              mode: 'marginal',
              tiers: [
                { from: '0', rate: '0.01' },
                { from: '1', rate: '0.02' },
              ],
              gate: '0.3',
            },
          ]),
        ];
        const periods = ['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4'];
        const data: Partial<CanonicalData> = {
          reps,
          deals,
          splits,
          quotas: reps.flatMap((r) => [
            ...periods.map((period) => ({ repId: r.id, period, amount: '200000' })),
            { repId: r.id, period: '2026', amount: '800000' },
          ]),
          assignments: [
            ...reps.slice(3).map((r, i) => ({
              repId: r.id,
              planId: 'ae',
              from: i === 1 ? dayOf2026(w.startDay) : '2026-01-01',
              ...(i === 2 && w.endDay !== undefined ? { to: dayOf2026(w.endDay) } : {}),
            })),
            ...(w.managerPlan
              ? [
                  { repId: 'm0', planId: 'mgr', from: '2026-01-01' },
                  { repId: 'vp', planId: 'mgr', from: dayOf2026(w.startDay) },
                ]
              : []),
            { repId: 'm1', planId: 'ae', from: '2026-01-01' },
          ],
          fxRates: [
            { currency: 'EUR', from: '2025-12-01', rate: '0.91' },
            { currency: 'EUR', from: '2026-06-01', rate: '0.87' },
          ],
        };
        // Q1 locked as it was paid when every deal of Q1 counted as won (some are open or lost now).
        const q1 = ['2026-01', '2026-02', '2026-03'];
        const locked = w.lockQ1
          ? {
              periods: q1,
              lines: calculate(
                input(
                  {
                    ...data,
                    deals: deals.map((d) => (d.closeDate < '2026-04-01' ? { ...d, stage: 'won' as const } : d)),
                  },
                  plans,
                  { asOf: '2026-03-31' },
                ),
              ).payouts.filter((l) => q1.includes(l.period) || l.period === '2026-Q1'),
            }
          : undefined;
        const calcInput = input(data, plans, {
          ...(w.asOf === undefined ? {} : { asOf: dayOf2026(w.asOf) }),
          ...(locked ? { locked } : {}),
        });
        const { asOf, byDeal } = estimated(calcInput);
        // Traces rendered at once (as the run stores them) are the ones rendered when read, byte for byte.
        const lazy = estimate(calcInput).estimates;
        const text = estimate(calcInput, { traces: 'text' }).estimates;
        expect(text.map((e) => [e.dealId, e.repId, e.planId, e.amount, e.trace.text()])).toEqual(
          lazy.map((e) => [e.dealId, e.repId, e.planId, e.amount, JSON.stringify(e.trace)]),
        );
        // Made in three parts, two on one shared basis as a worker makes a run's parts, one on its
        // own: the same estimates, though a part's own deals alone would reach a shorter window.
        const basis = estimateBasis(calcInput);
        const byKey = (a: Estimate, b: Estimate) =>
          cmp(a.dealId, b.dealId) || cmp(a.repId, b.repId) || cmp(a.planId, b.planId);
        const inParts = [0, 1, 2]
          .flatMap((k) => [
            ...(estimatesOf(calcInput, {
              traces: 'text',
              ...(basis && k > 0 && { basis }),
              deals: (id) => id.charCodeAt(id.length - 1) % 3 === k,
            })?.each ?? []),
          ])
          .sort(byKey);
        expect(inParts.map((e) => [e.dealId, e.repId, e.planId, e.amount, e.closeDate, e.trace.text()])).toEqual(
          text.map((e) => [e.dealId, e.repId, e.planId, e.amount, e.closeDate, e.trace.text()]),
        );
        if (asOf === undefined) {
          const paid = new Set((locked?.lines ?? []).flatMap((l) => tracedDeals(l.trace.read())));
          expect(deals.some((d) => d.stage === 'open' && !d.deleted && !paid.has(d.id))).toBe(false);
          return;
        }
        const full = fullDifferences(calcInput, asOf);
        for (const [dealId, changed] of full) {
          expect([dealId, Object.fromEntries(byDeal.get(dealId) ?? new Map())]).toEqual([
            dealId,
            Object.fromEntries(changed),
          ]);
        }
        for (const dealId of byDeal.keys()) expect(full.has(dealId)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('estimates, worked by hand', () => {
  // Quota 100,000 a quarter; 5 % to quota, 10 % above it, nothing below 50 % (the gate); a 1,000
  // bonus at 100 %. The manager earns a 1 % override on the team. 40,000 already won in January.
  const plans: Plan[] = [
    commissionPlan({}, [
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
        gate: '0.5',
      },
      { id: 'bonus', kind: 'bonus', measure: 'bookings', attainmentAtLeast: '1', amount: '1000' },
    ]),
    commissionPlan({ id: 'mgr' }, [{ id: 'override', kind: 'override', measure: 'bookings', rate: '0.01' }]),
  ];
  const data: Partial<CanonicalData> = {
    reps: [rep('boss'), rep('ann', 'boss')],
    deals: [
      deal({ id: 'won', ownerId: 'ann', amount: '40000', closeDate: '2026-01-10' }),
      deal({ id: 'big', ownerId: 'ann', amount: '70000', closeDate: '2026-02-15', stage: 'open' }),
      deal({ id: 'late', ownerId: 'ann', amount: '5000', closeDate: '2025-12-01', stage: 'open' }),
      deal({ id: 'gone', ownerId: 'ann', amount: '5000', closeDate: '2026-02-01', stage: 'open', deleted: true }),
      deal({ id: 'lost', ownerId: 'ann', amount: '5000', closeDate: '2026-02-01', stage: 'lost' }),
    ],
    quotas: [
      { repId: 'ann', period: '2026-Q1', amount: '100000' },
      { repId: 'boss', period: '2026-Q1', amount: '300000' },
    ],
    assignments: [
      { repId: 'ann', planId: 'ae', from: '2026-01-01' },
      { repId: 'boss', planId: 'mgr', from: '2026-01-01' },
    ],
  };
  const result = estimate(input(data, plans));
  const of = (dealId: string, repId: string) => result.estimates.find((e) => e.dealId === dealId && e.repId === repId);

  it('crosses the gate, reaches the second tier and the bonus: 5,000 + 1,000 + 1,000', () => {
    const e = of('big', 'ann')!;
    expect(e).toMatchObject({ planId: 'ae', amount: '7000.00', currency: 'USD' });
    expect(e.trace.toJSON()).toMatchObject({ role: 'credited', quotaPeriod: '2026-Q1', closeDate: '2026-02-15' });
    expect(e.trace.toJSON()['credit']).toEqual({ bookings: '70000' });
    const changes = e.trace.toJSON()['changes'] as {
      component: string;
      before: string;
      after: string;
      why: string[];
    }[];
    expect(changes.map((c) => [c.component, c.before, c.after])).toEqual([
      ['commission', '0.00', '6000.00'],
      ['bonus', '0.00', '1000.00'],
    ]);
    expect(changes[0]!.why).toEqual(['gate of 0.5 attainment crossed', 'lands in tier 2 (rate 0.1)']);
    expect(changes[1]!.why).toEqual(['bonus reached (attainment at least 1)']);
  });

  it('pays the manager the override through the roll-up', () => {
    expect(of('big', 'boss')).toMatchObject({ planId: 'mgr', amount: '700.00' });
    expect(of('big', 'boss')!.trace.toJSON()['role']).toBe('manager');
  });

  it('closes a deal whose close date has passed on the as-of date, where the gate still holds it back', () => {
    expect(result.asOf).toBe('2026-02-15');
    const e = of('late', 'ann')!;
    expect(e.amount).toBe('0.00');
    expect(e.trace.toJSON()['closeDate']).toBe('2026-01-10');
    expect(of('late', 'boss')!.amount).toBe('50.00');
  });

  it('gives deleted and lost deals no estimate, and estimates only the deals asked for', () => {
    expect(result.estimates.map((e) => e.dealId)).toEqual(['big', 'big', 'late', 'late']);
    const one = estimate(input(data, plans), { deals: (id) => id === 'late' });
    expect(one.estimates.map((e) => `${e.dealId} ${e.repId} ${e.amount}`)).toEqual([
      'late ann 0.00',
      'late boss 50.00',
    ]);
  });
});

describe('estimates under territory credit', () => {
  it('credits the reps holding the deal’s territory, as a full calculation with the deal won does', () => {
    // r1 and r2 own territory east 60/40, r3 overlays it at 25 %; mgr manages r1 and r2. The open
    // deals are owned by r3, whose own credit does not count under territory credit.
    const plan = commissionPlan({ measures: { bookings: { credit: 'territory', rollup: true } } });
    const data: Partial<CanonicalData> = {
      reps: [rep('mgr'), rep('r1', 'mgr'), rep('r2', 'mgr'), rep('r3')],
      deals: [
        deal({ id: 'won', ownerId: 'r3', amount: '80000', closeDate: '2026-01-10', accountId: 'acme' }),
        deal({ id: 'o1', ownerId: 'r3', amount: '50000', closeDate: '2026-02-10', stage: 'open', accountId: 'acme' }),
        deal({ id: 'o2', ownerId: 'r3', amount: '9000', closeDate: '2026-03-10', stage: 'open', accountId: 'far' }),
      ],
      quotas: ['mgr', 'r1', 'r2', 'r3'].map((r) => ({ repId: r, period: '2026-Q1', amount: '100000' })),
      assignments: ['mgr', 'r1', 'r2', 'r3'].map((repId) => ({ repId, planId: 'ae', from: '2026-01-01' })),
      accounts: [
        { id: 'acme', name: 'Acme', region: 'NY', fields: {}, deleted: false },
        { id: 'far', name: 'Far', region: 'TX', fields: {}, deleted: false },
      ],
      territories: [{ id: 'east', where: { region: 'NY' } }],
      territoryAssignments: [
        { repId: 'r1', territoryId: 'east', role: 'owner', percent: '60', from: '2026-01-01' },
        { repId: 'r2', territoryId: 'east', role: 'owner', percent: '40', from: '2026-01-01' },
        { repId: 'r3', territoryId: 'east', role: 'overlay', percent: '25', from: '2026-01-01' },
      ],
    };
    const calcInput = input(data, [plan], { asOf: '2026-01-31' });
    const { asOf, byDeal } = estimated(calcInput);
    const full = fullDifferences(calcInput, asOf!);
    expect([...full.keys()]).toEqual(['o1', 'o2']);
    for (const [dealId, changed] of full) expect(byDeal.get(dealId) ?? new Map()).toEqual(changed);
    // o1 credits r1 30,000, r2 20,000, r3 12,500 and mgr 50,000; o2's account is in no territory.
    expect([...byDeal.get('o1')!.keys()].sort()).toEqual(['mgr ae', 'r1 ae', 'r2 ae', 'r3 ae']);
    expect(byDeal.has('o2')).toBe(false);
  });
});
