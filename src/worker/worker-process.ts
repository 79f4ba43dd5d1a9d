/**
 * `attain worker`: one process taking run and step jobs from the queue, any number of them on any
 * number of machines sharing one Redis and one PostgreSQL. It serves `/healthz` and `/metrics`,
 * logs JSON lines (the run id on every line about a run), and on SIGTERM or SIGINT stops taking
 * jobs, lets the active ones finish, then closes the HTTP server, the workers, the queues and the
 * database, in that order. A second signal stops at once: the active jobs' locks then expire and
 * another worker takes them over.
 *
 * Locks: a job's lock lasts `lockDuration` and is renewed every half of it from the event loop.
 * The engine blocks the loop while it calculates (seconds for a million deals), so the lock must
 * outlast the longest calculation: 60 s by default, renewed every 30 s. The price is that a job of
 * a worker that was killed waits up to a lock duration (plus the stalled-check interval) before
 * another worker takes it over.
 */
import type { Server } from 'node:http';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, WaitingChildrenError, Worker, type Job } from 'bullmq';
import { pino, type Logger } from 'pino';
import { ConfigError } from '../../config/errors.js';
import { maskSecrets, secretValues } from '../../config/secrets.js';
import { loadWorkspace } from '../../config/workspace.js';
import { JOBS, QUEUES, isJobName, parsePayload, type RangedFile } from '../../jobs/catalog.js';
import { calculateStep, type Shard } from '../../jobs/calculate.js';
import { processNightlyJob } from '../../jobs/enqueue-run.js';
import {
  checkEvictionPolicy,
  checkReachable,
  connectRedis,
  queuePrefix,
  redisTarget,
  RedisPolicyError,
} from '../../jobs/queue-connection.js';
import { processRunJob } from '../../jobs/run-job.js';
import { holdQueuedLease, keepRenewing, reconcileQueuedRuns, runLeaseMs } from '../../jobs/run-lease.js';
import { storeStep, syncStep } from '../../jobs/sync.js';
import { readStep } from '../../jobs/read-range.js';
import type { StepCache } from '../../jobs/step-context.js';
import { writeBackStep } from '../../jobs/write-back-step.js';
import { estimatesStep } from '../../jobs/estimates.js';
import { openWorkspaceDatabase, workspaceDatabaseUrl } from '../../jobs/workspace-database.js';
import { RunEndedError, finishRun, releaseRunLease } from '../db/index.js';
import { createMetrics } from './metrics.js';
import { DEFAULT_METRICS_HOST, listenMetrics, type MetricsListen } from './metrics-server.js';
import { isPermanent, messageOf } from './step-errors.js';

export interface WorkerOptions {
  workspaceDir: string;
  concurrency: number;
  /**
   * Where /healthz and /metrics listen (the port is printed in the ready log line); without a host,
   * attain.yaml's `queue.metricsHost`, else 127.0.0.1.
   */
  metrics: Omit<MetricsListen, 'host'> & { host?: string | undefined };
  /** Start even when Redis may evict keys (maxmemory-policy other than noeviction), with a warning. */
  allowEviction: boolean;
  env: NodeJS.ProcessEnv;
  /** Where the JSON log lines go. */
  out: Writable;
}

export interface RunningWorker {
  port: number;
  logger: Logger;
  /** Stops taking jobs; `force` does not wait for the active ones. */
  close(force?: boolean): Promise<void>;
  /** Resolves once closed. */
  closed: Promise<void>;
}

