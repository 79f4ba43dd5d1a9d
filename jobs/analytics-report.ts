/**
 * `attain report`: the figures of the performance and finance report (docs/report.md), read from
 * the reporting database's analytics views, for a range of periods and optionally one manager's
 * tree. Every amount comes from SQL (src/db/analytics-store.ts) as a decimal string; the only
 * figures made here are the plans' target incentives and payout curves (the engine's arithmetic,
 * src/domain/target-incentive.ts) and which payout periods are paid (the period locks).
 */
import { planOn, type Plan } from '../src/domain/plan.js';
import { ONE, ZERO, decimal, divideHalfEven, formatDecimal, type Decimal } from '../src/domain/decimal.js';
import { FiscalCalendar, contains, isoOfDay, type Period } from '../src/domain/periods.js';
import { AttainError } from '../src/domain/errors.js';
import { LockSet } from '../src/domain/locks.js';
import { payoutAtAttainment, targetIncentive } from '../src/domain/target-incentive.js';
import { analytics, listLocks, type AttainDb } from '../src/db/index.js';
import type { AccountingConfig } from '../config/attain-schema.js';
import { expensedForWantOfTerm, type ExpensedForWantOfTerm } from './accounting.js';

/** A report request that cannot be served: a bad period range, an unknown manager, no run yet. */
export class ReportInputError extends AttainError {
  override readonly name = 'ReportInputError';
  readonly code = 'INPUT_INVALID';
}

export interface ReportRequest {
  plans: readonly Plan[];
  fiscalYearStartMonth: number;
  baseCurrency: string;
  /** `2026-01..2026-06`, `2026-Q1..2026-Q2` or one period `2026`; absent: every period. */
  period?: string;
  managerId?: string;
  /** How many reps the leaderboard lists. */
  leaderboardSize?: number;
  /** attain.yaml `accounting:`, for the commission expensed for want of a contract term. */
  accounting?: AccountingConfig;
}

export interface PayForPerformancePoint extends analytics.PayForPerformanceRow {
  /** The plan's payout at 100 % attainment for this rep's quota. */
  target_incentive: string;
  /** payout ÷ target incentive, 6 decimals; null when the target is zero. */
  payout_share: string | null;
}

export interface PlanCurve {
  planId: string;
  /** The quota the curve is drawn for: the most common one among the plan's reps in the report. */
  quota: string;
  points: { attainment: string; share: string }[];
}

export interface LiabilityRow extends analytics.LiabilityRow {
  /** The payout period's first day: rows are in its order (a month, then the quarter it ends). */
  start: string;
  /** Earned in a locked payout period (a locked month, or a month of a locked quarter or year). */
  paid: string;
  /** Earned and not yet paid. */
  outstanding: string;
  /**
   * Pay-cycle states by name: `approved` (what the approvals in force pin) and `exported` (earned
   * in a period whose payroll file was exported); payCycleStates() is the one place that fills them.
   */
  states: Record<string, string>;
}

export interface ForecastRow extends analytics.ForecastRow {
  /** The payout period's first day: rows are in its order, as the liability's. */
  start: string;
}

export interface TrendRow extends analytics.EarnedByPeriodRow {
  /** The payout period's first day, where a chart places it. */
  start: string;
}

export interface ReportData {
  generatedFor: { runId: string; finishedAt: string | null; period: string; managerId: string | null };
  baseCurrency: string;
  attainment: { histogram: analytics.HistogramRow[]; summary: analytics.AttainmentSummaryRow[] };
  payForPerformance: { points: PayForPerformancePoint[]; curves: PlanCurve[] };
  costOfSales: analytics.CostOfSalesRow[];
  leaderboard: analytics.LeaderboardRow[];
  trend: TrendRow[];
  coverage: { reps: analytics.CoverageRow[]; teams: analytics.TeamCoverageRow[] };
  liability: LiabilityRow[];
  /** Expected commission of the open pipeline (docs/report.md#liability-forecast). */
  forecast: {
    periods: ForecastRow[];
    withoutProbability: analytics.UnweightedDealRow[];
    /** The payout periods of the liability and the forecast together, in calendar order (a month, then the quarter it ends). */
    order: string[];
  };
  rejects: analytics.RejectCountRow[];
  /** Commission on deals rejected for accounting (no usable term): expensed, with the reason (docs/accounting.md). */
  expensedForWantOfTerm: ExpensedForWantOfTerm[];
}

