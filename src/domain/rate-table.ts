/**
 * Rate tables (docs/plans.md#rate-table): `from` is an inclusive lower bound, so a value exactly on a bound
 * takes the higher tier. Marginal mode pays each slice of credit at its own tier's rate and is
 * continuous across bounds; retroactive mode pays all credit at the rate of the tier reached.
 */
import { ZERO, decimal, max, min, mul, type Decimal } from './decimal.js';
import type { Component } from './plan.js';

export interface TierBound {
  /** Lower bound in the table's basis: a fraction of quota or an amount. */
  from: Decimal;
  rate: Decimal;
}

export interface TierSlice {
  tier: number;
  /** Slice bounds in plan currency; `to` undefined for the top tier. */
  from: Decimal;
  to: Decimal | undefined;
  rate: Decimal;
  credit: Decimal;
  amount: Decimal;
}

/**
 * `bounds` are in plan currency already (for the attainment basis: from × quota). Returns the
 * slices that carry credit; the payout is the sum of their amounts.
 */
export function applyTiers(
  credit: Decimal,
  bounds: readonly Decimal[],
  rates: readonly Decimal[],
  mode: 'marginal' | 'retroactive',
): TierSlice[] {
  const slices: TierSlice[] = [];
  if (mode === 'retroactive') {
    let reached = 0;
    for (let i = 1; i < bounds.length; i++) if (credit >= bounds[i]!) reached = i;
    const rate = rates[reached]!;
    slices.push({ tier: reached, from: ZERO, to: undefined, rate, credit, amount: mul(credit, rate) });
    return slices;
  }
  for (let i = 0; i < bounds.length; i++) {
    const lower = bounds[i]!;
    const upper = bounds[i + 1];
    if (credit <= lower && i > 0) break;
    const top = upper === undefined ? credit : min(credit, upper);
    const sliceCredit = max(ZERO, top - lower);
    // Negative credit (refunds exceeding bookings) sits in the first tier.
    const effective = i === 0 && credit < lower ? credit - lower : sliceCredit;
    if (effective === ZERO) continue;
    const rate = rates[i]!;
    slices.push({ tier: i, from: lower, to: upper, rate, credit: effective, amount: mul(effective, rate) });
  }
  return slices;
}

/**
 * What a rate table as the plan writes it pays on `credit` against `quota`, before its gate and cap:
 * the same tier arithmetic as the engine, for the payout curve and for judging caps in a diff.
 */
export function tieredAmount(
  table: Extract<Component, { kind: 'rate-table' }>,
  credit: Decimal,
  quota: Decimal,
): Decimal {
  const froms = table.tiers.map((t) => decimal(t.from));
  const bounds = table.basis === 'attainment' ? froms.map((f) => mul(f, quota)) : froms;
  let amount = ZERO;
  for (const slice of applyTiers(
    credit,
    bounds,
    table.tiers.map((t) => decimal(t.rate)),
    table.mode,
  ))
    amount += slice.amount;
  return amount;
}
