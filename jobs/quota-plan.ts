/**
 * The quota planning use cases (docs/quota-planning.md): `attain quotas plan` (next year's
 * quotas.csv from a company target), `attain quotas check` (a quota file against the target and
 * the ramped capacity) and `attain capacity` (what the headcount can carry, and the hires to close
 * the gap). They read the workspace as a calculation does; the planning math is
 * src/domain/quota-planning.ts. Bad options or an org the plan cannot follow stop with exit 2
 * before anything is written.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readQuotasFile } from '../connectors/csv/csv-source.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import { ONE, ZERO, parseDecimal, type Decimal } from '../src/domain/decimal.js';
import { AttainError } from '../src/domain/errors.js';
import { isIsoDate, type Reject } from '../src/domain/model.js';
import { repTerritoryPotential, territoryPotential } from '../src/domain/territories.js';
import { FiscalCalendar, isoOfDay } from '../src/domain/periods.js';
import type { PeriodKind } from '../src/domain/plan.js';
import {
  QuotaPlanProblem,
  bookingsOf,
  capacityOf,
  checkQuotas,
  parseRamp,
  planQuotas,
  planTree,
  planYear,
  quotaRows,
  summarize,
  type Capacity,
  type PlanYear,
  type QuotaFinding,
  type QuotaMethod,
  type QuotaPlan,
  type QuotaSummary,
  type RepPotential,
  type Seasonality,
} from '../src/domain/quota-planning.js';
import type { PreparedCalculation } from './prepare-calculation.js';

/** A planning option or the org cannot make a plan (a bad --target, a manager chain leaving the tree): exit 2. */
export class QuotaPlanError extends AttainError {
  override readonly name = 'QuotaPlanError';
  readonly code = 'INPUT_INVALID';
}

/**
 * Where per-rep territory potential comes from for `--method potential`: the workspace's
 * territories.yaml, accounts and territory assignments (docs/quota-planning.md#--method-potential).
 */
export type PotentialSource = (prepared: PreparedCalculation, year: PlanYear) => RepPotential;

export const TERRITORIES_FILE = 'territories.yaml';

/**
 * Each rep's share of the potential (open pipeline and the last twelve months' bookings, as of the
 * calculation's as-of date) of the territories they own on the plan year's first day.
 */
export const territoryPotentialOf: PotentialSource = (prepared, year) => {
  const { data, baseCurrency, asOf } = prepared.input;
  if (!data.territories?.length)
    throw new QuotaPlanError(
      `--method potential needs ${TERRITORIES_FILE} in the workspace (territories and their accounts, docs/territories.md); use --method history or equal`,
    );
  const potentials = territoryPotential(data, baseCurrency, asOf ?? isoOfDay(year.startDay - 1));
  return repTerritoryPotential(potentials, data.territoryAssignments ?? [], year.startDay);
};

/** The options every planning command shares, as typed on the command line. */
export interface PlanningFlags {
  year: string;
  ramp?: string;
  /** month, quarter or year; default: the plans' quotaPeriod when they agree, else quarter. */
  periods?: string;
}

export interface QuotaPlanFlags extends PlanningFlags {
  target: string;
  method?: string;
  overassign?: string;
  seasonality?: string;
}

export interface QuotaPlanOutcome {
  plan: QuotaPlan;
  summary: QuotaSummary;
  /** Where the quotas were written, and how many rows. */
  path: string;
  rows: number;
  digits: number;
  currency: string;
}

/** `attain quotas plan`: next year's quotas, written to `out` as a drop-in quotas.csv. */
export async function planQuotaFile(
  prepared: PreparedCalculation,
  flags: QuotaPlanFlags,
  out: string,
  potentialSource: PotentialSource = territoryPotentialOf,
): Promise<QuotaPlanOutcome> {
  const method = oneOf<QuotaMethod>('--method', flags.method ?? 'history', ['history', 'equal', 'potential']);
  const seasonality = oneOf<Seasonality>('--seasonality', flags.seasonality ?? 'history', ['history', 'flat']);
  const target = positiveAmount('--target', flags.target);
  const overassign = flags.overassign === undefined ? ONE : overassignment(flags.overassign);
  const { year, ramp, nodes, currency, digits } = planningContext(prepared, flags);
  const lastYear = bookingsOf(prepared.input.data, currency, shiftYear(prepared, year));
  const potential = method === 'potential' ? potentialSource(prepared, year) : undefined;
  let plan: QuotaPlan;
  try {
    plan = planQuotas({
      year,
      nodes,
      target,
      method,
      overassign,
      ramp,
      seasonality,
      lastYear,
      digits,
      ...(potential ? { potential } : {}),
    });
  } catch (error) {
    if (error instanceof QuotaPlanProblem)
      throw new QuotaPlanError(`attain quotas plan --year ${year.label}: ${error.message}`);
    throw error;
  }
  const rows = quotaRows(plan, digits);
  const path = resolve(out);
  await mkdir(dirname(path), { recursive: true });
  // Written whole under another name first, so that a failed write never leaves half a file.
  const partial = `${path}.partial`;
  await writeFile(partial, stringify(rows, { header: true, columns: ['repId', 'period', 'amount'] }));
  await rename(partial, path);
  return {
    plan,
    summary: summarize(plan.year, plan.periods, plan.quotas, plan.target),
    path,
    rows: rows.length,
    digits,
    currency,
  };
}

export interface QuotaCheckOutcome {
  summary: QuotaSummary;
  findings: QuotaFinding[];
  /** Rows of the file that could not be read. */
  rejects: Reject[];
  file: string;
  currency: string;
  digits: number;
}

