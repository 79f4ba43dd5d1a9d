/**
 * The stored estimates (docs/database.md#estimates): replaced whole by each run, in one transaction,
 * so a deal that closed or was deleted since the last run has none left.
 */
import type { Kysely } from 'kysely';
import type { Estimate } from '../domain/estimate.js';
import { copyRows, type CopyColumn } from './copy-in.js';
import type { Database } from './schema.js';

const estimateColumns: CopyColumn<Estimate>[] = [
  { name: 'deal_id', type: 'text', value: (e) => e.dealId },
  { name: 'rep_id', type: 'text', value: (e) => e.repId },
  { name: 'plan_id', type: 'text', value: (e) => e.planId },
  { name: 'amount', type: 'numeric', value: (e) => e.amount },
  { name: 'currency', type: 'text', value: (e) => e.currency },
  { name: 'close_date', type: 'date', value: (e) => String(e.trace['closeDate']) },
  { name: 'trace', type: 'jsonb', value: (e) => e.trace },
];

/** Replaces every stored estimate with the run's. Returns how many were written. */
export async function replaceEstimates(
  db: Kysely<Database>,
  runId: string,
  estimates: readonly Estimate[],
): Promise<number> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('estimates').execute();
    await copyRows(trx, 'estimates', estimateColumns, estimates, { constants: { run_id: runId } });
  });
  return estimates.length;
}

export interface StoredEstimate {
  dealId: string;
  repId: string;
  planId: string;
  amount: string;
  currency: string;
  closeDate: string;
  trace: Record<string, unknown>;
}

/** Every stored estimate, by deal, rep and plan. */
export async function readEstimates(db: Kysely<Database>): Promise<StoredEstimate[]> {
  const rows = await db
    .selectFrom('estimates')
    .select(['deal_id', 'rep_id', 'plan_id', 'amount', 'currency', 'close_date', 'trace'])
    .orderBy('deal_id')
    .orderBy('rep_id')
    .orderBy('plan_id')
    .execute();
  return rows.map((r) => ({
    dealId: r.deal_id,
    repId: r.rep_id,
    planId: r.plan_id,
    amount: r.amount,
    currency: r.currency,
    closeDate: r.close_date,
    trace: r.trace,
  }));
}
