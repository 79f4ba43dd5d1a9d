/**
 * The queue's commands: `attain worker`, `attain schedule`, `attain trigger`,
 * `attain status`, `attain retry`. Redis unreachable: exit 3, naming host and port and the cause,
 * the password masked. How the pipeline runs on the queue: jobs/run-job.ts.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
// BullMQ and the worker load when a queue command runs, not with every command (docs/cli.md).
import type { Job, Queue } from 'bullmq';
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { ParseOptions } from '../../config/attain-schema.js';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { NIGHTLY_SCHEDULER_ID, JOBS, QUEUES, type RunPayload } from '../../jobs/catalog.js';
import { enqueueRun, scheduledRunId } from '../../jobs/enqueue-run.js';
import type { ReportOutcome } from '../../jobs/report.js';
import {
  RedisUnavailableError,
  checkReachable,
  connectRedis,
  queuePrefix,
  redisTarget,
  type RedisTarget,
} from '../../jobs/queue-connection.js';
import { newRunId, runSummaryOf } from '../../jobs/run.js';
import { parseStepResult, reportOutcomeSchema } from '../../jobs/step-results.js';
import { openWorkspaceDatabase } from '../../jobs/workspace-database.js';
import { getRun, listRecentRuns } from '../db/index.js';
import { DEFAULT_METRICS_PORT } from '../worker/metrics-server.js';
import type { startWorker } from '../worker/worker-process.js';
import { checkAsOf, CliError, ExitCode } from './exit-codes.js';
import { writeVoidedApprovals } from './pay-cycle-commands.js';
import { printableLines } from './printable.js';
import { writeRunSummary } from './run-output.js';

interface Io {
  out: Writable;
  err: Writable;
}

/** Adds the queue's commands to `program`; each sets the exit status through `setExit`. */
export function addQueueCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const dir = () => resolve(program.opts<{ workspace: string }>().workspace);
  const action =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      setExit(await fn(...args));

  program
    .command('worker')
    .description('take run and step jobs from the queue (Redis); stop with SIGTERM or Ctrl-C')
    .option('--concurrency <n>', 'jobs run at once per queue', '1')
    .option('--port <port>', 'port of /healthz and /metrics (default: the first free one from 9464)')
    .option('--host <address>', 'address of /healthz and /metrics (default 127.0.0.1; 0.0.0.0: every interface)')
    .option('--allow-eviction', "start even if Redis's maxmemory-policy is not noeviction (it may lose jobs)")
    .action(action((options: WorkerCliOptions) => worker(dir(), options, io)));

  program
    .command('schedule')
    .description(
      'install the nightly run (schedule.cron and schedule.tz of attain.yaml) on the queue; again to update it',
    )
    .option('--remove', 'remove the nightly run')
    .action(action((options: { remove?: boolean }) => schedule(dir(), options, io.out)));

  program
    .command('trigger')
    .description('enqueue a run now (or join the one in flight) and print its id')
    .option('--wait', 'follow the run until it ends; exit 1 if it fails')
    .option('--as-of <date>', 'last day to calculate, YYYY-MM-DD')
    .action(action((options: { wait?: boolean; asOf?: string }) => trigger(dir(), options, io)));

  program
    .command('status')
    .description('the queues, the last runs, failures with their reasons, and how to retry')
    .action(action(() => status(dir(), io.out)));

  program
    .command('retry')
    .description('run the failed steps of a failed run again (the steps that completed are kept)')
    .argument('<run-id>', 'the failed run')
    .option('--wait', 'follow the run until it ends')
    .action(action((runId: string, options: { wait?: boolean }) => retry(dir(), runId, options, io)));
}

interface WorkerCliOptions {
  concurrency: string;
  port?: string;
  host?: string;
  allowEviction?: boolean;
}

