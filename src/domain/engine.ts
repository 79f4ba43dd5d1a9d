/**
 * The calculation engine (SPEC §3): pure. Plain canonical data and plans in, payout lines,
 * attainment and rejects out. No I/O, no clock, no environment.
 */
import type { CanonicalData, Reject } from './model.js';
import type { Calendar, Plan } from './plan.js';

export interface PayoutLine {
  repId: string;
  planId: string;
  /** The payout period label: `2026-01`, `2026-Q1`, `2026`. */
  period: string;
  /** A component id of the plan, or `draw` or `adjustment`. */
  component: string;
  /** Decimal string rounded half-even to the currency's minor unit. */
  amount: string;
  currency: string;
  trace: Record<string, unknown>;
}

export interface AttainmentRow {
  repId: string;
  planId: string;
  /** The quota period label. */
  period: string;
  measure: string;
  credit: string;
  /** Absent when the rep has no quota for the period. */
  quota?: string;
  attainment?: string;
}

export interface LockedPeriods {
  /** Locked payout period labels. */
  periods: string[];
  /** The payout lines stored for those periods when they were locked. */
  lines: PayoutLine[];
}

export interface CalculationInput {
  calendar: Calendar;
  /** The currency whose FX rate is 1 (fx rates are units of a currency per 1 unit of it). */
  baseCurrency: string;
  plans: Plan[];
  /** Normalized data (see normalize.ts): bad records already turned into rejects. */
  data: CanonicalData;
  /** Last day calculated (YYYY-MM-DD); default: the latest close date of a won deal. */
  asOf?: string;
  locked?: LockedPeriods;
}

export interface CalculationResult {
  payouts: PayoutLine[];
  attainment: AttainmentRow[];
  rejects: Reject[];
}

export function calculate(input: CalculationInput): CalculationResult {
  void input;
  throw new Error('not implemented yet');
}
