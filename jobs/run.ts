/**
 * `attain run`, in process: sync → store → calculate → write results → write-back, recorded in the
 * run ledger. The steps are the same ones the queue runs (issue 6); here they run one after the
 * other. A plan or configuration problem stops before anything is written; a failure after the
 * run started leaves the previous results intact (each plan's results are replaced in one
 * transaction) and the run marked failed with its reason.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import {
  createSyncStore,
  finishRun,
  listLocks,
  migrateToLatest,
  openDatabase,
  readLockedLines,
  recordInputs,
  replaceRejects,
  replaceResults,
  saveRunInputs,
  setResultHash,
  startRun,
  upsertCanonical,
  withRunLock,
  type AttainDb,
  type Database,
} from '../src/db/index.js';
import { loadWorkspace } from '../config/workspace.js';
import { openConnector } from '../connectors/registry.js';
import type { SourceConnector, SyncReport } from '../connectors/source.js';
import { prepareCalculation, type PreparedCalculation } from '../src/cli/calculation-inputs.js';
import type { Plan } from '../src/domain/plan.js';
import { readCommissionRecords, writeBackChanges } from './write-back.js';
import { ZERO, decimal, formatDecimal, type Decimal } from '../src/domain/decimal.js';
import { calculate, type CalculationInput, type CalculationResult } from '../src/domain/engine.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import { LockSet } from '../src/domain/locks.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import type { Reject } from '../src/domain/model.js';
import { resultHash } from '../src/domain/result-hash.js';

/** Told about each step as it starts and ends (a terminal shows it; JSON logs record it). */
export interface RunProgress {
  step(name: string, detail?: string): void;
  done(name: string, detail: string, seconds: number): void;
  /** A line from inside a step (a connector's progress, a limit reached). */
  log?(message: string): void;
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
  /** Test hook: called between the steps, to fail a run midway. */
  afterStep?: (step: string) => void | Promise<void>;
}

export interface RunSummary {
  runId: string;
  database: string;
  asOf: string | undefined;
  reps: number;
  deals: number;
  rejects: Reject[];
  lines: number;
  /** Payout totals per period and currency, in period order. */
  totals: { period: string; currency: string; amount: string }[];
  lockedPeriods: string[];
  /** Commission records written back to the CRM (absent when there is no write-back). */
  writeback?: { sent: number; unchanged: number; removed: number };
  /** Why the CRM sync stopped before it was complete (an API allocation share, a daily limit). */
  syncStoppedEarly?: string;
}

/** A step failed after the results were stored: the run is marked failed with this reason. */
export class RunStepError extends Error {
  override readonly name = 'RunStepError';
}

