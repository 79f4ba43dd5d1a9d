/**
 * The `attain diff` use case (docs/cli.md#attain-diff): the same inputs calculated under two
 * versions of the plans (and of quotas.csv and assignments.csv when the two sides differ there),
 * compared by src/domain/plan-diff.ts. The inputs are the latest run's stored engine input when
 * the workspace has one, else the source as read now; the input is prepared once and both sides
 * share it. Writes nothing.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadWorkspace, type Workspace } from '../config/workspace.js';
import { readCsvSource } from '../connectors/csv/csv-source.js';
import { sourceOf } from '../connectors/registry.js';
import { latestRunWithInputs, loadRunInputs } from '../src/db/index.js';
import { calculate, type CalculationInput, type CalculationResult } from '../src/domain/engine.js';
import type { Assignment, Quota } from '../src/domain/model.js';
import { checkAssignments, normalize } from '../src/domain/normalize.js';
import { FiscalCalendar } from '../src/domain/periods.js';
import type { Plan } from '../src/domain/plan.js';
import { diffPlans, type PlanDiff } from '../src/domain/plan-diff.js';
import type { OnProgress } from '../src/domain/progress.js';
import { CalculationInputError, prepareCalculation } from './prepare-calculation.js';
import { DiffError, loadSide, sideSpec, type LoadedSide, type SideDataFile } from './plan-revisions.js';
import { openWorkspaceDatabase, workspaceDatabaseUrl } from './workspace-database.js';

export { DiffError };

export interface PlanDiffOptions {
  /** `--base`: a git revision or a plans folder; default `HEAD`. */
  base?: string;
  /** `--head`: a git revision or a plans folder; default the working tree. */
  head?: string;
  /** `--period`: `2026`, `2026-Q1`, `2026-01`, or `FROM..TO` (both ends included). */
  period?: string;
  env?: NodeJS.ProcessEnv;
  /** Where relative folders in `base` and `head` are resolved; default the process's. */
  cwd?: string;
  /** The workspace, when the caller loaded it already. */
  workspace?: Workspace;
  onProgress?: OnProgress;
}

export interface PlanDiffOutcome {
  diff: PlanDiff;
  /** What was calculated: `run <id>` (its stored input) or `the source as read now`. */
  inputs: string;
  /** The last day calculated. */
  asOf?: string;
  /** Plans calculated once only: the same on both sides, with the same quotas and assignments. */
  unchangedPlans: string[];
}

export async function planDiff(dir: string, options: PlanDiffOptions = {}): Promise<PlanDiffOutcome> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const workspace = options.workspace ?? (await loadWorkspace(dir, env));
  const calendar = new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth);
  const period = parsePeriodRange(options.period, calendar);
  const base = await loadSide(workspace, await sideSpec(options.base, { kind: 'git', ref: 'HEAD' }, cwd), env);
  const head = await loadSide(workspace, await sideSpec(options.head, { kind: 'worktree' }, cwd), env);
  const { input, from } = await diffInputs(workspace, env);

  const changed = {
    'quotas.csv': base.files['quotas.csv'] !== head.files['quotas.csv'],
    'assignments.csv': base.files['assignments.csv'] !== head.files['assignments.csv'],
  };
  const baseInput = await sideInput(workspace, input, base, changed);
  const headInput = await sideInput(workspace, input, head, changed);
  const progress = options.onProgress ? { onProgress: options.onProgress } : {};
  const baseResult = calculate(baseInput, progress);

  // Plans are independent in the engine (jobs/calculate.ts): a plan the same on both sides, on the
  // same quotas and assignments, gives the same lines and attainment; it is calculated once.
  const dataChanged = changed['quotas.csv'] || changed['assignments.csv'];
  const baseById = new Map(base.plans.map((p) => [p.id, JSON.stringify(p)]));
  const same = new Set(
    dataChanged ? [] : head.plans.filter((p) => baseById.get(p.id) === JSON.stringify(p)).map((p) => p.id),
  );
  const toCalculate = head.plans.filter((p) => !same.has(p.id));
  const headResult = mergeResults(
    baseResult,
    same,
    toCalculate.length === 0 ? undefined : calculate({ ...headInput, plans: toCalculate }, progress),
    new Set(toCalculate.map((p) => p.id)),
  );

  const diff = diffPlans(
    { ref: base.ref, plans: base.plans, payouts: baseResult.payouts, attainment: baseResult.attainment },
    { ref: head.ref, plans: head.plans, payouts: headResult.payouts, attainment: headResult.attainment },
    {
      calendar,
      baseCurrency: input.baseCurrency,
      fxRates: input.data.fxRates,
      ...(period ? { period } : {}),
    },
  );
  return {
    diff,
    inputs: from,
    ...(baseResult.asOf === undefined ? {} : { asOf: baseResult.asOf }),
    unchangedPlans: [...same],
  };
}

