/**
 * The prepare use case: everything a calculation (`attain calc`, `attain validate`, a run's sync
 * step) needs before the engine runs: the workspace, the source data, the referential checks.
 * Configuration problems (plans, assignments, currencies) stop here with a CalculationInputError
 * (exit 2); data problems become rejects.
 */
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { formatIssue } from '../config/errors.js';
import { TERRITORIES_FILE } from '../config/territories.js';
import { loadWorkspace, type Workspace } from '../config/workspace.js';
import { readCsvSource, type CsvPart, type CsvSourceResult } from '../connectors/csv/csv-source.js';
import { sourceOf } from '../connectors/registry.js';
import { listSyncRejects, readCanonical, type Database } from '../src/db/index.js';
import type { CalculationInput } from '../src/domain/engine.js';
import { AttainError } from '../src/domain/errors.js';
import { compareRejects, isIsoDate, type CanonicalData, type Reject } from '../src/domain/model.js';
import { checkAssignments, normalize } from '../src/domain/normalize.js';
import { checkTerritoryAssignments, unknownRuleFields } from '../src/domain/territories.js';

/** The inputs cannot be calculated (an assignment to an unknown plan, a plan currency with no rate): exit 2. */
export class CalculationInputError extends AttainError {
  override readonly name = 'CalculationInputError';
  readonly code = 'INPUT_INVALID';
}

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
  /** `notYetDue`: won deals closing after the as-of date, left for a later run. */
  counts: { reps: number; deals: number; notYetDue: number };
  /**
   * The reps as the source gave them, before the referential checks cut a manager link to nobody
   * or a loop (quota planning refuses those), and where a record came from (`reps.csv:7`).
   */
  source: { reps: CanonicalData['reps']; locate(record: object): string | undefined };
}

export interface PrepareOptions {
  /** The last day calculated (`--as-of`); default: the run's date (runDate). */
  asOf?: string;
  /** The run's date, when the caller has read it (YYYY-MM-DD). */
  today?: string;
  /** The workspace, when the caller has loaded it already. */
  workspace?: Workspace;
  /**
   * The reporting database: where a CRM source's synced reps, deals, splits and exchange rates
   * are read from (and the rejects its syncs left). Required for a CRM source.
   */
  db?: Kysely<Database>;
  /** A csv source's files already read in byte ranges (jobs/read-range.ts), by file: put together, not read again. */
  csvParts?: ReadonlyMap<string, readonly CsvPart[]>;
}

