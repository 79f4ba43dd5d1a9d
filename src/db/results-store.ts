/**
 * Reading and pruning the stored results (`payout_lines`, `attainment`): what write-back sends and
 * what a calculation replaces. Writing a plan's results is run-store.ts `replaceResults`.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, PayoutLinesTable } from './schema.js';

export type StoredPayoutLine = Pick<
  Selectable<PayoutLinesTable>,
  'rep_id' | 'plan_id' | 'period' | 'component' | 'amount' | 'currency' | 'trace'
>;

/** Every stored payout line, by plan, rep, period and component. */
export async function readPayoutLines(db: Kysely<Database>): Promise<StoredPayoutLine[]> {
  return db
    .selectFrom('payout_lines')
    .select(['rep_id', 'plan_id', 'period', 'component', 'amount', 'currency', 'trace'])
    .orderBy('plan_id')
    .orderBy('rep_id')
    .orderBy('period')
    .orderBy('component')
    .execute();
}

/** Every stored attainment that has a ratio (a quota), by measure. */
export async function readAttainmentRatios(
  db: Kysely<Database>,
): Promise<{ rep_id: string; plan_id: string; period: string; measure: string; attainment: string }[]> {
  const rows = await db
    .selectFrom('attainment')
    .select(['rep_id', 'plan_id', 'period', 'measure', 'attainment'])
    .where('attainment', 'is not', null)
    .orderBy('measure')
    .execute();
  return rows.filter((r): r is typeof r & { attainment: string } => r.attainment !== null);
}

/** The periods a plan has stored payout lines or attainment for. */
export async function storedResultPeriods(db: Kysely<Database>, planId: string): Promise<string[]> {
  const stored = await db
    .selectFrom('payout_lines')
    .select('period')
    .distinct()
    .where('plan_id', '=', planId)
    .execute();
  const storedAttainment = await db
    .selectFrom('attainment')
    .select('period')
    .distinct()
    .where('plan_id', '=', planId)
    .execute();
  return [...stored, ...storedAttainment].map((r) => r.period);
}

/**
 * Removes a plan's rows that another run wrote, in the periods `removable` accepts (the unlocked
 * ones), in one transaction. Returns the payout lines removed.
 */
export async function removeOtherRunsResults(
  db: Kysely<Database>,
  runId: string,
  planId: string,
  removable: (period: string) => boolean,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let removed = 0;
    for (const table of ['payout_lines', 'attainment'] as const) {
      const stale = await trx
        .selectFrom(table)
        .select('period')
        .distinct()
        .where('plan_id', '=', planId)
        .where('run_id', '<>', runId)
        .execute();
      const periods = stale.map((r) => r.period).filter(removable);
      if (periods.length === 0) continue;
      const result = await trx
        .deleteFrom(table)
        .where('plan_id', '=', planId)
        .where('run_id', '<>', runId)
        .where('period', '=', (eb) => eb.fn.any(eb.val(periods)))
        .executeTakeFirst();
      if (table === 'payout_lines') removed += Number(result.numDeletedRows);
    }
    return removed;
  });
}
