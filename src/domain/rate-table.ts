/**
 * Rate tables (docs/plans.md#rate-table): `from` is an inclusive lower bound, so a value exactly on a bound
 * takes the higher tier. Marginal mode pays each slice of credit at its own tier's rate and is
 * continuous across bounds; retroactive mode pays all credit at the rate of the tier reached.
 */
import { ZERO, max, min, mul, type Decimal } from './decimal.js';

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
