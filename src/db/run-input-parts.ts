/**
 * The parts of a run's source read side by side (a byte range of a large data file each, read by
 * its own job), kept until the run's sync step puts them together
 * (docs/architecture.md#the-csv-read-in-ranges). The caller encodes a part and names its format
 * (connectors/csv/csv-part-codec.ts); a part is read back only in the format asked for.
 * Idempotent: a part read again replaces itself.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * A stored part is in a format other than the one asked for: written by another version of Attain
 * (parts live only while their run syncs, so none is ever converted). The sync step reads that
 * range itself instead.
 */
export class RunInputPartFormatError extends Error {
  override readonly name = 'RunInputPartFormatError';
}

/** Stores (or replaces) part `part` of `file` for the run, encoded in `format`; returns its size in bytes. */
export async function saveRunInputPart(
  db: Kysely<Database>,
  runId: string,
  file: string,
  part: number,
  format: string,
  content: Uint8Array,
): Promise<number> {
  await db
    .insertInto('run_input_parts')
    .values({ run_id: runId, file, part, format, content })
    .onConflict((oc) =>
      oc.columns(['run_id', 'file', 'part']).doUpdateSet((eb) => ({
        format: eb.ref('excluded.format'),
        content: eb.ref('excluded.content'),
        created_at: eb.fn('now'),
      })),
    )
    .execute();
  return content.byteLength;
}

/**
 * The bytes of the run's stored part `part` of `file`; undefined when it is not stored. Throws a
 * {@link RunInputPartFormatError} when the part is stored in another format than `format`.
 */
export async function loadRunInputPart(
  db: Kysely<Database>,
  runId: string,
  file: string,
  part: number,
  format: string,
): Promise<Uint8Array | undefined> {
  const row = await db
    .selectFrom('run_input_parts')
    .select(['format', 'content'])
    .where('run_id', '=', runId)
    .where('file', '=', file)
    .where('part', '=', part)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.format !== format) {
    throw new RunInputPartFormatError(
      `run ${runId}: part ${part + 1} of ${file} is stored as ${row.format}, by another version of Attain; this version reads ${format}`,
    );
  }
  return row.content;
}

/**
 * Removes the run's parts (once its engine input is stored), and any left by runs no longer
 * running (a run that failed before its sync step completed; retried, its sync step reads a
 * missing part's range itself).
 */
export async function deleteRunInputParts(db: Kysely<Database>, runId: string): Promise<void> {
  await db
    .deleteFrom('run_input_parts')
    .where((eb) =>
      eb.or([
        eb('run_id', '=', runId),
        eb('run_id', 'in', eb.selectFrom('runs').select('id').where('status', '!=', 'running')),
      ]),
    )
    .execute();
}
