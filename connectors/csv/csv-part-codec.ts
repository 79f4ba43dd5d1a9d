/**
 * How the part of a data file that one read step read (a byte range, {@link CsvPart}) travels to
 * the run's sync step, through run_input_parts (docs/database.md#the-format-of-a-part).
 *
 * Column by column rather than record by record: as JSON with gzip, encoding the bench org's deals
 * cost almost as much CPU as reading them, and decoding them half again as much. Here each key of
 * the records is one column: its strings joined by NUL into one UTF-8 text (split again in one
 * call), or, when few values repeat (an owner, a currency, a date), those values once and an index
 * per record, so that the records put together share their strings as one read of the whole file
 * does. Booleans are a byte each, line numbers the steps between them, nested objects (a deal's
 * `fields`) columns again, and anything else JSON, as before. Each record is rebuilt with its keys
 * in the order it had, and without the keys whose value is undefined, as JSON leaves them out.
 *
 * Layout: a 32-bit length, a JSON description (the head, the rejects, the error, how each column
 * is written and its byte length), then the columns' bytes one after another; integers are
 * little-endian. The whole is compressed with brotli at quality 0, its fastest: a tenth of the
 * encoding's time for a third of the bytes. PostgreSQL compresses large values it is given
 * itself: it took 2.2 s to store the bench org's 55 MB of uncompressed parts, 0.2 s for the 20 MB
 * compressed.
 */
import { endianness } from 'node:os';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import type { Reject } from '../../src/domain/model.js';
import type { CsvPart } from './csv-source.js';

/** The `format` a part is stored with (run_input_parts); a reader refuses any other. */
export const CSV_PART_FORMAT = 'columns+brotli';

/** A column of a table: the values of one key, for the records that have it, in record order. */
type ColumnMeta =
  | { kind: 'text'; count: number; bytes: number }
  | { kind: 'dict'; values: string[]; index: UintMeta }
  | { kind: 'bool'; bytes: number }
  | { kind: 'table'; table: TableMeta }
  | { kind: 'json'; values: unknown[] };

interface UintMeta {
  kind: 'uint';
  width: 1 | 2 | 4;
  bytes: number;
}

interface TableMeta {
  count: number;
  /** The keys of the records, in their order: one list per distinct order. */
  shapes: string[][];
  /** The shape of each record, when there is more than one. */
  shapeOf?: UintMeta;
  /** By key, in the order their bytes are written (a list: an object would put keys like `7` first). */
  columns: [string, ColumnMeta][];
}

interface PartMeta {
  head: unknown;
  records: TableMeta;
  lines: { kind: 'steps'; first: number; steps: UintMeta } | { kind: 'json'; values: number[] };
  keys: ColumnMeta;
  rejects: Reject[];
  error?: CsvPart['error'];
}

const LITTLE_ENDIAN = endianness() === 'LE';
const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);
const SEPARATOR = '\u0000';
/** With the u flag a surrogate pair is one code point: only a surrogate on its own matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** `part` and `head` (anything JSON can hold: the range, the file's stamp) as bytes to store. */
export async function encodeCsvPart<H>(part: CsvPart, head: H): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const meta: PartMeta = {
    head,
    records: encodeTable(part.records, chunks),
    lines: encodeLines(part.lines, chunks),
    keys: encodeStrings(part.keys, chunks),
    rejects: part.rejects,
    ...(part.error && { error: part.error }),
  };
  const description = Buffer.from(JSON.stringify(meta), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(description.byteLength);
  const bytes = Buffer.concat([length, description, ...chunks]);
  return compress(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 0, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength },
  });
}

/** What {@link encodeCsvPart} was given. */
export async function decodeCsvPart<H>(bytes: Uint8Array): Promise<{ part: CsvPart; head: H }> {
  const buffer = await decompress(bytes);
  const length = buffer.readUInt32LE(0);
  const meta = JSON.parse(buffer.toString('utf8', 4, 4 + length)) as PartMeta;
  const reader = { buffer, offset: 4 + length };
  const records = decodeTable(meta.records, reader);
  const lines = meta.lines.kind === 'json' ? meta.lines.values : decodeLines(meta.lines, reader);
  const keys = decodeColumn(meta.keys, reader) as string[];
  const part: CsvPart = { records, lines, rejects: meta.rejects, keys };
  if (meta.error) part.error = meta.error;
  return { part, head: meta.head as H };
}

// ---- writing ----