/** The period labels (months, quarters, years) overlapping a range; undefined for every period. */
export function periodsInRange(range: string | undefined, calendar: FiscalCalendar): string[] | undefined {
  if (range === undefined) return undefined;
  const [fromLabel, toLabel = fromLabel] = range.split('..');
  const from = calendar.parse(fromLabel ?? '');
  const to = calendar.parse(toLabel ?? '');
  if (!from || !to || range.split('..').length > 2)
    throw new ReportInputError(
      `--period ${range}: expected FROM..TO (or one period), each 2026, 2026-Q1 or 2026-01, e.g. 2026-01..2026-06`,
    );
  if (to.endDay < from.startDay) throw new ReportInputError(`--period ${range}: ${toLabel} is before ${fromLabel}`);
  const labels = new Set<string>();
  for (let m = from.startMonth; m < to.startMonth + to.months; m++)
    for (const kind of ['month', 'quarter', 'year'] as const) labels.add(calendar.periodOf(kind, m).label);
  return [...labels];
}

export async function buildReport(database: AttainDb, request: ReportRequest): Promise<ReportData> {
  const { db } = database;
  const calendar = new FiscalCalendar(request.fiscalYearStartMonth);
  const periods = periodsInRange(request.period, calendar);
  const run = await analytics.latestSucceededRun(db);
  if (!run) throw new ReportInputError('the reporting database holds no succeeded run yet: run `attain run` first');
  let reps: string[] | undefined;
  if (request.managerId !== undefined) {
    reps = await analytics.managerTree(db, request.managerId);
    if (!reps) throw new ReportInputError(`--manager ${request.managerId}: no such rep in the reporting database`);
  }
  const scope: analytics.AnalyticsScope = { ...(periods ? { periods } : {}), ...(reps ? { reps } : {}) };
  const plans = new Map(request.plans.map((p) => [p.id, p]));

  const [
    histogram,
    summary,
    pay,
    costOfSales,
    leaderboard,
    trend,
    earned,
    rejects,
    locks,
    approved,
    exported,
    forecast,
    withoutProbability,
  ] = await Promise.all([
    analytics.attainmentHistogram(db, scope),
    analytics.attainmentSummary(db, scope),
    analytics.payForPerformance(db, scope),
    analytics.costOfSalesByTeam(db, scope),
    analytics.leaderboard(db, scope, request.leaderboardSize ?? 15),
    analytics.earnedByPlanPeriod(db, scope),
    analytics.earnedByPeriod(db, scope),
    analytics.rejectCounts(db, run.id, scope),
    listLocks(db),
    analytics.approvedByPeriod(db, scope),
    analytics.exportedPayrollPeriods(db),
    analytics.forecastByPeriod(db, scope),
    analytics.forecastWithoutProbability(db, scope),
  ]);

  const coveragePeriods = latestQuotaPeriods(summary, calendar);
  const [coverageReps, coverageTeams] = await Promise.all([
    analytics.quotaCoverage(db, scope, coveragePeriods),
    analytics.teamCoverage(db, scope, coveragePeriods),
  ]);

  const lockSet = new LockSet(
    locks.map((l) => l.period),
    calendar,
  );
  const states = payCycleStates(approved, exported, calendar);
  const start = (label: string) => {
    const period = calendar.parse(label);
    return period ? isoOfDay(period.startDay) : label;
  };
  const end = (label: string) => calendar.parse(label)?.endDay ?? 0;
  // By last day, then the longer period after: a month, then the quarter it ends.
  const inCalendarOrder = (a: { period: string; start: string }, b: { period: string; start: string }) =>
    end(a.period) - end(b.period) || (a.start < b.start ? 1 : a.start > b.start ? -1 : 0);
  const liability = earned
    .map((row) => {
      const paid = lockSet.isLabelLocked(row.period);
      return {
        ...row,
        start: start(row.period),
        paid: paid ? row.earned : '0',
        outstanding: paid ? '0' : row.earned,
        states: states(row),
      };
    })
    .sort(inCalendarOrder);

  return {
    generatedFor: {
      runId: run.id,
      finishedAt: run.finished_at ? run.finished_at.toISOString() : null,
      period: request.period ?? 'all periods',
      managerId: request.managerId ?? null,
    },
    baseCurrency: request.baseCurrency,
    attainment: { histogram, summary },
    payForPerformance: payForPerformance(pay, plans, start),
    costOfSales,
    leaderboard,
    trend: trend.map((row) => ({ ...row, start: start(row.period) })),
    coverage: { reps: coverageReps, teams: coverageTeams },
    liability,
    forecast: {
      periods: forecast.map((row) => ({ ...row, start: start(row.period) })).sort(inCalendarOrder),
      withoutProbability,
      order: [...new Set([...liability, ...forecast].map((r) => r.period))]
        .map((period) => ({ period, start: start(period) }))
        .sort(inCalendarOrder)
        .map((r) => r.period),
    },
    rejects,
    expensedForWantOfTerm: await expensedForWantOfTerm(db, { calendar, accounting: request.accounting }, scope),
  };
}

