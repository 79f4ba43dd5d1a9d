/**
 * A run's engine input, stored so that `attain replay RUN_ID` can recompute the run later from
 * exactly what the engine was given (not from today's source files or tables), and the hash of the
 * result it gave.
 *
 * Format `json+gzip`: one JSON document, gzip'd,
 * `{ version: 1, calendar, baseCurrency, asOf?, plans, data: { reps: [...], deals: [...], … },
 *    locked?: { periods, lines: [{ …line, trace: <rendered JSON> }] }, adjustments?: [...] }`.
 * It is written record by record into the gzip stream, so a large org never becomes one string on
 * the way in; reading it back parses the whole document (V8 caps a string near 512 MB of JSON).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { constants, createGzip, gunzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import { Trace, type CalculationInput, type ManualAdjustment, type PayoutLine } from '../domain/engine.js';
import type { CanonicalData } from '../domain/model.js';
import type { Database } from './schema.js';

export const RUN_INPUTS_FORMAT = 'json+gzip';
const VERSION = 1;
/** Records per chunk handed to gzip. */
const BATCH = 1000;
const gunzipAsync = promisify(gunzip);

/**
 * Stores (or, for a retried run id, replaces) the input the engine was given. Returns the stored
 * size and the inputs hash: sha256 of the document's JSON text, computed as it is written (a
 * second serialisation of a million deals just to hash them cost 2.5 s a run).
 */
export async function saveRunInputs(
  db: Kysely<Database>,
  runId: string,
  input: CalculationInput,
): Promise<{ bytes: number; inputsHash: string }> {
  const { bytes: inputs, sha256 } = await encodeRunInputs(input);
  await db
    .insertInto('run_inputs')
    .values({ run_id: runId, format: RUN_INPUTS_FORMAT, inputs })
    .onConflict((oc) =>
      oc.column('run_id').doUpdateSet((eb) => ({
        format: eb.ref('excluded.format'),
        inputs: eb.ref('excluded.inputs'),
        created_at: eb.fn('now'),
      })),
    )
    .execute();
  return { bytes: inputs.byteLength, inputsHash: sha256 };
}

/** The stored engine input of a run, rebuilt (locked lines' traces as plain JSON); undefined when none was stored. */
export async function loadRunInputs(db: Kysely<Database>, runId: string): Promise<CalculationInput | undefined> {
  const row = await db
    .selectFrom('run_inputs')
    .select(['format', 'inputs'])
    .where('run_id', '=', runId)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.format !== RUN_INPUTS_FORMAT)
    throw new Error(`run ${runId}: stored inputs have format ${row.format}; this version reads ${RUN_INPUTS_FORMAT}`);
  return decodeRunInputs(row.inputs, runId);
}

/**
 * The latest run (by its start) that stored its engine input and is no longer running: what
 * `attain diff` recalculates. Undefined when no run stored one.
 */
export async function latestRunWithInputs(db: Kysely<Database>): Promise<string | undefined> {
  const row = await db
    .selectFrom('runs')
    .innerJoin('run_inputs', 'run_inputs.run_id', 'runs.id')
    .select('runs.id')
    .where('runs.status', '!=', 'running')
    .orderBy('runs.started_at', 'desc')
    .orderBy('runs.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** Records the hash of a run's result (jobs/calculate.ts, runResultHash). */
export async function setResultHash(db: Kysely<Database>, runId: string, hash: string): Promise<void> {
  const result = await db.updateTable('runs').set({ result_hash: hash }).where('id', '=', runId).executeTakeFirst();
  if (result.numUpdatedRows === 0n)
    throw new Error(`cannot set the result hash of run ${runId}: no such run (startRun records it first)`);
}

interface StoredInputs {
  version: number;
  calendar: CalculationInput['calendar'];
  baseCurrency: string;
  asOf?: string;
  plans: CalculationInput['plans'];
  data: CanonicalData;
  locked?: { periods: string[]; lines: (Omit<PayoutLine, 'trace'> & { trace: Record<string, unknown> })[] };
  adjustments?: ManualAdjustment[];
}

/** The gzip'd document, and the sha256 of its JSON text. */
async function encodeRunInputs(input: CalculationInput): Promise<{ bytes: Buffer; sha256: string }> {
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  const text = function* () {
    for (const piece of serialize(input)) {
      hash.update(piece);
      yield piece;
    }
  };
  await pipeline(
    Readable.from(text()),
    // The fastest level: these inputs are written on every run and read by every calculate step; size matters less.
    createGzip({ level: constants.Z_BEST_SPEED }),
    async (compressed: AsyncIterable<Buffer>) => {
      for await (const chunk of compressed) chunks.push(chunk);
    },
  );
  return { bytes: Buffer.concat(chunks), sha256: hash.digest('hex') };
}

export async function decodeRunInputs(bytes: Uint8Array, runId = '(unnamed)'): Promise<CalculationInput> {
  const stored = JSON.parse((await gunzipAsync(bytes)).toString('utf8')) as StoredInputs;
  if (stored.version !== VERSION)
    throw new Error(`run ${runId}: stored inputs are version ${stored.version}; this version reads ${VERSION}`);
  return {
    calendar: stored.calendar,
    baseCurrency: stored.baseCurrency,
    plans: stored.plans,
    data: stored.data,
    ...(stored.asOf === undefined ? {} : { asOf: stored.asOf }),
    ...(stored.locked === undefined
      ? {}
      : {
          locked: {
            periods: stored.locked.periods,
            lines: stored.locked.lines.map((line) => ({ ...line, trace: Trace.stored(line.component, line.trace) })),
          },
        }),
    ...(stored.adjustments === undefined ? {} : { adjustments: stored.adjustments }),
  };
}

/** The document in pieces: a few records per piece; a locked line's trace renders through its toJSON. */
function* serialize(input: CalculationInput): Generator<string> {
  const head = {
    version: VERSION,
    calendar: input.calendar,
    baseCurrency: input.baseCurrency,
    ...(input.asOf === undefined ? {} : { asOf: input.asOf }),
    plans: input.plans,
  };
  yield JSON.stringify(head).slice(0, -1);
  yield ',"data":{';
  let first = true;
  for (const [name, records] of Object.entries(input.data) as [string, readonly unknown[]][]) {
    yield `${first ? '' : ','}${JSON.stringify(name)}:`;
    first = false;
    yield* array(records);
  }
  yield '}';
  if (input.locked) {
    yield `,"locked":{"periods":${JSON.stringify(input.locked.periods)},"lines":`;
    yield* array(input.locked.lines);
    yield '}';
  }
  if (input.adjustments?.length) yield `,"adjustments":${JSON.stringify(input.adjustments)}`;
  yield '}';
}

function* array(records: readonly unknown[]): Generator<string> {
  yield '[';
  for (let i = 0; i < records.length; i += BATCH) {
    const part = records
      .slice(i, i + BATCH)
      .map((r) => JSON.stringify(r))
      .join(',');
    yield i === 0 ? part : `,${part}`;
  }
  yield ']';
}