function encodeTable(records: readonly object[], chunks: Uint8Array[]): TableMeta {
  const shapes: string[][] = [];
  const shapeOf = new Uint32Array(records.length);
  /** How many records have each shape. */
  const counts: number[] = [];
  const shapeNumbers = new Map<string, number>();
  // Records of a table share a few orders of keys, most often that of the record before.
  let last = -1;
  for (let r = 0; r < records.length; r++) {
    const record = records[r] as object;
    if (last < 0 || !hasKeys(record, shapes[last] as string[])) {
      const keys = Object.keys(record);
      const signature = JSON.stringify(keys);
      last = shapeNumbers.get(signature) ?? -1;
      if (last < 0) {
        last = shapes.push(keys) - 1;
        shapeNumbers.set(signature, last);
      }
    }
    shapeOf[r] = last;
    counts[last] = (counts[last] ?? 0) + 1;
  }
  const values = new Map<string, unknown[]>();
  for (const key of new Set(shapes.flat())) {
    const has = shapes.map((keys) => keys.includes(key));
    const column = new Array<unknown>(
      shapes.reduce((n, _, shape) => n + (has[shape] ? (counts[shape] as number) : 0), 0),
    );
    // One key at a time: the same property read for every record, which the engine makes fast.
    if (shapes.length === 1)
      for (let r = 0; r < records.length; r++) column[r] = (records[r] as Record<string, unknown>)[key];
    else {
      for (let r = 0, next = 0; r < records.length; r++)
        if (has[shapeOf[r] as number]) column[next++] = (records[r] as Record<string, unknown>)[key];
    }
    if (column.includes(undefined)) return encodeTable(records.map(withoutUndefined), chunks);
    values.set(key, column);
  }
  const meta: TableMeta = { count: records.length, shapes, columns: [] };
  if (shapes.length > 1) meta.shapeOf = encodeUints(shapeOf, shapes.length - 1, chunks);
  for (const [key, column] of values) meta.columns.push([key, encodeColumn(column, chunks)]);
  return meta;
}

/** True when the record has the keys `keys`, in that order (for…in: no list of them made for each record). */
function hasKeys(record: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in record) if (key !== keys[i++]) return false;
  return i === keys.length;
}

/** A key whose value is undefined is left out, as JSON leaves it out. */
function withoutUndefined(record: object): object {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function encodeColumn(values: unknown[], chunks: Uint8Array[]): ColumnMeta {
  if (values.every((v) => typeof v === 'string')) return encodeStrings(values as string[], chunks);
  if (values.every((v) => typeof v === 'boolean')) {
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) bytes[i] = values[i] ? 1 : 0;
    chunks.push(bytes);
    return { kind: 'bool', bytes: bytes.byteLength };
  }
  if (values.every(isPlainObject)) return { kind: 'table', table: encodeTable(values as object[], chunks) };
  return { kind: 'json', values };
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Fewer distinct values than this share of the column: written once each, with an index per record. */
const DICT_SHARE = 0.25;
/**
 * A column whose first values are nearly all distinct (ids, names, amounts) is written as text
 * without counting further. An owner among ten thousand reps is not: about nine in ten of the
 * first values are distinct, one in five of a whole part's fifty thousand.
 */
const DICT_SAMPLE = 2048;
const DICT_SAMPLE_DISTINCT = 0.95;

function encodeStrings(values: readonly string[], chunks: Uint8Array[]): ColumnMeta {
  const dictionary = dictionaryOf(values);
  if (dictionary)
    return {
      kind: 'dict',
      values: dictionary.values,
      index: encodeUints(dictionary.index, dictionary.values.length - 1, chunks),
    };
  const text = values.join(SEPARATOR);
  // A lone surrogate would not survive UTF-8 (JSON escapes it).
  if (LONE_SURROGATE.test(text)) return { kind: 'json', values: values.slice() };
  const bytes = Buffer.from(text, 'utf8');
  // A value holding the separator (a NUL, in a rejected row's key) could not be split again.
  if (countZeros(bytes) !== Math.max(values.length - 1, 0)) return { kind: 'json', values: values.slice() };
  chunks.push(bytes);
  return { kind: 'text', count: values.length, bytes: bytes.byteLength };
}

function countZeros(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0); at !== -1; at = bytes.indexOf(0, at + 1)) count++;
  return count;
}

/** The distinct values and the number of each record's, when they are few; undefined when they are not. */
function dictionaryOf(values: readonly string[]): { values: string[]; index: Uint32Array } | undefined {
  const numbers = new Map<string, number>();
  const index = new Uint32Array(values.length);
  const most = Math.floor(values.length * DICT_SHARE);
  let previous: string | undefined;
  let number = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    if (value !== previous) {
      const known = numbers.get(value);
      if (known !== undefined) number = known;
      else {
        if (numbers.size >= most) return undefined;
        number = numbers.size;
        numbers.set(value, number);
      }
      previous = value;
    }
    index[i] = number;
    if (i + 1 === DICT_SAMPLE && numbers.size > DICT_SAMPLE * DICT_SAMPLE_DISTINCT) return undefined;
  }
  return { values: [...numbers.keys()], index };
}