/** The head's result: the base's lines and attainment of the unchanged plans, and the recalculated ones'. */
function mergeResults(
  base: CalculationResult,
  unchanged: ReadonlySet<string>,
  recalculated: CalculationResult | undefined,
  recalculatedPlans: ReadonlySet<string>,
): Pick<CalculationResult, 'payouts' | 'attainment'> {
  if (!recalculated) {
    return {
      payouts: base.payouts.filter((l) => unchanged.has(l.planId)),
      attainment: base.attainment.filter((a) => unchanged.has(a.planId)),
    };
  }
  if (unchanged.size === 0) return recalculated;
  return {
    payouts: [
      ...base.payouts.filter((l) => unchanged.has(l.planId)),
      ...recalculated.payouts.filter((l) => recalculatedPlans.has(l.planId)),
    ],
    attainment: [
      ...base.attainment.filter((a) => unchanged.has(a.planId)),
      ...recalculated.attainment.filter((a) => recalculatedPlans.has(a.planId)),
    ],
  };
}

/**
 * `2026-Q1` or `2026-01..2026-06` (each end a period label; both included) as the days it spans;
 * undefined without `--period`.
 */
export function parsePeriodRange(
  text: string | undefined,
  calendar: FiscalCalendar,
): { startDay: number; endDay: number } | undefined {
  if (text === undefined) return undefined;
  const [fromText, toText = fromText] = text.split('..') as [string, string?];
  const from = calendar.parse(fromText.trim());
  const to = calendar.parse(toText.trim());
  if (!from || !to || text.split('..').length > 2)
    throw new DiffError(
      `--period ${text}: expected a period (2026, 2026-Q1, 2026-01) or a range FROM..TO such as 2026-01..2026-06`,
    );
  if (to.endDay < from.startDay) throw new DiffError(`--period ${text}: ${toText} ends before ${fromText} starts`);
  return { startDay: from.startDay, endDay: to.endDay };
}

/**
 * The inputs both sides are calculated on: the latest run's stored engine input when the
 * workspace has a reporting database holding one, else the source as read now (a CRM source:
 * the records last synced). A workspace with neither has never been read: nothing to compare.
 */
async function diffInputs(
  workspace: Workspace,
  env: NodeJS.ProcessEnv,
): Promise<{ input: CalculationInput; from: string }> {
  const { connect } = sourceOf(workspace.config);
  const embedded = path.join(workspace.dir, '.attain');
  const url = workspaceDatabaseUrl(workspace, env);
  // An empty DATABASE_URL (a CI secret that is not set) names no database.
  const hasDatabase =
    (url !== undefined && url !== '') || ((await stat(embedded).catch(() => undefined))?.isDirectory() ?? false);
  const neverRead = () =>
    new DiffError(
      `${workspace.dir} has never been read: no run stored its inputs and the source (${workspace.config.source.kind}) has no reps; ` +
        (connect
          ? `run attain run (or attain ${workspace.config.source.kind} sync) first`
          : `${workspace.config.source.csv.dir}/reps.csv has no reps`),
    );
  if (!hasDatabase) {
    if (connect) throw neverRead();
    const prepared = await prepareCalculation(workspace.dir, { workspace });
    if (prepared.input.data.reps.length === 0) throw neverRead();
    return { input: prepared.input, from: 'the source as read now' };
  }
  const database = await openWorkspaceDatabase(workspace, { env });
  try {
    const runId = await latestRunWithInputs(database.db);
    const stored = runId === undefined ? undefined : await loadRunInputs(database.db, runId);
    if (stored) return { input: stored, from: `run ${runId}` };
    const prepared = await prepareCalculation(workspace.dir, { workspace, ...(connect ? { db: database.db } : {}) });
    if (prepared.input.data.reps.length === 0) throw neverRead();
    return { input: prepared.input, from: 'the source as read now' };
  } finally {
    await database.close();
  }
}

