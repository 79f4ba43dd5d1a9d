/** Small canonical data and results for the database tests. */
import type { AttainmentRow, PayoutLine } from '../../src/domain/engine.js';
import type { CanonicalData } from '../../src/domain/model.js';
import { Trace } from '../../src/domain/trace.js';

export function canonical(): CanonicalData {
  return {
    reps: [
      { id: 'mgr', name: 'Mia Manager', email: 'mia@example.com', active: true },
      { id: 'r1', name: 'Ann', email: 'ann@example.com', managerId: 'mgr', active: true, hireDate: '2025-03-01' },
      {
        id: 'r2',
        name: 'Bob',
        email: 'bob@example.com',
        managerId: 'mgr',
        active: false,
        hireDate: '2024-01-15',
        endDate: '2026-06-30',
      },
    ],
    deals: [
      {
        id: 'd1',
        name: 'Acme',
        ownerId: 'r1',
        amount: '1234.5600',
        currency: 'USD',
        closeDate: '2026-01-31',
        stage: 'won',
        type: 'New Business',
        fields: { contractTermMonths: 24, region: 'EMEA', strategic: true, note: null },
        lastModified: '2026-02-01T10:00:00Z',
        deleted: false,
      },
      {
        id: 'd2',
        name: 'Globex',
        ownerId: 'r2',
        amount: '99999999999999999999.99',
        currency: 'EUR',
        closeDate: '2026-02-28',
        stage: 'lost',
        fields: {},
        deleted: true,
      },
    ],
    splits: [
      // In the order readCanonical returns them: by deal, kind, rep.
      { dealId: 'd1', repId: 'r2', percent: '10.5', kind: 'overlay' },
      { dealId: 'd1', repId: 'r1', percent: '60', kind: 'revenue' },
      { dealId: 'd1', repId: 'r2', percent: '40', kind: 'revenue' },
    ],
    quotas: [
      { repId: 'r1', period: '2026-Q1', amount: '100000' },
      { repId: 'r2', period: '2026-Q1', amount: '80000.00' },
    ],
    assignments: [
      { repId: 'r1', planId: 'ae', from: '2026-01-01' },
      { repId: 'r2', planId: 'ae', from: '2025-01-01', to: '2026-06-30' },
    ],
    fxRates: [{ currency: 'EUR', from: '2026-01-01', rate: '0.912345678901' }],
  };
}

export function line(
  repId: string,
  period: string,
  component: string,
  amount: string,
  planId = 'ae',
  currency = 'USD',
): PayoutLine {
  return {
    repId,
    planId,
    period,
    component,
    amount,
    currency,
    trace: Trace.stored(component, { deals: [{ deal: `${repId}-${period}`, credit: amount }], rate: '0.05' }),
  };
}

export function attainmentRow(
  repId: string,
  period: string,
  credit: string,
  quota?: string,
  attainment?: string,
  planId = 'ae',
): AttainmentRow {
  return {
    repId,
    planId,
    period,
    measure: 'bookings',
    credit,
    ...(quota === undefined ? {} : { quota }),
    ...(attainment === undefined ? {} : { attainment }),
  };
}
