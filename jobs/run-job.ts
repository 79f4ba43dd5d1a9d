/**
 * The run job, queued: it records the run in the ledger, then adds the steps as its children on the
 * steps queue (a csv source's large files read in ranges, side by side; sync; store, one
 * calculate per plan and the estimates, side by side; write-back), waiting for each stage
 * (`moveToWaitingChildren`), and runs the report step itself (results before write-back, the run's
 * outcome last). How far it got is kept in the job's data, so a run whose worker was killed resumes
 * where it was, on another worker; the steps have deterministic ids (`<runId>-<step>[-<planId>]`),
 * so adding one again adds nothing.
 *
 * A step that fails for good fails the run (`failParentOnFailure`) and records its reason on the
 * run. `attain retry RUN_ID` adds the run job again with the outcomes of the steps that had
 * completed, which are not run again.
 */
import { WaitingChildrenError, type Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { getRun, releaseRunLease, reopenRun, RunInProgressError, startRun, type Database } from '../src/db/index.js';
import {
  JOBS,
  parsePayload,
  stepJobId,
  type JobPayload,
  type RangedFile,
  type RunPayload,
  type StepName,
} from './catalog.js';
import { planReadRanges } from './read-range.js';
import { mergeShardOutcomes, removeUnwrittenResults, type CalculateOutcome, type Shard } from './calculate.js';
import { finishReport, recordResults, type ReportOutcome } from './report.js';
import type { StepCache, StepContext, StepLog } from './step-context.js';
import { holdQueuedLease, reconcileQueuedRuns, type QueuedLease } from './run-lease.js';
import { planVersions, workspaceOf } from './sync.js';
import {
  calculateOutcomeSchema,
  parseStepResult,
  recordedResultsSchema,
  syncOutcomeSchema,
  writeBackOutcomeSchema,
} from './step-results.js';

export interface RunJobDeps {
  db: Kysely<Database>;
  /** The database as the worker describes it (password masked): told in the run's outcome. */
  database: string;
  workspaceDir: string;
  env: NodeJS.ProcessEnv;
  steps: Queue;
  /** The runs queue: asked whether the runs left `running` are still in flight. */
  runs: Queue;
  lease: QueuedLease;
  log: StepLog;
  /**
   * The worker's cache of this run (its workspace, and the engine input its sync step stored when
   * it ran here), shared with the steps this worker runs. Default: a cache of this job's own.
   */
  cache?: StepCache;
}

export async function processRunJob(job: Job, token: string | undefined, deps: RunJobDeps): Promise<ReportOutcome> {
  const payload = parsePayload('run', job.id, job.data);
  const { runId } = payload;
  if (job.id !== runId) throw new Error(`run job ${job.id}: its id must be its run id (${runId})`);
  // The workspace is read once for this job (workspaceOf keeps it in the cache) and handed to every part;
  // on a worker that ran this run's sync step, the cache also holds the engine input it stored.
  const ctx: StepContext = {
    db: deps.db,
    workspaceDir: deps.workspaceDir,
    runId,
    env: deps.env,
    log: deps.log,
    cache: deps.cache ?? {},
  };
  let stage = payload.stage ?? 'start';

  const moveTo = async (next: NonNullable<RunPayload['stage']>, extra: Partial<RunPayload> = {}) => {
    stage = next;
    Object.assign(payload, extra, { stage: next });
    await job.updateData(payload);
    await job.updateProgress({ stage: next });
  };
  /** Waits for the children added so far (the job goes to waiting-children and comes back here). */
  const childrenDone = async () => {
    if (!token) throw new Error('the run job needs its worker token to wait for its steps');
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
  };
  const outcomes = async (): Promise<Record<string, unknown>> => {
    const byJobId: Record<string, unknown> = { ...payload.completed };
    for (const [key, value] of Object.entries(await job.getChildrenValues()))
      byJobId[key.slice(key.lastIndexOf(':') + 1)] = value;
    return byJobId;
  };
  const addStep = async <N extends StepName>(name: N, data: JobPayload<N>, planId?: string, shard?: Shard) => {
    const jobId = stepJobId(runId, name, planId, shard);
    if (payload.completed?.[jobId] !== undefined) return;
    await deps.steps.add(name, data, {
      ...JOBS[name].defaults,
      jobId,
      parent: { id: runId, queue: job.queueQualifiedName },
    });
  };
  const addSync = (ranged: RangedFile[]) =>
    addStep('sync', {
      runId,
      ...(payload.asOf === undefined ? {} : { asOf: payload.asOf }),
      ...(ranged.length > 0 ? { ranged } : {}),
    });
  const syncOutcome = async () => {
    const id = stepJobId(runId, 'sync');
    const sync = parseStepResult(syncOutcomeSchema, id, (await outcomes())[id]);
    if (!sync) throw new Error(`run ${runId}: the sync step left no outcome`);
    return sync;
  };

  /**
   * A plan's calculate outcome: its one step's, or its shards' merged once all are in, after the
   * rows no shard wrote are removed (the roll-up of a sharded plan happens here, in the run job).
   */
  const planOutcome = async (
    planId: string,
    count: number,
    done: Record<string, unknown>,
  ): Promise<CalculateOutcome | undefined> => {
    const shards = shardsOf(count).map((shard) => {
      const id = stepJobId(runId, 'calculate', planId, shard);
      return parseStepResult(calculateOutcomeSchema, id, done[id]);
    });
    if (shards.some((s) => s === undefined)) return undefined;
    if (count === 1) return shards[0];
    const workspace = await workspaceOf(ctx);
    const removed = await removeUnwrittenResults(
      deps.db,
      runId,
      planId,
      workspace.config.calendar.fiscalYearStartMonth,
    );
    const merged = mergeShardOutcomes(planId, shards as CalculateOutcome[]);
    deps.log.info(
      { step: 'calculate', planId, shards: count, lines: merged.plans[0]!.lines, removed },
      `plan ${planId}: ${count} shards, ${merged.plans[0]!.lines} payout lines${removed ? `, ${removed} lines of an earlier run removed` : ''}`,
    );
    return merged;
  };

  const recordRun = async () => {
    const workspace = await workspaceOf(ctx);
    await startRun(deps.db, {
      id: runId,
      trigger: payload.trigger,
      inputsHash: 'pending',
      planVersions: planVersions(workspace.plans),
    });
  };

  // One run at a time per database, whichever runner: the run takes the database's run lease as it
  // starts (after marking failed the runs whose holder is gone), and holds it to the end.
  if (stage === 'start') {
    await reconcileQueuedRuns({ db: deps.db, backend: 'postgres' }, deps.runs, deps.lease.prefix);
    const outcome = await holdQueuedLease(deps.db, deps.lease, runId, { starting: true });
    if (!outcome.acquired) {
      const { lease } = outcome;
      // Recorded, so that attain status shows the refusal (the worker marks it failed with this reason).
      if (!(await getRun(deps.db, runId))) await recordRun();
      throw new RunInProgressError(
        `the database is busy with run ${lease.runId} (${lease.runner === 'queue' ? 'queued' : 'in process'}: ${lease.holder}, started ${lease.acquiredAt.toISOString()}); run this one again when it has finished`,
      );
    }
  } else {
    await holdQueuedLease(deps.db, deps.lease, runId);
  }

  for (;;) {
    switch (stage) {
      case 'start':
        if (payload.completed === undefined) {
          await recordRun();
        } else {
          // A retry keeps the run's row and what its completed steps stored.
          await reopenRun(deps.db, runId);
        }
        deps.log.info({ stage }, `run ${runId} started (${payload.trigger})`);
        await moveTo('sync');
        break;
      case 'sync': {
        // A csv source's large files are read in ranges first, side by side; the sync step puts them together.
        const ranged = await planReadRanges(await workspaceOf(ctx));
        if (ranged.length === 0) {
          await addSync([]);
          await moveTo('calculate');
        } else {
          for (const { file, ranges } of ranged) {
            for (const [part, range] of ranges.entries()) {
              const count = ranges.length;
              await addStep('read', { runId, file, part, count, range }, file, { index: part, count });
            }
          }
          await moveTo('read', { ranged });
        }
        await childrenDone();
        break;
      }
      case 'read':
        await childrenDone();
        await addSync(payload.ranged ?? []);
        await moveTo('calculate');
        await childrenDone();
        break;
      case 'calculate': {
        await childrenDone();
        // Store (whole, or in parts) and the calculations all read the run's inputs, not each other's writes: they run side by side.
        const sync = await syncOutcome();
        if (sync.storeParts === undefined) {
          await addStep('store', { runId });
        } else {
          await addStep('store', { runId, part: 'rest' }, 'rest');
          for (const part of shardsOf(sync.storeParts)) await addStep('store', { runId, part }, 'deals', part);
        }
        for (const planId of sync.plans) {
          for (const shard of shardsOf(sync.shards?.[planId] ?? 1))
            await addStep('calculate', { runId, planId, ...(shard && { shard }) }, planId, shard);
        }
        // The estimates of open deals read the same stored input: beside them (in parts, many open
        // deals), before the write-back sends them.
        for (const part of shardsOf(sync.estimateParts ?? 1))
          await addStep('estimates', { runId, ...(part && { part }) }, part && 'open', part);
        await moveTo('write-back');
        await childrenDone();
        break;
      }
      case 'write-back': {
        await childrenDone();
        const done = await outcomes();
        const sync = await syncOutcome();
        const calculated = await Promise.all(
          sync.plans.map((planId) => planOutcome(planId, sync.shards?.[planId] ?? 1, done)),
        );
        const missing = sync.plans.filter((_, i) => calculated[i] === undefined);
        if (missing.length > 0)
          throw new Error(`run ${runId}: no outcome of the calculate step of plan ${missing.join(', ')}`);
        const recorded = await recordResults(ctx, sync, calculated as CalculateOutcome[]);
        await addStep('write-back', { runId });
        await moveTo('report', { recorded: recorded as unknown as Record<string, unknown> });
        await childrenDone();
        break;
      }
      case 'report': {
        await childrenDone();
        const id = stepJobId(runId, 'write-back');
        const writeback = parseStepResult(writeBackOutcomeSchema, id, (await outcomes())[id]);
        const recorded = parseStepResult(recordedResultsSchema, `run ${runId} (recorded)`, payload.recorded);
        if (!writeback || !recorded) throw new Error(`run ${runId}: the write-back step left no outcome`);
        const outcome = await finishReport(ctx, await syncOutcome(), recorded, writeback);
        await releaseRunLease(deps.db, runId);
        return { ...outcome, database: deps.database };
      }
    }
  }
}

/** A plan's calculate steps: one, unsharded (`undefined`), or `count` shards. */
function shardsOf(count: number): (Shard | undefined)[] {
  return count === 1 ? [undefined] : Array.from({ length: count }, (_, index) => ({ index, count }));
}
