/**
 * The typed job catalog: queue names, each job's zod payload schema, default options and
 * deterministic job id. Producers (`attain trigger`, the scheduler, the run job adding its steps)
 * and processors (src/worker) take their types from here, so a job's shape is written once.
 *
 * Two queues: `runs` holds the orchestrating run jobs (and the nightly scheduler's tick), `steps`
 * the pipeline steps they add as children. Any worker takes any job of either: the steps hand
 * their work on through the database, never through one process's memory.
 */
import { z } from 'zod';
import type { JobsOptions } from 'bullmq';
import { AttainError } from '../src/domain/errors.js';

export const QUEUES = { runs: 'attain-runs', steps: 'attain-steps' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** The scheduler id `attain schedule` installs (one per queue prefix, so upserting it twice leaves one). */
export const NIGHTLY_SCHEDULER_ID = 'attain-nightly';
/** While a run job with this deduplication id is unfinished, enqueuing another one returns it: a trigger joins the run in flight. */
export const RUN_DEDUPLICATION_ID = 'attain-run';

/** Run ids and job ids: no `:` (BullMQ's key separator), never all digits (BullMQ's own ids). */
const jobIdPart = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected letters, digits, _ . - and no ":"')
  .refine((s) => !/^\d+$/.test(s), 'must not be all digits');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** What a finished step hands to the run's report step (small: counts, hashes, rejects). */
export const stepOutcomeSchema = z.record(z.string(), z.unknown());

/** Bytes [start, end) of a data file, starting on physical line `line` (connectors/csv/csv-ranges.ts). */
const csvRange = z
  .strictObject({
    start: z.number().int().min(0),
    end: z.number().int().min(0),
    line: z.number().int().min(1),
  })
  .refine((r) => r.start <= r.end, 'start must not be after end');
/** A data file and the ranges it is read in, one read job each. */
const rangedFile = z.strictObject({ file: z.string().min(1), ranges: z.array(csvRange).min(2) });
export type RangedFile = z.infer<typeof rangedFile>;

export const runPayload = z.strictObject({
  runId: jobIdPart,
  /** What started it: `trigger`, `schedule`, `retry`. */
  trigger: z.string().min(1),
  asOf: isoDate.optional(),
  /** Set by `attain retry`: the outcomes of the steps that had completed, by step job id; those are not run again. */
  completed: z.record(z.string(), stepOutcomeSchema).optional(),
  /** How far the run job got: kept in the job, so a run picked up after its worker died resumes there. */
  stage: z.enum(['start', 'sync', 'read', 'calculate', 'write-back', 'report']).optional(),
  /** The files read in ranges (decided in stage sync, read in stage read), for the sync step. */
  ranged: z.array(rangedFile).optional(),
  /** The rejects, hash and totals the run recorded before write-back, for its last stage. */
  recorded: stepOutcomeSchema.optional(),
});
export type RunPayload = z.infer<typeof runPayload>;

export const nightlyPayload = z.strictObject({});

export const syncPayload = z.strictObject({
  runId: jobIdPart,
  asOf: isoDate.optional(),
  /** The data files read in ranges by read jobs before this step: it puts their parts together. */
  ranged: z.array(rangedFile).optional(),
});
export type SyncPayload = z.infer<typeof syncPayload>;

/** One byte range of a csv source's data file, read side by side with the file's other ranges. */
export const readPayload = z
  .strictObject({
    runId: jobIdPart,
    file: z.string().min(1),
    part: z.number().int().min(0),
    count: z.number().int().min(2),
    range: csvRange,
  })
  .refine((p) => p.part < p.count, 'part must be below count');
export type ReadPayload = z.infer<typeof readPayload>;

/** A plan with more assigned reps than `queue.shardReps` is calculated in shards, one job each (calculate.ts `Shard`). */
const shard = z
  .strictObject({ index: z.number().int().min(0), count: z.number().int().min(2) })
  .refine((s) => s.index < s.count, 'index must be below count');
export const calculatePayload = z.strictObject({
  runId: jobIdPart,
  planId: z.string().min(1),
  shard: shard.optional(),
});
export type CalculatePayload = z.infer<typeof calculatePayload>;

/**
 * The store in parts (a csv source whose deals.csv was read in ranges): `rest` stores everything
 * but the deals and splits and removes what the snapshot no longer holds; each `{ index, count }`
 * one part of the deals with their splits. Without `part`: the whole snapshot in one job.
 */
export const storePayload = z.strictObject({ runId: jobIdPart, part: z.union([z.literal('rest'), shard]).optional() });
export type StorePayload = z.infer<typeof storePayload>;
export const writeBackPayload = z.strictObject({ runId: jobIdPart });
/**
 * The estimates of the run's open deals (docs/estimates.md), from its stored input, beside the
 * calculations: all of them, or the part `{ index, count }` of the open deals (by deal id).
 */
export const estimatesPayload = z.strictObject({ runId: jobIdPart, part: shard.optional() });

/** Finished jobs kept in Redis: enough for `attain status` to show the last runs and failures, capped so Redis does not grow. */
const retention = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
} satisfies JobsOptions;

