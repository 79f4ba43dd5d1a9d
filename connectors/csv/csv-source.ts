/**
 * The CSV source (docs/workspace.md#data-files): reps.csv, deals.csv, splits.csv, quotas.csv, assignments.csv,
 * fx.csv, accounts.csv and territory-assignments.csv from one folder, read into canonical records.
 *
 * A row that cannot be used becomes a reject naming its file and line, and the rest is read on;
 * only a file that cannot be read at all (missing, unreadable, without a needed column) throws a
 * CsvSourceError.
 */
import { basename, resolve } from 'node:path';
import type { CanonicalData, Quota, Reject } from '../../src/domain/model.js';
import type { OnProgress } from '../../src/domain/progress.js';
import { CsvSourceError, forEachCsvRecord, openCsvFile, type CsvSourceErrorCode } from './csv-file.js';
import type { CsvRange } from './csv-ranges.js';
import { column, CsvRow, type Column } from './csv-row.js';
import { FirstLineIndex } from './first-line-index.js';
import {
  ACCOUNTS,
  ASSIGNMENTS,
  DEALS,
  FX_RATES,
  QUOTAS,
  REPS,
  SPLITS,
  TERRITORY_ASSIGNMENTS,
  type Columns,
  type CsvTable,
} from './csv-tables.js';

export { CSV_PARSE_OPTIONS, CsvSourceError, readCsvRows, type CsvSourceErrorCode } from './csv-file.js';

export interface CsvSourceOptions {
  /** The calendar's time zone (`calendar.tz`): decides the day a timestamp in a date column falls on. */
  tz: string;
  /**
   * Read only these files (`quotas.csv`, …), the others count as empty: a CRM workspace keeps
   * quotas, assignments and maybe exchange rates in CSV while the rest comes from the CRM.
   */
  only?: readonly string[];
  /** Characters one record may hold (attain.yaml `limits.csvRecordChars`); past it the read stops. */
  maxRecordChars?: number;
  /** Told how many records of each file have been read, every PROGRESS_EVERY records and at its end. */
  onProgress?: OnProgress;
  /**
   * Files already read in byte ranges ({@link readCsvRange}), by file name, each range's part in
   * file order: put together here instead of read again.
   */
  parts?: ReadonlyMap<string, readonly CsvPart[]>;
}

/**
 * What reading one byte range of a file gave: its records with their lines, its rejects, the
 * duplicate keys it claimed (every row with a key, usable or not, in line order), or the error
 * that stopped it (kept, so that the first error in file order is the one a run reports).
 */
export interface CsvPart {
  records: object[];
  lines: number[];
  rejects: Reject[];
  keys: string[];
  error?: { message: string; code: CsvSourceErrorCode };
}

/** Records between two progress reports: often enough for a terminal, rare enough to cost nothing. */
export const PROGRESS_EVERY = 10_000;

export interface CsvSourceResult {
  data: CanonicalData;
  rejects: Reject[];
  /** `deals.csv:17` for a record this read produced, so that later rejects can name the line. */
  locate(record: object): string | undefined;
}

const CSV_TABLES = [REPS, DEALS, SPLITS, QUOTAS, ASSIGNMENTS, FX_RATES, ACCOUNTS, TERRITORY_ASSIGNMENTS] as const;

/** The files of a CSV source, in the order they are read, and whether each may be absent. */
export const CSV_SOURCE_FILES: readonly { file: string; optional: boolean }[] = CSV_TABLES.map((table) => ({
  file: table.file,
  optional: table.optional,
}));

