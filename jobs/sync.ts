/**
 * The sync and store steps. Sync reads the source (csv: the files; a CRM: its connector's
 * incremental sync into the database through the SyncStore, read back with the workspace's quotas
 * and assignments) and stores the run's engine input (the normalized data, the plans, the locked
 * lines as paid, the adjustments of resolved disputes): what the calculate steps read, on
 * whichever worker they run, and what `attain replay` recomputes from. Store writes a csv
 * source's records into the reporting database.
 *
 * Idempotent: the csv store is a snapshot upsert in one transaction, a CRM sync upserts from its
 * cursor, the inputs are replaced by run id.
 */
import { createHash } from 'node:crypto';
import { loadWorkspace, type Workspace } from '../config/workspace.js';
import { openConnector, sourceOf } from '../connectors/registry.js';
import type { SyncReport, SyncStore } from '../connectors/source.js';
import { prepareCalculation, type PreparedCalculation } from './prepare-calculation.js';
import {
  createSyncStore,
  deleteRunInputParts,
  listLocks,
  loadRunInputs,
  readLockedLines,
  recordInputs,
  replaceStepRejects,
  saveRunInputs,
  storeCanonicalRest,
  storeDealsPart,
  upsertCanonical,
} from '../src/db/index.js';
import { RunInputsMissingError } from './step-context.js';
import type { CalculationInput } from '../src/domain/engine.js';
import { LockSet } from '../src/domain/locks.js';
import type { OnProgress } from '../src/domain/progress.js';
import type { Plan } from '../src/domain/plan.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import type { StepContext } from './step-context.js';
import { withDisputeAdjustments } from './pay-cycle.js';
import { DISPUTES_OBJECT, syncCrmDisputes } from './crm-disputes.js';
import type { RangedFile, StorePayload } from './catalog.js';
import { shardOf, type Shard } from './calculate.js';
import type { CanonicalData, Deal, Split } from '../src/domain/model.js';
import { loadParts } from './read-range.js';

export interface SyncOutcome {
  reps: number;
  deals: number;
  /** The plans to calculate, one calculate step each. */
  plans: string[];
  /** The plans calculated in shards on the queue (more assigned reps than `queue.shardReps`): how many. */
  shards?: Record<string, number>;
  /**
   * How many rejects reading and normalizing found (the calculate steps add the engine's). The
   * rejects themselves are stored with the run (step_rejects), not carried here: a step's outcome
   * travels through Redis, and a bad night may reject a million records.
   */
  sourceRejects: number;
  /** Why a CRM sync stopped before it was complete (an API allocation share, a daily limit). */
  stoppedEarly?: string;
  /** The locked payout periods whose lines the run left as paid. */
  lockedPeriods?: string[];
  /** Queued: into how many parts the store of the deals is cut (as many as deals.csv had ranges); absent, one. */
  storeParts?: number;
  /** Queued: into how many parts the estimates of open deals are cut (more open deals than `queue.estimateDeals`); absent, one. */
  estimateParts?: number;
}

/**
 * The whole step, as a queued job runs it: the source read and the run's inputs stored (the csv
 * records are stored by the store step). With `ranged`, the large files were read in ranges by
 * the run's read steps: their parts are put together here, then removed.
 */
export async function syncStep(
  ctx: StepContext,
  options: { asOf?: string; ranged?: readonly RangedFile[] },
): Promise<SyncOutcome> {
  const { prepared, report } = await readSource(ctx, options);
  const outcome = await saveInputs(ctx, prepared, report);
  if (!options.ranged?.length) return outcome;
  await deleteRunInputParts(ctx.db, ctx.runId);
  const dealRanges = options.ranged.find((r) => r.file === DEALS_FILE)?.ranges.length ?? 1;
  return dealRanges > 1 ? { ...outcome, storeParts: dealRanges } : outcome;
}

/** Reads the source: a csv source's files (or their parts read in ranges), or a CRM's changes synced into the database and read back. */
export async function readSource(
  ctx: StepContext,
  options: { asOf?: string; ranged?: readonly RangedFile[] },
): Promise<{ prepared: PreparedCalculation; report?: SyncReport }> {
  const workspace = await workspaceOf(ctx);
  const { kind, connect } = sourceOf(workspace.config);
  const prepareOptions = { workspace, ...(options.asOf === undefined ? {} : { asOf: options.asOf }) };
  if (!connect) {
    if (ctx.cache?.prepared) return { prepared: ctx.cache.prepared };
    const csvParts = options.ranged?.length ? await loadParts(ctx, workspace, options.ranged) : undefined;
    return { prepared: await prepareCalculation(workspace.dir, { ...prepareOptions, ...(csvParts && { csvParts }) }) };
  }

  const log = (message: string) => ctx.log.info({ step: 'sync', source: kind }, message);
  const connector =
    ctx.cache?.connector ??
    (await openConnector({ config: workspace.config, workspaceDir: workspace.dir, env: ctx.env, log }));
  if (!connector) throw new Error(`source.kind ${kind}: no connector`);
  try {
    const store = createSyncStore(ctx.db, kind);
    const report = await connector.sync(ctx.onProgress ? countingStore(store, ctx.onProgress) : store, { log });
    // Disputes reps raised on their commission records (which exist only with write-back): into the
    // ledger before the run calculates.
    if (!report.stoppedEarly && workspace.config.writeback.enabled) {
      const disputes = await syncCrmDisputes(ctx.db, connector, store, { log });
      if (disputes) report.records[DISPUTES_OBJECT] = disputes.read;
    }
    const prepared = await prepareCalculation(workspace.dir, { ...prepareOptions, db: ctx.db });
    return { prepared, report };
  } finally {
    if (!ctx.cache?.connector) await connector.close();
  }
}

