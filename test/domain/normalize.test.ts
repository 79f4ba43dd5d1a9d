import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
