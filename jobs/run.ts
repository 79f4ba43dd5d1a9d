/**
 * `attain run`, in process: the queue's steps (jobs/sync.ts, calculate.ts, write-back-step.ts,
 * report.ts) called one after the other, recorded in the run ledger. One implementation, two
 * runners: a worker runs the same steps as jobs (run-job.ts). Here they also share a cache (the
 * source as read, the engine input, the CRM connection) instead of reading back what the previous
 * step stored, and every plan is calculated in one engine call.
 *
 * The store of a csv source's records into the reporting tables runs beside calculate, results and
 * estimates on PostgreSQL (none of them reads those tables; the server ingests on its own cores
 * while this process computes), and is awaited before write-back; on PGlite, which runs in this
 * process's thread and serves one query at a time, the steps stay one after the other
 * (docs/architecture.md#in-process).
 *
 * A plan or configuration problem stops before anything is written; a failure after the run
 * started leaves the previous results intact (each plan's results are replaced in one transaction)
 * and the run marked failed with its reason, once every step it started has ended. A second run on
 * the same database, in process or queued, is refused while one is running (the run lease,
 * src/db/run-lease.ts).
 */
import type { OnProgress } from '../src/domain/progress.js';
import { maskSecrets, secretValues } from '../config/secrets.js';
import { loadWorkspace } from '../config/workspace.js';
import { openConnector, sourceOf } from '../connectors/registry.js';
import type { SyncReport } from '../connectors/source.js';
import { prepareCalculation } from './prepare-calculation.js';
import { finishRun, startRun, withRunLock, type AttainDb } from '../src/db/index.js';
import type { Reject } from '../src/domain/model.js';
import { computePlans, writeResults } from './calculate.js';
import { finishReport, recordResults, type ReportOutcome } from './report.js';
import type { StepCache, StepContext, StepLog } from './step-context.js';
import { planVersions, readSource, saveInputs, storeRecords, storeStep, type SyncOutcome } from './sync.js';
import { openWorkspaceDatabase } from './workspace-database.js';
import { writeBackStep } from './write-back-step.js';
import { estimatesStep } from './estimates.js';
import type { VoidedApproval } from './pay-cycle.js';

export { RunStepError } from './step-context.js';

/** Told about each step as it starts and ends (a terminal shows it; JSON logs record it). */
export interface RunProgress {
  step(name: string, detail?: string): void;
  done(name: string, detail: string, seconds: number): void;
  /** A line from inside a step (a connector's progress, a limit reached). */
  log?(message: string): void;
  /** How far a long step is (records read or synced, plans calculated, lines written); called often. */
  advance?: OnProgress;
}

export interface RunOptions {
  workspaceDir: string;
  /** What started the run: `cli`, `schedule`, `trigger`. */
  trigger: string;
  asOf?: string;
  env?: NodeJS.ProcessEnv;
  progress?: RunProgress;
  /** The run id; default: `run-<UTC timestamp>-<random>`. */
  runId?: string;
  /** An open, migrated database to use (a worker's pool, a test's schema); default: the workspace's. */
  database?: AttainDb;
  /**
   * Test hook: called between the steps, to fail a run midway: after each step ends, but for a
   * store run beside the next steps, once the run's inputs are stored and before calculate starts.
   */
  afterStep?: (step: string) => void | Promise<void>;
}

export interface RunSummary {
  runId: string;
  database: string;
  asOf: string | undefined;
  reps: number;
  deals: number;
  /** How many records were rejected (all of them are in the database's `rejects`, by run id). */
  rejects: number;
  /** The first few, in file and line order. */
  rejectSample: Reject[];
  lines: number;
  /** Payout totals per period and currency, in period order. */
  totals: { period: string; currency: string; amount: string }[];
  lockedPeriods: string[];
  /** Totals per plan and period (a plan's periods add up; the plans' may not). */
  planTotals?: { planId: string; period: string; currency: string; amount: string }[];
  /** Approvals the run voided, with the lines it changed. */
  approvalsVoided?: VoidedApproval[];
  /** Commission records written back to the CRM (absent when there is no write-back). */
  writeback?: { sent: number; unchanged: number; removed: number };
  /** Why the CRM sync stopped before it was complete (an API allocation share, a daily limit). */
  syncStoppedEarly?: string;
}

/** A run's summary from its outcome (in process, or the run job's return value on a queue). */
export function runSummaryOf(outcome: ReportOutcome, database: string): RunSummary {
  return {
    runId: outcome.runId,
    database: outcome.database ?? database,
    asOf: outcome.asOf,
    reps: outcome.reps,
    deals: outcome.deals,
    rejects: outcome.rejects,
    rejectSample: outcome.rejectSample,
    lines: outcome.lines,
    totals: outcome.totals,
    lockedPeriods: outcome.lockedPeriods ?? [],
    ...(outcome.planTotals ? { planTotals: outcome.planTotals } : {}),
    ...(outcome.approvalsVoided ? { approvalsVoided: outcome.approvalsVoided } : {}),
    ...(outcome.writeback ? { writeback: outcome.writeback } : {}),
    ...(outcome.stoppedEarly ? { syncStoppedEarly: outcome.stoppedEarly } : {}),
  };
}

