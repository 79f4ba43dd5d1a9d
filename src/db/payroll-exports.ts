/** The ledger of payroll files exported (`attain export payroll`): one row per export, with the file's sha256. */
import type { Kysely } from 'kysely';
import { recordAuditEvent } from './audit-log.js';
import type { Database, PayrollExport } from './schema.js';

export interface NewPayrollExport {
  period: string;
  format: string;
  draft: boolean;
  fileName: string;
  sha256: string;
  rows: number;
  totals: Record<string, string>;
  by: string;
}

/** Records the export and its audit event together. */
export async function recordPayrollExport(db: Kysely<Database>, entry: NewPayrollExport): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('payroll_exports')
      .values({
        period: entry.period,
        format: entry.format,
        draft: entry.draft,
        file_name: entry.fileName,
        sha256: entry.sha256,
        rows: entry.rows,
        totals: JSON.stringify(entry.totals),
        exported_by: entry.by,
      })
      .execute();
    await recordAuditEvent(trx, {
      action: entry.draft ? 'export-draft' : 'export',
      by: entry.by,
      subject: entry.period,
      details: {
        format: entry.format,
        file: entry.fileName,
        sha256: entry.sha256,
        rows: entry.rows,
        totals: entry.totals,
      },
    });
  });
}

/** Every export, oldest first; `period` limits it to one period. */
export async function listPayrollExports(db: Kysely<Database>, period?: string): Promise<PayrollExport[]> {
  let query = db.selectFrom('payroll_exports').selectAll();
  if (period !== undefined) query = query.where('period', '=', period);
  return query.orderBy('id').execute();
}
