/**
 * Locked periods (SPEC §3): a locked payout period is never rewritten. The engine recomputes it
 * anyway; where the recomputed lines of a rep's plan differ from the locked ones, the difference
 * is posted as one `adjustment` line in the first open payout period after the change. A deal
 * reversed inside the clawback window shows up here as a negative adjustment (a clawback).
 */
import { ZERO, decimal, formatDecimal, type Decimal } from './decimal.js';
import type { LockedPeriods, PayoutLine, Trace } from './engine.js';
import { minorUnitDigits } from './currency.js';
import type { FiscalCalendar, Period } from './periods.js';
import type { Plan } from './plan.js';

/** Decides whether a payout period is locked: by its own label, an enclosing period's, or all its months. */
export class LockSet {
  private readonly labels: Set<string>;

  constructor(
    periods: readonly string[],
    private readonly calendar: FiscalCalendar,
  ) {
    this.labels = new Set(periods);
  }

  isLocked(period: Period): boolean {
    const { calendar, labels } = this;
    if (labels.has(period.label)) return true;
    if (labels.has(calendar.periodOf('year', period.startMonth).label)) return true;
    if (period.kind === 'month' && labels.has(calendar.periodOf('quarter', period.startMonth).label)) return true;
    for (let m = period.startMonth; m < period.startMonth + period.months; m++) {
      if (!labels.has(calendar.periodOf('month', m).label)) return false;
    }
    return true;
  }
}

interface Comparison {
  repId: string;
  planId: string;
  currency: string;
  recomputed: Map<string, Decimal>;
  locked: Map<string, Decimal>;
  recomputedDeals: Set<string>;
  lockedDeals: Set<string>;
  /** Start day of the earliest locked period where a line differs (filled in below). */
  periods: Set<string>;
}

export function applyLocks(
  computed: PayoutLine[],
  locked: LockedPeriods,
  calendar: FiscalCalendar,
  plans: Map<string, Plan>,
  window: { lastDay: number },
): PayoutLine[] {
  const locks = new LockSet(locked.periods, calendar);
  const periodOf = (label: string) => calendar.parse(label);
  const comparisons = new Map<string, Comparison>();
  const compare = (line: PayoutLine) => {
    const key = `${line.repId}\u0000${line.planId}`;
    let c = comparisons.get(key);
    if (!c) {
      c = { repId: line.repId, planId: line.planId, currency: line.currency, recomputed: new Map(), locked: new Map(), recomputedDeals: new Set(), lockedDeals: new Set(), periods: new Set() };
      comparisons.set(key, c);
    }
    return c;
  };

  const result: PayoutLine[] = [];
  for (const line of computed) {
    const period = periodOf(line.period);
    if (!period || !locks.isLocked(period)) {
      result.push(line);
      continue;
    }
    // Draws are settled period by period from the locked draw lines (draw.ts), not adjusted here.
    if (line.component === 'draw') continue;
    const c = compare(line);
    c.recomputed.set(line.component, (c.recomputed.get(line.component) ?? ZERO) + decimal(line.amount));
    c.periods.add(line.period);
    for (const id of tracedDeals(line.trace)) c.recomputedDeals.add(id);
  }
  for (const line of locked.lines) {
    result.push(line);
    if (line.component === 'draw') continue;
    const c = compare(line);
    c.locked.set(line.component, (c.locked.get(line.component) ?? ZERO) + decimal(line.amount));
    c.periods.add(line.period);
    for (const id of tracedDeals(line.trace)) c.lockedDeals.add(id);
  }

  for (const c of comparisons.values()) {
    const plan = plans.get(c.planId);
    if (!plan) continue; // A plan that no longer exists: its locked lines stand as they are.
    const components = new Set([...c.recomputed.keys(), ...c.locked.keys()]);
    let difference = ZERO;
    const byComponent: Trace[] = [];
    for (const component of [...components].sort()) {
      const recomputed = c.recomputed.get(component) ?? ZERO;
      const lockedAmount = c.locked.get(component) ?? ZERO;
      if (recomputed === lockedAmount) continue;
      difference += recomputed - lockedAmount;
      byComponent.push({ component, locked: formatDecimal(lockedAmount), recomputed: formatDecimal(recomputed) });
    }
    if (difference === ZERO) continue;
    const changed = [...c.periods].map(periodOf).filter((p): p is Period => p !== undefined).sort((a, b) => a.startDay - b.startDay);
    const target = firstOpenPeriod(changed[0]!, plan, calendar, locks);
    const digits = minorUnitDigits(c.currency);
    result.push({
      repId: c.repId,
      planId: c.planId,
      period: target.label,
      component: 'adjustment',
      amount: formatDecimal(difference, digits),
      currency: c.currency,
      trace: {
        reason: 'inputs of locked periods changed; the difference is paid (or recovered) here',
        lockedPeriods: changed.map((p) => p.label),
        byComponent,
        clawedBack: [...c.lockedDeals].filter((id) => !c.recomputedDeals.has(id)).sort(),
        added: [...c.recomputedDeals].filter((id) => !c.lockedDeals.has(id)).sort(),
        ...(target.startDay > window.lastDay ? { note: `posted in ${target.label}, the first open period` } : {}),
      },
    });
  }
  return result;
}

function firstOpenPeriod(from: Period, plan: Plan, calendar: FiscalCalendar, locks: LockSet): Period {
  let period = calendar.periodOf(plan.payoutPeriod, from.startMonth);
  while (locks.isLocked(period)) period = calendar.periodOf(plan.payoutPeriod, period.startMonth + period.months);
  return period;
}

function tracedDeals(trace: Trace): string[] {
  const listed = trace['deals'];
  return Array.isArray(listed) ? listed.map((entry) => String((entry as { deal: unknown }).deal)) : [];
}
