/**
 * Cutting a large CSV file into byte ranges that can be read side by side (docs/architecture.md#the-csv-read-in-ranges).
 *
 * A range must start where a record starts: never inside a quoted field, whose line breaks are
 * part of a value. Where that is cannot be told from the bytes around an offset (a line break may
 * sit inside quotes opened a thousand lines before), so one light pass over the whole file follows
 * the quotes as csv-parse does with Attain's options (CSV_PARSE_OPTIONS: `relax_quotes`, CRLF, LF
 * and CR as record delimiters), counting physical lines on the way. A range starts at the first
 * record boundary at or after each multiple of the range size, and carries the number of the line
 * it starts on, so that every reject of every range names its line as a whole read would.
 *
 * When the pass ends inside a quoted field (a quote never closed) the file is one range: the whole
 * read then stops with the error it always gave.
 */
import { open } from 'node:fs/promises';

/** Bytes [start, end) of a file, starting on physical line `line` (1-based). */
export interface CsvRange {
  start: number;
  end: number;
  line: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SCAN_CHUNK_BYTES = 1 << 22;

/**
 * The ranges of the file at `path`, each about `rangeBytes` long (the last may be shorter); one
 * range when the file is no longer than that, or when no safe boundary can be found.
 */
export async function planCsvRanges(path: string, rangeBytes: number): Promise<CsvRange[]> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const whole = [{ start: 0, end: size, line: 1 }];
    if (size <= rangeBytes) return whole;
    const scanner = new QuoteScanner(rangeBytes);
    const buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES + 1);
    let offset = 0;
    // One byte of look-ahead: a quote's meaning, and whether a CR is half of a CRLF, depend on the next byte.
    let carried = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, carried, SCAN_CHUNK_BYTES, offset + carried);
      const length = carried + bytesRead;
      const atEnd = bytesRead === 0;
      const consumed = scanner.scan(buffer, length, offset, atEnd);
      if (atEnd) break;
      carried = length - consumed;
      buffer.copy(buffer, 0, consumed, length);
      offset += consumed;
    }
    if (scanner.inQuotes) return whole;
    const starts = scanner.starts;
    return starts.map((s, i) => ({ start: s.start, line: s.line, end: starts[i + 1]?.start ?? size }));
  } finally {
    await file.close();
  }
}

/** The states of csv-parse's reading that matter here. */
const enum State {
  /** At the start of a field (or of a record): a quote here opens a quoted field. */
  FieldStart,
  /** Inside a field that is not quoted (or whose quote closed early): a quote is a character. */
  Unquoted,
  /** Inside quotes: commas and line breaks are part of the value. */
  Quoted,
}

/**
 * Follows a file's bytes chunk by chunk. A line break (CRLF, LF or CR) ends a record outside
 * quotes and is a line inside them; a quote opens a field only at its start; inside quotes `""`
 * is a quote, and a quote followed by anything but a comma, a line break or the end closes the
 * quotes and is kept as a character (csv-parse's `relax_quotes`).
 */
class QuoteScanner {
  readonly starts: { start: number; line: number }[] = [{ start: 0, line: 1 }];
  private state = State.FieldStart;
  private line = 1;
  private nextCut: number;

  constructor(private readonly rangeBytes: number) {
    this.nextCut = rangeBytes;
  }

  get inQuotes(): boolean {
    return this.state === State.Quoted;
  }

  /**
   * Scans `bytes[0, length)`, which start at file offset `offset`; returns how many were consumed
   * (all but the last one, whose meaning depends on the byte after it, unless `atEnd`).
   */
  scan(bytes: Uint8Array, length: number, offset: number, atEnd: boolean): number {
    const last = atEnd ? length : length - 1;
    let i = 0;
    while (i < last) {
      const c = bytes[i] as number;
      if (this.state === State.Quoted) {
        if (c === QUOTE) {
          if (i + 1 < length && bytes[i + 1] === QUOTE) {
            i += 2;
            continue;
          }
          // The quotes close: before a comma, a line break or the end, as they should; before anything
          // else the quote is kept as a character and the field goes on unquoted. Either way a quote
          // from here to the next comma is a character.
          this.state = State.Unquoted;
        } else if (c === LF) {
          this.line++;
        } else if (c === CR) {
          this.line++;
          if (i + 1 < length && bytes[i + 1] === LF) i++;
        }
        i++;
        continue;
      }
      if (c === COMMA) {
        this.state = State.FieldStart;
      } else if (c === LF || c === CR) {
        if (c === CR && i + 1 < length && bytes[i + 1] === LF) i++;
        this.line++;
        this.state = State.FieldStart;
        const start = offset + i + 1;
        if (start >= this.nextCut && start < offset + length) {
          this.starts.push({ start, line: this.line });
          this.nextCut = start + this.rangeBytes;
        }
      } else if (c === QUOTE && this.state === State.FieldStart) {
        this.state = State.Quoted;
      } else {
        this.state = State.Unquoted;
      }
      i++;
    }
    return i;
  }
}
