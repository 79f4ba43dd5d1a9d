/**
 * Reading one CSV file: the csv-parse configuration, streaming, and physical line numbers.
 *
 * The file is streamed through csv-parse and each record handed over as a plain string array:
 * nothing is collected here, so a million-row file never sits in memory as rows.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Options } from 'csv-parse';
import { AttainError } from '../../src/domain/errors.js';
import type { CsvRange } from './csv-ranges.js';

/**
 * The one csv-parse configuration every Attain CSV file is read with (the benchmark's
 * "parse only" figure uses it too).
 *
 * - `relax_column_count`: a row with the wrong number of fields becomes a reject, not the end of
 *   the file.
 * - `relax_quotes`: a quote inside an unquoted field (`27" monitor`) is kept as a character.
 * - `record_delimiter`: CRLF, LF and CR all end a record, so a file whose lines were edited with
 *   different tools still splits into lines (auto-discovery would pick the first one it meets).
 * - `skip_empty_lines: false`: an empty line comes through as a record so that the line count
 *   stays right; blank records are skipped by {@link forEachCsvRecord}.
 */
export const CSV_PARSE_OPTIONS: Readonly<Options> = Object.freeze({
  bom: true,
  columns: false,
  relax_column_count: true,
  relax_quotes: true,
  record_delimiter: ['\r\n', '\n', '\r'],
  skip_empty_lines: false,
});

export type CsvSourceErrorCode = 'FILE_UNREADABLE' | 'FILE_INVALID';

/** A CSV file that cannot be read at all: missing, unreadable, or without the columns it needs. */
export class CsvSourceError extends AttainError {
  override readonly name = 'CsvSourceError';

  constructor(
    message: string,
    readonly code: CsvSourceErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Called for every record that is not blank. `line` is the physical line (1-based) on which the
 * record starts, `lastLine` the one on which it ends (they differ when a quoted field holds line
 * breaks).
 */
export type CsvRecordHandler = (fields: string[], line: number, lastLine: number) => void;

/**
 * Opens `path` for reading; resolves to undefined when the file does not exist and `optional`
 * is set.
 */
export async function openCsvFile(path: string, optional = false): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (optional && errorCode(error) === 'ENOENT') return undefined;
    throw unreadable(path, error);
  }
}

/**
 * Streams the CSV file (or the bytes of `range` in it, numbering lines from the range's first
 * line) through csv-parse and calls `onRecord` for each non-blank record, the header included, in
 * order. The handle is closed when done. Throws a CsvSourceError when the
 * file cannot be read, is not UTF-8, or ends inside a quoted field; an error thrown by
 * `onRecord` stops the reading and is passed on as is.
 */
export async function forEachCsvRecord(
  path: string,
  file: FileHandle,
  onRecord: CsvRecordHandler,
  maxRecordChars = DEFAULT_MAX_RECORD_CHARS,
  range?: CsvRange,
  chunkBytes = READ_CHUNK_BYTES,
): Promise<void> {
  let nextLine = range?.line ?? 1;
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 1024,
    write(fields: string[], _encoding, done) {
      try {
        const line = nextLine;
        let lastLine = line;
        let blank = true;
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i] as string;
          if (field.length === 0) continue;
          if (blank && !WHITESPACE_ONLY.test(field)) blank = false;
          if (field.indexOf('\n') !== -1 || field.indexOf('\r') !== -1) lastLine += countLineBreaks(field);
          // csv-parse decodes bytes that are not UTF-8 to U+FFFD.
          if (field.indexOf('\uFFFD') !== -1) throw notUtf8(path, line);
        }
        nextLine = lastLine + 1;
        if (!blank) onRecord(fields, line, lastLine);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  try {
    await pipeline(
      file.createReadStream({
        highWaterMark: chunkBytes,
        ...(range && { start: range.start, end: range.end - 1 }),
      }),
      // A BOM is only one at the start of the file; a range further on starts on a record.
      parse({ ...CSV_PARSE_OPTIONS, max_record_size: maxRecordChars, ...(range?.start && { bom: false }) }),
      sink,
    );
  } catch (error) {
    if (error instanceof CsvError) {
      if (error.code === 'CSV_MAX_RECORD_SIZE') {
        throw new CsvSourceError(
          `${path}: the record that starts on line ${nextLine} is longer than ${maxRecordChars} characters ` +
            `(limits.csvRecordChars in attain.yaml): a quoted field never closed (a stray " ?), ` +
            `so nothing from that line on can be read`,
          'FILE_INVALID',
          { cause: error },
        );
      }
      if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
        throw new CsvSourceError(
          `${path}: the quoted field that starts on line ${nextLine} is never closed (a stray " ?), ` +
            `so nothing from that line on can be read`,
          'FILE_INVALID',
          { cause: error },
        );
      }
      throw new CsvSourceError(`${path}: ${error.message}`, 'FILE_INVALID', { cause: error });
    }
    if (error instanceof CsvSourceError || errorCode(error) === undefined) throw error;
    throw unreadable(path, error);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/**
 * Runs the same csv-parse configuration over a file and only counts: the number of records after
 * the header. For the benchmark's "parse only" figure.
 */
export async function readCsvRows(path: string): Promise<number> {
  const file = (await openCsvFile(path)) as FileHandle;
  let records = 0;
  await forEachCsvRecord(path, file, () => {
    records++;
  });
  return Math.max(0, records - 1);
}

const READ_CHUNK_BYTES = 1 << 20;
/**
 * Without a bound, an unclosed quote makes csv-parse buffer the whole rest of the file as one
 * field. No real row comes near a million characters.
 */
export const DEFAULT_MAX_RECORD_CHARS = 1_000_000;
const WHITESPACE_ONLY = /^\s*$/;

/** Counts CRLF, LF and a lone CR as one line break each, as editors do. */
function countLineBreaks(text: string): number {
  let breaks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) breaks++;
    else if (c === 13) {
      breaks++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return breaks;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CAUSES: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory, not a file',
};

function unreadable(path: string, error: unknown): CsvSourceError {
  const code = errorCode(error);
  const cause = (code && CAUSES[code]) ?? (error instanceof Error ? error.message : String(error));
  return new CsvSourceError(`cannot read ${path}: ${cause}`, 'FILE_UNREADABLE', { cause: error });
}

function notUtf8(path: string, line: number): CsvSourceError {
  return new CsvSourceError(
    `${path} is not UTF-8 text (first seen on line ${line}): save it as "CSV UTF-8" ` +
      `(Excel: File > Save As > CSV UTF-8)`,
    'FILE_INVALID',
  );
}
