/**
 * The calculate step: one plan (queued: one job per plan, in parallel on any workers) or all of
 * them (in process), from the run's stored engine input. Each plan's payout lines and attainment
 * replace the stored ones in one transaction per plan (run-store.ts), so a step that runs twice,
 * or dies midway and runs again, leaves the same rows.
 *
 * Plans are independent in the engine: calculating plan A alone gives exactly plan A's lines and
 * attainment of a calculation of every plan (the locked lines of every plan stay in the input,
 * because a paid deal turning lost is a clawback whichever plan paid it). Only the engine's
 * rejects can repeat across plans (a deal no plan can convert is rejected by each): the report
 * step merges them.
 */
import type { OnProgress } from '../src/domain/progress.js';
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  listLocks,
  loadRunInputs,
  removeOtherRunsResults,
  replaceResults,
  replaceStepRejects,
  storedResultPeriods,
  type Database,
} from '../src/db/index.js';
import { ZERO, decimal, formatDecimal, type Decimal } from '../src/domain/decimal.js';
import {
  calculate,
  prepareInput,
  preparedFor,
  type AttainmentRow,
  type CalculationInput,
  type CalculationResult,
  type PayoutLine,
} from '../src/domain/engine.js';
import type { Plan } from '../src/domain/plan.js';
import { LockSet } from '../src/domain/locks.js';
import type { Reject } from '../src/domain/model.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import { RunInputsMissingError, type StepContext } from './step-context.js';

export { RunInputsMissingError };

export interface PlanOutcome {
  planId: string;
  /** Payout lines written (locked periods' lines are left as they were). */
  lines: number;
  attainment: number;
  /** The plan's result hash (see planResultHash): of all its reps, or of one shard's. */
  hash: string;
  /** What the hash is made of; the digests of a plan's shards add up to the plan's. */
  digest: PlanDigest;
  /** Payout totals per period and currency, decimal strings, including locked periods' lines. */
  totals: { period: string; currency: string; amount: string }[];
}

export interface CalculateOutcome {
  asOf?: string;
  plans: PlanOutcome[];
  /**
   * How many rejects the engine gave. The rejects themselves (by deal id, not yet located in a
   * file) are stored with the run (step_rejects), not carried through the queue.
   */
  engineRejects: number;
}

export interface ComputedPlans {
  input: CalculationInput;
  result: CalculationResult;
  plans: readonly Plan[];
}

/**
 * One of `count` shards of a plan's reps: a rep belongs to the shard `shardOf(repId, count)`,
 * which depends on its id only, so a rep stays in its shard however the other reps change.
 */
export interface Shard {
  index: number;
  count: number;
}