/**
 * THE place for pay-cycle states in the liability (docs/pay-cycle.md): per payout period and
 * currency, `approved` is what the approvals in force pin (period_approvals, SQL in src/db), and
 * `exported` is what was earned in a payout period inside a period whose payroll file was exported
 * (payroll_exports, drafts aside: only a paid period is exported, and its lines never change). The
 * report shows one column per state returned.
 */
function payCycleStates(
  approved: readonly analytics.ApprovedRow[],
  exported: readonly string[],
  calendar: FiscalCalendar,
): (row: analytics.LiabilityRow) => Record<string, string> {
  const approvedBy = new Map(approved.map((r) => [`${r.period}|${r.currency}`, r.approved]));
  const exportedPeriods = exported.map((label) => calendar.parse(label)).filter((p): p is Period => p !== undefined);
  return (row) => {
    const period = calendar.parse(row.period);
    const isExported = period !== undefined && exportedPeriods.some((outer) => contains(outer, period));
    return {
      approved: approvedBy.get(`${row.period}|${row.currency}`) ?? '0',
      exported: isExported ? row.earned : '0',
    };
  };
}

/** Per plan, the last quota period of the report: quota coverage looks at it. */
function latestQuotaPeriods(
  summary: readonly analytics.AttainmentSummaryRow[],
  calendar: FiscalCalendar,
): analytics.CoveragePeriod[] {
  const latest = new Map<string, Period>();
  for (const row of summary) {
    const period = calendar.parse(row.period);
    const seen = latest.get(row.plan_id);
    if (period && (!seen || period.startDay > seen.startDay)) latest.set(row.plan_id, period);
  }
  return [...latest].map(([planId, p]) => ({
    planId,
    period: p.label,
    from: isoOfDay(p.startDay),
    to: isoOfDay(p.endDay),
  }));
}

const SHARE_DIGITS = 6;

function ratio(n: Decimal, d: Decimal): string | null {
  if (d === ZERO) return null;
  return formatDecimal(divideHalfEven(n * ONE, d), SHARE_DIGITS);
}

function payForPerformance(
  rows: readonly analytics.PayForPerformanceRow[],
  plans: ReadonlyMap<string, Plan>,
  start: (label: string) => string,
): ReportData['payForPerformance'] {
  const points: PayForPerformancePoint[] = [];
  const quotas = new Map<string, Map<string, number>>();
  /** Per plan, the start of its latest quota period: its curve is that of the version paying it. */
  const latest = new Map<string, string>();
  for (const row of rows) {
    const versioned = plans.get(row.plan_id);
    if (!versioned) continue;
    // A plan with dated versions (docs/plans.md#changing-a-plan-mid-year): the one paying the period.
    const from = start(row.period);
    const plan = planOn(versioned, from);
    if (from > (latest.get(row.plan_id) ?? '')) latest.set(row.plan_id, from);
    const target = targetIncentive(plan, decimal(row.quota));
    points.push({
      ...row,
      target_incentive: formatDecimal(target, 2),
      payout_share: ratio(decimal(row.payout), target),
    });
    const counts = quotas.get(row.plan_id) ?? new Map<string, number>();
    counts.set(row.quota, (counts.get(row.quota) ?? 0) + 1);
    quotas.set(row.plan_id, counts);
  }
  const curves: PlanCurve[] = [];
  for (const [planId, counts] of quotas) {
    const plan = planOn(plans.get(planId)!, latest.get(planId)!);
    const quotaText = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    const quota = decimal(quotaText);
    const target = targetIncentive(plan, quota);
    const points: PlanCurve['points'] = [];
    // 0 % to 200 % in steps of 1 %: fine enough to show tier bounds, gates and bonus steps.
    for (let step = 0; step <= 200; step++) {
      const attainment = (BigInt(step) * ONE) / 100n;
      const share = ratio(payoutAtAttainment(plan, quota, attainment), target);
      if (share !== null) points.push({ attainment: formatDecimal(attainment, 2), share });
    }
    curves.push({ planId, quota: formatDecimal(quota, 2), points });
  }
  return { points, curves };
}
