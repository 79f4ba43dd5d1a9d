/**
 * Estimates written back (docs/estimates.md#in-the-crm): the estimates the run stored, as CRM
 * records, through the same changed-only diff as commission records (jobs/write-back.ts
 * `writeChanged`) under their own `writeback_state` target (`<crm>-estimates`): an estimate whose
 * amount, close date or trace is unchanged is not sent again, and one that no longer exists (its
 * deal closed, was lost or deleted) is removed from the CRM.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EstimateRecord, EstimateTarget } from '../connectors/source.js';
import { readEstimates, type Database } from '../src/db/index.js';
import { traceText, writeChanged, type WritebackSummary } from './write-back.js';

/** An estimate record's key: `<dealId>|<repId>|<planId>`. */
export function estimateKey(estimate: { dealId: string; repId: string; planId: string }): string {
  return `${estimate.dealId}|${estimate.repId}|${estimate.planId}`;
}

/** Every stored estimate, as an estimate record, in key order. */
export async function readEstimateRecords(db: Kysely<Database>): Promise<EstimateRecord[]> {
  return (await readEstimates(db)).map((e) => ({
    key: estimateKey(e),
    dealId: e.dealId,
    repId: e.repId,
    planId: e.planId,
    amount: e.amount,
    currency: e.currency,
    closeDate: e.closeDate,
    trace: traceText(e.trace),
  }));
}

/** What an estimate record looked like when sent: a changed hash means it is sent again. */
export function estimateHash(record: EstimateRecord): string {
  const values = [record.dealId, record.repId, record.planId, record.amount, record.currency, record.closeDate];
  return createHash('sha256')
    .update(JSON.stringify([...values, record.trace]))
    .digest('hex')
    .slice(0, 32);
}

export type EstimateWritebackSummary = Omit<WritebackSummary, 'settled'>;

/** Sends the changed estimates, removes the vanished ones. */
export async function writeBackEstimates(
  db: Kysely<Database>,
  target: EstimateTarget,
): Promise<EstimateWritebackSummary> {
  const { written: _written, ...summary } = await writeChanged(db, target, await readEstimateRecords(db), estimateHash);
  return summary;
}
