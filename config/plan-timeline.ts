/**
 * A plan's versions over time (docs/plans.md#changing-a-plan-mid-year), as `attain validate` shows
 * them: which version pays which quota periods, and the content hash of each.
 */
import { dayOf, monthOfDay, type FiscalCalendar } from '../src/domain/periods.js';
import { planInEffect, type Plan } from '../src/domain/plan.js';
import { planContentHash } from './plan-schema.js';

export interface TimelineEntry {
  /** 1 for the plan's own keys, then 2, 3 … for its versions in order. */
  version: number;
  /** YYYY-MM-DD; absent for the plan's own keys (in effect from the start). */
  effective?: string;
  /** The first quota period it pays (absent: every one before `through`). */
  from?: string;
  /** The last quota period it pays (absent: every one from `from` on). */
  through?: string;
  /** planContentHash of the plan in effect. */
  hash: string;
}

export function planTimeline(plan: Plan, calendar: FiscalCalendar): TimelineEntry[] {
  const versions = plan.versions ?? [];
  const quotaPeriodOf = (day: number) => calendar.periodOf(plan.quotaPeriod, monthOfDay(day)).label;
  const before = (index: number) => {
    const next = versions[index];
    return next === undefined ? {} : { through: quotaPeriodOf(dayOf(next.effective) - 1) };
  };
  return [
    { version: 1, ...before(0), hash: planContentHash(plan) },
    ...versions.map((v, i) => ({
      version: i + 2,
      effective: v.effective,
      from: quotaPeriodOf(dayOf(v.effective)),
      ...before(i + 1),
      hash: planContentHash(planInEffect(plan, v)),
    })),
  ];
}

/** `through 2026-Q2`, `2026-Q3 to 2026-Q4`, `2027-Q1 on`. */
export function describeQuotaPeriods(entry: TimelineEntry): string {
  if (entry.from === undefined) return entry.through === undefined ? 'all' : `through ${entry.through}`;
  if (entry.through === undefined) return `${entry.from} on`;
  return entry.from === entry.through ? entry.from : `${entry.from} to ${entry.through}`;
}