/** The store, telling `onProgress` how many records of each CRM object it has stored so far. */
export function countingStore(store: SyncStore, onProgress: OnProgress): SyncStore {
  const stored = new Map<string, number>();
  return {
    cursor: (object) => store.cursor(object),
    resetCursor: (object) => store.resetCursor(object),
    storePage: async (page) => {
      await store.storePage(page);
      const records =
        (page.reps?.length ?? 0) +
        (page.deals?.length ?? 0) +
        (page.splits?.splits.length ?? 0) +
        (page.fxRates?.length ?? 0) +
        (page.rejects?.length ?? 0);
      const done = (stored.get(page.object) ?? 0) + records;
      stored.set(page.object, done);
      onProgress({ task: `syncing ${page.object}`, done, unit: 'records' });
    },
  };
}

/** Stores the run's engine input: what the calculate steps read. */
export async function saveInputs(
  ctx: StepContext,
  prepared: PreparedCalculation,
  report?: SyncReport,
): Promise<SyncOutcome> {
  const input = await withDisputeAdjustments(ctx.db, ctx.runId, await withLockedLines(ctx, prepared));
  const { bytes, inputsHash } = await saveRunInputs(ctx.db, ctx.runId, input);
  await recordInputs(ctx.db, ctx.runId, inputsHash);
  await replaceStepRejects(ctx.db, ctx.runId, 'sync', prepared.rejects);
  if (ctx.cache) Object.assign(ctx.cache, { prepared, input });
  const shards = shardCounts(input, prepared.workspace.config.queue?.shardReps ?? DEFAULT_SHARD_REPS);
  const estimateParts = estimatePartCount(
    input,
    prepared.workspace.config.queue?.estimateDeals ?? DEFAULT_ESTIMATE_DEALS,
  );
  const outcome: SyncOutcome = {
    reps: prepared.counts.reps,
    deals: prepared.counts.deals,
    plans: prepared.workspace.plans.map((p) => p.id),
    ...(Object.keys(shards).length > 0 ? { shards } : {}),
    ...(input.locked?.periods.length ? { lockedPeriods: input.locked.periods } : {}),
    sourceRejects: prepared.rejects.length,
    ...(report?.stoppedEarly ? { stoppedEarly: report.stoppedEarly } : {}),
    ...(estimateParts > 1 ? { estimateParts } : {}),
  };
  ctx.log.info(
    { step: 'sync', inputBytes: bytes },
    `${outcome.reps} reps, ${outcome.deals} deals, ${outcome.sourceRejects} rejects`,
  );
  return outcome;
}

/**
 * The store step: a csv source's records, as one snapshot, into the reporting database (a CRM's
 * are stored as they sync). Queued, it runs beside the calculate steps, which read the run's
 * inputs, not these tables; it stores exactly the records of those inputs.
 */
export async function storeStep(ctx: StepContext, part?: StorePayload['part']): Promise<{ stored: number }> {
  const workspace = await workspaceOf(ctx);
  const source = sourceOf(workspace.config);
  if (source.connect) return { stored: 0 };
  const input = ctx.cache?.input ?? (await loadRunInputs(ctx.db, ctx.runId));
  if (!input)
    throw new RunInputsMissingError(`run ${ctx.runId} has no stored inputs: its sync step must run before store`);
  if (ctx.cache) ctx.cache.input = input;
  if (part === 'rest') {
    const stored = await storeCanonicalRest(ctx.db, input.data, source.kind);
    ctx.log.info({ step: 'store', part, ...stored }, `stored ${stored.reps} reps, ${stored.quotas} quotas`);
    return { stored: stored.reps + stored.quotas + stored.assignments + stored.fxRates };
  }
  if (part) {
    const stored = await storeDealsPart(ctx.db, storePartOf(ctx, input, part), source.kind);
    ctx.log.info(
      { step: 'store', part: `${part.index + 1} of ${part.count}`, ...stored },
      `stored ${stored.deals} deals, ${stored.splits} splits (part ${part.index + 1} of ${part.count})`,
    );
    return { stored: stored.deals + stored.splits };
  }
  return storeRecords(ctx, input.data, source.kind);
}