const SILENT: RunProgress = { step: () => undefined, done: () => undefined };

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const progress = options.progress ?? SILENT;
  const env = options.env ?? process.env;
  const timed = async <T>(name: string, work: () => Promise<T>, describe: (value: T) => string): Promise<T> => {
    progress.step(name);
    const started = performance.now();
    const value = await work();
    progress.done(name, describe(value), (performance.now() - started) / 1000);
    await options.afterStep?.(name);
    return value;
  };
  const prepareOptions = options.asOf === undefined ? {} : { asOf: options.asOf };

  // Everything that can be judged without the database first: a bad plan writes nothing.
  const workspace = await loadWorkspace(options.workspaceDir, env);
  const { kind } = workspace.config.source;
  const csvPrepared =
    kind === 'csv'
      ? await timed(
          'sync',
          () => prepareCalculation(workspace.dir, { ...prepareOptions, workspace }),
          (p) => `${p.counts.reps} reps, ${p.counts.deals} deals, ${p.rejects.length} rejects`,
        )
      : undefined;
  const url = workspace.config.database?.url ?? env['DATABASE_URL'];
  const database =
    options.database ??
    (await timed(
      'database',
      async () => {
        const opened = await openDatabase({ ...(url ? { url } : {}), dataDir: join(workspace.dir, '.attain') });
        try {
          await migrateToLatest(opened.db);
        } catch (error) {
          await opened.close();
          throw error;
        }
        return opened;
      },
      (d) => d.describe,
    ));
  const log = (message: string) => progress.log?.(message);
  const connector = csvPrepared ? undefined : await openConnector({ config: workspace.config, workspaceDir: workspace.dir, env, log });
  try {
    return await withRunLock(database, async () => {
      const runId = options.runId ?? newRunId();
      const db = database.db;
      await startRun(db, {
        id: runId,
        trigger: options.trigger,
        // A CRM run knows its inputs once synced: recorded then.
        inputsHash: csvPrepared ? inputsHash(csvPrepared) : 'pending',
        planVersions: planVersions(workspace.plans),
      });
      try {
        let prepared = csvPrepared;
        let sync: SyncReport | undefined;
        if (!prepared) {
          sync = await timed(
            'sync',
            () => connector!.sync(createSyncStore(db, kind), { log }),
            (r) => `${Object.entries(r.records).map(([object, n]) => `${n} ${object}`).join(', ') || 'nothing changed'} (${r.apiCalls} API calls)${r.stoppedEarly ? `; stopped early: ${r.stoppedEarly}` : ''}`,
          );
          prepared = await prepareCalculation(workspace.dir, { ...prepareOptions, workspace, db });
          await recordInputs(db, runId, inputsHash(prepared));
        } else {
          await timed('store', () => upsertCanonical(db, prepared!.input.data, 'csv'), (c) => `${c.reps} reps, ${c.deals} deals, ${c.splits} splits stored`);
        }
        const summary = await runSteps(db, prepared, runId, timed, connector);
        await finishRun(db, runId, {
          status: 'succeeded',
          counts: { reps: summary.reps, deals: summary.deals, rejects: summary.rejects.length, lines: summary.lines, ...summary.writeback },
        });
        return { ...summary, database: database.describe, ...(sync?.stoppedEarly ? { syncStoppedEarly: sync.stoppedEarly } : {}) };
      } catch (error) {
        await finishRun(database.db, runId, { status: 'failed', error: error instanceof Error ? error.message : String(error) }).catch(() => undefined);
        throw error;
      }
    });
  } finally {
    await connector?.close();
    if (!options.database) await database.close();
  }
}

type Timed = <T>(name: string, work: () => Promise<T>, describe: (value: T) => string) => Promise<T>;

