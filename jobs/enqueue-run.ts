/**
 * Enqueuing a run: `attain trigger`, the nightly scheduler's tick and `attain retry` all come here.
 * At most one run is in flight per queue prefix: the run job carries a fixed deduplication id, and
 * while a run job with it is unfinished, BullMQ (atomically, in one script) returns that job
 * instead of adding another, so a trigger during a run joins it.
 */
import type { Job, Queue } from 'bullmq';
import { JOBS, RUN_DEDUPLICATION_ID, parsePayload, type RunPayload } from './catalog.js';

export interface EnqueuedRun {
  runId: string;
  /** True when a run was already in flight and this request joined it. */
  joined: boolean;
}

export async function enqueueRun(runs: Queue, payload: RunPayload): Promise<EnqueuedRun> {
  const data = parsePayload('run', payload.runId, payload);
  const job: Job = await runs.add('run', data, {
    ...JOBS.run.defaults,
    jobId: data.runId,
    deduplication: { id: RUN_DEDUPLICATION_ID },
  });
  const runId = job.id ?? data.runId;
  return { runId, joined: runId !== data.runId };
}

/** A scheduled run's id, from the time it was scheduled for: a retried tick enqueues the same run. */
export function scheduledRunId(scheduledMillis: number): string {
  const stamp = new Date(scheduledMillis)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-nightly`;
}

/** The nightly tick: enqueues the run (or joins the one in flight). Scheduler job ids end in the millisecond they were scheduled for. */
export async function processNightlyJob(job: Job, runs: Queue): Promise<EnqueuedRun> {
  parsePayload('nightly', job.id, job.data);
  const scheduled = Number(job.id?.split(':').pop());
  const runId = scheduledRunId(Number.isFinite(scheduled) && scheduled > 0 ? scheduled : job.timestamp);
  return enqueueRun(runs, { runId, trigger: 'schedule' });
}
