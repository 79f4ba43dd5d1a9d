/**
 * The parts of a run's source read side by side (a byte range of a large data file each, read by
 * its own job), kept until the run's sync step puts them together
 * (docs/architecture.md#the-csv-read-in-ranges). Format `json+gzip`: one JSON document per part.
 * Idempotent: a part read again replaces itself.
 */
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const FORMAT = 'json+gzip';
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Stores (or replaces) part `part` of `file` for the run; returns its size in bytes. */
export async function saveRunInputPart(
  db: Kysely<Database>,
  runId: string,
  file: string,
  part: number,
  content: unknown,
): Promise<number> {
  // The fastest level: a part is written once and read once, within the run.
  const bytes = await gzipAsync(JSON.stringify(content), { level: constants.Z_BEST_SPEED });
  await db
    .insertInto('run_input_parts')
    .values({ run_id: runId, file, part, format: FORMAT, content: bytes })
    .onConflict((oc) =>
      oc.columns(['run_id', 'file', 'part']).doUpdateSet((eb) => ({
        format: eb.ref('excluded.format'),
        content: eb.ref('excluded.content'),
        created_at: eb.fn('now'),
      })),
    )
    .execute();
  return bytes.byteLength;
}

/** The run's stored part `part` of `file`, decoded; undefined when it is not stored. */
export async function loadRunInputPart(
  db: Kysely<Database>,
  runId: string,
  file: string,
  part: number,
): Promise<unknown> {
  const row = await db
    .selectFrom('run_input_parts')
    .select(['format', 'content'])
    .where('run_id', '=', runId)
    .where('file', '=', file)
    .where('part', '=', part)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.format !== FORMAT)
    throw new Error(`run ${runId}: part ${part} of ${file} has format ${row.format}; this version reads ${FORMAT}`);
  return JSON.parse((await gunzipAsync(row.content)).toString('utf8')) as unknown;
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
