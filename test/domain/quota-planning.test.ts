/** Quota planning (docs/quota-planning.md): hand-worked examples, and sums exact at every level on generated org trees. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ONE, ZERO, decimal, formatDecimal, roundTo, mulDiv, type Decimal } from '../../src/domain/decimal.js';
import type { Rep } from '../../src/domain/model.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import type { PeriodKind } from '../../src/domain/plan.js';
import {
  QuotaPlanProblem,
  bookingsOf,
  capacityOf,
  checkQuotas,
  largestRemainder,
  monthlyCapacity,
  parseRamp,
  planQuotas,
  planTree,
  planYear,
  quotaRows,
  rampedHeadcount,
  type Bookings,
  type QuotaPlanInput,
} from '../../src/domain/quota-planning.js';
import { deal, rep } from './builders.js';

const calendar = new FiscalCalendar(1);
const year2027 = planYear(calendar, 2027, 'quarter');
const noHistory: Bookings = { byRep: new Map(), byMonth: new Array<Decimal>(12).fill(ZERO), total: ZERO };
const d = (text: string) => decimal(text);
const show = (values: readonly Decimal[]) => values.map((v) => formatDecimal(v, 2));

function hired(id: string, hireDate: string | undefined, managerId?: string): Rep {
  return { ...rep(id, managerId), ...(hireDate ? { hireDate } : {}) };
}

function plan(reps: Rep[], overrides: Partial<QuotaPlanInput> = {}) {
  const { nodes, problems } = planTree(reps, overrides.year ?? year2027);
  expect(problems).toEqual([]);
  return planQuotas({
    year: year2027,
    nodes,
    target: d('1000'),
    method: 'equal',
    overassign: ONE,
    ramp: [ONE],
    seasonality: 'flat',
    lastYear: noHistory,
    digits: 2,
    ...overrides,
  });
}

const byRep = (p: ReturnType<typeof plan>) => Object.fromEntries(p.quotas.map((q) => [q.repId, q]));

describe('splitting exactly (largest remainder)', () => {
  it('gives each part its whole cents and the cents left over to the largest remainders, ties to the first', () => {
    expect(largestRemainder(100n, [ONE, ONE, ONE])).toEqual([34n, 33n, 33n]);
    expect(largestRemainder(10n, [d('0.5'), d('0.3'), d('0.2')])).toEqual([5n, 3n, 2n]);
    // 7 × (2, 3, 5) / 10 = 1.4, 2.1, 3.5: floors 1, 2, 3 and one cent left, to the .5
    expect(largestRemainder(7n, [d('2'), d('3'), d('5')])).toEqual([1n, 2n, 4n]);
    expect(largestRemainder(5n, [ZERO, ONE, ZERO])).toEqual([0n, 5n, 0n]);
  });
});

describe('ramp and proration', () => {
  it('parses a ramp list and names the bad value', () => {
    expect(parseRamp('0,0.25,0.5,0.75,1')).toEqual({ ramp: ['0', '0.25', '0.5', '0.75', '1'].map(d) });
    expect(parseRamp('0,x,1')).toEqual({ problem: 'value 2 ("x") is not a decimal such as 0.25' });
    expect(parseRamp('0,1.5,1')).toEqual({ problem: 'value 2 (1.5) is not between 0 and 1' });
    expect(parseRamp('0,0.5')).toEqual({
      problem: 'the last value must be 1: a rep is fully ramped from that month on',
    });
    expect(parseRamp('')).toHaveProperty('problem');
  });

  it('ramps by months since the hire month and prorates the hire month by days', () => {
    // Hired 2027-03-16 on a 0.5, 1 ramp: March is 0.5 × 16/31 days, April to December full.
    const capacity = monthlyCapacity({ hireDate: '2027-03-16' }, year2027, [d('0.5'), ONE]);
    expect(capacity.map((c) => formatDecimal(c))).toEqual([
      '0',
      '0',
      '0.2580645161',
      ...new Array<string>(9).fill('1'),
    ]);
    // (8 / 31 + 9) / 12
    expect(formatDecimal(rampedHeadcount(capacity))).toBe('0.7715053763');
    // Hired in November 2026 on 0, 0.25, 0.5, 0.75, 1: January 2027 is the third month.
    const ramp = parseRamp('0,0.25,0.5,0.75,1') as { ramp: Decimal[] };
    expect(
      monthlyCapacity({ hireDate: '2026-11-20' }, year2027, ramp.ramp)
        .slice(0, 4)
        .map((c) => formatDecimal(c)),
    ).toEqual(['0.5', '0.75', '1', '1']);
    // Leaving on 2027-06-30: half a year.
    expect(formatDecimal(rampedHeadcount(monthlyCapacity({ endDate: '2027-06-30' }, year2027, [ONE])))).toBe('0.5');
  });
});

describe('planning by hand-worked examples', () => {
  it('splits equally by ramped capacity, then by quarter, to the cent', () => {
    // a works all year, b from July: weights 1 and 0.5 of 1,000.
    const p = plan([hired('a', '2020-01-01'), hired('b', '2027-07-01')]);
    const q = byRep(p);
    expect(formatDecimal(q['a']!.annual, 2)).toBe('666.67');
    expect(formatDecimal(q['b']!.annual, 2)).toBe('333.33');
    expect(show(q['a']!.periods)).toEqual(['166.67', '166.67', '166.67', '166.66']);
    expect(show(q['b']!.periods)).toEqual(['0.00', '0.00', '166.67', '166.66']);
    // b is not on board in Q1 and Q2: no rows there.
    expect(quotaRows(p, 2).filter((r) => r.repId === 'b')).toEqual([
      { repId: 'b', period: '2027-Q3', amount: '166.67' },
      { repId: 'b', period: '2027-Q4', amount: '166.66' },
    ]);
  });

  it('over-assigns each split among reports, and the manager at the top carries the target', () => {
    const p = plan([hired('m', '2020-01-01'), hired('a', '2020-01-01', 'm'), hired('b', '2027-07-01', 'm')], {
      overassign: d('1.1'),
    });
    const q = byRep(p);
    expect(formatDecimal(q['m']!.annual, 2)).toBe('1000.00');
    // 1,100 by 1 : 0.5 = 733.333… and 366.666…: the cent left over goes to b's larger remainder.
    expect(formatDecimal(q['a']!.annual, 2)).toBe('733.33');
    expect(formatDecimal(q['b']!.annual, 2)).toBe('366.67');
    // The manager's quarters follow the team's: 183.33 ×2, 366.67, 366.66 (b from Q3) in proportion.
    const team = [0, 1, 2, 3].map((i) => q['a']!.periods[i]! + q['b']!.periods[i]!);
    expect(show(team)).toEqual(['183.34', '183.33', '366.67', '366.66']);
    expect(q['m']!.periods.reduce((s, x) => s + x, ZERO)).toBe(d('1000'));
  });

  it('several people at the top share the target over-assigned', () => {
    const p = plan([hired('a', undefined), hired('b', undefined)], { overassign: d('1.1') });
    expect(show(p.quotas.map((q) => q.annual))).toEqual(['550.00', '550.00']);
  });

  it("shares by last year's bookings, counting a rep new last year as the mean, and shapes quarters by last year's months", () => {
    const reps = [hired('a', '2020-01-01'), hired('b', '2020-01-01'), hired('c', '2026-07-01')];
    const lastYear = bookingsOf(
      {
        deals: [
          deal({ ownerId: 'a', amount: '300', closeDate: '2026-01-10' }),
          deal({ ownerId: 'b', amount: '100', closeDate: '2026-04-10' }),
          deal({ ownerId: 'c', amount: '1000', closeDate: '2026-04-12', stage: 'open' }),
          deal({ ownerId: 'c', amount: '1000', closeDate: '2025-12-31' }),
        ],
        splits: [],
        fxRates: [],
      },
      'USD',
      planYear(calendar, 2026, 'year'),
    );
    expect(formatDecimal(lastYear.total)).toBe('400');
    const p = plan(reps, { method: 'history', seasonality: 'history', lastYear, target: d('600') });
    const q = byRep(p);
    expect(show([q['a']!.annual, q['b']!.annual, q['c']!.annual])).toEqual(['300.00', '100.00', '200.00']);
    // 2026: 300 in Q1, 100 in Q2, nothing after: 3/4 and 1/4.
    expect(show(q['a']!.periods)).toEqual(['225.00', '75.00', '0.00', '0.00']);
  });

  it('credits last year by revenue splits and converts to the base currency on the close day', () => {
    const won = deal({ ownerId: 'a', amount: '920', currency: 'EUR', closeDate: '2026-03-10' });
    const lastYear = bookingsOf(
      {
        deals: [won],
        splits: [
          { dealId: won.id, repId: 'a', percent: '60', kind: 'revenue' },
          { dealId: won.id, repId: 'b', percent: '40', kind: 'revenue' },
          { dealId: won.id, repId: 'c', percent: '100', kind: 'overlay' },
        ],
        fxRates: [{ currency: 'EUR', from: '2026-01-01', rate: '0.92' }],
      },
      'USD',
      planYear(calendar, 2026, 'year'),
    );
    expect(formatDecimal(lastYear.byRep.get('a')!)).toBe('600');
    expect(formatDecimal(lastYear.byRep.get('b')!)).toBe('400');
    expect(lastYear.byRep.has('c')).toBe(false);
    expect(formatDecimal(lastYear.byMonth[2]!)).toBe('1000');
  });

  it('shares by territory potential times ramped capacity when potential is given', () => {
    const potential = new Map([
      ['a', d('300')],
      ['b', d('100')],
    ]);
    // b from July: 100 × 0.5 against a's 300 × 1.
    const p = plan([hired('a', '2020-01-01'), hired('b', '2027-07-01'), hired('c', undefined)], {
      method: 'potential',
      potential,
    });
    expect(show(p.quotas.map((q) => q.annual))).toEqual(['857.14', '142.86', '0.00']);
    const { nodes } = planTree([hired('a', undefined)], year2027);
    expect(() =>
      planQuotas({
        year: year2027,
        nodes,
        target: d('1'),
        method: 'potential',
        overassign: ONE,
        ramp: [ONE],
        seasonality: 'flat',
        lastYear: noHistory,
        digits: 2,
      }),
    ).toThrow(/potential/);
  });

  it('uses the fiscal calendar: with a February start, 2027-Q1 is February to April 2027', () => {
    const fiscal = new FiscalCalendar(2);
    const year = planYear(fiscal, 2027, 'quarter');
    const p = plan([hired('a', undefined)], { year });
    expect(p.periods).toEqual(['2027-Q1', '2027-Q2', '2027-Q3', '2027-Q4']);
    expect(formatDecimal(monthlyCapacity({ hireDate: '2027-02-01' }, year, [ZERO, ONE])[0]!)).toBe('0');
  });

  it('says when nothing can carry the target', () => {
    const { nodes } = planTree([hired('a', '2020-01-01')], year2027);
    const input = {
      year: year2027,
      nodes,
      target: d('1000'),
      overassign: ONE,
      ramp: [ONE],
      seasonality: 'flat' as const,
      lastYear: noHistory,
      digits: 2,
    };
    expect(() => planQuotas({ ...input, method: 'history' })).toThrow(/booked nothing last year: use --method equal/);
    expect(() => planQuotas({ ...input, method: 'equal', seasonality: 'history' })).toThrow(QuotaPlanProblem);
    expect(() => planQuotas({ ...input, method: 'equal', target: ZERO })).toThrow(/positive/);
  });
});

describe('the tree', () => {
  it('names each rep whose manager chain leaves the plan', () => {
    const reps: Rep[] = [
      hired('a', undefined, 'ghost'),
      hired('b', undefined, 'c'),
      hired('c', undefined, 'b'),
      { ...hired('gone', undefined), active: false },
      hired('d', undefined, 'gone'),
      { ...hired('late', '2028-01-01') },
      hired('e', undefined, 'late'),
      { ...hired('left', undefined), endDate: '2026-12-31' },
      hired('f', undefined, 'left'),
      // Off the plan: a stale manager or a loop through them does not matter.
      { ...hired('old', undefined, 'ghost'), active: false },
      { ...hired('x', undefined, 'y'), active: false },
      { ...hired('y', undefined, 'x'), endDate: '2025-01-01' },
    ];
    expect(planTree(reps, year2027).problems).toEqual([
      { repId: 'a', reason: 'managerId ghost is not a known rep' },
      { repId: 'b', reason: 'manager chain loops (b → c → b)' },
      { repId: 'c', reason: 'manager chain loops (b → c → b)' },
      { repId: 'd', reason: 'manager gone is not active, so is not on the 2027 plan' },
      { repId: 'e', reason: 'manager late starts on 2028-01-01, so is not on the 2027 plan' },
      { repId: 'f', reason: 'manager left left on 2026-12-31, so is not on the 2027 plan' },
    ]);
  });
});

describe('checking a quota file and capacity', () => {
  it('finds quotas before a hire date, missing quotas, under-assigned managers and unramped new hires', () => {
    const reps = [
      hired('m', undefined),
      hired('a', undefined, 'm'),
      hired('b', undefined, 'm'),
      hired('c', undefined, 'm'),
      hired('n', '2027-04-01', 'm'),
      hired('x', undefined, 'm'),
    ];
    const { nodes } = planTree(reps, year2027);
    const quotas = [
      ...['m', 'a', 'b', 'c', 'n'].map((repId) => ({ repId, period: '2027-Q2', amount: '100' })),
      { repId: 'n', period: '2027-Q1', amount: '50' },
      { repId: 'ghost', period: '2027-Q1', amount: '50' },
      { repId: 'a', period: '2026-Q4', amount: '999' },
      { repId: 'b', period: '2027-05', amount: '1' },
    ];
    const { summary, findings } = checkQuotas({
      year: year2027,
      calendar,
      nodes,
      quotas,
      ramp: [ZERO, d('0.5'), ONE],
      target: d('500'),
    });
    expect(formatDecimal(summary.carriersTotal)).toBe('450');
    expect(formatDecimal(summary.coverage!)).toBe('0.9');
    expect(summary.teams).toHaveLength(1);
    expect(findings).toEqual([
      { repId: 'b', reason: 'has a quota for 2027-05, which is not a quarter (--periods quarter)' },
      { repId: 'ghost', reason: 'has a quota for 2027-Q1 but is not on the 2027 plan' },
      { repId: 'n', reason: 'has a quota for 2027-Q1, before the hire date 2027-04-01' },
      {
        repId: 'n',
        reason:
          "quota 100 in 2027-Q2 while ramped to 0.50 of a full period: more than 1.5 × that share of the fully ramped reps' median 100",
      },
      { repId: 'x', reason: 'carries no quota in 2027' },
    ]);
  });

  it('capacity: ramped headcount × productivity, and the hires to close the gap', () => {
    const reps = [hired('a', '2020-01-01'), hired('b', '2027-07-01')];
    const { nodes } = planTree(reps, year2027);
    const ramp = [ZERO, d('0.5'), ONE];
    const c = capacityOf({
      year: year2027,
      nodes,
      ramp,
      productivity: d('120000'),
      target: d('400000'),
      today: '2026-12-01',
      hiresStart: '2027-01-01',
      digits: 2,
    });
    // a: 1 year = 120,000. b (planned): July 0, August 0.5, then 4 months = 4.5/12 → 45,000.
    expect(formatDecimal(c.current.bookings)).toBe('120000');
    expect(formatDecimal(c.planned.bookings)).toBe('45000');
    expect(formatDecimal(c.gap!)).toBe('235000');
    // A hire from January: 0 + 0.5 + 10 months = 10.5/12 → 105,000 each: 3 hires.
    expect(formatDecimal(c.perHire.bookings)).toBe('105000');
    expect(c.hiresNeeded).toBe(3);
  });
});

// ── Property: sums exact at every level and every period ─────────────────────────────────────────

const orgArbitrary = fc
  .record({
    size: fc.integer({ min: 1, max: 40 }),
    managers: fc.array(fc.integer({ min: -1, max: 1000 }), { minLength: 40, maxLength: 40 }),
    hires: fc.array(fc.option(fc.integer({ min: -900, max: 360 }), { nil: undefined }), {
      minLength: 40,
      maxLength: 40,
    }),
    bookings: fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 40, maxLength: 40 }),
    months: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 12, maxLength: 12 }),
    targetCents: fc.bigInt({ min: 1n, max: 10n ** 13n }),
    overassign: fc.constantFrom('1', '1.1', '1.07', '1.25', '1.333'),
    ramp: fc.constantFrom('1', '0,0.25,0.5,0.75,1', '0.5,1', '0,0,1'),
    method: fc.constantFrom('history' as const, 'equal' as const),
    seasonality: fc.constantFrom('history' as const, 'flat' as const),
    kind: fc.constantFrom<PeriodKind>('month', 'quarter', 'year'),
    fiscalStart: fc.integer({ min: 1, max: 12 }),
    digits: fc.constantFrom(0, 2, 3),
  })
  .map((g) => {
    const reps: Rep[] = [];
    for (let i = 0; i < g.size; i++) {
      // A manager among the reps before this one (so no loops), or none at the top.
      const m = g.managers[i]!;
      const managerId = i === 0 || m < 0 || m % 4 === 0 ? undefined : `r${m % i}`;
      const offset = g.hires[i];
      const hireDate =
        offset === undefined
          ? undefined
          : new Date(Date.UTC(2027, g.fiscalStart - 1, 1 + offset)).toISOString().slice(0, 10);
      reps.push({ ...rep(`r${i}`, managerId), ...(hireDate ? { hireDate } : {}) });
    }
    return { ...g, reps };
  });

describe('properties', () => {
  it('quota plans sum to their parent to the minor unit at every level and in every period', () => {
    fc.assert(
      fc.property(orgArbitrary, (g) => {
        const year = planYear(new FiscalCalendar(g.fiscalStart), 2027, g.kind);
        const { nodes, problems } = planTree(g.reps, year);
        expect(problems).toEqual([]);
        const unit = 10n ** BigInt(10 - g.digits);
        const target = g.targetCents * unit;
        const overassign = decimal(g.overassign);
        const lastYear: Bookings = {
          byRep: new Map(g.reps.map((r, i) => [r.id, BigInt(g.bookings[i]!) * ONE])),
          byMonth: g.months.map((m) => BigInt(m) * ONE),
          total: ZERO,
        };
        let p;
        try {
          p = planQuotas({
            year,
            nodes,
            target,
            method: g.method,
            overassign,
            ramp: (parseRamp(g.ramp) as { ramp: Decimal[] }).ramp,
            seasonality: g.seasonality,
            lastYear,
            digits: g.digits,
          });
        } catch (error) {
          // Nobody to carry the number (no history, nobody on board): said, never a wrong plan.
          expect(error).toBeInstanceOf(QuotaPlanProblem);
          return;
        }
        const sum = (xs: readonly Decimal[]) => xs.reduce((a, x) => a + x, ZERO);
        const over = (x: Decimal) => roundTo(mulDiv(x, overassign, ONE), g.digits);
        const roots = p.quotas.filter((q) => q.managerId === undefined);
        expect(sum(roots.map((q) => q.annual))).toBe(roots.length === 1 ? target : over(target));
        for (const q of p.quotas) {
          expect(q.annual % unit).toBe(0n);
          expect(q.annual >= 0n).toBe(true);
          for (const x of q.periods) expect(x % unit === 0n && x >= 0n).toBe(true);
          expect(sum(q.periods)).toBe(q.annual);
          const reports = p.quotas.filter((r) => r.managerId === q.repId);
          if (reports.length === 0) continue;
          expect(sum(reports.map((r) => r.annual))).toBe(over(q.annual));
          if (overassign === ONE) {
            p.periods.forEach((_, i) => expect(sum(reports.map((r) => r.periods[i]!))).toBe(q.periods[i]));
          }
        }
        // The rows of the file hold every amount that is not zero.
        const rows = quotaRows(p, g.digits);
        expect(sum(rows.map((r) => decimal(r.amount)))).toBe(sum(p.quotas.map((q) => q.annual)));
      }),
      { numRuns: 200 },
    );
  });
});