async function runSteps(
  db: Kysely<Database>,
  prepared: PreparedCalculation,
  runId: string,
  timed: Timed,
  connector: SourceConnector | undefined,
): Promise<Omit<RunSummary, 'database'>> {
  const { input, workspace } = prepared;
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);

  const { result, lockedPeriods, locks } = await timed(
    'calculate',
    async () => {
      const lockedPeriods = (await listLocks(db)).map((l) => l.period);
      const locks = new LockSet(lockedPeriods, calendar);
      const isLocked = (label: string) => {
        const period = calendar.parse(label);
        return period !== undefined && locks.isLocked(period);
      };
      const lines = lockedPeriods.length === 0 ? [] : await readLockedLines(db, isLocked);
      const engineInput: CalculationInput = { ...input, ...(lockedPeriods.length ? { locked: { periods: lockedPeriods, lines } } : {}) };
      const result = calculate(engineInput);
      // What `attain replay` recomputes from: exactly the engine's input, and the hash of what it gave.
      await saveRunInputs(db, runId, engineInput);
      await setResultHash(db, runId, resultHash(result));
      return { result, lockedPeriods, locks: isLocked };
    },
    ({ result }) => `${result.payouts.length} payout lines${result.asOf ? ` through ${result.asOf}` : ''}`,
  );

  const rejects = prepared.allRejects(result.rejects);
  const written = await timed(
    'results',
    async () => {
      let lines = 0;
      for (const plan of workspace.plans) {
        const stored = await db.selectFrom('payout_lines').select('period').distinct().where('plan_id', '=', plan.id).execute();
        const storedAttainment = await db.selectFrom('attainment').select('period').distinct().where('plan_id', '=', plan.id).execute();
        const planLines = result.payouts.filter((l) => l.planId === plan.id && !locks(l.period));
        const planAttainment = result.attainment.filter((a) => a.planId === plan.id);
        // Every unlocked period the plan has results for, now or from an earlier run: replaced as a whole.
        const periods = new Set([...stored, ...storedAttainment].map((r) => r.period).filter((p) => !locks(p)));
        for (const row of [...planLines, ...planAttainment]) periods.add(row.period);
        const count = await replaceResults(db, { runId, planId: plan.id, periods: [...periods], lines: planLines, attainment: planAttainment });
        lines += count.lines;
      }
      await replaceRejects(db, runId, rejects);
      return lines;
    },
    (lines) => `${lines} payout lines and ${rejects.length} rejects written`,
  );

  const writeback = await timed(
    'write-back',
    async () => {
      if (!connector || !workspace.config.writeback.enabled) return undefined;
      const target = await connector.writeback();
      return writeBackChanges(db, target, await readCommissionRecords(db, calendar));
    },
    (w) =>
      w === undefined
        ? connector
          ? 'off (writeback.enabled is false)'
          : 'nothing to write back for a csv source'
        : `${w.sent} sent, ${w.unchanged} unchanged, ${w.removed} removed${w.failed.length ? `, ${w.failed.length} refused (kept, sent again next run): ${w.failed.slice(0, 3).map((f) => `${f.key}: ${f.error}`).join('; ')}` : ''}`,
  );
  if (writeback && writeback.failed.length > 0) {
    throw new RunStepError(`write-back: the CRM refused ${writeback.failed.length} of ${writeback.sent} records, e.g. ${writeback.failed[0]!.key}: ${writeback.failed[0]!.error}; they are sent again on the next run`);
  }

  return {
    runId,
    asOf: result.asOf,
    reps: prepared.counts.reps,
    deals: prepared.counts.deals,
    rejects,
    lines: written,
    totals: totalsByPeriod(result, calendar),
    lockedPeriods,
    ...(writeback ? { writeback: { sent: writeback.sent, unchanged: writeback.unchanged, removed: writeback.removed } } : {}),
  };
}

function totalsByPeriod(result: CalculationResult, calendar: FiscalCalendar): RunSummary['totals'] {
  const totals = new Map<string, { period: string; currency: string; amount: Decimal; end: number }>();
  for (const line of result.payouts) {
    const key = `${line.period}\u0000${line.currency}`;
    let total = totals.get(key);
    if (!total) totals.set(key, (total = { period: line.period, currency: line.currency, amount: ZERO, end: calendar.parse(line.period)?.endDay ?? 0 }));
    total.amount += decimal(line.amount);
  }
  return [...totals.values()]
    // By the day each period ends: the months of a quarter come before the quarter.
    .sort((a, b) => a.end - b.end || (a.period < b.period ? -1 : a.period > b.period ? 1 : a.currency < b.currency ? -1 : 1))
    .map((t) => ({ period: t.period, currency: t.currency, amount: formatDecimal(t.amount, minorUnitDigits(t.currency)) }));
}

/** A run id: `run-<UTC timestamp>-<random>` (no `:`, never all digits, so it is a valid BullMQ job id). */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A hash of everything the result depends on: plans, calendar, base currency, data. */
function inputsHash(prepared: PreparedCalculation): string {
  const hash = createHash('sha256');
  const { input } = prepared;
  hash.update(JSON.stringify({ calendar: input.calendar, baseCurrency: input.baseCurrency, asOf: input.asOf ?? null, plans: input.plans }));
  for (const [name, records] of Object.entries(input.data)) {
    hash.update(name);
    for (const record of records as object[]) hash.update(JSON.stringify(record));
  }
  return hash.digest('hex');
}

function planVersions(plans: readonly Plan[]): Record<string, string> {
  return Object.fromEntries(plans.map((p) => [p.id, createHash('sha256').update(JSON.stringify(p)).digest('hex').slice(0, 12)]));
}
