/**
 * Reading one CSV file: the parse options, streaming, and physical line numbers.
 *
 * The file is streamed, decoded and parsed chunk by chunk, and each record handed over as a plain
 * string array: nothing is collected here, so a million-row file never sits in memory as rows.
 *
 * What a record is, is defined by csv-parse with {@link CSV_PARSE_OPTIONS}. Papaparse reads the
 * same records three to four times faster, but only where it agrees with csv-parse: text with one
 * kind of line break, and quoted fields that close before a comma or a line break. Each chunk is
 * checked ({@link papaparseAgrees}); from the first one that is not such text (or that holds a
 * record long enough for `max_record_size` to apply) csv-parse reads the rest of the file, so every
 * record and every error is the one csv-parse gives (connectors/csv/README.md#why-this-parser).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse, type Options } from 'csv-parse';
import Papa from 'papaparse';
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
 * breaks). `mayHoldNul` is false when the text the record was read from holds no NUL (U+0000):
 * its fields need not be searched for one.
 */
export type CsvRecordHandler = (fields: string[], line: number, lastLine: number, mayHoldNul: boolean) => void;

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
 * line) and calls `onRecord` for each non-blank record, the header included, in order. The handle
 * is closed when done. Throws a CsvSourceError when the file cannot be read, is not UTF-8, or ends
 * inside a quoted field; an error thrown by `onRecord` stops the reading and is passed on as is.
 */
export async function forEachCsvRecord(
  path: string,
  file: FileHandle,
  onRecord: CsvRecordHandler,
  maxRecordChars = DEFAULT_MAX_RECORD_CHARS,
  range?: CsvRange,
  chunkBytes = READ_CHUNK_BYTES,
  reader: CsvReader = 'papaparse',
): Promise<void> {
  let nextLine = range?.line ?? 1;
  const onFields: FieldsHandler = (fields, text) => {
    const line = nextLine;
    let lastLine = line;
    let blank = true;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      if (field.length === 0) continue;
      if (blank && !isBlank(field)) blank = false;
      if (text.mayBreakLines && (field.indexOf('\n') !== -1 || field.indexOf('\r') !== -1)) {
        lastLine += countLineBreaks(field);
      }
      // The decoder turns bytes that are not UTF-8 into U+FFFD.
      if (text.mayBeUndecodable && field.indexOf('\uFFFD') !== -1) throw notUtf8(path, line);
    }
    nextLine = lastLine + 1;
    if (!blank) onRecord(fields, line, lastLine, text.mayHoldNul);
  };
  const bytes = file.createReadStream({
    highWaterMark: chunkBytes,
    ...(range && { start: range.start, end: range.end - 1 }),
  });
  // A BOM is only one at the start of the file; a range further on starts on a record.
  const texts = decode(bytes, !range?.start);
  try {
    if (reader === 'papaparse') await readWithPapaparse(texts, onFields, maxRecordChars);
    else await readWithCsvParse(texts, onFields, maxRecordChars);
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
    bytes.destroy();
    await file.close().catch(() => undefined);
  }
}

/**
 * What the text a record was read from may hold, looked for once in each chunk papaparse reads
 * instead of in each field: without a quote no field holds a line break (papaparse ends records
 * on the chunk's one kind of line break), without U+FFFD every byte was UTF-8.
 */
interface TextTraits {
  mayBreakLines: boolean;
  mayBeUndecodable: boolean;
  mayHoldNul: boolean;
}

/** Any text: what csv-parse reads is looked at field by field. */
const ANY_TEXT: TextTraits = Object.freeze({ mayBreakLines: true, mayBeUndecodable: true, mayHoldNul: true });

function traitsOf(text: string): TextTraits {
  return {
    mayBreakLines: text.indexOf('"') !== -1,
    mayBeUndecodable: text.indexOf('\uFFFD') !== -1,
    mayHoldNul: text.indexOf('\u0000') !== -1,
  };
}

type FieldsHandler = (fields: string[], text: TextTraits) => void;

/**
 * Which parser reads the file: papaparse where it agrees with csv-parse and csv-parse for the
 * rest (the default), or csv-parse throughout (tests compare the two).
 */
export type CsvReader = 'papaparse' | 'csv-parse';

/** The file's bytes as UTF-8 text, chunk by chunk, without the BOM when `atFileStart`. */
async function* decode(bytes: AsyncIterable<Buffer>, atFileStart: boolean): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let first = atFileStart;
  for await (const chunk of bytes) {
    let text = decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length > 0) yield text;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

/**
 * Papaparse, chunk by chunk, for as long as it reads what csv-parse would; csv-parse for the rest
 * of the file from the start of the first chunk where it might not. The text handed on always
 * starts at the start of a record, where neither parser has anything pending.
 */
