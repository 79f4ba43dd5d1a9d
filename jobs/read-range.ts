/**
 * The read step: one byte range of a csv source's large data file, read on any worker side by side
 * with the file's other ranges, its part (records, lines, rejects, duplicate keys) stored with the
 * run until the sync step puts the parts together (docs/architecture.md#the-csv-read-in-ranges).
 *
 * Which files are read in ranges, and where each range starts, is decided once per run by
 * {@link planReadRanges} in the run job: one light pass over each large file that follows quotes,
 * so that no range starts inside a quoted field and each knows the line it starts on.
 *
 * Idempotent: a range read again replaces its part.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from '../config/workspace.js';
import { planCsvRanges, type CsvRange } from '../connectors/csv/csv-ranges.js';
import { CSV_PART_FORMAT, decodeCsvPart, encodeCsvPart } from '../connectors/csv/csv-part-codec.js';
import { CSV_SOURCE_FILES, readCsvRange, type CsvPart } from '../connectors/csv/csv-source.js';
import { sourceOf } from '../connectors/registry.js';
import { loadRunInputPart, RunInputPartFormatError, saveRunInputPart } from '../src/db/index.js';
import type { RangedFile, ReadPayload } from './catalog.js';
import type { StepContext } from './step-context.js';
import { workspaceOf } from './sync.js';

/**
 * Bytes per range when attain.yaml does not say (`queue.csvRangeBytes`): about 50,000 deals of the
 * bench org's deals.csv. Each range costs a job, a stored part and a read of the file's header;
 * below a few megabytes that costs more than reading side by side saves.
 */
export const DEFAULT_CSV_RANGE_BYTES = 4 * 1024 * 1024;

export interface ReadOutcome {
  records: number;
  rejects: number;
}

/**
 * The data files of a csv source larger than `queue.csvRangeBytes`, each with its ranges. Empty
 * for a CRM source (its few csv files are read by its sync step) and when every file is small.
 */
export async function planReadRanges(workspace: Workspace): Promise<RangedFile[]> {
  const source = sourceOf(workspace.config);
  if (source.connect) return [];
  const rangeBytes = workspace.config.queue?.csvRangeBytes ?? DEFAULT_CSV_RANGE_BYTES;
  const dir = csvDir(workspace);
  const ranged: RangedFile[] = [];
  for (const { file } of CSV_SOURCE_FILES) {
    if (source.files && !source.files.includes(file)) continue;
    const path = join(dir, file);
    const size = await stat(path).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
    if (size <= rangeBytes) continue;
    const ranges = await planCsvRanges(path, rangeBytes);
    if (ranges.length > 1) ranged.push({ file, ranges });
  }
  return ranged;
}

/** The read step: one range read and its part stored. */
export async function readStep(ctx: StepContext, payload: ReadPayload): Promise<ReadOutcome> {
  const workspace = await workspaceOf(ctx);
  const stored = await readPart(workspace, payload.file, payload.range);
  const { part, ...stamp } = stored;
  const content = await encodeCsvPart(part, stamp);
  const bytes = await saveRunInputPart(ctx.db, ctx.runId, payload.file, payload.part, CSV_PART_FORMAT, content);
  if (ctx.cache) (ctx.cache.csvParts ??= new Map()).set(partKey(payload.file, payload.part), stored);
  const outcome = { records: part.records.length, rejects: part.rejects.length };
  ctx.log.info(
    { step: 'read', file: payload.file, part: payload.part + 1, of: payload.count, bytes },
    `${payload.file} range ${payload.part + 1} of ${payload.count} from line ${payload.range.line}: ` +
      `${outcome.records} records, ${outcome.rejects} rejects${part.error ? `; ${part.error.message}` : ''}`,
  );
  return outcome;
}

/**
 * A part as a read step stored it: the range it read, and the file as it was then (size and
 * modification time), so that the sync step never puts together parts of a file that changed
 * meanwhile (or since a failed run's read steps, when `attain retry` runs it again).
 */
export interface StoredPart {
  range: CsvRange;
  size: number;
  mtimeMs: number;
  part: CsvPart;
}

/**
 * The parts of the files read in ranges, by file, in order: those this worker read as it read
 * them, the others as the read steps stored them (fetched and unzipped side by side), or read here
 * when one is not stored (removed once an earlier attempt of this step stored the inputs). A file
 * that is not as its parts were read (changed since, or ranges planned on another version of it)
 * is left out: the sync step reads it whole, as it is now.
 */
export async function loadParts(
  ctx: StepContext,
  workspace: Workspace,
  ranged: readonly RangedFile[],
): Promise<Map<string, CsvPart[]>> {
  const parts = new Map<string, CsvPart[]>();
  for (const { file, ranges } of ranged) {
    const now = await stampOf(join(csvDir(workspace), file)).catch(() => GONE);
    const read = await Promise.all(
      ranges.map(async (range, index) => {
        const cached = ctx.cache?.csvParts?.get(partKey(file, index));
        if (cached) return cached;
        return (await loadStoredPart(ctx, file, index)) ?? (await readPart(workspace, file, range));
      }),
    );
    const asPlanned = read.every(
      (stored, index) =>
        stored.size === now.size &&
        stored.mtimeMs === now.mtimeMs &&
        sameRange(stored.range, ranges[index]!) &&
        ranges.at(-1)!.end === now.size,
    );
    if (asPlanned)
      parts.set(
        file,
        read.map((stored) => stored.part),
      );
    else ctx.log.warn({ step: 'sync', file }, `${file} changed while the run read it in ranges: read whole`);
  }
  if (ctx.cache) delete ctx.cache.csvParts;
  return parts;
}

/** A part as the read step stored it; undefined when it is not stored, or stored by another version of Attain. */
async function loadStoredPart(ctx: StepContext, file: string, index: number): Promise<StoredPart | undefined> {
  try {
    const content = await loadRunInputPart(ctx.db, ctx.runId, file, index, CSV_PART_FORMAT);
    if (content === undefined) return undefined;
    const { part, head } = await decodeCsvPart<Omit<StoredPart, 'part'>>(content);
    return { ...head, part };
  } catch (error) {
    if (!(error instanceof RunInputPartFormatError)) throw error;
    ctx.log.warn({ step: 'sync', file, part: index + 1 }, `${error.message}: read again here`);
    return undefined;
  }
}

function sameRange(a: CsvRange, b: CsvRange): boolean {
  return a.start === b.start && a.end === b.end && a.line === b.line;
}

function partKey(file: string, part: number): string {
  return `${file}#${part}`;
}

async function stampOf(path: string): Promise<{ size: number; mtimeMs: number }> {
  const { size, mtimeMs } = await stat(path);
  return { size, mtimeMs };
}

/** A file that cannot be read: no part matches it, and the sync step's whole read says why. */
const GONE = { size: -1, mtimeMs: -1 };

/** One range read, with the file's size and modification time as they were before reading it. */
export async function readPart(workspace: Workspace, file: string, range: CsvRange): Promise<StoredPart> {
  const { config } = workspace;
  const dir = csvDir(workspace);
  const stamp = await stampOf(join(dir, file)).catch(() => GONE);
  const part = await readCsvRange(dir, file, range, {
    tz: config.calendar.tz,
    maxRecordChars: config.limits.csvRecordChars,
  });
  return { range, ...stamp, part };
}

function csvDir(workspace: Workspace): string {
  return join(workspace.dir, workspace.config.source.csv.dir);
}
