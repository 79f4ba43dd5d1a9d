/**
 * `attain export payroll PERIOD`: the period's payout lines as a file payroll imports, summed per
 * employee, payout period and earning code (csv) or per employee and earning code (ADP Workforce
 * Now paydata). Only a paid (locked) period, unless it is a draft, whose file name says DRAFT.
 *
 * Everything is checked before a byte is written: the period, that it is paid, every rep's payroll
 * id, one currency per ADP file. The same period exported twice gives the same bytes (rows in a
 * fixed order, amounts with the currency's decimals), and each export is recorded with its sha256.
 * A change after a period was exported is paid through the next period's adjustment lines (locked
 * periods are never rewritten), never by rewriting an exported file.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import type { AttainConfig } from '../config/attain-schema.js';
import { recordPayrollExport } from '../src/db/payroll-exports.js';
import type { Database } from '../src/db/schema.js';
import { readReps, type RepInfo, type StoredLine } from '../src/db/statement-store.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import { decimal, formatDecimal, ZERO, type Decimal } from '../src/domain/decimal.js';
import type { FiscalCalendar } from '../src/domain/periods.js';
import { PayCycleInputError } from './pay-cycle-error.js';
import { readPeriodLines } from './period-lines.js';

export type PayrollFormat = 'csv' | 'adp-wfn';

export interface PayrollExportOptions {
  calendar: FiscalCalendar;
  payroll: AttainConfig['payroll'];
  period: string;
  format: PayrollFormat;
  /** Export a period that is not paid yet; the file name then says DRAFT. */
  draft: boolean;
  /** Employee ids by rep id from `data/employees.csv`; they win over the reps' own. */
  employeeIds?: ReadonlyMap<string, string>;
}

export interface PayrollFile {
  /** The default name (PR<companyCode>EPI.csv, payroll-<period>.csv), with -DRAFT for a draft. */
  fileName: string;
  bytes: Buffer;
  rows: number;
  sha256: string;
  /** Currency → the sum of the rows, which is the sum of the period's payout lines. */
  totals: Record<string, string>;
}

export const CSV_HEADER = ['employeeId', 'repId', 'name', 'period', 'earningCode', 'amount', 'currency'];
/** ADP's paydata import: Co Code, Batch ID and File # must come first, in this order. */
export const ADP_HEADER = ['Co Code', 'Batch ID', 'File #', 'Earnings 3 Code', 'Earnings 3 Amount'];