export async function readCsvSource(dir: string, options: CsvSourceOptions): Promise<CsvSourceResult> {
  const row = new CsvRow(options.tz);
  const rejects: Reject[] = [];
  const locations = new RecordLocations();

  async function read<T extends object, N extends string>(table: CsvTable<T, N>): Promise<T[]> {
    if (options.only && !options.only.includes(table.file)) return [];
    const parts = options.parts?.get(table.file);
    const joined = parts && joinParts(resolve(dir, table.file), parts);
    if (joined) {
      rejects.push(...joined.rejects);
      locations.add(table.file, joined.records.slice(), joined.lines);
      return joined.records as T[];
    }
    const { records, lines } = await readTable(
      resolve(dir, table.file),
      table,
      row,
      rejects,
      options.maxRecordChars,
      options.onProgress,
    );
    // A copy, so that sorting or filtering data.deals does not move records away from their lines.
    locations.add(table.file, records.slice(), lines);
    return records;
  }

  const data: CanonicalData = {
    reps: await read(REPS),
    deals: await read(DEALS),
    splits: await read(SPLITS),
    quotas: await read(QUOTAS),
    assignments: await read(ASSIGNMENTS),
    fxRates: await read(FX_RATES),
  };
  // Only when the workspace has them, so that the stored input (and its hash) of a workspace
  // without territories stays what it was.
  const accounts = await read(ACCOUNTS);
  if (accounts.length > 0) data.accounts = accounts;
  const territoryAssignments = await read(TERRITORY_ASSIGNMENTS);
  if (territoryAssignments.length > 0) data.territoryAssignments = territoryAssignments;
  return { data, rejects, locate: (record) => locations.locate(record) };
}

/**
 * One quota file at any path (`attain quotas check --file plans/quotas-2027.csv`), read exactly as
 * quotas.csv is; rejects name the file by its own name.
 */
export async function readQuotasFile(
  path: string,
  options: Pick<CsvSourceOptions, 'tz' | 'maxRecordChars'>,
): Promise<{ quotas: Quota[]; rejects: Reject[] }> {
  const rejects: Reject[] = [];
  const table = { ...QUOTAS, file: basename(path) };
  const { records } = await readTable(
    resolve(path),
    table,
    new CsvRow(options.tz),
    rejects,
    options.maxRecordChars,
    undefined,
  );
  return { quotas: records, rejects };
}

/**
 * Where each record came from. The lookup is built on the first `locate` call: filling a WeakMap
 * with a million deals while reading them cost about a tenth of the read, and a run without
 * referential rejects never asks.
 */
class RecordLocations {
  private pending: { file: string; records: readonly object[]; lines: readonly number[] }[] = [];
  private index: { file: string; lineOf: WeakMap<object, number> }[] | undefined;

  add(file: string, records: readonly object[], lines: readonly number[]): void {
    this.pending.push({ file, records, lines });
  }

  locate(record: object): string | undefined {
    this.index ??= this.buildIndex();
    for (const { file, lineOf } of this.index) {
      const line = lineOf.get(record);
      if (line !== undefined) return `${file}:${line}`;
    }
    return undefined;
  }

  private buildIndex(): { file: string; lineOf: WeakMap<object, number> }[] {
    const index = this.pending.map(({ file, records, lines }) => {
      const lineOf = new WeakMap<object, number>();
      records.forEach((record, i) => lineOf.set(record, lines[i] as number));
      return { file, lineOf };
    });
    this.pending = [];
    return index;
  }
}

/**
 * One byte range of a data file (csv-ranges.ts), read as {@link readCsvSource} reads the whole
 * file: the header is read from the top of the file, and every line number is the file's.
 */
export async function readCsvRange(
  dir: string,
  fileName: string,
  range: CsvRange,
  options: Pick<CsvSourceOptions, 'tz' | 'maxRecordChars'>,
): Promise<CsvPart> {
  const table = CSV_TABLES.find((t) => t.file === fileName) as CsvTable<object, string> | undefined;
  if (!table) throw new Error(`${fileName} is not a file of a CSV source`);
  const path = resolve(dir, table.file);
  const rejects: Reject[] = [];
  const keys: string[] = [];
  try {
    const header = await readHeaderRecord(path, table.optional, options.maxRecordChars);
    const { records, lines } = await readTable(
      path,
      table,
      new CsvRow(options.tz),
      rejects,
      options.maxRecordChars,
      undefined,
      { range, header, keys },
    );
    return { records, lines, rejects, keys };
  } catch (error) {
    if (!(error instanceof CsvSourceError)) throw error;
    return { records: [], lines: [], rejects: [], keys: [], error: { message: error.message, code: error.code } };
  }
}

/**
 * A file's parts put together, in order, as one read of the whole file would have given them;
 * undefined when a key appears in two parts (the second is a duplicate whose reject must name the
 * first's line, which its own range could not know): the file is then read whole.
 */
