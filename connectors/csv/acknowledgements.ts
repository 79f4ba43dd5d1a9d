/**
 * `data/acknowledgements.csv` (optional): reps' acknowledgements of plan versions kept outside
 * Attain (signed on paper, in an e-signature tool), imported by `attain plan import-acks`.
 * Columns `repId`, `planId`, `planHash` and `date` (YYYY-MM-DD). Rows are checked here for their
 * form; whether the plan exists is the caller's to judge.
 */
import { CsvSourceError, forEachCsvRecord, openCsvFile } from './csv-file.js';
import { isIsoDate } from '../../src/domain/model.js';

export const ACKNOWLEDGEMENTS_FILE = 'acknowledgements.csv';

const COLUMNS = ['repId', 'planId', 'planHash', 'date'] as const;
/** A plan version as `attain run` records it and a plan document prints it: 12 hex digits. */
export const PLAN_HASH = /^[0-9a-f]{12}$/;

export interface AcknowledgementRow {
  repId: string;
  planId: string;
  planHash: string;
  date: string;
  /** The physical line (1-based). */
  line: number;
}

export interface AcknowledgementsFile {
  rows: AcknowledgementRow[];
  /** `acknowledgements.csv:4: date 2026-13-01: expected a date YYYY-MM-DD`, one per bad row. */
  problems: string[];
}

/** The rows of `path`; throws a CsvSourceError when it is missing or its header lacks a column. */
export async function readAcknowledgements(path: string, name = ACKNOWLEDGEMENTS_FILE): Promise<AcknowledgementsFile> {
  const file = await openCsvFile(path);
  const rows: AcknowledgementRow[] = [];
  const problems: string[] = [];
  type Index = Record<(typeof COLUMNS)[number], number>;
  let index: Index | undefined;
  await forEachCsvRecord(path, file!, (cells, line) => {
    if (!index) {
      const names = cells.map((c) => c.trim());
      const missing = COLUMNS.filter((c) => !names.includes(c));
      if (missing.length > 0)
        throw new CsvSourceError(`${name}:${line}: the header needs the columns ${missing.join(', ')}`, 'FILE_INVALID');
      index = Object.fromEntries(COLUMNS.map((c) => [c, names.indexOf(c)])) as Index;
      return;
    }
    const at = index;
    const [repId, planId, planHash, date] = COLUMNS.map((c) => (cells[at[c]] ?? '').trim()) as [
      string,
      string,
      string,
      string,
    ];
    const empty = COLUMNS.filter((_, i) => [repId, planId, planHash, date][i] === '');
    if (empty.length > 0) problems.push(`${name}:${line}: ${empty.join(', ')} empty`);
    else if (!PLAN_HASH.test(planHash))
      problems.push(`${name}:${line}: planHash ${planHash}: expected the 12 hex digits a plan document prints`);
    else if (!isIsoDate(date)) problems.push(`${name}:${line}: date ${date}: expected a date YYYY-MM-DD`);
    else rows.push({ repId, planId, planHash, date, line });
  });
  return { rows, problems };
}
