/**
 * Bulk inserts through `unnest`: one statement per chunk of rows, each column sent as one array
 * parameter (`insert into t (a, b) select * from unnest($1::text[], $2::numeric[])`). Far fewer
 * round trips and parameters than multi-row VALUES, and the same SQL on pg and PGlite. Upserts go
 * this way; plain inserts of many rows (payout lines) go through COPY (copy-in.ts).
 *
 * Two things make it fast enough for a million payout lines (measured in the database notes):
 * - The array parameters are written here as PostgreSQL array literals, and a jsonb column as one
 *   JSON array (JSON.stringify is native code): pg's own array serialisation escapes element by
 *   element and was several times slower than the database itself.
 * - The next chunk is prepared while the database inserts the current one.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql, type Kysely, type RawBuilder } from 'kysely';

export type ColumnValue = string | boolean | null;

export type BulkColumn<Row> =
  | { name: string; type: 'text' | 'numeric' | 'date' | 'boolean'; value(row: Row): ColumnValue }
  /** A jsonb column: any JSON-serialisable value (an object with toJSON too). */
  | { name: string; type: 'jsonb'; value(row: Row): unknown }
  /** A jsonb column whose values are JSON text already (serialised once, where they were made). */
  | { name: string; type: 'jsonb-text'; value(row: Row): string };

export interface BulkInsertOptions {
  /** Columns set to the same value on every row (a run id, a source), sent once, not once per row. */
  constants?: Record<string, string>;
  /**
   * `on conflict (key) do update` on these key columns: rows already there are updated, and when
   * one chunk holds a key twice the last row wins (instead of PostgreSQL's "cannot affect row a
   * second time").
   */
  upsertOn?: readonly string[];
  chunkSize?: number;
}

/** Rows per statement: large enough that round trips don't matter, small enough to bound memory. */
export const DEFAULT_CHUNK_SIZE = 10_000;

export async function bulkInsert<Row>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- table names are checked by the typed callers
  db: Kysely<any>,
  table: string,
  columns: readonly BulkColumn<Row>[],
  rows: readonly Row[],
  options: BulkInsertOptions = {},
): Promise<number> {
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const constants = Object.entries(options.constants ?? {});
  const key = options.upsertOn ?? [];
  const names = [...constants.map(([name]) => name), ...columns.map((c) => c.name)];
  const target = sql`${sql.table(table)} (${sql.join(names.map((n) => sql.id(n)))})`;
  const selected = sql.join([
    ...constants.map(([, value]) => sql`${value}`),
    ...columns.map((c) => sql`t.${sql.id(c.name)}`),
  ]);
  const alias = sql.join([...columns.map((c) => sql.id(c.name)), ...(key.length > 0 ? [sql.id('ord')] : [])]);
  const keyRefs = sql.join(key.map((k) => sql`t.${sql.id(k)}`));

  const statement = (chunk: readonly Row[]): RawBuilder<unknown> => {
    const arrays = sql.join(columns.map((c) => arrayParameter(c, chunk)));
    const source = sql`unnest(${arrays})${key.length > 0 ? sql` with ordinality` : sql``} as t(${alias})`;
    return key.length === 0
      ? sql`insert into ${target} select ${selected} from ${source}`
      : sql`insert into ${target} select distinct on (${keyRefs}) ${selected} from ${source} order by ${keyRefs}, t.ord desc ${onConflictUpdate(key, names)}`;
  };

  let pending: Promise<unknown> | undefined;
  try {
    for (let start = 0; start < rows.length; start += chunkSize) {
      const next = statement(rows.slice(start, start + chunkSize));
      await pending;
      pending = next.execute(db);
      // Handled below (awaited); marking it now keeps a failure from counting as unhandled meanwhile.
      pending.catch(() => undefined);
      // Let the query reach the socket before building the next chunk, so the two overlap.
      await nextTurn();
    }
    await pending;
  } catch (error) {
    // Settle the statement in flight before the caller's transaction rolls back.
    await pending?.catch(() => undefined);
    throw error;
  }
  return rows.length;
}

function arrayParameter<Row>(column: BulkColumn<Row>, chunk: readonly Row[]): RawBuilder<unknown> {
  if (column.type === 'jsonb' || column.type === 'jsonb-text') {
    // One JSON document holding the column's values, split back into rows in order.
    const json =
      column.type === 'jsonb'
        ? JSON.stringify(chunk.map((row) => column.value(row) ?? null))
        : `[${chunk.map((row) => column.value(row)).join(',')}]`;
    return sql`array(select e from jsonb_array_elements(${json}::jsonb) with ordinality as j(e, i) order by i)`;
  }
  const literal = arrayLiteral(chunk.map((row) => column.value(row)));
  return sql`${literal}::${sql.raw(column.type)}[]`;
}

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

/** A one-dimensional PostgreSQL array literal: every element quoted, `"` and `\` escaped, NULL unquoted. */
export function arrayLiteral(values: readonly ColumnValue[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) parts[i] = 'NULL';
    else if (typeof value === 'boolean') parts[i] = value ? 't' : 'f';
    else parts[i] = NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
  }
  return `{${parts.join(',')}}`;
}

function onConflictUpdate(key: readonly string[], names: readonly string[]): RawBuilder<unknown> {
  const updates = names.filter((n) => !key.includes(n)).map((n) => sql`${sql.id(n)} = excluded.${sql.id(n)}`);
  const keyList = sql.join(key.map((k) => sql.id(k)));
  return updates.length === 0
    ? sql`on conflict (${keyList}) do nothing`
    : sql`on conflict (${keyList}) do update set ${sql.join(updates)}`;
}