function joinParts(path: string, parts: readonly CsvPart[]): Omit<CsvPart, 'keys'> | undefined {
  const failed = parts.find((p) => p.error);
  if (failed?.error) throw new CsvSourceError(failed.error.message, failed.error.code);
  if (parts.length > 1) {
    const seen = new FirstLineIndex();
    for (const part of parts) for (const key of part.keys) if (seen.claim(key, 1) !== undefined) return undefined;
  }
  if (parts.length === 0) throw new Error(`${path}: no parts to put together`);
  // concat rather than flatMap: it copies each part's array at once (a tenth of the time for a million records).
  return {
    records: concat(parts.map((p) => p.records)),
    lines: concat(parts.map((p) => p.lines)),
    rejects: concat(parts.map((p) => p.rejects)),
  };
}

function concat<T>(arrays: readonly T[][]): T[] {
  return ([] as T[]).concat(...arrays);
}

/** The header record of a file (its first record that is not blank) and its line; undefined when it has none. */
async function readHeaderRecord(
  path: string,
  optional: boolean,
  maxRecordChars: number | undefined,
): Promise<{ cells: string[]; line: number } | undefined> {
  const file = await openCsvFile(path, optional);
  if (file === undefined) return undefined;
  let header: { cells: string[]; line: number } | undefined;
  const found = new Error('header found');
  try {
    await forEachCsvRecord(
      path,
      file,
      (cells, line) => {
        header = { cells, line };
        throw found;
      },
      maxRecordChars,
      undefined,
      // Small reads: csv-parse parses each chunk whole before the header's record stops it.
      HEADER_CHUNK_BYTES,
    );
  } catch (error) {
    if (error !== found) throw error;
  }
  return header;
}

const HEADER_CHUNK_BYTES = 16 * 1024;

/** Reading one range of a file rather than all of it: the header (read beforehand) and where the range's keys go. */
interface RangeRead {
  range: CsvRange;
  header: { cells: string[]; line: number } | undefined;
  keys: string[];
}

async function readTable<T extends object, N extends string>(
  path: string,
  table: CsvTable<T, N>,
  row: CsvRow,
  rejects: Reject[],
  maxRecordChars: number | undefined,
  onProgress: OnProgress | undefined,
  ranged?: RangeRead,
): Promise<{ records: T[]; lines: number[] }> {
  const records: T[] = [];
  /** The line of each record, by position. */
  const lines: number[] = [];
  if (ranged && ranged.header === undefined) {
    if (table.optional) return { records, lines };
    throw emptyFile(path, table);
  }
  const file = await openCsvFile(path, table.optional);
  if (file === undefined) return { records, lines };
  const firstLines = new FirstLineIndex();
  let header: Header<N> | undefined = ranged?.header && readHeader(path, table, ranged.header.cells);
  /** Records on this line or before it are the header or blank (a range re-reads the header on its own). */
  const headerLine = ranged?.header?.line ?? 0;
  const task = `reading ${table.file}`;
  let read = 0;

  if (ranged && ranged.range.end <= ranged.range.start) {
    await file.close();
    return { records, lines };
  }
  await forEachCsvRecord(
    path,
    file,
    (cells, line, lastLine, mayHoldNul) => {
      if (line <= headerLine) return;
      if (header === undefined) {
        header = readHeader(path, table, cells);
        return;
      }
      if (++read % PROGRESS_EVERY === 0) onProgress?.({ task, done: read, unit: 'records' });
      const { columns, extras, width } = header;
      row.start(cells);
      if (cells.length !== width && !(cells.length > width && blankFrom(cells, width))) {
        // The cells do not line up with the header: reading them would only add noise.
        const runsOver = lastLine > line ? ` (it runs from line ${line} to line ${lastLine}: check its quotes)` : '';
        const reason = `row has ${cells.length} ${cells.length === 1 ? 'field' : 'fields'}, header has ${width}${runsOver}`;
        rejects.push({ source: `${table.file}:${line}`, recordId: recordIdOf(table, row, columns, line), reason });
        return;
      }
      // Every row with a key claims it, usable or not, so that which row counts does not depend
      // on which one happens to have a typo.
      const key = table.duplicateKey(row, columns);
      if (key !== undefined) {
        const first = firstLines.claim(key, line);
        if (first !== undefined) row.problem(`${table.describeDuplicate(row, columns)} (first on line ${first})`);
        else ranged?.keys.push(key);
      }
      for (let i = 0; mayHoldNul && i < cells.length; i++) {
        // PostgreSQL text cannot hold U+0000: such a row would fail the run where it is stored, far from its line.
        if ((cells[i] as string).indexOf('\u0000') !== -1) {
          row.problem(`${header.names[i] || `column ${i + 1}`} holds a NUL character (U+0000), which cannot be stored`);
        }
      }
      const record = table.build(row, columns, extras);
      if (row.problems === undefined) {
        records.push(record);
        lines.push(line);
      } else {
        rejects.push({
          source: `${table.file}:${line}`,
          recordId: recordIdOf(table, row, columns, line),
          reason: row.problems.join('; '),
        });
      }
    },
    maxRecordChars,
    ranged?.range,
  );

  onProgress?.({ task, done: read, unit: 'records' });
  if (header === undefined && !table.optional) throw emptyFile(path, table);
  return { records, lines };
}