/** Lines as the first and the steps from each to the next (mostly 1: a byte each); as JSON when they do not increase. */
function encodeLines(lines: readonly number[], chunks: Uint8Array[]): PartMeta['lines'] {
  const first = lines[0] ?? 0;
  const steps = new Uint32Array(lines.length);
  let max = 0;
  for (let i = 1; i < lines.length; i++) {
    const step = (lines[i] as number) - (lines[i - 1] as number);
    if (!Number.isInteger(step) || step <= 0 || step > 0xffffffff) return { kind: 'json', values: lines.slice() };
    steps[i] = step;
    if (step > max) max = step;
  }
  if (!Number.isInteger(first)) return { kind: 'json', values: lines.slice() };
  return { kind: 'steps', first, steps: encodeUints(steps, max, chunks) };
}

function encodeUints(values: Uint32Array, max: number, chunks: Uint8Array[]): UintMeta {
  const width = max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
  const array = width === 1 ? Uint8Array.from(values) : width === 2 ? Uint16Array.from(values) : values;
  const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  if (!LITTLE_ENDIAN) swap(bytes, width);
  chunks.push(bytes);
  return { kind: 'uint', width, bytes: bytes.byteLength };
}

// ---- reading ----

interface Reader {
  buffer: Buffer;
  offset: number;
}

function take(reader: Reader, bytes: number): Buffer {
  const start = reader.offset;
  reader.offset += bytes;
  if (reader.offset > reader.buffer.byteLength) throw new Error('a stored csv part is cut short');
  return reader.buffer.subarray(start, reader.offset);
}

function decodeTable(meta: TableMeta, reader: Reader): object[] {
  const shapeOf = meta.shapeOf && decodeUints(meta.shapeOf, reader);
  // Each record starts as a copy of its shape's template, made by JSON.parse so that the copies
  // hold their properties in the object itself as the records read from the file do (an object
  // grown key by key keeps most of them in a second allocation, slower to read and to collect).
  const templates = meta.shapes.map(
    (keys) => JSON.parse(JSON.stringify(Object.fromEntries(keys.map((key) => [key, null])))) as object,
  );
  const records = new Array<Record<string, unknown>>(meta.count);
  if (shapeOf) for (let r = 0; r < meta.count; r++) records[r] = { ...templates[shapeOf[r] as number] };
  else {
    const template = templates[0];
    for (let r = 0; r < meta.count; r++) records[r] = { ...template };
  }
  for (const [key, column] of meta.columns) {
    const values = decodeColumn(column, reader);
    const has = meta.shapes.map((keys) => keys.includes(key));
    // One key at a time, as written. Each record already has the key as its own property (from the
    // template), so that even one named __proto__ is a value here, not the prototype.
    for (let r = 0, next = 0; r < meta.count; r++) {
      if (shapeOf && !has[shapeOf[r] as number]) continue;
      records[r]![key] = values[next++];
    }
  }
  return records;
}

function decodeLines(meta: { first: number; steps: UintMeta }, reader: Reader): number[] {
  const steps = decodeUints(meta.steps, reader);
  const lines = new Array<number>(steps.length);
  for (let i = 0, line = meta.first; i < steps.length; i++) lines[i] = line += steps[i] as number;
  return lines;
}

function decodeColumn(meta: ColumnMeta, reader: Reader): unknown[] {
  switch (meta.kind) {
    case 'text': {
      const text = take(reader, meta.bytes).toString('utf8');
      return meta.count === 0 ? [] : text.split(SEPARATOR);
    }
    case 'dict': {
      const index = decodeUints(meta.index, reader);
      const values = new Array<string>(index.length);
      for (let i = 0; i < index.length; i++) values[i] = meta.values[index[i] as number] as string;
      return values;
    }
    case 'bool': {
      const bytes = take(reader, meta.bytes);
      const values = new Array<boolean>(bytes.length);
      for (let i = 0; i < bytes.length; i++) values[i] = bytes[i] === 1;
      return values;
    }
    case 'table':
      return decodeTable(meta.table, reader);
    case 'json':
      return meta.values;
  }
}

function decodeUints(meta: UintMeta, reader: Reader): Uint8Array | Uint16Array | Uint32Array {
  // A copy: the stored bytes need not sit at an offset a 16- or 32-bit view may start at.
  const bytes = new Uint8Array(take(reader, meta.bytes));
  if (!LITTLE_ENDIAN) swap(Buffer.from(bytes.buffer), meta.width);
  if (meta.width === 1) return bytes;
  return meta.width === 2 ? new Uint16Array(bytes.buffer) : new Uint32Array(bytes.buffer);
}

function swap(bytes: Buffer, width: 1 | 2 | 4): void {
  if (width === 2) bytes.swap16();
  else if (width === 4) bytes.swap32();
}