const SILENT: RunProgress = { step: () => undefined, done: () => undefined };

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const progress = options.progress ?? SILENT;
  const env = options.env ?? process.env;
  // A step run beside the next ones that failed: the run stops at the next step.
  let besideFailed: { error: unknown } | undefined;
  const timed = async <T>(name: string, work: () => Promise<T>, describe: (value: T) => string): Promise<T> => {
    if (besideFailed) throw besideFailed.error;
    progress.step(name);
    const started = performance.now();
    const value = await work();
    progress.done(name, describe(value), (performance.now() - started) / 1000);
    await options.afterStep?.(name);
    return value;
  };
  const asOf = options.asOf === undefined ? {} : { asOf: options.asOf };

  // Everything that can be judged without the database first: a bad plan writes nothing.
  const workspace = await loadWorkspace(options.workspaceDir, env);
  const cache: StepCache = { workspace };
  const source = sourceOf(workspace.config);
  // A source read from files only is read before the database opens; a CRM syncs into it first.
  if (!source.connect) {
    cache.prepared = await timed(
      'sync',
      () =>
        prepareCalculation(workspace.dir, {
          ...asOf,
          workspace,
          ...(progress.advance ? { onProgress: progress.advance } : {}),
        }),
      (p) =>
        `${p.counts.reps} reps, ${p.counts.deals} deals, ${p.rejects.length} rejects` +
        (p.counts.notYetDue ? `, ${p.counts.notYetDue} won after ${p.input.asOf} (not yet due)` : ''),
    );
  }
  const database =
    options.database ??
    (await timed(
      'database',
      () => openWorkspaceDatabase(workspace, { env }),
      (d) => d.describe,
    ));
  // Only a CRM's own progress lines reach the terminal; the steps' bookkeeping lines are for workers' logs.
  // A CRM's message may quote what it was sent; no secret of attain.yaml reaches the output.
  const secrets = secretValues(workspace.config, env);
  const say = (message: string) => progress.log?.(maskSecrets(message, secrets));
  const log: StepLog = {
    info: (fields, message) => (fields['source'] ? say(message) : undefined),
    warn: (_fields, message) => say(message),
  };
  const connector = await openConnector({
    config: workspace.config,
    workspaceDir: workspace.dir,
    env,
    log: say,
  });
  if (connector) cache.connector = connector;
  try {
    const runId = options.runId ?? newRunId();
    return await withRunLock(
      database,
      async () => {
        const ctx: StepContext = {
          db: database.db,
          workspaceDir: workspace.dir,
          runId,
          env,
          log,
          cache,
          ...(progress.advance ? { onProgress: progress.advance } : {}),
        };
        await startRun(ctx.db, {
          id: runId,
          trigger: options.trigger,
          // Recorded by the store step, once the inputs are known (and hashed once: a million deals take a while).
          inputsHash: 'pending',
          planVersions: planVersions(workspace.plans),
        });
        // The store of the canonical tables, while it runs beside the next steps.
        let storing: Promise<unknown> | undefined;
        try {
          let report: SyncReport | undefined;
          if (!cache.prepared) {
            ({ prepared: cache.prepared, report } = await timed(
              'sync',
              () => readSource(ctx, asOf),
              ({ report: r }) =>
                r
                  ? `${
                      Object.entries(r.records)
                        .map(([object, n]) => `${n} ${object}`)
                        .join(', ') || 'nothing changed'
                    } (${r.apiCalls} API calls)${r.stoppedEarly ? `; stopped early: ${r.stoppedEarly}` : ''}`
                  : 'synced',
            ));
          }
          const prepared = cache.prepared;
          const stored = () =>
            source.connect
              ? 'run inputs stored'
              : `${prepared.counts.reps} reps, ${prepared.counts.deals} deals stored`;
          let sync: SyncOutcome;
          if (database.backend === 'pglite' || source.connect) {
            sync = await timed(
              'store',
              async () => {
                const outcome = await saveInputs(ctx, prepared, report);
                await storeStep(ctx);
                return outcome;
              },
              stored,
            );
          } else {
            // The canonical tables from the records read, beside the run's inputs (stored meanwhile:
            // every later step reads them) and the next steps: its line shows when it ends, its
            // failure stops the run at the next step.
            progress.step('store');
            const started = performance.now();
            storing = storeRecords(ctx, prepared.input.data, source.kind).then(() =>
              progress.done('store', stored(), (performance.now() - started) / 1000),
            );
            storing.catch((error: unknown) => (besideFailed = { error }));
            sync = await saveInputs(ctx, prepared, report);
            await options.afterStep?.('store');
          }
          const computed = await timed(
            'calculate',
            () => computePlans(ctx),
            (c) => `${c.result.payouts.length} payout lines${c.result.asOf ? ` through ${c.result.asOf}` : ''}`,
          );
          const recorded = await timed(
            'results',
            async () => recordResults(ctx, sync, [await writeResults(ctx, computed)]),
            (r) => `${r.lines} payout lines and ${r.rejects} rejects written`,
          );
          await timed(
            'estimates',
            () => estimatesStep(ctx),
            (e) => `${e.estimates} estimates for ${e.deals} open deals written`,
          );
          await storing;
          const writeback = await timed(
            'write-back',
            () => writeBackStep(ctx),
            (w) => w.detail,
          );
          return runSummaryOf(await finishReport(ctx, sync, recorded, writeback), database.describe);
        } catch (error) {
          // Marked failed (and the lock released) only once the store beside has ended too.
          await storing?.catch(() => undefined);
          await finishRun(database.db, runId, {
            status: 'failed',
            error: error instanceof Error ? error.message : String(error),
          }).catch(() => undefined);
          throw error;
        }
      },
      { runId },
    );
  } finally {
    await connector?.close();
    if (!options.database) await database.close();
  }
}

/** A run id: `run-<UTC timestamp>-<random>` (no `:`, never all digits, so it is a valid BullMQ job id). */
export function newRunId(): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}
