/**
 * The stored estimates (docs/database.md#estimates): replaced whole by each run, in one transaction,
 * so a deal that closed or was deleted since the last run has none left.
 */
import { sql, type Kysely } from 'kysely';
import { arrayLiteral } from './bulk-insert.js';
import type { Estimate } from '../domain/estimate.js';
import type { ForecastRow } from '../domain/forecast.js';
import { copyRows, type CopyColumn } from './copy-in.js';
import type { Database } from './schema.js';

const estimateColumns: CopyColumn<Estimate>[] = [
  { name: 'deal_id', type: 'text', value: (e) => e.dealId },
  { name: 'rep_id', type: 'text', value: (e) => e.repId },
  { name: 'plan_id', type: 'text', value: (e) => e.planId },
  { name: 'amount', type: 'numeric', value: (e) => e.amount },
  { name: 'currency', type: 'text', value: (e) => e.currency },
  { name: 'close_date', type: 'date', value: (e) => e.closeDate },
  { name: 'trace', type: 'jsonb-text', value: (e) => e.trace.text() },
];

const forecastColumns: CopyColumn<ForecastRow>[] = [
  { name: 'deal_id', type: 'text', value: (f) => f.dealId },
  { name: 'rep_id', type: 'text', value: (f) => f.repId },
  { name: 'plan_id', type: 'text', value: (f) => f.planId },
  { name: 'period', type: 'text', value: (f) => f.period },
  { name: 'currency', type: 'text', value: (f) => f.currency },
  { name: 'commission', type: 'numeric', value: (f) => f.commission },
  { name: 'probability', type: 'numeric', value: (f) => f.probability ?? null },
  { name: 'expected', type: 'numeric', value: (f) => f.expected ?? null },
  { name: 'reason', type: 'text', value: (f) => f.reason ?? null },
];

/** What the store keeps of an estimate once it is written: everything but its trace. */
export type WrittenEstimate = Omit<Estimate, 'trace'>;

export interface ReplaceEstimatesOptions {
  /** The liability forecast's rows (docs/report.md#liability-forecast), of the estimates written. */
  forecast?: (written: readonly WrittenEstimate[]) => readonly ForecastRow[];
  /**
   * Given for a `part` of the run's estimates: the deals the part covers (any superset of those it
   * has estimates for: its open deals).
   */
  part?: readonly string[];
}

/**
 * Replaces every stored estimate with the run's, and with them the liability forecast's rows, in
 * one transaction. Returns the estimates written, without their traces.
 *
 * `estimates` is read once, as the COPY streams: estimates made as they are read
 * (estimatesOf) are written while the next ones are made, and each trace is dropped once written.
 *
 * A `part` of the run's estimates (some of its open deals) removes what other runs stored, in a
 * transaction of its own first, then in the one that writes its estimates what this run stored for
 * the same deals (a part run again), and leaves the run's other parts. Parts run side by side: what
 * they remove in common (earlier runs' rows) is removed before, so that writing, which takes as
 * long as making the estimates, waits for no other part's transaction.
 */
export async function replaceEstimates(
  db: Kysely<Database>,
  runId: string,
  estimates: Iterable<Estimate>,
  options: ReplaceEstimatesOptions = {},
): Promise<WrittenEstimate[]> {
  const written: WrittenEstimate[] = [];
  function* writing(): Generator<Estimate> {
    for (const e of estimates) {
      yield e;
      const { trace: _written, ...kept } = e;
      written.push(kept);
    }
  }
  if (options.part) {
    await db.transaction().execute(async (trx) => {
      for (const table of ['estimates', 'liability_forecast'] as const)
        await trx.deleteFrom(table).where('run_id', '<>', runId).execute();
    });
  }
  await db.transaction().execute(async (trx) => {
    if (options.part) {
      const deals = arrayLiteral(options.part);
      for (const table of ['estimates', 'liability_forecast'] as const) {
        await trx
          .deleteFrom(table)
          .where('run_id', '=', runId)
          .where(sql<boolean>`deal_id = any(${deals}::text[])`)
          .execute();
      }
    } else {
      await trx.deleteFrom('estimates').execute();
      await trx.deleteFrom('liability_forecast').execute();
    }
    await copyRows(trx, 'estimates', estimateColumns, writing(), { constants: { run_id: runId } });
    const rows = options.forecast?.(written) ?? [];
    await copyRows(trx, 'liability_forecast', forecastColumns, rows, { constants: { run_id: runId } });
  });
  return written;
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
