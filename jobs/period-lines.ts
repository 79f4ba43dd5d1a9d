/**
 * The stored payout lines of a period as statements and the payroll export read them: the lines of
 * every payout period inside it (a quarter holds its months' lines and its own), and whether the
 * period is paid (locked, by itself, an enclosing period or all its months).
 */
import type { Kysely } from 'kysely';
import { listLocks } from '../src/db/index.js';
import type { Database } from '../src/db/schema.js';
import { listPayoutPeriods, readLinesOfPeriods, type StoredLine } from '../src/db/statement-store.js';
import { LockSet } from '../src/domain/locks.js';
import { contains, type FiscalCalendar, type Period } from '../src/domain/periods.js';
import { PayCycleInputError } from './pay-cycle-error.js';

export interface PeriodLines {
  period: Period;
  /** The payout periods inside `period` that have lines, in label order. */
  payoutPeriods: string[];
  lines: StoredLine[];
  locked: boolean;
  /** Every payout period with lines, for year-to-date sums. */
  allPayoutPeriods: string[];
}

export async function readPeriodLines(
  db: Kysely<Database>,
  calendar: FiscalCalendar,
  label: string,
  repId?: string,
): Promise<PeriodLines> {
  const period = calendar.parse(label);
  if (!period) throw new PayCycleInputError(`${label}: not a period; expected one such as 2026-01, 2026-Q1 or 2026`);
  const allPayoutPeriods = await listPayoutPeriods(db);
  const payoutPeriods = allPayoutPeriods.filter((p) => {
    const inner = calendar.parse(p);
    return inner !== undefined && contains(period, inner);
  });
  const lines = await readLinesOfPeriods(db, payoutPeriods, repId);
  if (lines.length === 0) {
    const known =
      allPayoutPeriods.length === 0
        ? 'no run has stored payout lines yet (attain run)'
        : `periods with lines: ${allPayoutPeriods.join(', ')}`;
    throw new PayCycleInputError(
      repId === undefined
        ? `${label}: no payout lines in this period; ${known}`
        : `${label}: rep ${repId} has no payout lines in this period`,
    );
  }
  const locks = new LockSet(
    (await listLocks(db)).map((lock) => lock.period),
    calendar,
  );
  return { period, payoutPeriods, lines, locked: locks.isLocked(period), allPayoutPeriods };
}