/**
 * The store step in one piece: every record of the run's inputs into the reporting tables. The
 * in-process run calls it with the records it read while it stores the inputs, which hold the same
 * records (the locked lines and adjustments it adds are beside them).
 */
export async function storeRecords(ctx: StepContext, data: CanonicalData, kind: string): Promise<{ stored: number }> {
  const stored = await upsertCanonical(ctx.db, data, kind);
  ctx.log.info(
    { step: 'store', ...stored },
    `stored ${stored.reps} reps, ${stored.deals} deals, ${stored.splits} splits`,
  );
  return { stored: stored.reps + stored.deals + stored.splits + stored.quotas + stored.assignments + stored.fxRates };
}

const DEALS_FILE = 'deals.csv';

/**
 * A store part's deals and splits: those whose deal id falls in it (FNV-1a of the id, as a rep's
 * calculate shard), so every split goes with its deal and no two parts hold the same deal. Cut
 * once per worker and run.
 */
function storePartOf(ctx: StepContext, input: CalculationInput, part: Shard): { deals: Deal[]; splits: Split[] } {
  let cut = ctx.cache?.storeParts;
  if (cut?.count !== part.count) {
    const parts = Array.from({ length: part.count }, () => ({ deals: [] as Deal[], splits: [] as Split[] }));
    for (const deal of input.data.deals) parts[shardOf(deal.id, part.count)]!.deals.push(deal);
    for (const split of input.data.splits) parts[shardOf(split.dealId, part.count)]!.splits.push(split);
    cut = { count: part.count, parts };
    if (ctx.cache) ctx.cache.storeParts = cut;
  }
  return cut.parts[part.index]!;
}

/**
 * Reps per calculate shard when attain.yaml does not say. Each shard credits every deal of its plan
 * again (a manager's roll-up needs them all) and pays and writes its own reps: below a few thousand
 * reps per shard the repeated crediting costs more than the parallel paying saves.
 */
export const DEFAULT_SHARD_REPS = 10_000;

/**
 * Open deals per estimates job when attain.yaml does not say. Each part credits the won deals and
 * pays the reps' quota periods without the open ones again, a few seconds at a million deals, so
 * parts much smaller than this repeat more than they share out.
 */
export const DEFAULT_ESTIMATE_DEALS = 50_000;

/** Into how many parts the estimates of the input's open deals are cut: one per `estimateDeals` open deals. */
export function estimatePartCount(input: CalculationInput, estimateDeals: number): number {
  let open = 0;
  for (const deal of input.data.deals) if (deal.stage === 'open' && !deal.deleted) open++;
  return Math.max(1, Math.ceil(open / estimateDeals));
}

/** The plans with more assigned reps than `shardReps`, and into how many shards each is cut. */
export function shardCounts(input: CalculationInput, shardReps: number): Record<string, number> {
  const reps = new Map<string, Set<string>>();
  for (const a of input.data.assignments) {
    let set = reps.get(a.planId);
    if (!set) reps.set(a.planId, (set = new Set()));
    set.add(a.repId);
  }
  const counts: Record<string, number> = {};
  for (const plan of input.plans) {
    const n = reps.get(plan.id)?.size ?? 0;
    if (n > shardReps) counts[plan.id] = Math.ceil(n / shardReps);
  }
  return counts;
}

export async function workspaceOf(ctx: StepContext): Promise<Workspace> {
  if (ctx.cache?.workspace) return ctx.cache.workspace;
  const workspace = await loadWorkspace(ctx.workspaceDir, ctx.env);
  if (ctx.cache) ctx.cache.workspace = workspace;
  return workspace;
}

/** The engine input: the source data plus the lines of locked periods as they were paid (docs/plans.md). */
async function withLockedLines(ctx: StepContext, prepared: PreparedCalculation): Promise<CalculationInput> {
  const { input } = prepared;
  const lockedPeriods = (await listLocks(ctx.db)).map((l) => l.period);
  if (lockedPeriods.length === 0) return input;
  const locks = new LockSet(lockedPeriods, new FiscalCalendar(input.calendar.fiscalYearStartMonth));
  const lines = await readLockedLines(ctx.db, (label) => locks.isLabelLocked(label));
  return { ...input, locked: { periods: lockedPeriods, lines } };
}

/**
 * A plan's version: the first 12 hex digits of the sha256 of the plan as read. The run ledger
 * records it, a plan document prints it and an acknowledgement names it.
 */
/** How many hex digits of a plan's hash runs, documents and acknowledgements carry. */
export const PLAN_HASH_DIGITS = 12;

export function planHash(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, PLAN_HASH_DIGITS);
}

export function planVersions(plans: readonly Plan[]): Record<string, string> {
  return Object.fromEntries(plans.map((p) => [p.id, planHash(p)]));
}
