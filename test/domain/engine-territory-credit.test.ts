import { describe, expect, it } from 'vitest';
import type { CanonicalData, TerritoryAssignment } from '../../src/domain/model.js';
import type { Plan } from '../../src/domain/plan.js';
import { amounts, commissionPlan, deal, rep, run } from './builders.js';

const byTerritory: Plan = commissionPlan({ measures: { bookings: { credit: 'territory', rollup: true } } });
const assign = (repId: string) => ({ repId, planId: 'ae', from: '2026-01-01' });
const holds = (
  repId: string,
  role: 'owner' | 'overlay',
  percent: string,
  from: string,
  to?: string,
): TerritoryAssignment => ({ repId, territoryId: 'east', role, percent, from, ...(to ? { to } : {}) });

/**
 * mgr manages r1 and r2; r3 is an overlay outside the team. Territory east (region NY) is owned
 * 60/40 by r1 and r2 until Feb 15, by r2 alone from Feb 16; r3 overlays it at 25 % all along.
 */
function org(): Partial<CanonicalData> {
  const d1 = deal({ id: 't1', ownerId: 'r1', amount: '10000', closeDate: '2026-01-10', accountId: 'acme' });
  const d2 = deal({ id: 't2', ownerId: 'r1', amount: '2000', closeDate: '2026-03-01', accountId: 'acme' });
  const noAccount = deal({ id: 't3', ownerId: 'r1', amount: '5000', closeDate: '2026-01-20' });
  const noTerritory = deal({ id: 't4', ownerId: 'r2', amount: '7000', closeDate: '2026-01-20', accountId: 'lonely' });
  return {
    reps: [rep('mgr'), rep('r1', 'mgr'), rep('r2', 'mgr'), rep('r3')],
    deals: [d1, d2, noAccount, noTerritory],
    // Deal splits do not matter to territory credit.
    splits: [{ dealId: 't1', repId: 'r3', percent: '100', kind: 'revenue' }],
    quotas: ['mgr', 'r1', 'r2', 'r3'].map((r) => ({ repId: r, period: '2026-Q1', amount: '100000' })),
    assignments: ['mgr', 'r1', 'r2', 'r3'].map(assign),
    accounts: [
      { id: 'acme', name: 'Acme', region: 'NY', fields: {}, deleted: false },
      { id: 'lonely', name: 'Lonely', region: 'TX', fields: {}, deleted: false },
    ],
    territories: [{ id: 'east', where: { region: 'NY' } }],
    territoryAssignments: [
      holds('r1', 'owner', '60', '2026-01-01', '2026-02-15'),
      holds('r2', 'owner', '40', '2026-01-01', '2026-02-15'),
      holds('r2', 'owner', '100', '2026-02-16'),
      holds('r3', 'overlay', '25', '2026-01-01'),
    ],
  };
}

describe('territory credit', () => {
  it('credits the owners by their percents and overlays on top, rolled up to the manager', () => {
    // t1 (10,000, Jan 10): r1 60 % = 6,000, r2 40 % = 4,000, r3 overlay 25 % = 2,500.
    // t2 (2,000, Mar 1): r2 100 % = 2,000, r3 25 % = 500.
    // t3 has no account and t4's account is in no territory: they credit no one.
    // At 10 %: r1 600.00, r2 600.00, r3 300.00; mgr's team brought t1 (10,000, counted once) and t2 (2,000): 1,200.00.
    const result = run(org(), [byTerritory]);
    expect(amounts(result)).toEqual({
      'r1/2026-Q1/commission': '600.00',
      'r2/2026-Q1/commission': '600.00',
      'r3/2026-Q1/commission': '300.00',
      'mgr/2026-Q1/commission': '1200.00',
    });
    const r2 = result.payouts.find((p) => p.repId === 'r2')!.trace.toJSON()['deals'];
    expect(r2).toEqual([
      expect.objectContaining({ deal: 't1', percent: '40', territory: 'east', credit: '4000' }),
      expect.objectContaining({ deal: 't2', percent: '100', territory: 'east', credit: '2000' }),
    ]);
    // The lines add up to the credits to the cent.
    const total = result.payouts.reduce((sum, p) => sum + Number(p.amount) * 100, 0);
    expect(total).toBe(270000);
  });

  it('leaves owner and split credit as they were, and gives the same lines for the same inputs', () => {
    const bySplits = run(org(), [commissionPlan()]);
    // Split credit: t1 all to r3 (its split), t2 and t3 to owner r1, t4 to owner r2.
    expect(amounts(bySplits)).toEqual({
      'r1/2026-Q1/commission': '700.00',
      'r2/2026-Q1/commission': '700.00',
      'r3/2026-Q1/commission': '1000.00',
      'mgr/2026-Q1/commission': '1400.00',
    });
    const twice = [run(org(), [byTerritory]), run(org(), [byTerritory])].map((r) =>
      JSON.stringify(r.payouts.map((p) => ({ ...p, trace: p.trace.toJSON() }))),
    );
    expect(twice[0]).toBe(twice[1]);
  });

  it('credits no one where the territory has only overlays, not even the deal owner', () => {
    const data = org();
    data.territoryAssignments = [holds('r3', 'overlay', '50', '2026-01-01')];
    // t1 and t2: r3 gets 50 % of 12,000 = 6,000 → 600.00; r1 owns both deals but holds no share.
    expect(amounts(run(data, [byTerritory]))).toEqual({ 'r3/2026-Q1/commission': '600.00' });
  });

  it('credits by territory from the dated version that says so, though the plan’s own keys do not', () => {
    const byOwner = commissionPlan({ measures: { bookings: { credit: 'owner', rollup: true } } });
    const versioned: Plan = {
      ...byOwner,
      versions: [{ ...byTerritory, effective: '2026-01-01', hash: 'v2' }].map(
        ({ effective, hash, name, measures, components }) => ({ effective, hash, name, measures, components }),
      ),
    };
    expect(amounts(run(org(), [versioned]))).toEqual(amounts(run(org(), [byTerritory])));
  });
});
