/** Comp plans the CRM end-to-end tests share (written into each test's workspace). */

/** 5 % up to quota, 8 % above, on split credit; quarterly quota, monthly payout. */
export const AE_MONTHLY_PLAN = `id: ae
name: Account Executive
currency: USD
quotaPeriod: quarter
payoutPeriod: month
measures:
  bookings: { credit: splits }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0, rate: 0.05 }
      - { from: 1.0, rate: 0.08 }
`;

/** 10 % of split credit, quarterly quota and payout: one line per rep and quarter. */
export const AE_QUARTERLY_PLAN = `id: ae
name: Account Executive
currency: USD
quotaPeriod: quarter
payoutPeriod: quarter
measures:
  bookings: { credit: splits }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0, rate: 0.10 }
`;
