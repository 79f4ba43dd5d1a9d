/**
 * The run job, queued: it records the run in the ledger, then adds the steps as its children on the
 * steps queue (sync; one calculate per plan; write-back) and waits for each stage
 * (`moveToWaitingChildren`), and last runs the report step itself. How far it got is kept in the
 * job's data, so a run whose worker was killed resumes where it was on another worker; the steps
 * have deterministic ids (`<runId>-<step>[-<planId>]`), so adding one again adds nothing.
 *
 * A step that fails for good fails the run (`failParentOnFailure`); the step records the reason on
 * the run. `attain retry RUN_ID` adds the run job again with the outcomes of the steps that had
 * completed, which are not run again.
 */
import { WaitingChildrenError, type Job, type Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import { startRun, type Database } from '../src/db/index.js';
import { JOBS, parsePayload, stepJobId, type JobPayload, type RunPayload, type StepName } from './catalog.js';
import type { CalculateOutcome } from './calculate.js';
import { reportStep, type ReportOutcome } from './report.js';
import type { StepLog } from './step-context.js';
import type { SyncOutcome } from './sync.js';

export interface RunJobDeps {
  db: Kysely<Database>;
  workspaceDir: string;
  fiscalYearStartMonth: number;
  steps: Queue;
  log: StepLog;
}

export async function processRunJob(job: Job, token: string | undefined, deps: RunJobDeps): Promise<ReportOutcome> {
  const payload = parsePayload('run', job.id, job.data);
  const { runId } = payload;
  if (job.id !== runId) throw new Error(`run job ${job.id}: its id must be its run id (${runId})`);
  const log = deps.log;
  let stage = payload.stage ?? 'start';

  const moveTo = async (next: NonNullable<RunPayload['stage']>) => {
    stage = next;
    await job.updateData({ ...payload, stage: next });
    await job.updateProgress({ stage: next });
  };
  /** Waits for the children added so far: true when there are none left to wait for. */
  const childrenDone = async () => {
    if (!token) throw new Error('the run job needs its worker token to wait for its steps');
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
  };
  const outcomes = async (): Promise<Record<string, unknown>> => {
    const values = await job.getChildrenValues();
    const byJobId: Record<string, unknown> = { ...payload.completed };
    for (const [key, value] of Object.entries(values)) byJobId[key.slice(key.lastIndexOf(':') + 1)] = value;
    return byJobId;
  };
  const addStep = async <N extends StepName>(name: N, data: JobPayload<N>, planId?: string) => {
    const jobId = stepJobId(runId, name, planId);
    if (payload.completed?.[jobId] !== undefined) return;
    await deps.steps.add(name, data, { ...JOBS[name].defaults, jobId, parent: { id: runId, queue: job.queueQualifiedName } });
  };

  for (;;) {
    switch (stage) {
      case 'start':
        // A retry keeps the run's row (and its stored inputs, if its sync had completed).
        if (payload.completed === undefined) await startRun(deps.db, { id: runId, trigger: payload.trigger, inputsHash: '', planVersions: {} });
        else await deps.db.updateTable('runs').set({ status: 'running', error: null, finished_at: null }).where('id', '=', runId).execute();
        log.info({ stage }, `run ${runId} started (${payload.trigger})`);
        await moveTo('sync');
        break;
      case 'sync':
        await addStep('sync', { runId, ...(payload.asOf === undefined ? {} : { asOf: payload.asOf }) });
        await moveTo('calculate');
        await childrenDone();
        break;
      case 'calculate': {
        await childrenDone();
        const sync = (await outcomes())[stepJobId(runId, 'sync')] as SyncOutcome | undefined;
        if (!sync) throw new Error(`run ${runId}: the sync step left no outcome`);
        for (const planId of sync.plans) await addStep('calculate', { runId, planId }, planId);
        await moveTo('write-back');
        await childrenDone();
        break;
      }
      case 'write-back':
        await childrenDone();
        await addStep('write-back', { runId });
        await moveTo('report');
        await childrenDone();
        break;
      case 'report': {
        await childrenDone();
        const done = await outcomes();
        const sync = done[stepJobId(runId, 'sync')] as SyncOutcome;
        const calculated = sync.plans.map((planId) => done[stepJobId(runId, 'calculate', planId)] as CalculateOutcome | undefined);
        const missing = sync.plans.filter((_, i) => calculated[i] === undefined);
        if (missing.length > 0) throw new Error(`run ${runId}: no outcome of the calculate step of plan ${missing.join(', ')}`);
        return reportStep({ db: deps.db, workspaceDir: deps.workspaceDir, runId, log }, sync, calculated as CalculateOutcome[], deps.fiscalYearStartMonth);
      }
    }
  }
}
