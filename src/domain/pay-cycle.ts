/**
 * The pay cycle's pure rules: a payout line's key, the state of a payout period, the lines an
 * approval pins and what changed since, and the period a dispute's adjustment is paid in.
 * No I/O: jobs/pay-cycle.ts reads the database and calls these.
 */
import type { LockSet } from './locks.js';
import type { FiscalCalendar, Period } from './periods.js';
import type { PeriodKind } from './plan.js';

/** open → approved → paid (locked) → exported. */
export type PeriodState = 'open' | 'approved' | 'paid' | 'exported';

export interface LineKeyParts {
  planId: string;
  repId: string;
  period: string;
  component: string;
}

/**
 * `<plan>|<rep>|<period>|<component>`: a payout line's key, which disputes name and the write-back
 * gives the line's commission record. `|` separates the parts: ids from a CRM never hold it.
 */
export function lineKey(line: LineKeyParts): string {
  return [line.planId, line.repId, line.period, line.component].join('|');
}

/** The parts of a line key; undefined when it does not have four non-empty parts. */
export function parseLineKey(key: string): LineKeyParts | undefined {
  const parts = key.split('|');
  if (parts.length !== 4 || parts.some((p) => p.trim() === '')) return undefined;
  const [planId, repId, period, component] = parts as [string, string, string, string];
  return { planId, repId, period, component };
}

/** The furthest state reached: an export implies a lock, a lock implies payment. */
export function periodState(facts: { exported: boolean; locked: boolean; approved: boolean }): PeriodState {
  if (facts.exported) return 'exported';
  if (facts.locked) return 'paid';
  return facts.approved ? 'approved' : 'open';
}

/** What an approval pins: each line's key → `amount currency`. */
export type LineFingerprint = Record<string, string>;

export function fingerprintOf(
  lines: readonly (LineKeyParts & { amount: string; currency: string })[],
): LineFingerprint {
  const entries = lines.map((l) => [lineKey(l), `${l.amount} ${l.currency}`] as const);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

export interface LineChange {
  key: string;
  /** `amount currency` as approved; null for a line added since. */
  approved: string | null;
  /** `amount currency` now; null for a line gone since. */
  now: string | null;
}

/** The lines whose amount changed, appeared or disappeared, in key order. */
export function changedLines(approved: LineFingerprint, now: LineFingerprint): LineChange[] {
  const keys = [...new Set([...Object.keys(approved), ...Object.keys(now)])].sort();
  const changes: LineChange[] = [];
  for (const key of keys) {
    const then = approved[key] ?? null;
    const current = now[key] ?? null;
    if (then !== current) changes.push({ key, approved: then, now: current });
  }
  return changes;
}

/**
 * The payout period a dispute's adjustment is paid in: the plan's payout period containing the
 * disputed line's period, or the first one after it that is neither locked nor approved (an
 * approved period's numbers are not changed behind the approver's back). The same walk as a
 * locked period's adjustment (locks.ts), which skips locked periods only.
 */
export function firstOpenPeriod(
  calendar: FiscalCalendar,
  payoutPeriod: PeriodKind,
  from: Period,
  locks: LockSet,
  approved: (label: string) => boolean,
): Period {
  let target = calendar.periodOf(payoutPeriod, from.startMonth);
  while (locks.isLocked(target) || approved(target.label))
    target = calendar.periodOf(payoutPeriod, target.startMonth + target.months);
  return target;
}