/**
 * Temporary errors (a database restart, a CRM 5xx) are retried with exponential backoff: 5 s,
 * 10 s, 20 s, 40 s. Permanent ones (bad credentials, an invalid plan, a malformed payload) throw
 * UnrecoverableError and fail at once.
 */
const stepDefaults = {
  ...retention,
  attempts: 5,
  backoff: { type: 'exponential', delay: 5000 },
  // A step that fails for good fails its run (the run job records the reason on the run).
  failParentOnFailure: true,
} satisfies JobsOptions;

export const JOBS = {
  run: {
    queue: QUEUES.runs,
    payload: runPayload,
    defaults: { ...retention, attempts: 3, backoff: { type: 'exponential', delay: 5000 } },
  },
  nightly: {
    queue: QUEUES.runs,
    payload: nightlyPayload,
    defaults: { ...retention, attempts: 3, backoff: { type: 'exponential', delay: 5000 } },
  },
  read: { queue: QUEUES.steps, payload: readPayload, defaults: stepDefaults },
  sync: { queue: QUEUES.steps, payload: syncPayload, defaults: stepDefaults },
  store: { queue: QUEUES.steps, payload: storePayload, defaults: stepDefaults },
  calculate: { queue: QUEUES.steps, payload: calculatePayload, defaults: stepDefaults },
  estimates: { queue: QUEUES.steps, payload: estimatesPayload, defaults: stepDefaults },
  'write-back': { queue: QUEUES.steps, payload: writeBackPayload, defaults: stepDefaults },
} as const satisfies Record<string, { queue: QueueName; payload: z.ZodType; defaults: JobsOptions }>;

export type JobName = keyof typeof JOBS;
export type StepName = 'read' | 'sync' | 'store' | 'calculate' | 'estimates' | 'write-back';
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;

/**
 * `<runId>-<step>[-<planId>[-<k>of<n>]]`: the same step of the same run always has the same id, so
 * adding it twice adds it once. `<k>of<n>`: shard k (from 1) of a plan calculated in n shards. A
 * read job names its file where a calculate job names its plan: `<runId>-read-deals.csv-2of5`.
 */
export function stepJobId(
  runId: string,
  step: StepName,
  planId?: string,
  shard?: { index: number; count: number },
): string {
  if (planId === undefined) return `${runId}-${step}`;
  const id = `${runId}-${step}-${planId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  return shard === undefined ? id : `${id}-${shard.index + 1}of${shard.count}`;
}

/** A job's payload was not what its schema says (a job added by hand, or by another version). */
export class JobPayloadError extends AttainError {
  override readonly name = 'JobPayloadError';
  readonly code = 'JOB_PAYLOAD_INVALID';
}

/** Parses a job's payload against the catalog; a malformed one names the job and each bad field. */
export function parsePayload<N extends JobName>(name: N, jobId: string | undefined, data: unknown): JobPayload<N> {
  const parsed = JOBS[name].payload.safeParse(data);
  if (parsed.success) return parsed.data as JobPayload<N>;
  const issues = parsed.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
  throw new JobPayloadError(`job ${jobId ?? '(no id)'} (${name}): invalid payload: ${issues}`);
}

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}