/** The shard of a rep id: FNV-1a of its UTF-16 code units, modulo the count. */
export function shardOf(repId: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < repId.length; i++) {
    h ^= repId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/** The whole step, as a queued job runs it: one plan (or several, or one shard of a plan's reps), calculated and written. */
export async function calculateStep(
  ctx: StepContext,
  planIds?: readonly string[],
  shard?: Shard,
): Promise<CalculateOutcome> {
  return writeResults(ctx, await computePlans(ctx, planIds, shard), shard);
}

/** Calculates the given plans (default: every plan of the run; with a shard, its reps only) from the run's stored engine input; writes nothing. */
export async function computePlans(
  ctx: StepContext,
  planIds?: readonly string[],
  shard?: Shard,
): Promise<ComputedPlans> {
  const input = ctx.cache?.input ?? (await loadRunInputs(ctx.db, ctx.runId));
  if (!input)
    throw new RunInputsMissingError(`run ${ctx.runId} has no stored inputs: its sync step must run before calculate`);
  if (ctx.cache) ctx.cache.input = input;
  const unknown = planIds?.filter((id) => !input.plans.some((p) => p.id === id)) ?? [];
  if (unknown.length > 0)
    throw new RunInputsMissingError(`run ${ctx.runId}: no plan ${unknown.join(', ')} in the run's inputs`);
  const plans = planIds === undefined ? input.plans : input.plans.filter((p) => planIds.includes(p.id));
  const reps = shard && ((repId: string) => shardOf(repId, shard.count) === shard.index);
  // A worker calculating a run plan by plan or shard by shard prepares the input's deals once for
  // all of them (kept in the run's cache); calculating every plan at once, it keeps nothing.
  const partial = planIds !== undefined || shard !== undefined;
  let prepared = partial ? ctx.cache?.preparedInput : undefined;
  if (partial && ctx.cache && !(prepared && preparedFor(prepared, input)))
    prepared = ctx.cache.preparedInput = prepareInput(input);
  const options = {
    ...(reps ? { reps } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    ...(prepared ? { prepared } : {}),
  };
  return { input, plans, result: calculate({ ...input, plans }, options) };
}

/**
 * Replaces each calculated plan's stored results (one transaction per plan). A shard replaces
 * its reps' rows only; the run then removes the rows no shard of it wrote (removeUnwrittenResults).
 */
export async function writeResults(
  ctx: StepContext,
  computed: ComputedPlans,
  shard?: Shard,
): Promise<CalculateOutcome> {
  const { input, result } = computed;
  const shardReps = shard && input.data.reps.map((r) => r.id).filter((id) => shardOf(id, shard.count) === shard.index);
  const outcomes: PlanOutcome[] = [];
  for (const { planId, lines, attainment } of splitByPlan(result, computed.plans)) {
    const written = await writePlanResults(
      ctx.db,
      ctx.runId,
      input,
      planId,
      lines,
      attainment,
      shardReps,
      ctx.onProgress,
    );
    const digest = planDigest(lines, attainment);
    outcomes.push({
      planId,
      lines: written,
      attainment: attainment.length,
      hash: hashOfDigest(digest),
      digest,
      totals: totals(lines),
    });
    const of = shard ? ` (shard ${shard.index + 1} of ${shard.count}, ${shardReps!.length} reps)` : '';
    ctx.log.info(
      { step: 'calculate', planId, lines: written, ...(shard ? { shard: shard.index + 1, shards: shard.count } : {}) },
      `plan ${planId}${of}: ${written} payout lines written`,
    );
  }
  const step = `calculate:${computed.plans.map((p) => p.id).join(',')}${shard ? `:${shard.index + 1}of${shard.count}` : ''}`;
  await replaceStepRejects(ctx.db, ctx.runId, step, result.rejects);
  return {
    ...(result.asOf === undefined ? {} : { asOf: result.asOf }),
    plans: outcomes,
    engineRejects: result.rejects.length,
  };
}

/** The outcomes of a plan's shards as one: counts, digests and totals added, the engine's rejects together. */
export function mergeShardOutcomes(planId: string, shards: readonly CalculateOutcome[]): CalculateOutcome {
  const parts = shards.flatMap((s) => s.plans.filter((p) => p.planId === planId));
  const digest = mergeDigests(parts.map((p) => p.digest));
  const asOf = shards.find((s) => s.asOf !== undefined)?.asOf;
  return {
    ...(asOf === undefined ? {} : { asOf }),
    plans: [
      {
        planId,
        lines: parts.reduce((n, p) => n + p.lines, 0),
        attainment: parts.reduce((n, p) => n + p.attainment, 0),
        hash: hashOfDigest(digest),
        digest,
        totals: sumByPeriodAndCurrency(parts.flatMap((p) => p.totals)).map((t) => ({
          period: t.period,
          currency: t.currency,
          amount: formatDecimal(t.amount),
        })),
      },
    ],
    // Each shard credits every deal, so each gives the same engine rejects.
    engineRejects: Math.max(0, ...shards.map((s) => s.engineRejects)),
  };
}

/**
 * After a plan's shards have written: removes the plan's rows in unlocked periods that this run
 * did not write (reps no longer on the plan, periods no longer calculated). Unsharded, the plan's
 * one replace does this. Idempotent.
 */
export async function removeUnwrittenResults(
  db: Kysely<Database>,
  runId: string,
  planId: string,
  fiscalYearStartMonth: number,
): Promise<number> {
  const locks = new LockSet(
    (await listLocks(db)).map((l) => l.period),
    new FiscalCalendar(fiscalYearStartMonth),
  );
  return removeOtherRunsResults(db, runId, planId, (label) => !locks.isLabelLocked(label));
}

function splitByPlan(
  result: CalculationResult,
  plans: readonly Plan[],
): { planId: string; lines: PayoutLine[]; attainment: AttainmentRow[] }[] {
  return plans.map((plan) => ({
    planId: plan.id,
    lines: result.payouts.filter((l) => l.planId === plan.id),
    attainment: result.attainment.filter((a) => a.planId === plan.id),
  }));
}

/** The result hash of a calculation of every plan at once (`attain replay`): the same as the steps' per plan. */
export function resultHashOf(result: CalculationResult, plans: readonly Plan[]): string {
  const perPlan = splitByPlan(result, plans).map(({ planId, lines, attainment }) => ({
    planId,
    hash: planResultHash(lines, attainment),
  }));
  return runResultHash(perPlan, result.rejects);
}

/** Every unlocked period the plan has results for, now or from an earlier run, is replaced as a whole. */
async function writePlanResults(
  db: Kysely<Database>,
  runId: string,
  input: CalculationInput,
  planId: string,
  lines: PayoutLine[],
  attainment: AttainmentRow[],
  reps?: readonly string[],
  onProgress?: OnProgress,
): Promise<number> {
  const locks = new LockSet(input.locked?.periods ?? [], new FiscalCalendar(input.calendar.fiscalYearStartMonth));
  const locked = (label: string) => locks.isLabelLocked(label);
  const planLines = lines.filter((l) => !locked(l.period));
  const periods = new Set((await storedResultPeriods(db, planId)).filter((p) => !locked(p)));
  for (const row of [...planLines, ...attainment]) periods.add(row.period);
  const count = await replaceResults(
    db,
    {
      runId,
      planId,
      periods: [...periods],
      lines: planLines,
      attainment,
      ...(reps ? { reps } : {}),
    },
    onProgress ? { onProgress } : {},
  );
  return count.lines;
}

/**
 * A plan's results, summarised so that shards add up: the count of lines and of attainment rows,
 * and the sum (mod 2^256) of one sha256 per rep over that rep's payout lines (every field but the
 * trace) and attainment rows, in the engine's order. A rep is never split across shards, so the
 * shards' digests add up to the digest of the whole plan.
 */
export interface PlanDigest {
  lines: number;
  attainment: number;
  /** 64 hex digits. */
  sum: string;
}

const MOD = 1n << 256n;

export function planDigest(lines: readonly PayoutLine[], attainment: readonly AttainmentRow[]): PlanDigest {
  const byRep = new Map<string, ReturnType<typeof createHash>>();
  const repHash = (repId: string) => {
    let hash = byRep.get(repId);
    if (!hash) byRep.set(repId, (hash = createHash('sha256').update(`${repId}\n`)));
    return hash;
  };
  for (const { repId, planId, period, component, amount, currency } of lines)
    repHash(repId).update(`${JSON.stringify([repId, planId, period, component, amount, currency])}\n`);
  for (const row of attainment) repHash(row.repId).update(`${JSON.stringify(row)}\n`);
  let sum = 0n;
  for (const hash of byRep.values()) sum = (sum + BigInt(`0x${hash.digest('hex')}`)) % MOD;
  return { lines: lines.length, attainment: attainment.length, sum: sum.toString(16).padStart(64, '0') };
}

export function mergeDigests(digests: readonly PlanDigest[]): PlanDigest {
  let sum = 0n;
  for (const d of digests) sum = (sum + BigInt(`0x${d.sum}`)) % MOD;
  return {
    lines: digests.reduce((n, d) => n + d.lines, 0),
    attainment: digests.reduce((n, d) => n + d.attainment, 0),
    sum: sum.toString(16).padStart(64, '0'),
  };
}

export function hashOfDigest(digest: PlanDigest): string {
  return createHash('sha256')
    .update(`payouts ${digest.lines}\nattainment ${digest.attainment}\nreps ${digest.sum}\n`)
    .digest('hex');
}

/** sha256 of a plan's payout lines and attainment rows: the same whether calculated whole or in shards. */
export function planResultHash(lines: readonly PayoutLine[], attainment: readonly AttainmentRow[]): string {
  return hashOfDigest(planDigest(lines, attainment));
}

/**
 * A run's result hash, recorded on the run and compared by `attain replay`: the plans' hashes in
 * plan id order, then the engine's rejects merged across plans. The same whether the plans were
 * calculated together (in process, replay) or one job each (queued).
 */
export function runResultHash(
  plans: readonly Pick<PlanOutcome, 'planId' | 'hash'>[],
  engineRejects: readonly Reject[],
): string {
  const hash = createHash('sha256');
  const sorted = [...plans].sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0));
  hash.update(`plans ${sorted.length}\n`);
  for (const p of sorted) hash.update(`${p.planId} ${p.hash}\n`);
  const rejects = mergeEngineRejects([engineRejects]);
  hash.update(`rejects ${rejects.length}\n`);
  for (const r of rejects) hash.update(`${JSON.stringify(r)}\n`);
  return hash.digest('hex');
}

/** The engine's rejects of several calculate steps, each once, in the engine's order (source, record, reason). */
export function mergeEngineRejects(lists: readonly (readonly Reject[])[]): Reject[] {
  const seen = new Map<string, Reject>();
  for (const list of lists) for (const r of list) seen.set(`${r.source}\u0000${r.recordId}\u0000${r.reason}`, r);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

function totals(lines: readonly PayoutLine[]): PlanOutcome['totals'] {
  return sumByPeriodAndCurrency(lines).map((s) => ({
    period: s.period,
    currency: s.currency,
    amount: formatDecimal(s.amount),
  }));
}

/** Amounts summed per period and currency, exactly, in first-seen order: a plan's lines, or the plans' totals of a run. */
export function sumByPeriodAndCurrency(
  rows: readonly { period: string; currency: string; amount: string }[],
): { period: string; currency: string; amount: Decimal }[] {
  const sums = new Map<string, { period: string; currency: string; amount: Decimal }>();
  for (const row of rows) {
    const key = `${row.period}\u0000${row.currency}`;
    let sum = sums.get(key);
    if (!sum) sums.set(key, (sum = { period: row.period, currency: row.currency, amount: ZERO }));
    sum.amount += decimal(row.amount);
  }
  return [...sums.values()];
}
