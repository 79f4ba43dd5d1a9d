import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimal, formatDecimal } from '../../src/domain/decimal.js';
import { checkAssignments, normalize } from '../../src/domain/normalize.js';
import { deal, emptyData, rep } from './builders.js';

describe('normalize: records that cannot be used become rejects', () => {
  const base = () => ({
    ...emptyData(),
    reps: [rep('r1'), rep('r2')],
    fxRates: [{ currency: 'EUR', from: '2026-01-01', rate: '0.9' }],
  });

  it('rejects unknown owners, unknown currencies and repeated ids, and keeps the rest', () => {
    const good = deal({ id: 'ok', ownerId: 'r1', amount: '10', closeDate: '2026-01-05', currency: 'EUR' });
    const data = {
      ...base(),
      deals: [
        good,
        deal({ id: 'nobody', ownerId: 'r9', amount: '10', closeDate: '2026-01-05' }),
        deal({ id: 'yen', ownerId: 'r1', amount: '10', closeDate: '2026-01-05', currency: 'JPY' }),
        deal({ id: 'ok', ownerId: 'r2', amount: '20', closeDate: '2026-01-06' }),
      ],
    };
    const result = normalize(data, { baseCurrency: 'USD' });
    expect(result.data.deals).toEqual([good]);
    expect(result.rejects).toEqual([
      { source: 'deals', recordId: 'nobody', reason: 'owner r9 is not a known rep' },
      { source: 'deals', recordId: 'yen', reason: 'unknown currency JPY (no exchange rate for it)' },
      { source: 'deals', recordId: 'ok', reason: 'duplicate deal id ok' },
    ]);
  });

  it('rejects a deal whole when one of its splits is bad, or its revenue splits do not sum to 100', () => {
    const a = deal({ id: 'a', ownerId: 'r1', amount: '10', closeDate: '2026-01-05' });
    const b = deal({ id: 'b', ownerId: 'r1', amount: '10', closeDate: '2026-01-05' });
    const c = deal({ id: 'c', ownerId: 'r1', amount: '10', closeDate: '2026-01-05' });
    const data = {
      ...base(),
      deals: [a, b, c],
      splits: [
        { dealId: 'a', repId: 'r1', percent: '50', kind: 'revenue' as const },
        { dealId: 'a', repId: 'r7', percent: '50', kind: 'revenue' as const },
        { dealId: 'b', repId: 'r1', percent: '60', kind: 'revenue' as const },
        { dealId: 'b', repId: 'r2', percent: '30', kind: 'revenue' as const },
        // Overlay only: the owner keeps 100 % of the revenue; nothing to reject.
        { dealId: 'c', repId: 'r2', percent: '25', kind: 'overlay' as const },
        { dealId: 'zz', repId: 'r2', percent: '100', kind: 'revenue' as const },
      ],
    };
    const result = normalize(data, {
      baseCurrency: 'USD',
      locate: (r) => ('id' in r ? `deals.csv:${String(r.id)}` : undefined),
    });
    expect(result.data.deals.map((d) => d.id)).toEqual(['c']);
    expect(result.data.splits).toEqual([{ dealId: 'c', repId: 'r2', percent: '25', kind: 'overlay' }]);
    expect(result.rejects).toEqual([
      { source: 'splits', recordId: 'a/r7', reason: 'split to unknown rep r7' },
      { source: 'splits', recordId: 'zz/r2', reason: 'split for unknown deal zz' },
      { source: 'deals.csv:a', recordId: 'a', reason: 'split to unknown rep r7' },
      { source: 'deals.csv:b', recordId: 'b', reason: 'revenue splits sum to 90, not 100' },
    ]);
  });

  it('gives the same answer when the source vouches for unique ids', () => {
    const data = {
      ...base(),
      deals: [
        deal({ id: 'x', ownerId: 'r9', amount: '1', closeDate: '2026-01-01' }),
        deal({ id: 'y', ownerId: 'r1', amount: '1', closeDate: '2026-01-01' }),
      ],
    };
    expect(normalize(data, { baseCurrency: 'USD', idsUnique: true })).toEqual(normalize(data, { baseCurrency: 'USD' }));
  });

  it('adds decimal percents exactly, and names the sum a deal is rejected for', () => {
    const owner = { ownerId: 'r1', amount: '10', closeDate: '2026-01-05' };
    const [a, b, c] = [deal({ id: 'a', ...owner }), deal({ id: 'b', ...owner }), deal({ id: 'c', ...owner })];
    const split = (dealId: string, repId: string, percent: string) => ({
      dealId,
      repId,
      percent,
      kind: 'revenue' as const,
    });
    const data = {
      ...base(),
      deals: [a, b, c],
      splits: [
        split('a', 'r1', '33.33'),
        split('a', 'r2', '66.67'),
        split('b', 'r1', '33.33'),
        split('b', 'r2', '33.3333333333'),
        split('c', 'r1', '0100.000'),
      ],
    };
    const result = normalize(data, { baseCurrency: 'USD', idsUnique: true });
    expect(result.data.deals).toEqual([a, c]);
    expect(result.rejects).toEqual([
      { source: 'deals', recordId: 'b', reason: 'revenue splits sum to 66.6633333333, not 100' },
    ]);
  });

  it('rejects a deal for its revenue percents exactly when their decimal values say so', () => {
    const percent = fc
      .tuple(
        fc.constantFrom('', '0', '00'),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom('', '.', '.5', '.25', '.3333', '.33334', '.0000000001'),
      )
      .map(([zeros, whole, fraction]) => `${zeros}${whole}${fraction}`);
    fc.assert(
      fc.property(fc.array(percent, { minLength: 1, maxLength: 4 }), (percents) => {
        const d = deal({ id: 'd', ownerId: 'r1', amount: '1', closeDate: '2026-01-01' });
        const splits = percents.map((p, i) => ({
          dealId: 'd',
          repId: i % 2 ? 'r1' : 'r2',
          percent: p,
          kind: 'revenue' as const,
        }));
        const result = normalize({ ...base(), deals: [d], splits }, { baseCurrency: 'USD', idsUnique: true });
        const values = percents.map((p) => decimal(p));
        const over = splits.filter((_, i) => values[i]! > decimal('100')).at(-1);
        const sum = values.reduce((a, b) => a + b, 0n);
        const expected = over
          ? `split to ${over.repId} has percent ${over.percent}`
          : sum !== decimal('100')
            ? `revenue splits sum to ${formatDecimal(sum)}, not 100`
            : undefined;
        expect(result.rejects.find((r) => r.source === 'deals')?.reason).toBe(expected);
      }),
      { seed: 3, numRuns: 1000 },
    );
  });

  it('pairs deals and splits alike whether splits follow the order of the deals or not', () => {
    const percents = ['0', '25', '50', '75', '100', '33.33', '66.67', '120', '-5', '12.5'];
    const split = fc.record({
      dealId: fc.integer({ min: 0, max: 9 }).map((i) => `d${i}`),
      repId: fc.constantFrom('r1', 'r2', 'r9'),
      percent: fc.constantFrom(...percents),
      kind: fc.constantFrom('revenue' as const, 'overlay' as const),
    });
    const inputs = fc.record({
      owners: fc.array(fc.constantFrom('r1', 'r2', 'r9'), { minLength: 0, maxLength: 8 }),
      splits: fc.array(split, { maxLength: 14 }),
      inDealOrder: fc.boolean(),
    });
    fc.assert(
      fc.property(inputs, ({ owners, splits, inDealOrder }) => {
        const deals = owners.map((ownerId, i) => deal({ id: `d${i}`, ownerId, amount: '1', closeDate: '2026-01-01' }));
        const ordered = inDealOrder ? [...splits].sort((x, y) => x.dealId.localeCompare(y.dealId)) : splits;
        const data = { ...base(), deals, splits: ordered };
        expect(normalize(data, { baseCurrency: 'USD', idsUnique: true })).toEqual(
          normalize(data, { baseCurrency: 'USD' }),
        );
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('keeps a rep whose manager is unknown or loops, without the manager link', () => {
    const data = { ...emptyData(), reps: [rep('a', 'b'), rep('b', 'a'), rep('c', 'ghost')] };
    const result = normalize(data, { baseCurrency: 'USD' });
    expect(result.data.reps.map((r) => [r.id, r.managerId])).toEqual([
      ['a', undefined],
      ['b', 'a'],
      ['c', undefined],
    ]);
    expect(result.rejects.map((r) => r.reason)).toEqual([
      'managerId ghost is not a known rep; c is treated as having no manager',
      'manager chain loops (a → b → a); a, the lowest id in the loop, is treated as having no manager',
      'manager chain loops (a → b → a); a, the lowest id in the loop, is treated as having no manager',
    ]);
  });

  it('cuts a manager loop by the ids, whatever the order of the reps (y4 → y2, y2 ↔ y3)', () => {
    const reps = [rep('y1'), rep('y2', 'y3'), rep('y3', 'y2'), rep('y4', 'y2'), rep('y5', 'y5')];
    const orders = [reps, [...reps].reverse(), [reps[3]!, reps[2]!, reps[4]!, reps[0]!, reps[1]!]];
    const outcomes = orders.map((order) => {
      const result = normalize({ ...emptyData(), reps: order }, { baseCurrency: 'USD' });
      const managers = Object.fromEntries(result.data.reps.map((r) => [r.id, r.managerId ?? null]));
      return { managers, rejects: result.rejects.map((r) => `${r.recordId}: ${r.reason}`).sort() };
    });
    expect(outcomes[0]).toEqual({
      managers: { y1: null, y2: null, y3: 'y2', y4: 'y2', y5: null },
      rejects: [
        'y2: manager chain loops (y2 → y3 → y2); y2, the lowest id in the loop, is treated as having no manager',
        'y3: manager chain loops (y2 → y3 → y2); y2, the lowest id in the loop, is treated as having no manager',
        'y5: manager chain loops (y5 → y5); y5, the lowest id in the loop, is treated as having no manager',
      ],
    });
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[2]).toEqual(outcomes[0]);
  });

  it('any manager graph, in any order of the file, normalizes to the same tree and rejects', () => {
    const graphAndOrder = fc
      .array(fc.integer({ min: -1, max: 11 }), { minLength: 1, maxLength: 12 })
      .map((managers) => managers.map((m, i) => rep(`r${i}`, m < 0 || m >= managers.length ? undefined : `r${m}`)))
      .chain((reps) => fc.tuple(fc.constant(reps), fc.shuffledSubarray(reps, { minLength: reps.length })));
    fc.assert(
      fc.property(graphAndOrder, ([reps, shuffled]) => {
        const view = (order: typeof reps) => {
          const result = normalize({ ...emptyData(), reps: order }, { baseCurrency: 'USD' });
          const managers = Object.fromEntries(result.data.reps.map((r) => [r.id, r.managerId ?? null]));
          return { managers, rejects: result.rejects.map((r) => `${r.recordId}: ${r.reason}`).sort() };
        };
        const first = view(reps);
        expect(view(shuffled)).toEqual(first);
        // What is left is a forest: every chain ends.
        for (const id of Object.keys(first.managers)) {
          let steps = 0;
          for (let at: string | null = id; at !== null; at = first.managers[at] ?? null)
            expect(steps++).toBeLessThan(13);
        }
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('rejects quotas for unknown reps and repeated quotas', () => {
    const data = {
      ...base(),
      quotas: [
        { repId: 'r1', period: '2026-Q1', amount: '1' },
        { repId: 'r1', period: '2026-Q1', amount: '2' },
        { repId: 'r9', period: '2026-Q1', amount: '1' },
      ],
    };
    const result = normalize(data, { baseCurrency: 'USD' });
    expect(result.data.quotas).toEqual([{ repId: 'r1', period: '2026-Q1', amount: '1' }]);
    expect(result.rejects.map((r) => r.reason)).toEqual([
      'duplicate quota for r1 in 2026-Q1',
      'quota for unknown rep r9',
    ]);
  });
});

describe('checkAssignments: plan assignments are configuration', () => {
  it('reports unknown plans, unknown reps, reversed ranges and overlaps', () => {
    const issues = checkAssignments(
      [
        { repId: 'r1', planId: 'ae', from: '2026-01-01', to: '2026-06-30' },
        { repId: 'r1', planId: 'ae', from: '2026-06-30' },
        { repId: 'r1', planId: 'ae27', from: '2026-01-01' },
        { repId: 'r9', planId: 'ae', from: '2026-01-01' },
        { repId: 'r2', planId: 'ae', from: '2026-03-01', to: '2026-02-01' },
        { repId: 'r2', planId: 'mgr', from: '2026-01-01', to: '2026-01-31' },
        { repId: 'r2', planId: 'mgr', from: '2026-02-01' },
      ],
      new Set(['ae', 'mgr']),
      new Set(['r1', 'r2']),
    );
    expect(issues.map((i) => i.message)).toEqual([
      'rep r1 is assigned to unknown plan ae27',
      'assignment of unknown rep r9 to plan ae',
      'assignment of r2 to ae ends (2026-02-01) before it starts (2026-03-01)',
      'assignments of r1 to plan ae overlap: 2026-01-01–2026-06-30 (assignment r1/ae/2026-01-01) and 2026-06-30–open',
    ]);
  });
});
