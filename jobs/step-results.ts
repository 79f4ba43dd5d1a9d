/**
 * The schemas of what the steps return: a step's return value crosses Redis (BullMQ keeps it as
 * JSON) to the run job, and the run job's to `attain trigger --wait` / `attain run` on a queue.
 * Read back, each is parsed like a job's payload (catalog.ts), so a value written by another
 * version of Attain, or by hand, is named and refused instead of read as something it is not.
 */
import { z } from 'zod';
import { AttainError } from '../src/domain/errors.js';
import type { CalculateOutcome } from './calculate.js';
import type { EstimatesOutcome } from './estimates.js';
import type { RecordedResults, ReportOutcome } from './report.js';
import type { SyncOutcome } from './sync.js';
import type { WriteBackOutcome } from './write-back-step.js';

const count = z.number().int().min(0);
const reject = z.object({ source: z.string(), recordId: z.string(), reason: z.string() });
const totals = z.array(z.object({ period: z.string(), currency: z.string(), amount: z.string() }));

export const syncOutcomeSchema = z.object({
  reps: count,
  deals: count,
  plans: z.array(z.string()),
  shards: z.record(z.string(), z.number().int().min(2)).optional(),
  sourceRejects: count,
  stoppedEarly: z.string().optional(),
  lockedPeriods: z.array(z.string()).optional(),
  storeParts: z.number().int().min(2).optional(),
  estimateParts: z.number().int().min(2).optional(),
});

export const calculateOutcomeSchema = z.object({
  asOf: z.string().optional(),
  plans: z.array(
    z.object({
      planId: z.string(),
      lines: count,
      attainment: count,
      hash: z.string(),
      digest: z.object({ lines: count, attainment: count, sum: z.string().regex(/^[0-9a-f]{64}$/) }),
      totals,
    }),
  ),
  engineRejects: count,
});

const writebackSummary = z.object({ sent: count, unchanged: count, removed: count });

export const writeBackOutcomeSchema = z.object({ summary: writebackSummary.optional(), detail: z.string() });

export const estimatesOutcomeSchema = z.object({ estimates: count, deals: count });

export const recordedResultsSchema = z.object({
  asOf: z.string().optional(),
  lines: count,
  rejects: count,
  // A few rejects for the summary; all of them are in the database (only counts cross Redis).
  rejectSample: z.array(reject).max(20),
  resultHash: z.string(),
  totals,
  planTotals: z
    .array(z.object({ planId: z.string(), period: z.string(), currency: z.string(), amount: z.string() }))
    .optional(),
  approvalsVoided: z
    .array(
      z.object({
        period: z.string(),
        planId: z.string().nullable(),
        approvedBy: z.string(),
        changes: z.array(z.object({ key: z.string(), approved: z.string().nullable(), now: z.string().nullable() })),
      }),
    )
    .optional(),
});

export const reportOutcomeSchema = recordedResultsSchema.extend({
  runId: z.string(),
  reps: count,
  deals: count,
  writeback: writebackSummary.optional(),
  stoppedEarly: z.string().optional(),
  lockedPeriods: z.array(z.string()).optional(),
  database: z.string().optional(),
});

// Each schema reads back exactly the type its step returns (checked by the compiler).
const _schemas: [
  z.ZodType<SyncOutcome>,
  z.ZodType<CalculateOutcome>,
  z.ZodType<WriteBackOutcome>,
  z.ZodType<EstimatesOutcome>,
  z.ZodType<RecordedResults>,
  z.ZodType<ReportOutcome>,
] = [
  syncOutcomeSchema,
  calculateOutcomeSchema,
  writeBackOutcomeSchema,
  estimatesOutcomeSchema,
  recordedResultsSchema,
  reportOutcomeSchema,
];
void _schemas;

/**
 * And no key of a type is missing from its schema: zod drops keys it does not know, so a field
 * added to a step's outcome and not here would vanish on the way through Redis.
 */
type KeysCovered<Type, Schema extends z.ZodType> =
  Exclude<keyof Type, keyof z.infer<Schema>> extends never ? true : Exclude<keyof Type, keyof z.infer<Schema>>;
const _keys: [
  KeysCovered<SyncOutcome, typeof syncOutcomeSchema>,
  KeysCovered<CalculateOutcome, typeof calculateOutcomeSchema>,
  KeysCovered<WriteBackOutcome, typeof writeBackOutcomeSchema>,
  KeysCovered<EstimatesOutcome, typeof estimatesOutcomeSchema>,
  KeysCovered<RecordedResults, typeof recordedResultsSchema>,
  KeysCovered<ReportOutcome, typeof reportOutcomeSchema>,
] = [true, true, true, true, true, true];
void _keys;

/** A step's stored outcome is not what its schema says. */
export class StepResultError extends AttainError {
  override readonly name = 'StepResultError';
  readonly code = 'STEP_RESULT_INVALID';
}

/** Parses a step's outcome read back from the queue; undefined stays undefined (the step has not completed). */
export function parseStepResult<T>(schema: z.ZodType<T>, what: string, value: unknown): T | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(value)'}: ${i.message}`)
    .join('; ');
  throw new StepResultError(`${what}: invalid outcome: ${issues}`);
}
