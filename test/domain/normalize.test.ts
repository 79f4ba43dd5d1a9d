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
      'manager chain of a loops back to a; a is treated as having no manager',
    ]);
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
