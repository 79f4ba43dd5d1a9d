/**
 * Bulk writes through `COPY … FROM STDIN`: the database's own loading path, several times faster
 * than INSERT for a million payout lines with their traces. Rows are written in COPY's text format
 * (PostgreSQL's documentation, "COPY", File Formats, Text Format: columns separated by tabs, rows
 * by newlines, `\N` for null, and a backslash, newline, carriage return or tab in a value written
 * as `\\`, `\n`, `\r`, `\t`). Measured on payout lines with their traces, CSV writers were the
 * bottleneck: csv-stringify wrote 11,000 rows/s, papaparse 110,000 (its quoting doubles every `"`
 * of the JSON), both below the unnest INSERT this replaces; the text format needs no quoting, and
 * a JSON trace rarely holds a character to escape.
 *
 * Kysely has no COPY, so a copy travels through it as a CompiledQuery whose one parameter is a
 * `CopyIn`; the connection wrappers of connect.ts recognise it and run it on the connection the
 * query was given, inside the caller's transaction:
 * - PostgreSQL (pg): streamed through pg-copy-streams, all chunks in one COPY, with backpressure;
 * - PGlite: one `COPY … FROM '/dev/blob'` per chunk, the chunk's text handed over as a Blob (PGlite's
 *   documented way to feed COPY: the `blob` query option).
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { CompiledQuery, type Kysely } from 'kysely';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { OnProgress } from '../domain/progress.js';
import type { BulkColumn } from './bulk-insert.js';

/** A column and how to read it from a row, as for bulkInsert. */
export type CopyColumn<Row> = BulkColumn<Row>;

/**
 * A piece of a COPY's data: rows of text, and whether it ends a chunk (COPY_CHUNK_SIZE rows: one
 * COPY statement on PGlite).
 */
export interface CopyPiece {
  text: string;
  endsChunk: boolean;
}

/** One COPY: the statement (`… from stdin`) and its data, as text piece by piece. */
export class CopyIn {
  constructor(
    readonly table: string,
    readonly columns: readonly string[],
    readonly pieces: () => Iterable<CopyPiece>,
  ) {}