async function readWithPapaparse(
  texts: AsyncIterator<string>,
  onFields: FieldsHandler,
  maxRecordChars: number,
): Promise<void> {
  let pending = '';
  for (;;) {
    const next = await texts.next();
    const input = next.done ? pending : pending + next.value;
    if (next.done && input.length === 0) return;
    // A CR at the end may be the first half of a CRLF: it waits for the next chunk.
    const text = !next.done && input.endsWith('\r') ? input.slice(0, -1) : input;
    const newline = lineBreakOf(text);
    const result = newline && papaparse(text, newline, !next.done);
    if (!result || !papaparseAgrees(text, result, maxRecordChars)) {
      return readWithCsvParse(prepend(input, texts), onFields, maxRecordChars);
    }
    const traits = traitsOf(text);
    for (const fields of result.data) onFields(fields, traits);
    if (next.done) return;
    pending = input.slice(result.meta.cursor);
    // The record read so far might already be too long for csv-parse: let csv-parse judge it.
    if (pending.length * MAX_UTF8_BYTES_PER_CHAR > maxRecordChars) {
      return readWithCsvParse(prepend(pending, texts), onFields, maxRecordChars);
    }
  }
}

/** csv-parse with {@link CSV_PARSE_OPTIONS} over the rest of the text (whose BOM, if any, is gone). */
async function readWithCsvParse(
  texts: AsyncIterator<string>,
  onFields: FieldsHandler,
  maxRecordChars: number,
): Promise<void> {
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 1024,
    write(fields: string[], _encoding, done) {
      try {
        onFields(fields, ANY_TEXT);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  await pipeline(
    Readable.from({ [Symbol.asyncIterator]: () => texts }, { objectMode: false }),
    parse({ ...CSV_PARSE_OPTIONS, bom: false, max_record_size: maxRecordChars }),
    sink,
  );
}

async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  if (first.length > 0) yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

type PapaResult = { data: string[][]; errors: Papa.ParseError[]; meta: { cursor: number } };

/**
 * Papaparse over `text` with the given line break; when `more` is set, the last record, which may
 * go on in the next chunk, is left out and `meta.cursor` is where it starts.
 */
function papaparse(text: string, newline: '\n' | '\r\n' | '\r', more: boolean): PapaResult {
  return new Papa.Parser({ delimiter: ',', newline, quoteChar: '"' }).parse(text, 0, more) as PapaResult;
}

/**
 * The one kind of line break `text` holds (LF when none), or undefined when it mixes kinds:
 * papaparse ends records on one kind only, csv-parse on all three.
 */
function lineBreakOf(text: string): '\n' | '\r\n' | '\r' | undefined {
  if (text.indexOf('\r') === -1) return '\n';
  if (text.indexOf('\n') === -1) return '\r';
  return LONE_CR_OR_LF.test(text) ? undefined : '\r\n';
}

const LONE_CR_OR_LF = /\r(?!\n)|(?<!\r)\n/;

/**
 * Whether papaparse read `text` (of one kind of line break) as csv-parse with
 * {@link CSV_PARSE_OPTIONS} does. They differ only on a quoted field whose closing quote is
 * followed by something other than a comma or a line break: papaparse reports `"abc"def` as
 * InvalidQuotes and reads on to a later quote, where csv-parse keeps `"abc"def` as written, and it
 * reads `"abc"  ,` as `abc` without a word, where csv-parse keeps `"abc"  `. An unclosed quote at
 * the end, and records long enough for `max_record_size`, are csv-parse's to report.
 */
function papaparseAgrees(text: string, result: PapaResult, maxRecordChars: number): boolean {
  if (result.errors.length > 0) return false;
  if (text.indexOf('"') !== -1 && SPACES_AFTER_QUOTE.test(text)) return false;
  if (text.length * MAX_UTF8_BYTES_PER_CHAR <= maxRecordChars) return true;
  for (const fields of result.data) {
    let chars = 0;
    for (let i = 0; i < fields.length; i++) chars += (fields[i] as string).length;
    if (chars * MAX_UTF8_BYTES_PER_CHAR > maxRecordChars) return false;
  }
  return true;
}

/** A quote, then spaces, then a comma, a line break or the end: where papaparse drops the spaces. */
const SPACES_AFTER_QUOTE = /"[^\S\r\n]+(?:[,\r\n]|$)/;
/**
 * csv-parse counts a field being read in UTF-8 bytes: a UTF-16 unit is at most 3 of them. Records
 * below the bound by this measure are below it for csv-parse too.
 */
const MAX_UTF8_BYTES_PER_CHAR = 3;

/**
 * Reads a file as the CSV source does and only counts: the number of records after
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

/** Papaparse holds the rows of one chunk at once: larger chunks read no faster and take more memory. */
const READ_CHUNK_BYTES = 1 << 18;
/**
 * Without a bound, an unclosed quote makes the parser buffer the whole rest of the file as one
 * field. No real row comes near a million characters.
 */
export const DEFAULT_MAX_RECORD_CHARS = 1_000_000;
const WHITESPACE_ONLY = /^\s*$/;

/** Whether a field is only whitespace; a printable ASCII first character settles it without the regex. */
function isBlank(field: string): boolean {
  const first = field.charCodeAt(0);
  return first > 0x20 && first < 0x7f ? false : WHITESPACE_ONLY.test(field);
}

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
