/**
 * A payout line's trace in words, for a rep's statement: "first 100,000.00 at 5 % = 5,000.00;
 * next 25,000.00 at 6 % = 1,500.00". Only the trace's own figures are used, so every number in
 * the sentence is one the engine computed; nothing is recomputed here.
 */
import { decimal, formatDecimal } from './decimal.js';
import type { TraceJson } from './trace.js';

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

/** The sentence for one line, by component kind (read from the trace's shape, since lines carry no kind). */
export function explainLine(component: string, trace: TraceJson): string {
  if (component === 'draw') return explainDraw(trace);
  if (component === 'adjustment') return explainAdjustment(trace);
  if (Array.isArray(trace['tiers']) || trace['gate'] !== undefined || trace['basis'] !== undefined)
    return explainRateTable(trace);
  if (trace['perDeal'] !== undefined || (trace['rate'] !== undefined && Array.isArray(trace['deals'])))
    return explainPerDeal(trace);
  if (trace['bonus'] !== undefined) return explainBonus(trace);
  if (trace['teamCreditToDate'] !== undefined) return explainOverride(trace);
  return str(trace['reason'] ?? trace['note']);
}

/** "… so far this quarter; paid earlier 1,000.00, so 500.00 now", when a payout period pays part of a quota period. */
function toDate(trace: TraceJson): string {
  const due = str(trace['dueToDate']);
  const earlier = str(trace['paidEarlier']);
  if (due === '' || earlier === '' || decimal(earlier) === 0n) return '';
  return `; due to date in ${str(trace['quotaPeriod'])} ${money(due)} less ${money(earlier)} paid earlier`;
}

function attainmentWords(trace: TraceJson): string {
  const attainment = trace['attainmentToDate'];
  if (attainment === undefined) return '';
  return `attainment ${percent(str(attainment))} of ${money(str(trace['quota']))} quota in ${str(trace['quotaPeriod'])}`;
}

function explainRateTable(trace: TraceJson): string {
  if (trace['note'] !== undefined) return str(trace['note']);
  const gate = trace['gate'] as { threshold: string; met: boolean } | undefined;
  const parts: string[] = [];
  const reached = attainmentWords(trace);
  if (gate && !gate.met) return `${reached}: below the ${percent(gate.threshold)} gate, nothing is paid`;
  const tiers = (trace['tiers'] ?? []) as TraceJson[];
  if (trace['mode'] === 'retroactive') {
    for (const tier of tiers)
      parts.push(`all ${money(str(tier['credit']))} at ${percent(str(tier['rate']))} = ${money(str(tier['amount']))}`);
  } else {
    tiers.forEach((tier, i) =>
      parts.push(
        `${i === 0 ? 'first' : 'next'} ${money(str(tier['credit']))} at ${percent(str(tier['rate']))} = ${money(str(tier['amount']))}`,
      ),
    );
  }
  let text = parts.join('; ') || 'no credit yet';
  const cap = trace['cap'] as { cap: string; applied: boolean } | undefined;
  if (cap?.applied) text += `; capped at ${money(cap.cap)}`;
  if (gate?.met) text += `; ${percent(gate.threshold)} gate met`;
  if (reached) text += ` (${reached})`;
  return text + toDate(trace);
}

function explainPerDeal(trace: TraceJson): string {
  const deals = (trace['deals'] ?? []) as TraceJson[];
  const count = `${deals.length} deal${deals.length === 1 ? '' : 's'}`;
  const each =
    trace['perDeal'] !== undefined
      ? `${count} × ${money(str(trace['perDeal']))}`
      : `${percent(str(trace['rate']))} of the credit of ${count}`;
  // The deals listed are this payout period's; what they pay is their own sum, and toDate adds the
  // quota period's earlier months.
  const pays = formatDecimal(deals.reduce((sum, deal) => sum + decimal(str(deal['pays'])), 0n));
  return `${each} = ${money(pays)} in ${str(trace['quotaPeriod'])}${toDate(trace)}`;
}

function explainBonus(trace: TraceJson): string {
  const reached = attainmentWords(trace) || 'no attainment';
  return trace['reached'] === true
    ? `${reached} reached ${percent(str(trace['attainmentAtLeast']))}: bonus ${money(str(trace['bonus']))}${toDate(trace)}`
    : `${reached}, below ${percent(str(trace['attainmentAtLeast']))}: no bonus`;
}

function explainOverride(trace: TraceJson): string {
  return `${percent(str(trace['rate']))} of the team's credit ${money(str(trace['teamCreditToDate']))} in ${str(trace['quotaPeriod'])} = ${money(str(trace['dueToDate']))}${toDate(trace)}`;
}

function explainDraw(trace: TraceJson): string {
  const kind = trace['recoverable'] === true ? 'recoverable' : 'non-recoverable';
  const balance = `balance from ${money(str(trace['balanceBefore']))} to ${money(str(trace['balanceAfter']))}`;
  if (trace['topUp'] !== undefined)
    return `earned ${money(str(trace['earned']))}, below the ${kind} draw of ${money(str(trace['draw']))}: topped up by ${money(str(trace['topUp']))} (${balance})`;
  return `earned ${money(str(trace['earned']))}, above the draw of ${money(str(trace['draw']))}: ${money(str(trace['recovered']))} of the draw recovered (${balance})`;
}

function explainAdjustment(trace: TraceJson): string {
  const changes = ((trace['byComponent'] ?? []) as TraceJson[]).map(
    (c) => `${str(c['component'])} ${money(str(c['locked']))} paid, now ${money(str(c['recomputed']))}`,
  );
  const periods = ((trace['lockedPeriods'] ?? []) as string[]).join(', ');
  let text = `paid periods ${periods} changed: ${changes.join('; ')}`;
  const clawed = (trace['clawedBack'] ?? []) as string[];
  const added = (trace['added'] ?? []) as string[];
  if (clawed.length > 0) text += `; clawed back: ${clawed.join(', ')}`;
  if (added.length > 0) text += `; added: ${added.join(', ')}`;
  return text;
}
