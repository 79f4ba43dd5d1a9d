/**
 * Locked periods (docs/plans.md): a locked payout period is never rewritten. The engine recomputes it
 * anyway; where the recomputed lines of a rep's plan differ from the locked ones, the difference
 * is posted as one `adjustment` line in the first open payout period after the change. A deal
 * reversed inside the clawback window shows up here as a negative adjustment (a clawback).
 */
import { ZERO, decimal, formatDecimal, type Decimal } from './decimal.js';
import type { PayoutLine } from './engine.js';
import { minorUnitDigits } from './currency.js';
import type { FiscalCalendar, Period } from './periods.js';
import type { Plan } from './plan.js';
import { Trace, tracedDeals, type LockAdjustmentTrace } from './trace.js';

/** Decides whether a payout period is locked: by its own label, an enclosing period's, or all its months. */
export class LockSet {
  private readonly labels: Set<string>;

  constructor(
    periods: readonly string[],
    private readonly calendar: FiscalCalendar,
  ) {
    this.labels = new Set(periods);
  }

  get empty(): boolean {
    return this.labels.size === 0;
  }

  /** A period given by its label (`2026-01`, `2026-Q1`, `2026`); a label that is no period is not locked. */
  isLabelLocked(label: string): boolean {
    const period = this.calendar.parse(label);
    return period !== undefined && this.isLocked(period);
  }

  isLocked(period: Period): boolean {
    const { calendar, labels } = this;
    if (labels.size === 0) return false;
    if (labels.has(period.label)) return true;
    if (labels.has(calendar.periodOf('year', period.startMonth).label)) return true;
    if (period.kind === 'month' && labels.has(calendar.periodOf('quarter', period.startMonth).label)) return true;
    for (let m = period.startMonth; m < period.startMonth + period.months; m++) {
      if (!labels.has(calendar.periodOf('month', m).label)) return false;
    }
    return true;
  }
}

/**
 * One rep's lines of one plan with its locked periods settled: computed lines in locked periods
 * give way to the locked lines, and the difference becomes an adjustment.
 */
export function settleLocks(
  computed: PayoutLine[],
  locked: PayoutLine[],
  plan: Plan | undefined,
  calendar: FiscalCalendar,
  locks: LockSet,
  lastDay: number,
): PayoutLine[] {
  const result: PayoutLine[] = [];
  const recomputed = new Map<string, Decimal>();
  const lockedTotals = new Map<string, Decimal>();
  const recomputedDeals = new Set<string>();
  const lockedDeals = new Set<string>();
  const periods = new Map<string, Period>();
  for (const line of computed) {
    const period = calendar.parse(line.period);
    if (!period || !locks.isLocked(period)) {
      result.push(line);
      continue;
    }
    // Draws are settled period by period from the locked draw lines (draw.ts), not adjusted here.
    if (line.component === 'draw') continue;
    recomputed.set(line.component, (recomputed.get(line.component) ?? ZERO) + decimal(line.amount));
    periods.set(period.label, period);
    for (const id of tracedDeals(line.trace.read())) recomputedDeals.add(id);
  }
  for (const line of locked) {
    result.push(line);
    if (line.component === 'draw') continue;
    lockedTotals.set(line.component, (lockedTotals.get(line.component) ?? ZERO) + decimal(line.amount));
    const period = calendar.parse(line.period);
    if (period) periods.set(period.label, period);
    for (const id of tracedDeals(line.trace.read())) lockedDeals.add(id);
  }
  // A plan that no longer exists: its locked lines stand as they are.
  if (!plan) return result;

  let difference = ZERO;
  const byComponent: LockAdjustmentTrace['byComponent'] = [];
  for (const component of [...new Set([...recomputed.keys(), ...lockedTotals.keys()])].sort()) {
    const now = recomputed.get(component) ?? ZERO;
    const then = lockedTotals.get(component) ?? ZERO;
    if (now === then) continue;
    difference += now - then;
    byComponent.push({ component, locked: formatDecimal(then), recomputed: formatDecimal(now) });
  }
  if (difference === ZERO) return result;

  const changed = [...periods.values()].sort((a, b) => a.startDay - b.startDay);
  let target = calendar.periodOf(plan.payoutPeriod, changed[0]!.startMonth);
  while (locks.isLocked(target)) target = calendar.periodOf(plan.payoutPeriod, target.startMonth + target.months);
  const first = computed[0] ?? locked[0]!;
  const trace: LockAdjustmentTrace = {
    reason: 'inputs of locked periods changed; the difference is paid (or recovered) here',
    lockedPeriods: changed.map((p) => p.label),
    byComponent,
    clawedBack: [...lockedDeals].filter((id) => !recomputedDeals.has(id)).sort(),
    added: [...recomputedDeals].filter((id) => !lockedDeals.has(id)).sort(),
    ...(target.startDay > lastDay ? { note: `posted in ${target.label}, the first open period` } : {}),
  };
  result.push({
    repId: first.repId,
    planId: plan.id,
    period: target.label,
    component: 'adjustment',
    amount: formatDecimal(difference, minorUnitDigits(plan.currency)),
    currency: plan.currency,
    trace: new Trace(() => ({ kind: 'lockAdjustment', json: trace })),
  });
  return result;
}