async function worker(dir: string, options: WorkerCliOptions, io: Io): Promise<number> {
  const concurrency = Number(options.concurrency);
  // An explicit port (--port, ATTAIN_METRICS_PORT) is taken or the worker stops; the default falls back to the next free one.
  const given = options.port ?? process.env['ATTAIN_METRICS_PORT'];
  const port = Number(given ?? DEFAULT_METRICS_PORT);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new CliError(`--concurrency ${options.concurrency}: expected a whole number ≥ 1`, ExitCode.usage);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port ${given}: expected a port number (0 picks a free one)`, ExitCode.usage);
  const host = options.host ?? process.env['ATTAIN_METRICS_HOST'];
  // Listening before the worker starts: a signal during start-up stops it once it is up.
  let running: Awaited<ReturnType<typeof startWorker>> | undefined;
  let signals = 0;
  const stop = () => {
    if (!running || signals === 0) return;
    running.logger.info(
      { signals },
      signals === 1 ? 'shutting down (a second signal stops at once)' : 'stopping at once',
    );
    void running.close(signals > 1);
  };
  const onSignal = () => {
    signals += 1;
    stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const worker = await import('../worker/worker-process.js');
    running = await worker.startWorker({
      workspaceDir: dir,
      concurrency,
      metrics: { port, fallback: given === undefined, host },
      allowEviction: options.allowEviction ?? false,
      env: process.env,
      out: io.out,
    });
    stop();
    await running.closed;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return ExitCode.ok;
}

/**
 * How the commands that only talk to the queue read attain.yaml: the CRM's credentials may be
 * unset where they run (a cron host, an admin's laptop), since only the workers use them.
 */
export const QUEUE_ONLY: ParseOptions = { unsetAllowed: (path) => path.startsWith('source.') };

/** A producer's connection to the workspace's queue, checked reachable first (exit 3 otherwise). */
async function withQueue<T>(
  dir: string,
  fn: (runs: Queue, steps: Queue, workspace: Workspace, target: RedisTarget) => Promise<T>,
): Promise<T> {
  const workspace = await loadWorkspace(dir, process.env, QUEUE_ONLY);
  const target = redisTarget(workspace);
  await checkReachable(target);
  let lastError: Error | undefined;
  const connection: Redis = connectRedis(target, 'producer', (error) => (lastError = error));
  try {
    await connection.connect();
  } catch (error) {
    connection.disconnect();
    throw new RedisUnavailableError(
      `cannot reach Redis at ${target.hostPort} (${target.masked}): ${(lastError ?? (error as Error)).message}`,
    );
  }
  const prefix = queuePrefix();
  const { Queue } = await import('bullmq');
  const runs = new Queue(QUEUES.runs, { connection, prefix });
  const steps = new Queue(QUEUES.steps, { connection, prefix });
  runs.on('error', () => undefined);
  steps.on('error', () => undefined);
  try {
    return await fn(runs, steps, workspace, target);
  } finally {
    await Promise.all([runs.close(), steps.close()]);
    connection.disconnect();
  }
}

async function schedule(dir: string, options: { remove?: boolean }, out: Writable): Promise<number> {
  return withQueue(dir, async (runs, _steps, workspace) => {
    if (options.remove) {
      const removed = await runs.removeJobScheduler(NIGHTLY_SCHEDULER_ID);
      out.write(removed ? 'nightly run removed\n' : 'no nightly run was installed\n');
      return ExitCode.ok;
    }
    const { schedule: nightly } = workspace.config;
    if (!nightly) {
      throw new CliError(
        `${workspace.dir}/attain.yaml: no schedule: add schedule: { cron: "0 2 * * *", tz: America/New_York } to install the nightly run`,
        ExitCode.usage,
      );
    }
    // A tick that fell due while no worker ran is still waiting; upserting would replace it with the
    // next one and the night would be skipped without a word. Enqueue its run first.
    const overdue = (await runs.getJobScheduler(NIGHTLY_SCHEDULER_ID))?.next;
    if (overdue !== undefined && overdue <= Date.now()) {
      const { runId, joined } = await enqueueRun(runs, { runId: scheduledRunId(overdue), trigger: 'schedule' });
      out.write(
        `the nightly run due at ${new Date(overdue).toISOString()} has not run (no worker took it): ` +
          `${joined ? `the run in flight, ${runId}, covers it` : `queued now as ${runId}`}; start a worker (attain worker) to run it\n`,
      );
    }
    // Upserting by a fixed id: running `attain schedule` again replaces the schedule, never adds a second.
    await runs.upsertJobScheduler(
      NIGHTLY_SCHEDULER_ID,
      { pattern: nightly.cron, tz: nightly.tz },
      { name: 'nightly', data: {}, opts: JOBS.nightly.defaults },
    );
    const installed = await runs.getJobScheduler(NIGHTLY_SCHEDULER_ID);
    const next = installed?.next === undefined ? '' : `; next at ${new Date(installed.next).toISOString()}`;
    out.write(
      `nightly run scheduled: cron "${nightly.cron}" in ${nightly.tz}${next} (workers run it: attain worker)\n`,
    );
    return ExitCode.ok;
  });
}

async function trigger(dir: string, options: { wait?: boolean; asOf?: string }, io: Io): Promise<number> {
  checkAsOf(options.asOf);
  return withQueue(dir, async (runs, steps) => {
    const payload: RunPayload = {
      runId: newRunId(),
      trigger: 'trigger',
      ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    };
    const { runId, joined } = await enqueueRun(runs, payload);
    io.out.write(joined ? `${runId}: a run was in flight; joined it\n` : `${runId}: queued\n`);
    return options.wait ? follow(runs, steps, runId, io) : ExitCode.ok;
  });
}

/**
 * `attain run` in a workspace whose attain.yaml sets `queue.redisUrl`: the run goes
 * through the queue, as `attain trigger --wait`, so that it is one of the workers' runs and never
 * a second one beside them. With no worker connected it would wait forever: it says so instead.
 */
export async function runOnQueue(dir: string, options: { asOf?: string; strict?: boolean }, io: Io): Promise<number> {
  return withQueue(dir, async (runs, steps, _workspace, target) => {
    // CLIENT LIST, which this needs, may be refused by a managed Redis: then trust that workers run.
    const workers = await runs.getWorkersCount().catch(() => undefined);
    if (workers === 0) {
      throw new CliError(
        `attain.yaml sets queue.redisUrl, so attain run goes through the queue, but no attain worker is connected to ${target.hostPort}: ` +
          'start one (attain worker), or run in this process with attain run --in-process',
        ExitCode.failed,
      );
    }
    const { runId, joined } = await enqueueRun(runs, {
      runId: newRunId(),
      trigger: 'cli',
      ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    });
    io.out.write(joined ? `${runId}: a run was in flight; joined it\n` : `${runId}: queued\n`);
    const code = await follow(runs, steps, runId, io, (outcome) => {
      if (options.strict && outcome.rejects > 0) {
        io.err.write(`--strict: ${outcome.rejects} record${outcome.rejects === 1 ? ' was' : 's were'} rejected\n`);
        return ExitCode.failed;
      }
      return ExitCode.ok;
    });
    return code;
  });
}

/** Follows a run job until it ends, printing each step as it finishes; its outcome decides the exit status. */
async function follow(
  runs: Queue,
  steps: Queue,
  runId: string,
  io: Io,
  judge: (outcome: ReportOutcome) => number = () => ExitCode.ok,
): Promise<number> {
  const finished = new Set<string>();
  let waiting = false;
  for (;;) {
    // The state first, then the job: read the other way round, a run that completes in between
    // shows as completed with the return value it did not have yet.
    const state = await runs.getJobState(runId);
    const job = state === 'unknown' ? undefined : await runs.getJob(runId);
    if (!job) {
      io.err.write(
        `${runId}: the run job is gone from the queue (removed, or expired from its retention); attain status shows the run\n`,
      );
      return ExitCode.failed;
    }
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      if (!waiting) io.out.write('  waiting for a worker …\n');
      waiting = true;
    }
    // The run's step jobs that finished since the last look, in the order they finished, each with the time it took on its worker.
    const fresh: { id: string; step: Job | undefined }[] = [];
    for (const key of Object.keys(await job.getChildrenValues())) {
      const id = key.slice(key.lastIndexOf(':') + 1);
      if (finished.has(id)) continue;
      finished.add(id);
      fresh.push({ id, step: await steps.getJob(id) });
    }
    for (const { id, step } of fresh.sort((a, b) => (a.step?.finishedOn ?? 0) - (b.step?.finishedOn ?? 0))) {
      const seconds =
        step?.finishedOn !== undefined && step.processedOn !== undefined
          ? ` (${((step.finishedOn - step.processedOn) / 1000).toFixed(1)} s)`
          : '';
      io.out.write(`  ✓ ${id.startsWith(`${runId}-`) ? id.slice(runId.length + 1) : id}${seconds}\n`);
    }
    if (state === 'completed') {
      const outcome = parseStepResult(reportOutcomeSchema, `run ${runId}`, job.returnvalue);
      if (!outcome) throw new CliError(`${runId} completed without an outcome`, ExitCode.failed);
      writeRunSummary(io.out, runSummaryOf(outcome, 'the database the workers use'));
      return judge(outcome);
    }
    if (state === 'failed') {
      io.err.write(
        `${runId} failed: ${await failureReason(steps, job)}\n  retry the failed steps with: attain retry ${runId}\n`,
      );
      return ExitCode.failed;
    }
    await sleep(250);
  }
}

/** Why a run job failed: its failed step's reason where a step failed it, else its own. */
async function failureReason(steps: Queue, job: Job): Promise<string> {
  const failed = (await steps.getFailed(0, 200)).filter((j) => j.id?.startsWith(`${job.id}-`));
  if (failed.length > 0) return failed.map((j) => `${j.name} step (${j.id}): ${j.failedReason}`).join('; ');
  return job.failedReason ?? 'no reason recorded';
}

async function status(dir: string, out: Writable): Promise<number> {
  return withQueue(dir, async (runs, steps, workspace, target) => {
    const states = ['waiting', 'active', 'waiting-children', 'delayed', 'completed', 'failed'] as const;
    out.write(`Queue ${queuePrefix()} on ${target.masked}\n`);
    for (const queue of [runs, steps]) {
      const counts = await queue.getJobCounts(...states);
      out.write(`  ${queue.name.padEnd(13)} ${states.map((s) => `${s} ${counts[s] ?? 0}`).join(' · ')}\n`);
    }
    const nightly = await runs.getJobScheduler(NIGHTLY_SCHEDULER_ID);
    out.write(
      nightly
        ? `  nightly run: cron "${nightly.pattern}" in ${nightly.tz ?? 'UTC'}${nightly.next === undefined ? '' : `, next at ${new Date(nightly.next).toISOString()}`}\n`
        : '  nightly run: not installed (attain schedule installs it)\n',
    );

    const database = await openWorkspaceDatabase(workspace);
    let anyFailed = false;
    try {
      // A run whose holder is gone (its job lost or failed, its process ended) is shown failed, with why.
      const { reconcileQueuedRuns } = await import('../../jobs/run-lease.js');
      await reconcileQueuedRuns(database, runs, queuePrefix());
      const last = await listRecentRuns(database.db, 10);
      anyFailed = last.some((r) => r.status === 'failed');
      out.write(last.length === 0 ? 'No runs yet.\n' : 'Last runs:\n');
      for (const run of last) {
        const seconds = run.finished_at
          ? ` ${((run.finished_at.getTime() - run.started_at.getTime()) / 1000).toFixed(1)} s`
          : '';
        const lines = run.counts?.['lines'] === undefined ? '' : `, ${run.counts['lines']} lines`;
        out.write(
          `  ${run.id}  ${run.status.padEnd(9)} ${run.trigger.padEnd(8)} ${run.started_at.toISOString()}${seconds}${lines}${run.error ? `\n      ${printableLines(run.error)}` : ''}\n`,
        );
      }
      await writeVoidedApprovals(
        out,
        database.db,
        last.map((r) => r.id),
      );
    } finally {
      await database.close();
    }
    const failed = [...(await runs.getFailed(0, 9)), ...(await steps.getFailed(0, 19))];
    if (failed.length > 0) {
      out.write('Failed jobs:\n');
      for (const job of failed)
        out.write(
          `  ${job.id} (${job.name}, ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}): ${printableLines(job.failedReason)}\n`,
        );
    }
    if (anyFailed || failed.length > 0) out.write('Retry a failed run with: attain retry RUN_ID\n');
    return ExitCode.ok;
  });
}

async function retry(dir: string, runId: string, options: { wait?: boolean }, io: Io): Promise<number> {
  return withQueue(dir, async (runs, steps, workspace) => {
    const job = await runs.getJob(runId);
    let completed: Record<string, Record<string, unknown>> = {};
    let asOf: string | undefined;
    if (job) {
      const state = await job.getState();
      if (state === 'completed') {
        io.out.write(`${runId} succeeded; nothing to retry\n`);
        return ExitCode.ok;
      }
      if (state !== 'failed') {
        io.err.write(`${runId} is still in flight (${state}); attain trigger --wait follows it\n`);
        return ExitCode.failed;
      }
      asOf = (job.data as RunPayload).asOf;
      completed = { ...(job.data as RunPayload).completed };
      for (const [key, value] of Object.entries(await job.getChildrenValues()))
        completed[key.slice(key.lastIndexOf(':') + 1)] = value as Record<string, unknown>;
      await job.remove({ removeChildren: true });
    } else {
      const database = await openWorkspaceDatabase(workspace);
      try {
        const run = await getRun(database.db, runId);
        if (!run) throw new CliError(`no run ${runId} in the queue or in ${database.describe}`, ExitCode.usage);
        if (run.status !== 'failed')
          throw new CliError(`${runId} is ${run.status}, not failed; nothing to retry`, ExitCode.usage);
      } finally {
        await database.close();
      }
    }
    // The failed steps go, so that the run adds them afresh; the ones that completed are passed on and skipped.
    for (const failed of await steps.getFailed(0, 1000)) if (failed.id?.startsWith(`${runId}-`)) await failed.remove();
    const enqueued = await enqueueRun(runs, {
      runId,
      trigger: 'retry',
      ...(asOf === undefined ? {} : { asOf }),
      completed,
    });
    if (enqueued.joined) {
      io.err.write(`another run, ${enqueued.runId}, is in flight; retry ${runId} when it has finished\n`);
      return ExitCode.failed;
    }
    const kept = Object.keys(completed).length;
    io.out.write(`${runId}: queued again${kept ? ` (${kept} completed step${kept === 1 ? '' : 's'} kept)` : ''}\n`);
    return options.wait ? follow(runs, steps, runId, io) : ExitCode.ok;
  });
}
