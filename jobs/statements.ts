/**
 * `attain statements PERIOD`: one statement per rep with lines in the period, built from the stored
 * payout lines (never recomputed), so its totals are the payout lines' to the cent. Each line is
 * explained in words from its trace; the deals, adjustments and draws come from the same traces,
 * with deal names as the reporting database holds them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { listApprovals } from '../src/db/approvals.js';
import { recordAuditEvent } from '../src/db/audit-log.js';
import type { Database } from '../src/db/schema.js';
import {
  readAttainmentOfPeriods,
  readDeals,
  readInputsHashes,
  readReps,
  sumLinesOfPeriods,
  type DealInfo,
  type StoredAttainment,
  type StoredLine,
} from '../src/db/statement-store.js';
import { decimal, divideHalfEven, formatDecimal, ONE, ZERO, type Decimal } from '../src/domain/decimal.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import type { FiscalCalendar, Period } from '../src/domain/periods.js';
import type { Plan } from '../src/domain/plan.js';
import {
  classifyTrace,
  dealEntries,
  teamCredit,
  tracedDeals,
  type CreditedDealTrace,
  type PaidDealTrace,
  type QuotaFacts,
  type TypedTrace,
} from '../src/domain/trace.js';
import { explainLine } from '../src/domain/trace-words.js';
import { readPeriodLines } from './period-lines.js';
import { attainmentChartSvg } from './attainment-chart.js';
import { decideStatementStatus, type StatementStatus } from './statement-status.js';
import { renderStatementHtml } from './statement-html.js';
import { renderStatementPdf } from './statement-pdf.js';

export interface Money {
  currency: string;
  amount: string;
}

export interface StatementLine {
  period: string;
  component: string;
  amount: string;
  explanation: string;
}

export interface CreditedDeal {
  id: string;
  name: string;
  closeDate: string;
  amount: string;
  currency: string;
  /** Plan currency per unit of the deal's currency (1 when they are the same). */
  rate: string;
  /** The rep's share of the deal, in percent. */
  split: string;
  /** In the plan's currency. */
  credit: string;
}

export interface DealRef {
  id: string;
  name: string;
}

export interface AdjustmentEntry {
  period: string;
  amount: string;
  explanation: string;
  clawedBack: DealRef[];
  added: DealRef[];
}

export interface DrawEntry {
  period: string;
  amount: string;
  explanation: string;
  balanceAfter: string;
}

export interface PlanStatement {
  planId: string;
  planName: string;
  currency: string;
  lines: StatementLine[];
  deals: CreditedDeal[];
  /** A manager's credit through each direct report, when a line pays on the team. */
  team: { repId: string; name: string; credit: string }[];
  adjustments: AdjustmentEntry[];
  draws: DrawEntry[];
  total: string;
  yearToDate: string;
}

export interface AttainmentPoint {
  planId: string;
  /** The quota period. */
  period: string;
  /** Set when the quota period runs past the statement's: the figures are to the end of this period. */
  through?: string;
  measure: string;
  credit: string;
  quota: string | null;
  attainment: string | null;
}

export interface Statement {
  period: string;
  status: StatementStatus;
  rep: { id: string; name: string };
  manager?: { id: string; name: string };
  plans: PlanStatement[];
  /** Per currency (a rep on plans in two currencies has two). */
  totals: Money[];
  /** From the start of the fiscal year through the end of the period. */
  yearToDate: Money[];
  yearToDateFrom: string;
  attainment: AttainmentPoint[];
  /** The runs whose lines these are, with their inputs hashes. */
  runs: { runId: string; inputsHash: string }[];
}

export interface BuildStatementsOptions {
  calendar: FiscalCalendar;
  plans: readonly Plan[];
  period: string;
  repId?: string;
}

