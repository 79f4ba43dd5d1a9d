/**
 * Everything `attain calc` and `attain validate` need before the engine runs: the workspace, the
 * source data, the referential checks. Configuration problems (plans, assignments, currencies)
 * stop here with exit 2; data problems become rejects.
 */
import { join } from 'node:path';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { readCsvSource } from '../../connectors/csv/csv-source.js';
import type { CalculationInput } from '../domain/engine.js';
import { compareRejects, type CanonicalData, type Reject } from '../domain/model.js';
import { checkAssignments, normalize } from '../domain/normalize.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface PreparedCalculation {
  workspace: Workspace;
  input: CalculationInput;
  /** Rejects found while reading and normalizing (the engine adds its own). */
  rejects: Reject[];
  /**
   * All rejects of a calculation, in file and line order: those found while reading and
   * normalizing, and the engine's, which name a deal by id and get its file and line here.
   */
  allRejects(engineRejects: readonly Reject[]): Reject[];
  counts: { reps: number; deals: number };
}

export async function prepareCalculation(dir: string, options: { asOf?: string } = {}): Promise<PreparedCalculation> {
  const workspace = await loadWorkspace(dir);
  const { config } = workspace;
  if (config.source.kind !== 'csv') {
    throw new CliError(
      `attain.yaml: source.kind ${config.source.kind}: calc reads a ${config.source.kind} workspace from the reporting database, which \`attain run\` fills; that is not built yet — use a csv source for now`,
      ExitCode.usage,
    );
  }
  const source = await readCsvSource(join(workspace.dir, config.source.csv?.dir ?? 'data'), { tz: config.calendar.tz });
  const normalized = normalize(source.data, { baseCurrency: config.baseCurrency, locate: source.locate, idsUnique: true });

  const problems: string[] = [];
  const planIds = new Set(workspace.plans.map((p) => p.id));
  const repIds = new Set(normalized.data.reps.map((r) => r.id));
  for (const issue of checkAssignments(normalized.data.assignments, planIds, repIds, source.locate)) {
    problems.push(`${issue.where} ${issue.message}`);
  }
  problems.push(...checkPlanCurrencies(workspace, normalized.data, config.baseCurrency));
  if (problems.length > 0) throw new CliError(problems.join('\n'), ExitCode.usage);

  // Built on first use: only rejects found by the engine need it, and a million deals make it costly.
  let dealsById: Map<string, CanonicalData['deals'][number]> | undefined;
  return {
    workspace,
    input: {
      calendar: config.calendar,
      baseCurrency: config.baseCurrency,
      plans: workspace.plans,
      data: normalized.data,
      ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    },
    rejects: [...source.rejects, ...normalized.rejects],
    allRejects: (engineRejects) => {
      const located = engineRejects.map((r) => {
        if (r.source !== 'deals') return r;
        dealsById ??= new Map(normalized.data.deals.map((d) => [d.id, d]));
        const deal = dealsById.get(r.recordId);
        return { ...r, source: (deal && source.locate(deal)) ?? r.source };
      });
      return [...source.rejects, ...normalized.rejects, ...located].sort(compareRejects);
    },
    counts: { reps: normalized.data.reps.length, deals: normalized.data.deals.length },
  };
}

/** A plan paying in a currency with no exchange rate could convert nothing: a configuration error. */
function checkPlanCurrencies(workspace: Workspace, data: CanonicalData, baseCurrency: string): string[] {
  const known = new Set([baseCurrency, ...data.fxRates.map((fx) => fx.currency)]);
  return workspace.plans
    .filter((plan) => !known.has(plan.currency))
    .map(
      (plan) =>
        `${workspace.planFiles[plan.id] ?? plan.id}: plan ${plan.id} pays in ${plan.currency}, but fx.csv has no ${plan.currency} rate and the base currency is ${baseCurrency}`,
    );
}
