/**
 * A payout line's trace in words, for a rep's statement: "first 100,000.00 at 5 % = 5,000.00;
 * next 25,000.00 at 6 % = 1,500.00". Only the trace's own figures are used, so every number in
 * the sentence is one the engine computed; nothing is recomputed here.
 */
import { decimal, formatDecimal } from './decimal.js';
import {
  classifyTrace,
  type AdjustmentSumTrace,
  type BonusTrace,
  type DrawTrace,
  type LockAdjustmentTrace,
  type OverrideTrace,
  type PerDealTrace,
  type QuotaFacts,
  type RateTableTrace,
  type ToDate,
  type TypedTrace,
} from './trace.js';

// Intl formats a decimal string exactly (no float on the way): "1234567.125" → "1,234,567.12" half-even.
const MONEY = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  roundingMode: 'halfEven',
});
const PERCENT_DIGITS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4, roundingMode: 'halfEven' });

/** 1234.5 → "1,234.50". */
export function money(amount: string): string {
  return MONEY.format(amount as `${number}`);
}

/** A fraction as a percentage: "0.06" → "6 %", "1.0690604377" → "106.906 %" (at most 4 decimals). */
export function percent(fraction: string): string {
  return `${PERCENT_DIGITS.format(formatDecimal(decimal(fraction) * 100n) as `${number}`)} %`;
}

const str = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

/** The sentence for one line, by the kind of its trace (trace.ts `classifyTrace` types a stored one). */
export function explainLine(trace: TypedTrace): string {
  switch (trace.kind) {
    case 'rateTable':
      return explainRateTable(trace.json);
    case 'perDeal':
      return explainPerDeal(trace.json);
    case 'bonus':
      return explainBonus(trace.json);
    case 'override':
      return explainOverride(trace.json);
    case 'draw':
      return explainDraw(trace.json);
    case 'lockAdjustment':
      return explainLockAdjustment(trace.json);
    case 'manualAdjustment':
      return trace.json.reason;
    case 'adjustmentSum':
      return explainAdjustmentSum(trace.json);
    case 'other':
      return str(trace.json['reason'] ?? trace.json['note']);
    default:
      return unexplained(trace);
  }
}

/** Unreachable while every kind has its case above: the compiler holds that. */
function unexplained(trace: never): string {
  throw new Error(`no words for the trace ${JSON.stringify(trace)}`);
}

/** "… so far this quarter; paid earlier 1,000.00, so 500.00 now", when a payout period pays part of a quota period. */
function toDate(trace: Partial<ToDate> & { quotaPeriod: string }): string {
  // A brief trace has none; one stored by an older version may lack them.
  const due = str(trace.dueToDate);
  const earlier = str(trace.paidEarlier);
  if (due === '' || earlier === '' || decimal(earlier) === 0n) return '';
  return `; due to date in ${trace.quotaPeriod} ${money(due)} less ${money(earlier)} paid earlier`;
}

function attainmentWords(trace: QuotaFacts): string {
  if (trace.attainmentToDate === undefined) return '';
  return `attainment ${percent(trace.attainmentToDate)} of ${money(str(trace.quota))} quota in ${trace.quotaPeriod}`;
}

function explainRateTable(trace: RateTableTrace): string {
  if (trace.note !== undefined) return trace.note;
  const { gate } = trace;
  const parts: string[] = [];
  const reached = attainmentWords(trace);
  if (gate && !gate.met) return `${reached}: below the ${percent(gate.threshold)} gate, nothing is paid`;
  const tiers = trace.tiers ?? [];
  if (trace.mode === 'retroactive') {
    for (const tier of tiers)
      parts.push(`all ${money(str(tier.credit))} at ${percent(tier.rate)} = ${money(str(tier.amount))}`);
  } else {
    tiers.forEach((tier, i) =>
      parts.push(
        `${i === 0 ? 'first' : 'next'} ${money(str(tier.credit))} at ${percent(tier.rate)} = ${money(str(tier.amount))}`,
      ),
    );
  }
  let text = parts.join('; ') || 'no credit yet';
  if (trace.cap?.applied) text += `; capped at ${money(trace.cap.cap)}`;
  if (gate?.met) text += `; ${percent(gate.threshold)} gate met`;
  if (reached) text += ` (${reached})`;
  return text + toDate(trace);
}

function explainPerDeal(trace: PerDealTrace): string {
  const { deals } = trace;
  const count = `${deals.length} deal${deals.length === 1 ? '' : 's'}`;
  const each =
    trace.perDeal !== undefined
      ? `${count} × ${money(trace.perDeal)}`
      : `${percent(str(trace.rate))} of the credit of ${count}`;
  // The deals listed are this payout period's; what they pay is their own sum, and toDate adds the
  // quota period's earlier months.
  const pays = formatDecimal(deals.reduce((sum, deal) => sum + decimal(str(deal.pays)), 0n));
  return `${each} = ${money(pays)} in ${trace.quotaPeriod}${toDate(trace)}`;
}

function explainBonus(trace: BonusTrace): string {
  const reached = attainmentWords(trace) || 'no attainment';
  return trace.reached
    ? `${reached} reached ${percent(trace.attainmentAtLeast)}: bonus ${money(trace.bonus)}${toDate(trace)}`
    : `${reached}, below ${percent(trace.attainmentAtLeast)}: no bonus`;
}

function explainOverride(trace: OverrideTrace): string {
  return `${percent(trace.rate)} of the team's credit ${money(trace.teamCreditToDate)} in ${trace.quotaPeriod} = ${money(str(trace.dueToDate))}${toDate(trace)}`;
}

function explainDraw(trace: DrawTrace): string {
  const kind = trace.recoverable ? 'recoverable' : 'non-recoverable';
  const balance = `balance from ${money(trace.balanceBefore)} to ${money(trace.balanceAfter)}`;
  if (trace.topUp !== undefined)
    return `earned ${money(trace.earned)}, below the ${kind} draw of ${money(trace.draw)}: topped up by ${money(trace.topUp)} (${balance})`;
  return `earned ${money(trace.earned)}, above the draw of ${money(trace.draw)}: ${money(str(trace.recovered))} of the draw recovered (${balance})`;
}

function explainLockAdjustment(trace: LockAdjustmentTrace): string {
  const changes = (trace.byComponent ?? []).map(
    (c) => `${c.component} ${money(c.locked)} paid, now ${money(c.recomputed)}`,
  );
  const periods = (trace.lockedPeriods ?? []).join(', ');
  let text = `paid periods ${periods} changed: ${changes.join('; ')}`;
  if (trace.clawedBack.length > 0) text += `; clawed back: ${trace.clawedBack.join(', ')}`;
  if (trace.added.length > 0) text += `; added: ${trace.added.join(', ')}`;
  return text;
}

/** Each part's amount and its own words. */
function explainAdjustmentSum(trace: AdjustmentSumTrace): string {
  return trace.adjustments
    .map((part) => `${money(part.amount)}: ${explainLine(classifyTrace('adjustment', part))}`)
    .join('; ');
}