  statement(source: 'stdin' | "'/dev/blob'"): string {
    const names = this.columns.map(quoteIdent).join(', ');
    return `copy ${quoteIdent(this.table)} (${names}) from ${source}`;
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Bytes of CSV a COPY to PostgreSQL keeps queued ahead of the server (about three chunks of payout lines). */
const COPY_BUFFER_BYTES = 16 * 1024 * 1024;

/** Rows per CSV chunk: large enough to amortise a COPY on PGlite, small enough to bound memory. */
export const COPY_CHUNK_SIZE = 10_000;

/**
 * Characters of text a chunk is handed over in, a piece at a time: made into bytes while young, a
 * piece never lives long enough for the collector to copy it to the old generation, as a whole
 * chunk of traces (megabytes) did, costing more than making it.
 */
const COPY_PIECE_CHARS = 64 * 1024;

export interface CopyRowsOptions {
  /** Columns set to the same value on every row (a run id, a plan id). */
  constants?: Record<string, string>;
  chunkSize?: number;
  /** Told after each chunk how many rows have gone to the database. */
  onProgress?: OnProgress | undefined;
}

/**
 * Inserts `rows` into `table` with COPY, on `db` (a transaction's connection when `db` is one).
 * Returns the number of rows written.
 *
 * `rows` may be any iterable, read once, a chunk at a time as the database takes them: rows made
 * as they are read (the run's estimates) are then written while the next ones are made, and each
 * is dropped once written.
 */
export async function copyRows<Row>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- table names are checked by the typed callers
  db: Kysely<any>,
  table: string,
  columns: readonly CopyColumn<Row>[],
  rows: Iterable<Row>,
  options: CopyRowsOptions = {},
): Promise<number> {
  const total = Array.isArray(rows) ? rows.length : undefined;
  if (total === 0) return 0;
  const chunkSize = Math.max(1, options.chunkSize ?? COPY_CHUNK_SIZE);
  const constants = Object.values(options.constants ?? {})
    .map((value) => `${textField(cleanText(value))}\t`)
    .join('');
  const names = [...Object.keys(options.constants ?? {}), ...columns.map((c) => c.name)];
  let written = 0;
  function* pieces(): Iterable<CopyPiece> {
    let text = '';
    let inChunk = 0;
    for (const row of rows) {
      text += constants;
      for (let c = 0; c < columns.length; c++) {
        text += textField(copyValue(columns[c]!, row));
        text += c === columns.length - 1 ? '\n' : '\t';
      }
      if (++inChunk < chunkSize) {
        if (text.length < COPY_PIECE_CHARS) continue;
        yield { text, endsChunk: false };
        text = '';
        continue;
      }
      written += inChunk;
      yield { text, endsChunk: true };
      options.onProgress?.({ task: `writing ${table}`, done: written, unit: 'rows', ...(total && { total }) });
      text = '';
      inChunk = 0;
    }
    if (inChunk === 0) return;
    written += inChunk;
    yield { text, endsChunk: true };
    options.onProgress?.({ task: `writing ${table}`, done: written, unit: 'rows', ...(total && { total }) });
  }
  await db.executeQuery(CompiledQuery.raw('copy (rows) from stdin', [new CopyIn(table, names, pieces)]));
  return written;
}

/**
 * A value for COPY, before escaping. PostgreSQL text cannot hold a NUL character, so one becomes U+FFFD (the
 * replacement character) rather than failing the whole write.
 */
function copyValue<Row>(column: CopyColumn<Row>, row: Row): string | null {
  if (column.type === 'jsonb' || column.type === 'jsonb-text') {
    const json = column.type === 'jsonb' ? JSON.stringify(column.value(row) ?? null) : column.value(row);
    return json.includes('\\u0000') ? json.replace(ESCAPED_NUL, '$1\\ufffd') : json;
  }
  const value = column.value(row);
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return cleanText(value);
}

/** `\u0000` in JSON text, not preceded by an escaped backslash (`\\u0000` is the text `\u0000`). */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

const TEXT_SPECIAL = /[\\\n\r\t]/;
const TEXT_SPECIALS = /[\\\n\r\t]/g;
const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A field in COPY's text format: `\N` for null, and the four special characters escaped. */
function textField(value: string | null): string {
  if (value === null) return '\\N';
  return hasTextSpecial(value) ? value.replace(TEXT_SPECIALS, (c) => TEXT_ESCAPES[c]!) : value;
}

/**
 * Whether a value holds one of the four: for a long one (a trace's JSON text, a kilobyte or more,
 * half a million of them in a run) a search for each character, ten times faster than the class.
 */
function hasTextSpecial(value: string): boolean {
  if (value.length < 64) return TEXT_SPECIAL.test(value);
  return value.includes('\\') || value.includes('\n') || value.includes('\r') || value.includes('\t');
}

function cleanText(value: string): string {
  return value.includes('\0') ? value.replace(/\0/g, '\ufffd') : value;
}

/** Runs a CopyIn on a pg client: one COPY, the chunks streamed in with backpressure. */
export async function copyInPostgres(client: PoolClient, copy: CopyIn): Promise<{ rows: []; rowCount: number }> {
  // A buffer of a few chunks lets the next chunk be written as CSV while the server loads this one.
  const target = client.query(copyFrom(copy.statement('stdin'), { highWaterMark: COPY_BUFFER_BYTES }));
  await pipeline(Readable.from(texts(copy.pieces()), { objectMode: false }), target);
  return { rows: [], rowCount: Number(target.rowCount) };
}

/** The part of PGlite's API a copy needs. */
export interface PgliteQuery {
  query(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
}

function* texts(pieces: Iterable<CopyPiece>): Iterable<string> {
  for (const piece of pieces) yield piece.text;
}

/** Runs a CopyIn on PGlite: one COPY from '/dev/blob' per chunk. */
export async function copyInPglite(pglite: PgliteQuery, copy: CopyIn): Promise<{ rows: []; affectedRows: number }> {
  const statement = copy.statement("'/dev/blob'");
  let affectedRows = 0;
  let chunk: Uint8Array[] = [];
  for (const piece of copy.pieces()) {
    // Each piece made into bytes at once, as for PostgreSQL (COPY_PIECE_CHARS).
    chunk.push(Buffer.from(piece.text));
    if (!piece.endsChunk) continue;
    const result = (await pglite.query(statement, [], { blob: new Blob(chunk) })) as { affectedRows?: number };
    affectedRows += result.affectedRows ?? 0;
    chunk = [];
  }
  return { rows: [], affectedRows };
}