const number = (text: string | undefined, fallback: number) =>
  text && Number.isFinite(Number(text)) ? Number(text) : fallback;

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { env } = options;
  const workspace = await loadWorkspace(options.workspaceDir);
  const target = redisTarget(workspace, env);
  if (!workspaceDatabaseUrl(workspace, env)) {
    throw new ConfigError([
      {
        file: `${workspace.dir}/attain.yaml`,
        path: '',
        message: `attain worker needs a PostgreSQL database that every worker shares: set database: { url: \${DATABASE_URL} } or DATABASE_URL (the embedded database serves one process only)`,
      },
    ]);
  }
  const prefix = queuePrefix(env);
  // Every line is masked as it is written: an error quoting a URL or a CRM's answer never logs a secret.
  const secrets = secretValues(workspace.config, options.env);
  const logger = pino(
    {
      base: { app: 'attain', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => maskSecrets(line, secrets) },
    },
    options.out,
  );

  // The HTTP server first: a port that is taken stops the worker before it connects to anything.
  let serving: Serving | undefined;
  const host = options.metrics.host ?? workspace.config.queue?.metricsHost ?? DEFAULT_METRICS_HOST;
  const server = await listenMetrics({ ...options.metrics, host }, async (path) => {
    if (path === '/healthz') {
      const healthy = (await serving?.healthy()) ?? false;
      return {
        status: healthy ? 200 : 503,
        type: 'text/plain',
        body: healthy ? 'ok\n' : 'unhealthy: not taking jobs or Redis unreachable\n',
      };
    }
    if (path === '/metrics' && serving) return { status: 200, ...(await serving.metrics()) };
    return { status: 404, type: 'text/plain', body: 'not found: /healthz or /metrics\n' };
  });
  // Whatever a failed start opened is closed again: no connection, and so no process, is left behind.
  const opened: { close(): unknown }[] = [{ close: () => new Promise((resolve) => server.close(resolve)) }];
  try {
    return await takeJobs({ options, workspace, target, prefix, logger, server, opened }, (ready) => (serving = ready));
  } catch (error) {
    for (const resource of opened.reverse()) await Promise.resolve(resource.close()).catch(() => undefined);
    throw error;
  }
}

/** What the HTTP server answers once the workers run. */
interface Serving {
  healthy(): Promise<boolean>;
  metrics(): Promise<{ type: string; body: string }>;
}

interface Starting {
  options: WorkerOptions;
  workspace: Awaited<ReturnType<typeof loadWorkspace>>;
  target: ReturnType<typeof redisTarget>;
  prefix: string;
  logger: Logger;
  server: Server;
  /** Each resource as it is opened, for closing them should the start fail. */
  opened: { close(): unknown }[];
}

