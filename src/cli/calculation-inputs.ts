/**
 * Everything `attain calc` and `attain validate` need before the engine runs: the workspace, the
 * source data, the referential checks. Configuration problems (plans, assignments, currencies)
 * stop here with exit 2; data problems become rejects.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { readCsvSource, type CsvSourceResult } from '../../connectors/csv/csv-source.js';
import { listSyncRejects, readCanonical, type Database } from '../db/index.js';
import type { CalculationInput } from '../domain/engine.js';
import type { OnProgress } from '../domain/progress.js';
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

export interface PrepareOptions {
  asOf?: string;
  /** The workspace, when the caller has loaded it already. */
  workspace?: Workspace;
  /**
   * The reporting database: where a CRM source's synced reps, deals, splits and exchange rates
   * are read from (and the rejects its syncs left). Required for a CRM source.
   */
  db?: Kysely<Database>;
  /** Told how far reading the CSV files is. */
  onProgress?: OnProgress;
}

/** The CSV files a CRM workspace still keeps: its quotas, plan assignments and (optionally) exchange rates. */
export const CRM_WORKSPACE_FILES = ['quotas.csv', 'assignments.csv', 'fx.csv'] as const;

export async function prepareCalculation(dir: string, options: PrepareOptions = {}): Promise<PreparedCalculation> {
  const workspace = options.workspace ?? (await loadWorkspace(dir));
  const { config } = workspace;
  const source = await readSource(workspace, options.db, options.onProgress);
  const normalized = normalize(source.data, {
    baseCurrency: config.baseCurrency,
    locate: source.locate,
    idsUnique: true,
  });

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

/** The CSV files, or for a CRM source its synced rows with the workspace's quotas and assignments. */
async function readSource(
  workspace: Workspace,
  db: Kysely<Database> | undefined,
  onProgress: OnProgress | undefined,
): Promise<CsvSourceResult> {
  const { config } = workspace;
  const dir = join(workspace.dir, config.source.csv.dir);
  const { kind } = config.source;
  if (kind === 'csv') return readCsvSource(dir, { tz: config.calendar.tz, ...(onProgress ? { onProgress } : {}) });
  if (!db) {
    throw new CliError(
      `attain.yaml: source.kind ${kind}: the synced data is read from the reporting database, which was not opened`,
      ExitCode.usage,
    );
  }
  const files = await readCsvSource(dir, { tz: config.calendar.tz, only: CRM_WORKSPACE_FILES });
  const synced = await readCanonical(db, { source: kind });
  const syncRejects = await listSyncRejects(db, kind);
  // The workspace's fx.csv fills in where the CRM has no rates (SPEC §1); a CRM rate wins for the same day.
  const crmRates = new Set(synced.fxRates.map((f) => `${f.currency} ${f.from}`));
  const fxRates = [...synced.fxRates, ...files.data.fxRates.filter((f) => !crmRates.has(`${f.currency} ${f.from}`))];
  return {
    data: { ...synced, quotas: files.data.quotas, assignments: files.data.assignments, fxRates },
    rejects: [...syncRejects, ...files.rejects],
    // A synced record has no file line: name the CRM it came from.
    locate: (record) => files.locate(record) ?? kind,
  };
}

/** A plan paying in a currency with no exchange rate could convert nothing: a configuration error. */
function checkPlanCurrencies(workspace: Workspace, data: CanonicalData, baseCurrency: string): string[] {
  const known = new Set([baseCurrency, ...data.fxRates.map((fx) => fx.currency)]);
  return workspace.plans
    .filter((plan) => !known.has(plan.currency))
    .map(
      (plan) =>
        `${workspace.planFiles[plan.id] ?? plan.id}: plan ${plan.id} pays in ${plan.currency}, but there is no ${plan.currency} exchange rate (fx.csv${workspace.config.source.kind === 'csv' ? '' : ` or ${workspace.config.source.kind}`}) and the base currency is ${baseCurrency}`,
    );
}
