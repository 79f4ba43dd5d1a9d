/**
 * Locked payout periods (`attain lock PERIOD`, docs/plans.md): the locks themselves, their ledger
 * (`lock_events`: who locked or unlocked what, when, and whether it was forced), and the stored
 * lines of locked periods that the engine settles against.
 */
import { sql, type Kysely } from 'kysely';
import { Trace, type PayoutLine } from '../domain/engine.js';
import { PeriodLockedError } from './errors.js';
import type { Database, LockEvent } from './schema.js';

export interface PeriodLockInfo {
  period: string;
  lockedAt: Date;
  lockedBy: string;
  note?: string;
}

export async function listLocks(db: Kysely<Database>): Promise<PeriodLockInfo[]> {
  const rows = await db.selectFrom('locks').selectAll().orderBy('period').execute();
  return rows.map((r) => ({
    period: r.period,
    lockedAt: r.locked_at,
    lockedBy: r.locked_by,
    ...(r.note === null ? {} : { note: r.note }),
  }));
}

/**
 * Locks a payout period. Idempotent: locking a locked period changes nothing and returns false
 * (and records no event). Checking that the label is a real period is the caller's (the calendar's).
 */
export async function lockPeriod(db: Kysely<Database>, period: string, by: string, note?: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('locks')
      .values({ period, locked_by: by, note: note ?? null })
      .onConflict((oc) => oc.column('period').doNothing())
      .returning('period')
      .executeTakeFirst();
    if (!inserted) return false;
    await trx
      .insertInto('lock_events')
      .values({ period, action: 'lock', force: false, actor: by, note: note ?? null })
      .execute();
    return true;
  });
}

/**
 * Unlocks a payout period, so the next run may rewrite lines that were paid: refused without
 * `force` (PeriodLockedError). Returns false when the period was not locked (no event recorded).
 */
export async function unlockPeriod(
  db: Kysely<Database>,
  period: string,
  options: { force: boolean; by?: string; note?: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const lock = await trx.selectFrom('locks').selectAll().where('period', '=', period).forUpdate().executeTakeFirst();
    if (!lock) return false;
    if (!options.force) {
      throw new PeriodLockedError(
        [period],
        `period ${period} is locked (by ${lock.locked_by} at ${lock.locked_at.toISOString()}); unlocking lets the next run rewrite what was paid: use --force`,
      );
    }
    await trx.deleteFrom('locks').where('period', '=', period).execute();
    await trx
      .insertInto('lock_events')
      .values({ period, action: 'unlock', force: true, actor: options.by ?? 'unknown', note: options.note ?? null })
      .execute();
    return true;
  });
}

/**
 * The stored payout lines of locked periods, for the engine's `locked.lines`. `periods` is either
 * the payout period labels to read (exact labels), or a test the caller builds from the calendar
 * (the engine's LockSet), since a locked quarter or year locks the months inside it and only the
 * calendar knows which those are.
 */
export async function readLockedLines(
  db: Kysely<Database>,
  periods: readonly string[] | ((period: string) => boolean),
): Promise<PayoutLine[]> {
  let labels: string[];
  if (typeof periods === 'function') {
    const stored = await db.selectFrom('payout_lines').select('period').distinct().execute();
    labels = stored.map((r) => r.period).filter(periods);
  } else {
    labels = [...periods];
  }
  if (labels.length === 0) return [];
  const rows = await db
    .selectFrom('payout_lines')
    .select(['rep_id', 'plan_id', 'period', 'component', 'amount', 'currency', 'trace'])
    .where('period', '=', (eb) => eb.fn.any(eb.val(labels)))
    .orderBy('plan_id')
    .orderBy('rep_id')
    .orderBy('period')
    .orderBy('component')
    .execute();
  return rows.map((r) => ({
    repId: r.rep_id,
    planId: r.plan_id,
    period: r.period,
    component: r.component,
    amount: r.amount,
    currency: r.currency,
    trace: Trace.stored(r.component, r.trace),
  }));
}

/** The lock ledger, oldest first; `period` limits it to one period. */
export async function listLockEvents(db: Kysely<Database>, period?: string): Promise<LockEvent[]> {
  const ofPeriod = period === undefined ? sql<boolean>`true` : sql<boolean>`period = ${period}`;
  return db.selectFrom('lock_events').selectAll().where(ofPeriod).orderBy('id').execute();
}