/** The file for a period. Throws PayCycleInputError (nothing written) when it cannot be made. */
export async function buildPayrollFile(db: Kysely<Database>, options: PayrollExportOptions): Promise<PayrollFile> {
  const { period, lines, locked } = await readPeriodLines(db, options.calendar, options.period);
  if (!locked && !options.draft)
    throw new PayCycleInputError(
      `${period.label} is not paid yet: lock it first (attain lock ${period.label}), or add --draft for a file marked DRAFT`,
    );
  const adp = options.payroll?.adp;
  if (options.format === 'adp-wfn' && !adp)
    throw new PayCycleInputError('attain.yaml: payroll.adp.companyCode and payroll.adp.batchId are needed for adp-wfn');

  const repIds = [...new Set(lines.map((line) => line.repId))];
  const reps = new Map(
    (await readReps(db, repIds)).map((rep) => [
      rep.id,
      { ...rep, employeeId: options.employeeIds?.get(rep.id) ?? rep.employeeId },
    ]),
  );
  const missing = repIds.filter((id) => !reps.get(id)?.employeeId);
  if (missing.length > 0)
    throw new PayCycleInputError(
      `${missing.length} rep${missing.length === 1 ? ' has' : 's have'} payout lines in ${period.label} but no employee id: ` +
        `${missing.map((id) => describe(id, reps.get(id))).join(', ')}. ` +
        'Give each one in reps.csv (column employeeId), in Salesforce (User.EmployeeNumber) or in data/employees.csv (repId,employeeId; for HubSpot, the owner id), and run again',
    );
  const currencies = new Set(lines.map((line) => line.currency));
  if (options.format === 'adp-wfn' && currencies.size > 1) {
    const byCurrency = [...currencies].sort().map((currency) => {
      const ids = [...new Set(lines.filter((l) => l.currency === currency).map((l) => l.repId))];
      return `${currency}: ${ids.join(', ')}`;
    });
    throw new PayCycleInputError(
      `${period.label} pays in ${currencies.size} currencies and an ADP file holds one: ${byCurrency.join('; ')}`,
    );
  }

  const codes: Record<string, string> = options.payroll?.earningCodes ?? { default: 'COMM' };
  const earningCode = (component: string): string => codes[component] ?? codes['default'] ?? 'COMM';
  const rowsOf =
    options.format === 'csv' ? sumRows(lines, (l) => [l.repId, l.period]) : sumRows(lines, (l) => [l.repId]);
  const sorted = rowsOf(earningCode, reps);
  const totals: Record<string, string> = {};
  for (const currency of [...currencies].sort()) {
    const total = sorted.filter((row) => row.currency === currency).reduce((sum, row) => sum + row.total, ZERO);
    totals[currency] = formatDecimal(total, minorUnitDigits(currency));
  }

  let records: string[][];
  let fileName: string;
  if (options.format === 'csv') {
    records = [
      CSV_HEADER,
      ...sorted.map((r) => [r.employeeId, r.repId, r.name, r.period, r.code, r.amount, r.currency]),
    ];
    fileName = `payroll-${period.label}.csv`;
  } else {
    records = [ADP_HEADER, ...sorted.map((r) => [adp!.companyCode, adp!.batchId, r.employeeId, r.code, r.amount])];
    fileName = `PR${adp!.companyCode}EPI.csv`;
  }
  const bytes = Buffer.from(
    stringify(records, { record_delimiter: options.format === 'adp-wfn' ? 'windows' : 'unix' }),
  );
  return {
    fileName: options.draft ? draftName(fileName) : fileName,
    bytes,
    rows: records.length - 1,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    totals,
  };
}

/** Builds the file, writes it to `path` (a draft's name gains -DRAFT) and records the export. Returns the path. */
export async function exportPayroll(
  db: Kysely<Database>,
  options: PayrollExportOptions & { path: (defaultName: string) => string; by: string },
): Promise<PayrollFile & { path: string }> {
  const file = await buildPayrollFile(db, options);
  let path = options.path(file.fileName);
  if (options.draft && !/DRAFT/i.test(basename(path))) path = draftName(path);
  await writeFile(path, file.bytes);
  await recordPayrollExport(db, {
    period: options.period,
    format: options.format,
    draft: options.draft,
    fileName: basename(path),
    sha256: file.sha256,
    rows: file.rows,
    totals: file.totals,
    by: options.by,
  });
  return { ...file, path };
}

/** `PRABCEPI.csv` → `PRABCEPI-DRAFT.csv`. */
function draftName(path: string): string {
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}-DRAFT${extension}`;
}

function describe(id: string, rep: RepInfo | undefined): string {
  return rep ? `${id} (${rep.name})` : `${id} (not in the reps)`;
}

interface PayrollRow {
  employeeId: string;
  repId: string;
  name: string;
  period: string;
  code: string;
  currency: string;
  total: Decimal;
  amount: string;
}

/**
 * Sums lines by the key's parts (rep, and for csv the payout period), earning code and currency,
 * in a fixed order. A sum of zero is left out: payroll has nothing to pay for it.
 */
function sumRows(lines: readonly StoredLine[], key: (line: StoredLine) => string[]) {
  return (earningCode: (component: string) => string, reps: Map<string, RepInfo>): PayrollRow[] => {
    const rows = new Map<string, PayrollRow>();
    for (const line of lines) {
      const [repId, period = ''] = key(line);
      const rep = reps.get(repId!)!;
      const code = earningCode(line.component);
      const id = JSON.stringify([rep.employeeId, repId, period, code, line.currency]);
      let row = rows.get(id);
      if (!row) {
        row = {
          employeeId: rep.employeeId!,
          repId: repId!,
          name: rep.name,
          period,
          code,
          currency: line.currency,
          total: ZERO,
          amount: '',
        };
        rows.set(id, row);
      }
      row.total += decimal(line.amount);
    }
    return [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ ...row, amount: formatDecimal(row.total, minorUnitDigits(row.currency)) }))
      .filter((row) => row.total !== ZERO);
  };
}