/** Every statement of the period (one rep's with `repId`). Throws PayCycleError for an unknown period or rep. */
export async function buildStatements(db: Kysely<Database>, options: BuildStatementsOptions): Promise<Statement[]> {
  const { calendar } = options;
  const { period, lines, locked, allPayoutPeriods } = await readPeriodLines(
    db,
    calendar,
    options.period,
    options.repId,
  );
  // An approval covers a line when it names the line's payout period (or the statement's period)
  // and the line's plan, or every plan.
  const approvals = await listApprovals(db, { active: true });
  const approved = (line: { period: string; planId: string }) =>
    approvals.some(
      (a) => (a.period === line.period || a.period === period.label) && (a.planId === null || a.planId === line.planId),
    );
  const year = calendar.periodOf('year', period.startMonth);
  const yearToDatePeriods = allPayoutPeriods.filter((label) => {
    const p = calendar.parse(label);
    return p !== undefined && p.startDay >= year.startDay && p.endDay <= period.endDay;
  });
  const quotaPeriods = quotaPeriodsOfYear(calendar, year, period);

  const byRep = groupBy(lines, (line) => line.repId);
  const repIds = [...byRep.keys()];
  const [yearToDate, attainment, runs] = await Promise.all([
    sumLinesOfPeriods(db, yearToDatePeriods, options.repId),
    readAttainmentOfPeriods(db, quotaPeriods, options.repId),
    readInputsHashes(db, [...new Set(lines.map((line) => line.runId))]),
  ]);
  const reps = new Map((await readReps(db, repIds)).map((rep) => [rep.id, rep]));
  const managerIds = [...reps.values()].flatMap((rep) => (rep.managerId === null ? [] : [rep.managerId]));
  const teamIds = lines.flatMap((line) => Object.keys(teamCredit(typedTrace(line))));
  for (const rep of await readReps(
    db,
    [...new Set([...managerIds, ...teamIds])].filter((id) => !reps.has(id)),
  ))
    reps.set(rep.id, rep);
  const dealIds = new Set<string>();
  for (const line of lines) for (const id of dealIdsOf(line)) dealIds.add(id);
  const deals = new Map((await readDeals(db, [...dealIds])).map((deal) => [deal.id, deal]));

  const plansById = new Map(options.plans.map((plan) => [plan.id, plan]));
  const ytdByRep = groupBy(yearToDate, (row) => row.repId);
  const attainmentByRep = groupBy(attainment, (row) => row.repId);
  const yearToDateFrom = calendar.periodOf('month', year.startMonth).label;

  return repIds.map((repId): Statement => {
    const rep = reps.get(repId);
    const manager = rep?.managerId ? reps.get(rep.managerId) : undefined;
    const repLines = byRep.get(repId)!;
    const ytd = ytdByRep.get(repId) ?? [];
    const plans = [...groupBy(repLines, (line) => line.planId)].map(([planId, planLines]) =>
      planStatement(
        plansById.get(planId),
        planId,
        planLines,
        ytd.filter((row) => row.planId === planId).map((row) => row.total),
        deals,
        (id) => reps.get(id)?.name ?? id,
      ),
    );
    return {
      period: period.label,
      status: decideStatementStatus({ locked, approved: repLines.every(approved) }),
      rep: { id: repId, name: rep?.name ?? repId },
      ...(manager ? { manager: { id: manager.id, name: manager.name } } : {}),
      plans,
      totals: sumByCurrency(plans.map((plan) => ({ currency: plan.currency, amount: plan.total }))),
      yearToDate: sumByCurrency(plans.map((plan) => ({ currency: plan.currency, amount: plan.yearToDate }))),
      yearToDateFrom,
      attainment: attainmentToDate(attainmentByRep.get(repId) ?? [], repLines, period, calendar),
      runs: [...new Set(repLines.map((line) => line.runId))]
        .sort()
        .map((runId) => ({ runId, inputsHash: runs.get(runId) ?? 'unknown' })),
    };
  });
}

export type StatementFormat = 'pdf' | 'html';

/** Renders each statement into `outDir` as `<period>-<rep id>.<format>`; returns the files written. */
/** Writes each statement to `outDir` and records in the audit log who issued which. */
export async function writeStatements(
  db: Kysely<Database>,
  statements: readonly Statement[],
  options: { format: StatementFormat; outDir: string; by: string },
): Promise<string[]> {
  await mkdir(options.outDir, { recursive: true });
  const files: string[] = [];
  for (const statement of statements) {
    const bytes = await renderStatement(statement, options.format);
    const file = join(options.outDir, statementFileName(statement, options.format));
    await writeFile(file, bytes);
    files.push(file);
  }
  const period = statements[0]?.period;
  if (period !== undefined)
    await recordAuditEvent(db, {
      action: 'statements',
      by: options.by,
      subject: period,
      details: {
        format: options.format,
        reps: statements.map((s) => s.rep.id),
        status: [...new Set(statements.map((s) => s.status))],
      },
    });
  return files;
}

