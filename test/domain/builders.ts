/** Small builders for engine tests: every field defaulted, override what the test is about. */
import type { CanonicalData, Deal, Rep } from '../../src/domain/model.js';
import type { Component, Plan } from '../../src/domain/plan.js';
import { calculate, type CalculationInput, type CalculationResult } from '../../src/domain/engine.js';

export function rep(id: string, managerId?: string): Rep {
  return { id, name: id.toUpperCase(), email: `${id}@example.com`, active: true, ...(managerId ? { managerId } : {}) };
}

let dealSeq = 0;
export function deal(fields: Partial<Deal> & { ownerId: string; amount: string; closeDate: string }): Deal {
  dealSeq++;
  return {
    id: `d${dealSeq}`,
    name: `Deal ${dealSeq}`,
    currency: 'USD',
    stage: 'won',
    fields: {},
    deleted: false,
    ...fields,
  };
}

export function commissionPlan(overrides: Partial<Plan> = {}, components?: Component[]): Plan {
  return {
    id: 'ae',
    name: 'AE',
    currency: 'USD',
    quotaPeriod: 'quarter',
    payoutPeriod: 'quarter',
    measures: { bookings: { credit: 'splits', rollup: true } },
    components: components ?? [
      {
        id: 'commission',
        kind: 'rate-table',
        measure: 'bookings',
        basis: 'attainment',
        mode: 'marginal',
        tiers: [{ from: '0', rate: '0.1' }],
      },
    ],
    ...overrides,
  };
}

export function emptyData(): CanonicalData {
  return { reps: [], deals: [], splits: [], quotas: [], assignments: [], fxRates: [] };
}

export function run(
  data: Partial<CanonicalData>,
  plans: Plan[],
  extra: Partial<CalculationInput> = {},
): CalculationResult {
  return calculate({
    calendar: { fiscalYearStartMonth: 1, tz: 'UTC' },
    baseCurrency: 'USD',
    plans,
    data: { ...emptyData(), ...data },
    ...extra,
  });
}

/** `rep/period/component` → amount, for compact assertions. */
export function amounts(result: CalculationResult): Record<string, string> {
  return Object.fromEntries(result.payouts.map((p) => [`${p.repId}/${p.period}/${p.component}`, p.amount]));
}