/** Connects Redis and the database and starts the workers. */
async function takeJobs(
  { options, workspace, target, prefix, logger, server, opened }: Starting,
  serve: (ready: Serving) => void,
): Promise<RunningWorker> {
  const { env } = options;
  await checkReachable(target);
  const connection = connectRedis(target, 'worker', (error) =>
    logger.error({ err: messageOf(error) }, `Redis at ${target.hostPort}: ${messageOf(error)}`),
  );
  opened.push({ close: () => connection.disconnect() });
  const { policy, problem } = await checkEvictionPolicy(connection);
  if (problem && !options.allowEviction && policy !== undefined) {
    throw new RedisPolicyError(`refusing to start: ${problem}; or start with --allow-eviction to run anyway`);
  }
  if (problem) logger.warn({ maxmemoryPolicy: policy ?? null }, `WARNING: ${problem}`);

  const database = await openWorkspaceDatabase(workspace, {
    env,
    onError: (error) => logger.error({ err: error.message }, 'database connection error'),
  });
  opened.push(database);
  const db = database.db;

  const runs = new Queue(QUEUES.runs, { connection, prefix });
  const steps = new Queue(QUEUES.steps, { connection, prefix });
  opened.push(runs, steps);
  for (const queue of [runs, steps])
    queue.on('error', (error) => logger.error({ queue: queue.name, err: error.message }, 'queue error'));
  const metrics = createMetrics([runs, steps], db);
  // Test hook: stretches every step, so that a test can kill a worker in the middle of one.
  const stepDelayMs = number(env['ATTAIN_TEST_STEP_DELAY_MS'], 0);

  /**
   * The last run's inputs as this worker read or decoded them: its other steps of the same run
   * skip decoding them again (a million deals take seconds to decode). One run only, so a worker
   * holds at most one org in memory; the steps read the database whenever it is not there.
   */
  let lastRun: { runId: string; cache: StepCache } | undefined;
  const cacheOf = (runId: string): StepCache => {
    if (lastRun?.runId !== runId) lastRun = { runId, cache: {} };
    return lastRun.cache;
  };

  const lease = { prefix, ttlMs: runLeaseMs(env) };
  /** Runs one job's work; on failure decides retry or not, and records a run's final failure in the ledger. */
  const guarded = async <T>(job: Job, step: string, runId: string | undefined, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    // The run's lease is renewed while this worker runs one of its jobs.
    const stopRenewing =
      runId === undefined
        ? () => undefined
        : keepRenewing(db, lease, runId, (error) =>
            logger.warn({ runId, err: messageOf(error) }, `renewing the run lease: ${messageOf(error)}`),
          );
    try {
      const value = await work();
      metrics.stepDuration.observe({ step }, (performance.now() - started) / 1000);
      return value;
    } catch (error) {
      if (error instanceof WaitingChildrenError) throw error;
      const permanent = isPermanent(error);
      const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      metrics.stepFailures.inc({ step, permanent: String(permanent) });
      const reason = messageOf(error);
      logger.error(
        { runId, step, jobId: job.id, attempt: job.attemptsMade + 1, permanent, final },
        `${step} failed: ${reason}`,
      );
      // A run ended while it waited keeps the reason it was ended with.
      if (final && runId !== undefined && !(error instanceof RunEndedError)) {
        await finishRun(db, runId, { status: 'failed', error: `${step} step (job ${job.id}) failed: ${reason}` }).catch(
          () => undefined,
        );
        await releaseRunLease(db, runId).catch(() => undefined);
      }
      throw permanent ? new UnrecoverableError(reason) : error;
    } finally {
      stopRenewing();
    }
  };

  const runsWorker = new Worker(
    QUEUES.runs,
    async (job, token) => {
      if (job.name === 'nightly') return guarded(job, 'nightly', undefined, () => processNightlyJob(job, runs));
      if (job.name !== 'run')
        throw new UnrecoverableError(
          `job ${job.id}: no job named ${job.name} on ${QUEUES.runs} (expected run or nightly)`,
        );
      const runId = runPayloadId(job.data);
      const log = logger.child({ runId });
      return guarded(job, 'run', runId, () =>
        processRunJob(job, token, {
          db,
          database: database.describe,
          workspaceDir: workspace.dir,
          env,
          steps,
          runs,
          lease,
          log,
          ...(runId === undefined ? {} : { cache: cacheOf(runId) }),
        }),
      );
    },
    workerOptions(),
  );
  opened.push({ close: () => runsWorker.close(true) });

  const stepsWorker = new Worker(
    QUEUES.steps,
    async (job) => {
      const name = job.name;
      if (!isJobName(name) || JOBS[name].queue !== QUEUES.steps) {
        throw new UnrecoverableError(
          `job ${job.id}: no step named ${name} (expected read, sync, store, calculate, estimates or write-back)`,
        );
      }
      return guarded(job, name, runPayloadId(job.data), async () => {
        const payload = parsePayload(name, job.id, job.data) as {
          runId: string;
          planId?: string;
          asOf?: string;
          shard?: Shard;
          ranged?: RangedFile[];
        };
        const log = logger.child({ runId: payload.runId, jobId: job.id });
        await holdQueuedLease(db, lease, payload.runId);
        log.info({ step: name }, `${name} started`);
        if (stepDelayMs > 0) await sleep(stepDelayMs);
        const ctx = { db, workspaceDir: workspace.dir, runId: payload.runId, env, log, cache: cacheOf(payload.runId) };
        switch (name) {
          case 'read':
            return readStep(ctx, parsePayload('read', job.id, job.data));
          case 'sync':
            return syncStep(ctx, {
              ...(payload.asOf === undefined ? {} : { asOf: payload.asOf }),
              ...(payload.ranged ? { ranged: payload.ranged } : {}),
            });
          case 'store':
            return storeStep(ctx, parsePayload('store', job.id, job.data).part);
          case 'calculate':
            return calculateStep(ctx, [payload.planId!], payload.shard);
          case 'estimates':
            return estimatesStep(ctx, parsePayload('estimates', job.id, job.data).part);
          case 'write-back':
            return writeBackStep(ctx);
          default:
            throw new UnrecoverableError(`job ${job.id}: ${name} is not a step this worker runs`);
        }
      });
    },
    workerOptions(),
  );
  opened.push({ close: () => stepsWorker.close(true) });
  for (const worker of [runsWorker, stepsWorker])
    worker.on('error', (error) => logger.error({ queue: worker.name, err: error.message }, 'worker error'));
  // Ready means connected: closing a worker whose connections are still opening leaves an error nobody listens to.
  await Promise.all([
    runsWorker.waitUntilReady(),
    stepsWorker.waitUntilReady(),
    runs.waitUntilReady(),
    steps.waitUntilReady(),
  ]);

  function workerOptions() {
    return {
      connection,
      prefix,
      concurrency: options.concurrency,
      lockDuration: number(env['ATTAIN_LOCK_DURATION_MS'], 60_000),
      stalledInterval: number(env['ATTAIN_STALLED_INTERVAL_MS'], 30_000),
      // A job whose worker died twice is still taken over; a third time it fails (a job that kills its worker).
      maxStalledCount: 2,
    };
  }

  serve({
    healthy: async () =>
      runsWorker.isRunning() &&
      stepsWorker.isRunning() &&
      (await connection.ping().then(
        () => true,
        () => false,
      )),
    metrics: async () => ({ type: metrics.registry.contentType, body: await metrics.registry.metrics() }),
  });
  const { port, address: host } = server.address() as { port: number; address: string };
  // Runs whose holder is gone (a job stalled past its limit, Redis lost its data) are marked failed.
  const reconcile = () =>
    reconcileQueuedRuns(database, runs, prefix).then(
      (ended) => {
        for (const { runId, reason } of ended) logger.warn({ runId }, `run ${runId} marked failed: ${reason}`);
      },
      (error: unknown) => logger.warn({ err: messageOf(error) }, `reconciling runs: ${messageOf(error)}`),
    );
  await reconcile();
  const reconciling = setInterval(() => void reconcile(), number(env['ATTAIN_STALLED_INTERVAL_MS'], 30_000));
  reconciling.unref();
  logger.info(
    { port, host, concurrency: options.concurrency, prefix, redis: target.masked, database: database.describe },
    `attain worker ready: queues ${QUEUES.runs} and ${QUEUES.steps} on ${target.hostPort}, /healthz and /metrics on ${host}:${port}`,
  );

  let closing: Promise<void> | undefined;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = (force = false): Promise<void> => {
    if (closing && !force) return closing;
    const previous = closing;
    closing = (async () => {
      logger.info(
        { force },
        force ? 'stopping now: active jobs are left to another worker' : 'stopping: finishing the active jobs',
      );
      clearInterval(reconciling);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([runsWorker.close(force), stepsWorker.close(force)]);
      if (previous && !force) await previous;
      await Promise.all([runs.close(), steps.close()]);
      await database.close();
      connection.disconnect();
      logger.info({}, 'stopped');
      resolveClosed();
    })();
    return closing;
  };
  return { port, logger, close, closed };
}

/** The run id of a job's payload, for the ledger and the logs, before the payload is fully checked. */
function runPayloadId(data: unknown): string | undefined {
  const runId = (data as { runId?: unknown } | null)?.runId;
  return typeof runId === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(runId) ? runId : undefined;
}