export async function renderStatement(statement: Statement, format: StatementFormat): Promise<Buffer> {
  const chart = await attainmentChartSvg(statement.attainment);
  return format === 'pdf'
    ? renderStatementPdf(statement, chart)
    : Buffer.from(renderStatementHtml(statement, chart), 'utf8');
}

export function statementFileName(statement: Statement, format: StatementFormat): string {
  return `${statement.period}-${statement.rep.id.replace(/[^\w.-]/g, '_')}.${format}`;
}

function planStatement(
  plan: Plan | undefined,
  planId: string,
  lines: StoredLine[],
  yearToDate: string[],
  deals: Map<string, DealInfo>,
  repName: (id: string) => string,
): PlanStatement {
  const currency = lines[0]!.currency;
  const digits = minorUnitDigits(currency);
  const ref = (id: string): DealRef => ({ id, name: deals.get(id)?.name ?? '' });
  const result: PlanStatement = {
    planId,
    planName: plan?.name ?? planId,
    currency,
    lines: [],
    deals: [],
    team: [],
    adjustments: [],
    draws: [],
    total: formatDecimal(sum(lines.map((line) => line.amount)), digits),
    yearToDate: formatDecimal(sum(yearToDate), digits),
  };
  const credited = new Map<string, CreditedDeal>();
  const team = new Map<string, Decimal>();
  const teamPeriods = new Set<string>();
  for (const line of lines) {
    const trace = typedTrace(line);
    const explanation = explainLine(trace);
    if (trace.kind === 'draw') {
      result.draws.push({
        period: line.period,
        amount: line.amount,
        explanation,
        balanceAfter: trace.json.balanceAfter ?? '',
      });
      continue;
    }
    if (line.component === 'adjustment') {
      const lock = trace.kind === 'lockAdjustment' ? trace.json : undefined;
      result.adjustments.push({
        period: line.period,
        amount: line.amount,
        explanation,
        clawedBack: (lock?.clawedBack ?? []).map(ref),
        added: (lock?.added ?? []).map(ref),
      });
      continue;
    }
    result.lines.push({ period: line.period, component: line.component, amount: line.amount, explanation });
    for (const entry of dealEntries(trace)) {
      // The rate table's entry has the deal's amount, currency and split; a per-deal entry only its credit.
      if (credited.has(entry.deal) && !('amount' in entry)) continue;
      credited.set(entry.deal, creditedDeal(entry, deals.get(entry.deal), currency));
    }
    // Every line paying on the team in one payout period lists the same credit: counted once per period.
    const byReport = teamCredit(trace);
    if (Object.keys(byReport).length === 0 || teamPeriods.has(line.period)) continue;
    teamPeriods.add(line.period);
    for (const [repId, credit] of Object.entries(byReport))
      team.set(repId, (team.get(repId) ?? ZERO) + decimal(credit));
  }
  result.deals = [...credited.values()].sort((a, b) =>
    a.closeDate < b.closeDate ? -1 : a.closeDate > b.closeDate ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  result.team = [...team]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([repId, credit]) => ({ repId, name: repName(repId), credit: formatDecimal(credit) }));
  return result;
}