export async function prepareCalculation(dir: string, options: PrepareOptions = {}): Promise<PreparedCalculation> {
  const workspace = options.workspace ?? (await loadWorkspace(dir));
  const { config } = workspace;
  const asOf = asOfDate(options.asOf, options.today ?? runDate(config.calendar.tz), config.limits.yearsFromAsOf);
  const source = await readSource(workspace, options.db, options.csvParts);
  const normalized = normalize(source.data, {
    baseCurrency: config.baseCurrency,
    locate: source.locate,
    idsUnique: true,
    asOf,
    limits: config.limits,
  });

  const problems: string[] = [];
  const planIds = new Set(workspace.plans.map((p) => p.id));
  const repIds = new Set(normalized.data.reps.map((r) => r.id));
  for (const issue of checkAssignments(normalized.data.assignments, planIds, repIds, source.locate)) {
    problems.push(`${issue.where} ${issue.message}`);
  }
  problems.push(...checkPlanCurrencies(workspace, normalized.data, config.baseCurrency));
  problems.push(...checkTerritories(workspace, normalized.data, repIds, source.locate));
  if (problems.length > 0) throw new CalculationInputError(problems.join('\n'));
  if (workspace.territories) normalized.data.territories = workspace.territories.territories;

  // Built on first use: only rejects found by the engine need it, and a million deals make it costly.
  let dealsById: Map<string, CanonicalData['deals'][number]> | undefined;
  return {
    workspace,
    input: {
      calendar: config.calendar,
      baseCurrency: config.baseCurrency,
      plans: workspace.plans,
      data: normalized.data,
      asOf,
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
    source: { reps: source.data.reps, locate: source.locate },
    counts: {
      reps: normalized.data.reps.length,
      deals: normalized.data.deals.length,
      notYetDue: normalized.data.deals.filter((d) => d.stage === 'won' && !d.deleted && d.closeDate > asOf).length,
    },
  };
}

/** Set to a date (YYYY-MM-DD) to fix "today" for a test; never needed in use. */
export const TODAY_VARIABLE = 'ATTAIN_TODAY';

/**
 * The run's date: today in the calendar's time zone (a run at 01:00 in New York on the 1st is
 * still on the 1st there, whatever the server's clock says). The one place a calculation reads
 * the clock; tests fix it with ATTAIN_TODAY.
 */
export function runDate(tz: string, env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): string {
  const fixed = env[TODAY_VARIABLE];
  if (fixed !== undefined && fixed !== '') {
    if (!isIsoDate(fixed)) throw new CalculationInputError(`${TODAY_VARIABLE}=${fixed}: expected a date YYYY-MM-DD`);
    return fixed;
  }
  return DateTime.fromJSDate(now, { zone: tz }).toISODate()!;
}

/**
 * The last day calculated: `--as-of`, or the run's date. Deals closing after it are not yet due
 * (counted, not computed). An as-of date further ahead than the dates a run accepts would only
 * reject every deal there is: a mistyped year, stopped here.
 */
function asOfDate(given: string | undefined, today: string, years: number): string {
  if (given === undefined) return today;
  const latest = `${Number(today.slice(0, 4)) + years}${today.slice(4)}`;
  if (given > latest) {
    throw new CalculationInputError(
      `--as-of ${given} is more than ${years} years after today (${today}); limits.yearsFromAsOf in attain.yaml sets how far`,
    );
  }
  return given;
}

/**
 * The source's records: its data files, and for a source that syncs (a CRM) the rows synced into
 * the reporting database combined with those files. This is the one place they are combined.
 */
async function readSource(
  workspace: Workspace,
  db: Kysely<Database> | undefined,
  parts: ReadonlyMap<string, readonly CsvPart[]> | undefined,
): Promise<CsvSourceResult> {
  const { config } = workspace;
  const dir = join(workspace.dir, config.source.csv.dir);
  const source = sourceOf(config);
  const { kind } = source;
  if (source.connect && !db) {
    throw new CalculationInputError(
      `attain.yaml: source.kind ${kind}: the synced data is read from the reporting database, which was not opened`,
    );
  }
  const files = await readCsvSource(dir, {
    tz: config.calendar.tz,
    maxRecordChars: config.limits.csvRecordChars,
    ...(source.files ? { only: source.files } : {}),
    ...(parts ? { parts } : {}),
  });
  if (!db || !source.connect) return files;
  const synced = await readCanonical(db, { source: kind });
  const syncRejects = await listSyncRejects(db, kind);
  // The workspace's fx.csv fills in where the CRM has no rates; a CRM rate wins for the same day.
  const crmRates = new Set(synced.fxRates.map((f) => `${f.currency} ${f.from}`));
  const fxRates = [...synced.fxRates, ...files.data.fxRates.filter((f) => !crmRates.has(`${f.currency} ${f.from}`))];
  return {
    data: {
      ...synced,
      quotas: files.data.quotas,
      assignments: files.data.assignments,
      fxRates,
      ...(files.data.territoryAssignments ? { territoryAssignments: files.data.territoryAssignments } : {}),
    },
    rejects: [...syncRejects, ...files.rejects],
    // A synced record has no file line: name the CRM it came from.
    locate: (record) => files.locate(record) ?? kind,
  };
}

/**
 * territories.yaml against the data (docs/territories.md#bad-input): a rule on a field no account
 * has, an assignment to an unknown territory or rep, owners above 100 %. A measure crediting by
 * territory without territories.yaml is one too.
 */
function checkTerritories(
  workspace: Workspace,
  data: CanonicalData,
  repIds: ReadonlySet<string>,
  locate: (record: object) => string | undefined,
): string[] {
  const file = workspace.territories;
  const problems: string[] = [];
  if (!file) {
    for (const plan of workspace.plans) {
      for (const [name, measure] of Object.entries(plan.measures)) {
        if (measure.credit === 'territory')
          problems.push(
            `${workspace.planFiles[plan.id] ?? plan.id}: measure ${name} credits by territory, but the workspace has no ${TERRITORIES_FILE}`,
          );
      }
    }
    if (data.territoryAssignments?.length)
      problems.push(`territory-assignments.csv: the workspace has no ${TERRITORIES_FILE} to assign reps to`);
    return problems;
  }
  for (const issue of unknownRuleFields(file.territories, data.accounts ?? [])) {
    problems.push(formatIssue(file.locate(issue)));
  }
  const ids = new Set(file.territories.map((t) => t.id));
  for (const issue of checkTerritoryAssignments(data.territoryAssignments ?? [], ids, repIds, locate)) {
    problems.push(`${issue.where} ${issue.message}`);
  }
  return problems;
}

/** A plan paying in a currency with no exchange rate could convert nothing: a configuration error. */
function checkPlanCurrencies(workspace: Workspace, data: CanonicalData, baseCurrency: string): string[] {
  const known = new Set([baseCurrency, ...data.fxRates.map((fx) => fx.currency)]);
  return workspace.plans
    .filter((plan) => !known.has(plan.currency))
    .map(
      (plan) =>
        `${workspace.planFiles[plan.id] ?? plan.id}: plan ${plan.id} pays in ${plan.currency}, but there is no ${plan.currency} exchange rate (fx.csv${sourceOf(workspace.config).connect ? ` or ${workspace.config.source.kind}` : ''}) and the base currency is ${baseCurrency}`,
    );
}
