/**
 * The estimates step (docs/estimates.md): what each open deal would pay, from the run's stored
 * engine input (the same one the calculate step used, locks and adjustments included), replacing
 * every stored estimate: a deal that closed or was deleted since the last run has none left. On the
 * queue, many open deals make their estimates in parts (by deal id, as the store's parts), side by
 * side: each part removes what earlier runs stored and writes its own deals' estimates.
 */
import { loadRunInputs, replaceEstimates } from '../src/db/index.js';
import type { CalculationInput } from '../src/domain/engine.js';
import { estimateBasis, estimatesOf, type EstimateBasis } from '../src/domain/estimate.js';
import { forecast, type ForecastRow } from '../src/domain/forecast.js';
import { shardOf, type Shard } from './calculate.js';
import { RunInputsMissingError, type StepContext } from './step-context.js';
import { workspaceOf } from './sync.js';

export interface EstimatesOutcome {
  /** Estimates stored (one per open deal, rep and plan). */
  estimates: number;
  /** Open deals that have at least one. */
  deals: number;
}

export async function estimatesStep(ctx: StepContext, part?: Shard): Promise<EstimatesOutcome> {
  const input = ctx.cache?.input ?? (await loadRunInputs(ctx.db, ctx.runId));
  if (!input)
    throw new RunInputsMissingError(`run ${ctx.runId} has no stored inputs: its sync step must run before estimates`);
  const inPart = part && ((id: string) => shardOf(id, part.count) === part.index);
  const { config } = await workspaceOf(ctx);
  // The parts of a run's estimates: each estimates its own open deals on what they all share (the
  // window of every open deal, the won deals credited: the same as one step of them all), which a
  // worker making several parts computes once, kept in the run's cache with the input it is of.
  const basis = part ? sharedBasis(ctx, input) : undefined;
  // The store writes every trace: each rendered at once, as JSON text, in its deal's one evaluation,
  // and made as the COPY takes them, so that the next are made while the database loads these and a
  // trace is dropped once written (docs/estimates.md#how-it-is-fast).
  const made =
    part && !basis
      ? undefined
      : estimatesOf(input, { traces: 'text', ...(basis && { basis }), ...(inPart && { deals: inPart }) });
  const each = made === undefined ? [] : made.each;
  let rows: readonly ForecastRow[] = [];
  const estimates = await replaceEstimates(ctx.db, ctx.runId, each, {
    // The liability forecast (docs/report.md#liability-forecast): each estimate weighted by its deal's probability.
    forecast: (written) =>
      (rows = forecast(written, input.data.deals, {
        field: config.forecast.probabilityField,
        unit: config.forecast.probabilityUnit,
      })),
    // A part replaces what is stored for its deals: the open ones, which are those that can have estimates.
    ...(inPart && {
      part: input.data.deals.filter((d) => d.stage === 'open' && !d.deleted && inPart(d.id)).map((d) => d.id),
    }),
  });
  // Not a warning: a workspace that keeps no probabilities simply has no forecast; the report says how many.
  const unweighted = new Set(rows.filter((r) => r.reason !== undefined).map((r) => r.dealId)).size;
  ctx.log.info(
    { step: 'estimates', estimates: estimates.length, forecastRows: rows.length, dealsWithoutProbability: unweighted },
    `${estimates.length} estimates of open deals written; ${unweighted} open deals without a usable probability`,
  );
  return { estimates: estimates.length, deals: new Set(estimates.map((e) => e.dealId)).size };
}

/** The basis of the input's estimates (estimateBasis), from the run's cache when this worker made it already. */
function sharedBasis(ctx: StepContext, input: CalculationInput): EstimateBasis | undefined {
  const cached = ctx.cache?.estimateBasis;
  if (cached?.input === input) return cached;
  const basis = estimateBasis(input);
  if (ctx.cache && basis) Object.assign(ctx.cache, { input, estimateBasis: basis });
  return basis;
}