function creditedDeal(
  entry: CreditedDealTrace | PaidDealTrace,
  deal: DealInfo | undefined,
  planCurrency: string,
): CreditedDeal {
  const id = entry.deal;
  const listed: Partial<CreditedDealTrace> = 'amount' in entry ? entry : {};
  const amount = listed.amount ?? deal?.amount ?? '';
  const currency = listed.currency ?? deal?.currency ?? planCurrency;
  const split = listed.percent ?? '100';
  const credit = entry.credit ?? '0';
  // The engine converted amount × split at the close date's rates; the rate is what that conversion used.
  const base = amount === '' ? ZERO : (decimal(amount) * decimal(split)) / 100n / ONE;
  const rate =
    currency === planCurrency || base === ZERO ? '1' : formatDecimal(divideHalfEven(decimal(credit) * ONE, base), 6);
  return {
    id,
    name: deal?.name ?? '',
    closeDate: entry.closeDate ?? deal?.closeDate ?? '',
    amount,
    currency,
    rate,
    split,
    credit,
  };
}

/** A stored line's trace, typed (trace.ts `classifyTrace`). */
function typedTrace(line: StoredLine): TypedTrace {
  return classifyTrace(line.component, line.trace);
}

function dealIdsOf(line: StoredLine): string[] {
  const trace = typedTrace(line);
  const adjusted = trace.kind === 'lockAdjustment' ? [...trace.json.clawedBack, ...trace.json.added] : [];
  return [...tracedDeals(trace), ...adjusted];
}

/** The quota period figures of a component's trace (an override's has none of its own). */
function quotaFactsOf(trace: TypedTrace): QuotaFacts | undefined {
  switch (trace.kind) {
    case 'rateTable':
    case 'perDeal':
    case 'bonus':
      return trace.json;
    default:
      return undefined;
  }
}

/** The quota periods (year, quarters, months) of the fiscal year that start by the end of `period`. */
function quotaPeriodsOfYear(calendar: FiscalCalendar, year: Period, period: Period): string[] {
  const labels = [year.label];
  for (const kind of ['quarter', 'month'] as const)
    for (const p of calendar.subPeriods(kind, year)) if (p.startDay <= period.endDay) labels.push(p.label);
  return labels;
}

/**
 * The rep's attainment in the quota periods of the year so far. The stored rows hold a whole quota
 * period as of the run; for a quota period still running at the end of the statement's period (a
 * quarter, on a January statement), the figures to date come from the traces of the period's lines.
 */
function attainmentToDate(
  rows: readonly StoredAttainment[],
  lines: readonly StoredLine[],
  period: Period,
  calendar: FiscalCalendar,
): AttainmentPoint[] {
  const toDate = new Map<string, { line: StoredLine; end: number }>();
  for (const line of lines) {
    const facts = quotaFactsOf(typedTrace(line));
    // A trace stored by an older version may lack them.
    if (facts?.quotaPeriod === undefined || facts.measure === undefined || facts.creditToDate === undefined) continue;
    const { quotaPeriod, measure } = facts;
    const quota = calendar.parse(quotaPeriod);
    const paid = calendar.parse(line.period);
    if (!quota || !paid || quota.endDay <= period.endDay) continue;
    const key = JSON.stringify([line.planId, quotaPeriod, measure]);
    const seen = toDate.get(key);
    if (!seen || paid.endDay > seen.end) toDate.set(key, { line, end: paid.endDay });
  }
  return rows.map((row): AttainmentPoint => {
    const running = toDate.get(JSON.stringify([row.planId, row.period, row.measure]))?.line;
    const point = {
      planId: row.planId,
      period: row.period,
      measure: row.measure,
      credit: row.credit,
      quota: row.quota,
      attainment: row.attainment,
    };
    if (!running) return point;
    const facts = quotaFactsOf(typedTrace(running))!;
    return {
      ...point,
      through: running.period,
      credit: facts.creditToDate,
      quota: facts.quota,
      attainment: facts.attainmentToDate ?? null,
    };
  });
}

function sum(amounts: readonly string[]): Decimal {
  let total = ZERO;
  for (const amount of amounts) total += decimal(amount);
  return total;
}

function sumByCurrency(amounts: readonly Money[]): Money[] {
  const totals = new Map<string, Decimal>();
  for (const { currency, amount } of amounts) totals.set(currency, (totals.get(currency) ?? ZERO) + decimal(amount));
  return [...totals]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, total]) => ({ currency, amount: formatDecimal(total, minorUnitDigits(currency)) }));
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let group = groups.get(k);
    if (!group) groups.set(k, (group = []));
    group.push(item);
  }
  return groups;
}
