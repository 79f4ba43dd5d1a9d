/**
 * The liability forecast (docs/report.md#liability-forecast): the commission the open pipeline is
 * expected to cost, each estimate (docs/estimates.md) weighted by its deal's stage probability.
 *
 * One row per estimate and payout period it changes: `commission` is the estimate's change in
 * that period (its `periods`; draws are not in an estimate), `expected` is
 * commission × probability rounded once, half-even, to the currency's minor unit. Totals are sums
 * of rows, so a total equals its rows to the cent.
 */
import { cmp } from './order.js';
import { minorUnitDigits } from './currency.js';
import { ONE, SCALE_DIGITS, ZERO, divideHalfEven, formatDecimal, parseDecimal, type Decimal } from './decimal.js';
import type { Estimate } from './estimate.js';
import type { Deal, FieldValue } from './model.js';

/** Where a deal's stage probability is (attain.yaml `forecast`, docs/report.md#liability-forecast). */
export interface ProbabilityOptions {
  /** The deal field (a CSV column, a mapped CRM field): `probability` by default. */
  field: string;
  /** `percent`, 0 to 100 (Salesforce's Opportunity.Probability); `fraction`, 0 to 1 (HubSpot's hs_deal_stage_probability). */
  unit: 'percent' | 'fraction';
}

export const DEFAULT_PROBABILITY: ProbabilityOptions = { field: 'probability', unit: 'percent' };

export type ProbabilityReading = { probability: Decimal } | { reason: string };

/**
 * A deal's stage probability as an exact fraction 0..1, from its field written in percent
 * (`25`, `12.5`: at most 8 decimals) or as a fraction (`0.25`); or why it cannot be used.
 */
export function readProbability(
  value: FieldValue | undefined,
  unit: ProbabilityOptions['unit'] = 'percent',
): ProbabilityReading {
  if (value === undefined || value === null || value === '') return { reason: 'no probability' };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const number = text === undefined ? undefined : parseDecimal(text);
  const example = unit === 'percent' ? 'a percent such as 25' : 'a fraction such as 0.25';
  if (number === undefined) return { reason: `probability ${JSON.stringify(value)} is not ${example}` };
  const top = unit === 'percent' ? 100n * ONE : ONE;
  if (number < ZERO || number > top)
    return { reason: `probability ${text} is outside 0 to ${unit === 'percent' ? '100 (percent)' : '1 (fraction)'}` };
  if (unit === 'fraction') return { probability: number };
  // The fraction stays exact: a percent has at most 8 decimals.
  if (number % 100n !== 0n) return { reason: `probability ${text} has more than 8 decimals` };
  return { probability: number / 100n };
}

/** commission × probability, rounded once, half-even, to `digits` decimals. */
export function weighted(commission: Decimal, probability: Decimal, digits: number): Decimal {
  const unit = 10n ** BigInt(SCALE_DIGITS - digits);
  return divideHalfEven(commission * probability, ONE * unit) * unit;
}

export interface ForecastRow {
  dealId: string;
  repId: string;
  planId: string;
  /** The payout period of the lines that change (the period of the deal's expected close, mostly). */
  period: string;
  currency: string;
  /** Unweighted: the estimate's change in this period. */
  commission: string;
  /** The fraction 0..1 (its percent ÷ 100), absent when the deal has no usable probability. */
  probability?: string;
  /** commission × probability, rounded half-even to the minor unit; absent without a probability. */
  expected?: string;
  /** Why there is no probability: `no probability`, `probability "high" is not a number …`. */
  reason?: string;
}

/** The forecast rows of a run's estimates, given its deals (for their probability). */
export function forecast(
  estimates: readonly Omit<Estimate, 'trace'>[],
  deals: readonly Deal[],
  options: ProbabilityOptions = DEFAULT_PROBABILITY,
): ForecastRow[] {
  // Read for the deals that have an estimate only: the open ones, a tenth of a large org's.
  const readings = new Map<string, ProbabilityReading | undefined>();
  for (const e of estimates) readings.set(e.dealId, undefined);
  for (const deal of deals)
    if (readings.has(deal.id)) readings.set(deal.id, readProbability(deal.fields[options.field], options.unit));
  const rows: ForecastRow[] = [];
  for (const e of estimates) {
    const digits = minorUnitDigits(e.currency);
    const reading = readings.get(e.dealId) ?? { reason: 'no probability' };
    for (const { period, change: commission } of [...e.periods].sort((a, b) => cmp(a.period, b.period))) {
      const row: ForecastRow = {
        dealId: e.dealId,
        repId: e.repId,
        planId: e.planId,
        period,
        currency: e.currency,
        commission: formatDecimal(commission, digits),
      };
      if ('probability' in reading) {
        row.probability = formatDecimal(reading.probability);
        row.expected = formatDecimal(weighted(commission, reading.probability, digits), digits);
      } else row.reason = reading.reason;
      rows.push(row);
    }
  }
  return rows;
}
