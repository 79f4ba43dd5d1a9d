/**
 * Draws (docs/plans.md#draw): per plan assignment and payout period, earned = the sum of that period's
 * rounded lines. Where earned < draw, a `draw` line tops the rep up to the draw; the top-up is
 * added to the balance (recoverable) or forgiven (non-recoverable). Where earned > draw, a
 * negative `draw` line recovers min(balance, earned − draw).
 */
import { ZERO, decimal, formatDecimal, min, type Decimal } from './decimal.js';
import type { PayoutLine } from './engine.js';
import { minorUnitDigits } from './currency.js';
import type { LockSet } from './locks.js';
import type { FiscalCalendar } from './periods.js';
import type { Plan } from './plan.js';
import { Trace } from './trace.js';

/** Adds the draw lines to one rep's lines of one plan (which must have a draw). */
export function applyDraw(
  lines: PayoutLine[],
  repId: string,
  plan: Plan,
  calendar: FiscalCalendar,
  intervals: readonly number[],
  window: { firstDay: number; lastDay: number },
  locks: LockSet,
): PayoutLine[] {
  const draw = decimal(plan.draw!.amount);
  const recoverable = plan.draw!.recoverable;
  const digits = minorUnitDigits(plan.currency);
  const earned = new Map<string, Decimal>();
  const lockedDraws = new Map<string, Decimal>();
  for (const line of lines) {
    const totals = line.component === 'draw' ? lockedDraws : earned;
    totals.set(line.period, (totals.get(line.period) ?? ZERO) + decimal(line.amount));
  }

  const result = lines.slice();
  let balance = ZERO;
  for (const period of calendar.periodsCovering(plan.payoutPeriod, intervals, window.firstDay, window.lastDay)) {
    if (locks.isLocked(period)) {
      // Locked: the draw paid then stands, and carries its balance forward.
      const paid = lockedDraws.get(period.label) ?? ZERO;
      if (recoverable) balance = balance + paid > ZERO ? balance + paid : ZERO;
      continue;
    }
    const periodEarned = earned.get(period.label) ?? ZERO;
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
    const after = balance;
    result.push({
      repId,
      planId: plan.id,
      period: period.label,
      component: 'draw',
      amount: formatDecimal(amount, digits),
      currency: plan.currency,
      trace: new Trace(() => ({
        kind: 'draw',
        json: {
          draw: plan.draw!.amount,
          recoverable,
          earned: formatDecimal(periodEarned, digits),
          ...(amount > ZERO ? { topUp: formatDecimal(amount, digits) } : { recovered: formatDecimal(-amount, digits) }),
          balanceBefore: formatDecimal(before, digits),
          balanceAfter: formatDecimal(after, digits),
        },
      })),
    });
  }
  return result;
}