/** `attain quotas check`: a quota file (default: the workspace's quotas.csv) against a target and the ramp. */
export async function checkQuotaFile(
  prepared: PreparedCalculation,
  flags: PlanningFlags & { target?: string; file?: string },
): Promise<QuotaCheckOutcome> {
  const target = flags.target === undefined ? undefined : positiveAmount('--target', flags.target);
  const { year, ramp, nodes, currency, digits } = planningContext(prepared, flags);
  const { config } = prepared.workspace;
  const file = resolve(flags.file ?? join(prepared.workspace.dir, config.source.csv.dir, 'quotas.csv'));
  const { quotas, rejects } = await readQuotasFile(file, {
    tz: config.calendar.tz,
    maxRecordChars: config.limits.csvRecordChars,
  });
  const { summary, findings } = checkQuotas({
    year,
    calendar: new FiscalCalendar(config.calendar.fiscalYearStartMonth),
    nodes,
    quotas,
    ramp,
    ...(target ? { target } : {}),
  });
  return { summary, findings, rejects, file, currency, digits };
}

/** `attain capacity`: the bookings the year's carriers can bring in, and the hires to reach a target. */
export async function capacityPlan(
  prepared: PreparedCalculation,
  flags: PlanningFlags & { productivity: string; target?: string; hiresStart?: string; today: string },
): Promise<Capacity & { currency: string; digits: number }> {
  const productivity = positiveAmount('--productivity', flags.productivity);
  const target = flags.target === undefined ? undefined : positiveAmount('--target', flags.target);
  const { year, ramp, nodes, currency, digits } = planningContext(prepared, flags);
  const hiresStart = flags.hiresStart ?? isoOfDay(year.startDay);
  if (!isIsoDate(hiresStart) || hiresStart > isoOfDay(year.endDay)) {
    throw new QuotaPlanError(
      `--hires-start ${hiresStart}: expected a date YYYY-MM-DD no later than the end of ${year.label} (${isoOfDay(year.endDay)})`,
    );
  }
  const capacity = capacityOf({
    year,
    nodes,
    ramp,
    productivity,
    today: flags.today,
    hiresStart,
    digits,
    ...(target ? { target } : {}),
  });
  return { ...capacity, currency, digits };
}

/** The year, its quota periods, the ramp and the tree, or exit 2 naming the flag or the rep's row. */
function planningContext(prepared: PreparedCalculation, flags: PlanningFlags) {
  const { config } = prepared.workspace;
  // Years 1000–9999, as dates are everywhere in Attain (a two-digit year would be taken as 19xx).
  if (!/^[1-9]\d{3}$/.test(flags.year)) {
    throw new QuotaPlanError(`--year ${flags.year}: expected a fiscal year such as 2027`);
  }
  const calendar = new FiscalCalendar(config.calendar.fiscalYearStartMonth);
  const kind =
    flags.periods === undefined
      ? plansPeriodKind(prepared)
      : oneOf<PeriodKind>('--periods', flags.periods, ['month', 'quarter', 'year']);
  const year = planYear(calendar, Number(flags.year), kind);
  let ramp: Decimal[] = [ONE];
  if (flags.ramp !== undefined) {
    const parsed = parseRamp(flags.ramp);
    if ('problem' in parsed) throw new QuotaPlanError(`--ramp ${flags.ramp}: ${parsed.problem}`);
    ramp = parsed.ramp;
  }
  const { nodes, problems } = planTree(prepared.source.reps, year);
  if (problems.length > 0) {
    const where = new Map<string, string>();
    for (const rep of prepared.source.reps)
      if (!where.has(rep.id)) where.set(rep.id, prepared.source.locate(rep) ?? 'reps');
    // In the order of the source's rows.
    const rank = new Map([...where.keys()].map((id, i) => [id, i]));
    throw new QuotaPlanError(
      `the manager tree of ${year.label} cannot be followed; nothing was written:\n` +
        problems
          .map((p) => ({ p, rank: rank.get(p.repId) ?? -1 }))
          .sort((a, b) => a.rank - b.rank)
          .map(({ p }) => `  ${where.get(p.repId) ?? 'reps'}  ${p.repId}: ${p.reason}`)
          .join('\n'),
    );
  }
  const currency = config.baseCurrency;
  return { year, ramp, nodes, currency, digits: minorUnitDigits(currency) };
}

/** The fiscal year before `year`, whose bookings shape the plan. */
function shiftYear(prepared: PreparedCalculation, year: PlanYear): PlanYear {
  const calendar = new FiscalCalendar(prepared.workspace.config.calendar.fiscalYearStartMonth);
  return planYear(calendar, Number(year.label) - 1, 'year');
}

/** The quota period the workspace's plans use, when they all use one; else quarters. */
function plansPeriodKind(prepared: PreparedCalculation): PeriodKind {
  const kinds = new Set(prepared.workspace.plans.map((p) => p.quotaPeriod));
  return kinds.size === 1 ? [...kinds][0]! : 'quarter';
}

function positiveAmount(flag: string, text: string): Decimal {
  const value = parseDecimal(text.trim());
  if (value === undefined || value <= ZERO) {
    throw new QuotaPlanError(`${flag} ${text}: expected a positive amount such as 12000000 (no separators or symbols)`);
  }
  return value;
}

function overassignment(text: string): Decimal {
  const value = parseDecimal(text.trim());
  if (value === undefined || value < ONE || value > 10n * ONE) {
    throw new QuotaPlanError(`--overassign ${text}: expected a factor from 1 to 10 such as 1.10 (10 % over-assigned)`);
  }
  return value;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new QuotaPlanError(`${flag} ${text}: expected one of ${allowed.join(', ')}`);
  }
  return text as T;
}