/** The input under one side's plans, and its own quotas and assignments where the sides differ. */
async function sideInput(
  workspace: Workspace,
  input: CalculationInput,
  side: LoadedSide,
  changed: Record<SideDataFile, boolean>,
): Promise<CalculationInput> {
  let { quotas, assignments } = input.data;
  let locate: ((record: object) => string | undefined) | undefined;
  if (changed['quotas.csv'] || changed['assignments.csv']) {
    const read = await readSideFiles(workspace, side, changed);
    locate = read.locate;
    if (changed['quotas.csv']) {
      // Quotas of unknown reps, repeated or out of range are left out, as in a run.
      quotas = normalize(
        { reps: input.data.reps, deals: [], splits: [], quotas: read.quotas, assignments: [], fxRates: [] },
        {
          baseCurrency: input.baseCurrency,
          limits: workspace.config.limits,
          ...(input.asOf ? { asOf: input.asOf } : {}),
        },
      ).data.quotas;
    }
    if (changed['assignments.csv']) assignments = read.assignments;
  }
  checkSide(side, input, assignments, locate);
  return { ...input, plans: side.plans, data: { ...input.data, quotas, assignments } };
}

/** A side's assignments must name its plans and known reps; its plans' currencies must have rates. */
function checkSide(
  side: LoadedSide,
  input: CalculationInput,
  assignments: Assignment[],
  locate: ((record: object) => string | undefined) | undefined,
): void {
  const problems = checkAssignments(
    assignments,
    new Set(side.plans.map((p: Plan) => p.id)),
    new Set(input.data.reps.map((r) => r.id)),
    locate,
  ).map((issue) => `${issue.where} ${issue.message}`);
  const known = new Set([input.baseCurrency, ...input.data.fxRates.map((f) => f.currency)]);
  for (const plan of side.plans) {
    if (!known.has(plan.currency))
      problems.push(`plan ${plan.id} pays in ${plan.currency}, but the inputs have no ${plan.currency} exchange rate`);
  }
  if (problems.length > 0) throw new CalculationInputError(problems.map((p) => `${side.ref}: ${p}`).join('\n'));
}

/** The side's changed quotas.csv and assignments.csv, read by the CSV connector from a temporary folder. */
async function readSideFiles(
  workspace: Workspace,
  side: LoadedSide,
  changed: Record<SideDataFile, boolean>,
): Promise<{ quotas: Quota[]; assignments: Assignment[]; locate: (record: object) => string | undefined }> {
  const names = (Object.keys(changed) as SideDataFile[]).filter((name) => changed[name]);
  const dir = await mkdtemp(path.join(tmpdir(), 'attain-diff-data-'));
  try {
    for (const name of names) {
      const text = side.files[name];
      if (text === undefined)
        throw new DiffError(`${side.ref}: the workspace has no ${name} there, and the other side has one`);
      await writeFile(path.join(dir, name), text);
    }
    const read = await readCsvSource(dir, {
      tz: workspace.config.calendar.tz,
      maxRecordChars: workspace.config.limits.csvRecordChars,
      only: names,
    });
    return { quotas: read.data.quotas, assignments: read.data.assignments, locate: read.locate };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
