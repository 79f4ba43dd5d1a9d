/**
 * A queued run and the database's run lease (src/db/run-lease.ts): the run job takes it when the
 * run starts, every later stage and step checks it still holds it (and stops with RunEndedError
 * when it does not), the workers renew it while they run the run's jobs, and whoever can see the
 * queue (the workers, `attain status`) marks failed the runs whose jobs are gone from it.
 */
import { hostname } from 'node:os';
import { Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import {
  acquireRunLease,
  reconcileRuns,
  renewRunLease,
  type AttainDb,
  type Database,
  type LeaseOutcome,
  type RunVerdict,
} from '../src/db/index.js';

/** How long a queued run's lease lasts unless a worker renews it (`ATTAIN_RUN_LEASE_MS`, default 2 minutes). */
export function runLeaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env['ATTAIN_RUN_LEASE_MS']);
  return Number.isFinite(ms) && ms > 0 ? ms : 120_000;
}

export interface QueuedLease {
  prefix: string;
  ttlMs: number;
}

/** Takes (the run's start) or checks and renews (every later stage and step) a queued run's lease. */
export function holdQueuedLease(
  db: Kysely<Database>,
  lease: QueuedLease,
  runId: string,
  options: { starting?: boolean } = {},
): Promise<LeaseOutcome> {
  return acquireRunLease(db, {
    runId,
    runner: 'queue',
    holder: `queue ${lease.prefix}, worker pid ${process.pid} on ${hostname()}`,
    queuePrefix: lease.prefix,
    ttlMs: lease.ttlMs,
    embedded: false,
    requireRunning: !options.starting,
  });
}

/** Renews a run's lease every third of its length until stopped: while a worker runs one of the run's jobs. */
export function keepRenewing(
  db: Kysely<Database>,
  lease: QueuedLease,
  runId: string,
  onError: (error: unknown) => void,
): () => void {
  const timer = setInterval(
    () => void renewRunLease(db, runId, lease.ttlMs).catch(onError),
    Math.max(250, Math.floor(lease.ttlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The queue's word on a `running` run: `alive` while its run job is unfinished (waiting for a worker
 * counts), the reason when the job failed or is gone from the queue. A run whose lease names
 * another runner or queue prefix is not this queue's to judge.
 */
export function queueVerdict(runs: Queue, prefix: string): RunVerdict {
  return async (runId, lease) => {
    if (lease && (lease.runner !== 'queue' || lease.queuePrefix !== prefix)) return undefined;
    const state = await runs.getJobState(runId);
    if (state === 'unknown')
      return lease
        ? `its run job is gone from the queue ${prefix} (Redis lost it: flushed, or restarted without its data)`
        : undefined;
    if (state === 'failed') {
      const job = await Job.fromId(runs, runId);
      return `its run job failed: ${job?.failedReason || 'no reason recorded'}`;
    }
    if (state === 'completed') return 'its run job completed without recording the run';
    return 'alive';
  };
}

/** Marks failed every `running` run whose holder is gone, asking the queue first. */
export function reconcileQueuedRuns(
  database: Pick<AttainDb, 'db' | 'backend'>,
  runs: Queue,
  prefix: string,
): Promise<{ runId: string; reason: string }[]> {
  return reconcileRuns(database.db, { embedded: database.backend === 'pglite', verdict: queueVerdict(runs, prefix) });
}
