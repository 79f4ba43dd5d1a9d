/**
 * A plan's payout curve: what its attainment-driven components pay in one quota period at a given
 * attainment, for a given quota, with the engine's own tier arithmetic (applyTiers), gate, cap and
 * bonus thresholds. The report's "target incentive" is this payout at 100 % attainment, for the
 * rep's quota (docs/report.md).
 *
 * Credit is taken as attainment × quota on every measure. Per-deal components are left out: they
 * pay per deal, whatever the attainment. Draws and adjustments are not earnings of the period.
 */
import { ONE, ZERO, decimal, min, mul, type Decimal } from './decimal.js';
import type { Plan } from './plan.js';
import { tieredAmount } from './rate-table.js';

export function payoutAtAttainment(plan: Plan, quota: Decimal, attainment: Decimal): Decimal {
  const credit = mul(attainment, quota);
  let total = ZERO;
  for (const c of plan.components) {
    switch (c.kind) {
      case 'rate-table': {
        if (c.gate !== undefined && attainment < decimal(c.gate)) break;
        const amount = tieredAmount(c, credit, quota);
        total += c.cap === undefined ? amount : min(amount, decimal(c.cap));
        break;
      }
      case 'bonus':
        if (attainment >= decimal(c.attainmentAtLeast)) total += decimal(c.amount);
        break;
      case 'override':
        // On a manager's plan the team's credit is the measure's credit (all of it from below).
        total += mul(credit, decimal(c.rate));
        break;
      case 'per-deal':
        break;
    }
  }
  return total;
}

/** The payout at 100 % attainment: the denominator of "payout as a share of target incentive". */
export function targetIncentive(plan: Plan, quota: Decimal): Decimal {
  return payoutAtAttainment(plan, quota, ONE);
}
