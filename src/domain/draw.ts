/**
 * Draws (SPEC §3): per plan assignment and payout period, earned = the sum of that period's
 * rounded lines. Where earned < draw, a `draw` line tops the rep up to the draw; the top-up is
 * added to the balance (recoverable) or forgiven (non-recoverable). Where earned > draw, a
 * negative `draw` line recovers min(balance, earned − draw).
 */
import { ZERO, decimal, formatDecimal, min, type Decimal } from './decimal.js';
import type { LockedPeriods, PayoutLine } from './engine.js';
import { minorUnitDigits } from './currency.js';
import { LockSet } from './locks.js';
import { monthOfDay, type FiscalCalendar, type Period } from './periods.js';
import type { Plan } from './plan.js';

export function applyDraws(
  payouts: PayoutLine[],
  plans: Map<string, Plan>,
  calendar: FiscalCalendar,
  assignmentsByPlan: Map<string, Map<number, number[]>>,
  repIds: string[],
  window: { firstDay: number; lastDay: number },
  locked: LockedPeriods | undefined,
): PayoutLine[] {
  const withDraw = [...plans.values()].filter((p) => p.draw !== undefined);
  if (withDraw.length === 0) return payouts;
  const locks = new LockSet(locked?.periods ?? [], calendar);

  const earned = new Map<string, Decimal>();
  const lockedDraws = new Map<string, Decimal>();
  const key = (repId: string, planId: string, period: string) => `${repId}\u0000${planId}\u0000${period}`;
  for (const line of payouts) {
    if (!plans.get(line.planId)?.draw) continue;
    const k = key(line.repId, line.planId, line.period);
    if (line.component === 'draw') lockedDraws.set(k, (lockedDraws.get(k) ?? ZERO) + decimal(line.amount));
    else earned.set(k, (earned.get(k) ?? ZERO) + decimal(line.amount));
  }

  const result = payouts.slice();
  for (const plan of withDraw) {
    const draw = decimal(plan.draw!.amount);
    const recoverable = plan.draw!.recoverable;
    const digits = minorUnitDigits(plan.currency);
    for (const [rep, intervals] of assignmentsByPlan.get(plan.id) ?? []) {
      const repId = repIds[rep]!;
      let balance = ZERO;
      for (const period of payoutPeriods(plan, calendar, intervals, window)) {
        const k = key(repId, plan.id, period.label);
        if (locks.isLocked(period)) {
          // Locked: the draw paid then stands, and carries its balance forward.
          const paid = lockedDraws.get(k) ?? ZERO;
          if (recoverable) balance = balance + paid > ZERO ? balance + paid : ZERO;
          continue;
        }
        const periodEarned = earned.get(k) ?? ZERO;
        const before = balance;
        let amount = ZERO;
        if (periodEarned < draw) {
          amount = draw - periodEarned;
          if (recoverable) balance += amount;
        } else if (periodEarned > draw && balance > ZERO) {
          amount = -min(balance, periodEarned - draw);
          balance += amount;
        }
        if (amount === ZERO) continue;
        result.push({
          repId,
          planId: plan.id,
          period: period.label,
          component: 'draw',
          amount: formatDecimal(amount, digits),
          currency: plan.currency,
          trace: {
            draw: plan.draw!.amount,
            recoverable,
            earned: formatDecimal(periodEarned, digits),
            ...(amount > ZERO ? { topUp: formatDecimal(amount, digits) } : { recovered: formatDecimal(-amount, digits) }),
            balanceBefore: formatDecimal(before, digits),
            balanceAfter: formatDecimal(balance, digits),
          },
        });
      }
    }
  }
  return result;
}

/** The plan's payout periods that overlap the assignment inside the calculated window, in order. */
function payoutPeriods(plan: Plan, calendar: FiscalCalendar, intervals: number[], window: { firstDay: number; lastDay: number }): Period[] {
  const periods = new Map<string, Period>();
  for (let i = 0; i < intervals.length; i += 2) {
    const from = Math.max(intervals[i]!, window.firstDay);
    const to = Math.min(intervals[i + 1]!, window.lastDay);
    if (from > to) continue;
    for (let m = monthOfDay(from); m <= monthOfDay(to); ) {
      const p = calendar.periodOf(plan.payoutPeriod, m);
      periods.set(p.label, p);
      m = p.startMonth + p.months;
    }
  }
  return [...periods.values()].sort((a, b) => a.startDay - b.startDay);
}