/** The id a reject of the row names, worked out only for a reject: most rows never need theirs joined (`d17/r3`). */
function recordIdOf<N extends string>(
  table: CsvTable<object, N>,
  row: CsvRow,
  columns: Columns<N>,
  line: number,
): string {
  return table.recordId(row, columns) ?? `line ${line}`;
}

function emptyFile(path: string, table: CsvTable<object, string>): CsvSourceError {
  return new CsvSourceError(
    `${path} is empty: it needs a header row with the columns ${table.requiredColumns.join(', ')}`,
    'FILE_INVALID',
  );
}

interface Header<N extends string> {
  columns: Columns<N>;
  /** The columns that become a deal's `fields`. */
  extras: Column[];
  width: number;
  /** The column names as written (trimmed), by position. */
  names: string[];
}

function readHeader<N extends string>(path: string, table: CsvTable<object, N>, cells: readonly string[]): Header<N> {
  const names = cells.map((cell) => cell.trim());
  const known = new Set<string>([...table.requiredColumns, ...table.optionalColumns]);
  const indexOf = new Map<string, number>();
  names.forEach((name, index) => {
    if (name.length === 0) return;
    const first = indexOf.get(name);
    if (first === undefined) indexOf.set(name, index);
    else if (known.has(name) || table.extraColumnsAreFields) {
      throw new CsvSourceError(
        `${path}: the header has column ${name} twice (columns ${first + 1} and ${index + 1})`,
        'FILE_INVALID',
      );
    }
  });

  const missing = table.requiredColumns.filter((name) => !indexOf.has(name));
  if (missing.length > 0) throw new CsvSourceError(missingColumnsMessage(path, missing, names), 'FILE_INVALID');

  const columns = Object.fromEntries([...known].map((name) => [name, column(name, indexOf.get(name) ?? -1)])) as Record<
    N,
    Column
  >;
  const extras: Column[] = [];
  if (table.extraColumnsAreFields) {
    for (const [name, index] of indexOf) {
      if (known.has(name)) continue;
      if (name === '__proto__') throw new CsvSourceError(`${path}: a column cannot be named __proto__`, 'FILE_INVALID');
      extras.push(column(name, index));
    }
  }
  return { columns, extras, width: cells.length, names };
}

function missingColumnsMessage(path: string, missing: readonly string[], names: readonly string[]): string {
  const what = missing.length === 1 ? `column ${missing[0]}` : `columns ${missing.join(', ')}`;
  const only = names.length === 1 ? (names[0] ?? '') : '';
  let hint = `it has ${names.filter(Boolean).join(', ') || 'no column names'}`;
  if (/[;\t]/.test(only)) {
    hint =
      `its header is the single column ${JSON.stringify(only)}: the file seems to separate fields with ` +
      `${only.includes(';') ? 'semicolons' : 'tabs'}; Attain reads comma-separated files`;
  } else {
    const nearly = missing.flatMap((name) => names.filter((n) => n !== name && n.toLowerCase() === name.toLowerCase()));
    if (nearly.length > 0) hint = `found ${nearly.join(', ')}: column names are case-sensitive`;
  }
  return `${path}: the header has no ${what} (${hint})`;
}

/** True when every cell from `start` on is empty or whitespace (trailing commas). */
function blankFrom(cells: readonly string[], start: number): boolean {
  for (let i = start; i < cells.length; i++) if ((cells[i] as string).trim().length !== 0) return false;
  return true;
}
