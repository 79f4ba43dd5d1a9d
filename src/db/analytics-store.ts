/**
 * The figures of `attain report` (docs/report.md), read from the analytics views: every number the
 * report shows is computed here, in SQL, so it equals what a BI tool reading the same views gets.
 * Ratios are rounded in SQL (6 decimals) and shown as they come back.
 *
 * Every query takes the same scope: the period labels to include (absent: all) and the reps to
 * include (absent: all; `--manager` gives a manager's tree).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';

export interface AnalyticsScope {
  /** Period labels (months, quarters, years) to include; absent: every period. */
  periods?: readonly string[];
  /** Rep ids to include; absent: every rep. */
  reps?: readonly string[];
}

function inScope(scope: AnalyticsScope, period: RawBuilder<unknown>, rep: RawBuilder<unknown>): RawBuilder<unknown> {
  const periods = scope.periods ? sql`${period} = any(${[...scope.periods]}::text[])` : sql`true`;
  const reps = scope.reps ? sql`${rep} = any(${[...scope.reps]}::text[])` : sql`true`;
  return sql`(${periods} and ${reps})`;
}

/** The manager and everyone below them; undefined when there is no such rep. */
export async function managerTree(db: Kysely<Database>, managerId: string): Promise<string[] | undefined> {
  const { rows } = await sql<{ id: string }>`
    with recursive tree(id, depth) as (
      select id, 0 from reps where id = ${managerId}
      union
      select r.id, t.depth + 1 from reps r join tree t on r.manager_id = t.id where t.depth < 1000)
    select distinct id from tree order by id`.execute(db);
  return rows.length === 0 ? undefined : rows.map((r) => r.id);
}

export interface LatestRun {
  id: string;
  finished_at: Date | null;
}

export async function latestSucceededRun(db: Kysely<Database>): Promise<LatestRun | undefined> {
  return db
    .selectFrom('runs')
    .select(['id', 'finished_at'])
    .where('status', '=', 'succeeded')
    .orderBy('finished_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export interface HistogramRow {
  plan_id: string;
  period: string;
  measure: string;
  bucket: string;
  reps: number;
}

export async function attainmentHistogram(db: Kysely<Database>, scope: AnalyticsScope): Promise<HistogramRow[]> {
  const { rows } = await sql<HistogramRow>`
    select plan_id, period, measure, bucket::text as bucket, count(*)::integer as reps
      from attainment_distribution
     where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by plan_id, period, measure, bucket
     order by plan_id, period, measure, bucket`.execute(db);
  return rows;
}

export interface AttainmentSummaryRow {
  plan_id: string;
  period: string;
  measure: string;
  reps: number;
  /** The middle attainment, or the mean of the two middle ones (to 10 decimals, half away from zero). */
  median: string;
  at_or_above: number;
  /** at_or_above ÷ reps, 6 decimals. */
  share_at_or_above: string;
}

export async function attainmentSummary(db: Kysely<Database>, scope: AnalyticsScope): Promise<AttainmentSummaryRow[]> {
  const { rows } = await sql<AttainmentSummaryRow>`
    with scoped as (
      select plan_id, period, measure, attainment, at_or_above_target,
             row_number() over (partition by plan_id, period, measure order by attainment) as n,
             count(*) over (partition by plan_id, period, measure) as total
        from attainment_distribution
       where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))})
    select plan_id, period, measure, count(*)::integer as reps,
           trim_scale(round(sum(attainment) filter (where n in ((total + 1) / 2, (total + 2) / 2))
              / count(*) filter (where n in ((total + 1) / 2, (total + 2) / 2)), 10))::text as median,
           (count(*) filter (where at_or_above_target))::integer as at_or_above,
           round((count(*) filter (where at_or_above_target))::numeric / count(*), 6)::text as share_at_or_above
      from scoped
     group by plan_id, period, measure
     order by plan_id, period, measure`.execute(db);
  return rows;
}

export interface PayForPerformanceRow {
  rep_id: string;
  rep_name: string | null;
  plan_id: string;
  period: string;
  quota: string;
  attainment: string;
  /** What the rep earned for the quota period (cost_of_sales.commissions). */
  payout: string;
  currency: string | null;
}

/** Each rep's attainment (the plan's largest measure) and payout per plan and quota period. */
export async function payForPerformance(db: Kysely<Database>, scope: AnalyticsScope): Promise<PayForPerformanceRow[]> {
  const { rows } = await sql<PayForPerformanceRow>`
    select distinct on (a.plan_id, a.period, a.rep_id)
           a.rep_id, a.rep_name, a.plan_id, a.period, a.quota::text as quota, a.attainment::text as attainment,
           coalesce(c.commissions, 0)::text as payout, c.currency
      from attainment_distribution a
      left join cost_of_sales c on c.rep_id = a.rep_id and c.plan_id = a.plan_id and c.period = a.period
     where ${inScope(scope, sql.ref('a.period'), sql.ref('a.rep_id'))}
     order by a.plan_id, a.period, a.rep_id, a.credit desc, a.measure`.execute(db);
  return rows;
}

export interface CostOfSalesRow {
  team_id: string | null;
  team_name: string | null;
  period: string;
  currency: string | null;
  commissions: string;
  credited_bookings: string;
  /** commissions ÷ credited bookings, 6 decimals; null without bookings. */
  cost_of_sales: string | null;
}

export async function costOfSalesByTeam(db: Kysely<Database>, scope: AnalyticsScope): Promise<CostOfSalesRow[]> {
  const { rows } = await sql<CostOfSalesRow>`
    select team_id, min(team_name) as team_name, period, currency,
           sum(commissions)::text as commissions, sum(credited_bookings)::text as credited_bookings,
           round(sum(commissions) / nullif(sum(credited_bookings), 0), 6)::text as cost_of_sales
      from cost_of_sales
     where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by team_id, period, currency
     order by period, team_id nulls first, currency`.execute(db);
  return rows;
}

export interface LeaderboardRow {
  rep_id: string;
  rep_name: string | null;
  currency: string;
  earned: string;
  rank: number;
}

/** Reps by what they earned over the scope's payout periods, highest first (ties share a rank). */
export async function leaderboard(
  db: Kysely<Database>,
  scope: AnalyticsScope,
  limit: number,
): Promise<LeaderboardRow[]> {
  const { rows } = await sql<LeaderboardRow>`
    select * from (
      select rep_id, min(rep_name) as rep_name, currency, sum(earned)::text as earned,
             (rank() over (partition by currency order by sum(earned) desc))::integer as rank
        from commission_liability
       where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
       group by rep_id, currency) ranked
     where rank <= ${limit}
     order by currency, rank, rep_id`.execute(db);
  return rows;
}

export interface EarnedByPeriodRow {
  plan_id: string;
  period: string;
  currency: string;
  earned: string;
  reps: number;
}

/** What each plan's reps earned per payout period (the trend). */
export async function earnedByPlanPeriod(db: Kysely<Database>, scope: AnalyticsScope): Promise<EarnedByPeriodRow[]> {
  const { rows } = await sql<EarnedByPeriodRow>`
    select plan_id, period, currency, sum(earned)::text as earned, count(distinct rep_id)::integer as reps
      from commission_liability
     where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by plan_id, period, currency
     order by plan_id, period, currency`.execute(db);
  return rows;
}

export interface LiabilityRow {
  period: string;
  currency: string;
  earned: string;
}

/** Everything earned per payout period (the commission liability's first column). */
export async function earnedByPeriod(db: Kysely<Database>, scope: AnalyticsScope): Promise<LiabilityRow[]> {
  const { rows } = await sql<LiabilityRow>`
    select period, currency, sum(earned)::text as earned
      from commission_liability
     where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by period, currency
     order by period, currency`.execute(db);
  return rows;
}

export interface ForecastRow {
  period: string;
  currency: string;
  /** Unweighted commission of the open pipeline. */
  pipeline: string;
  /** Weighted by stage probability (docs/report.md#liability-forecast). */
  expected: string;
  reps: number;
}

/** The liability forecast per payout period and currency: sums of commission_liability_forecast. */
export async function forecastByPeriod(db: Kysely<Database>, scope: AnalyticsScope): Promise<ForecastRow[]> {
  const { rows } = await sql<ForecastRow>`
    select period, currency, sum(pipeline)::text as pipeline, sum(expected)::text as expected,
           count(distinct rep_id)::integer as reps
      from commission_liability_forecast
     where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by period, currency
     order by period, currency`.execute(db);
  return rows;
}

export interface UnweightedDealRow {
  reason: string;
  deals: number;
}

/** The open deals in the forecast's scope without a usable probability, by reason: they are expected to pay 0. */
export async function forecastWithoutProbability(
  db: Kysely<Database>,
  scope: AnalyticsScope,
): Promise<UnweightedDealRow[]> {
  const { rows } = await sql<UnweightedDealRow>`
    select reason, count(distinct deal_id)::integer as deals
      from liability_forecast
     where reason is not null and ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by reason
     order by deals desc, reason`.execute(db);
  return rows;
}

export interface ApprovedRow {
  period: string;
  currency: string;
  approved: string;
}

/**
 * What the approvals in force pin per payout period and currency: each pinned line once (a line
 * approved with its month and again with its quarter counts once). An approval's `lines` map a line
 * key (`plan|rep|period|component`) to `amount currency`.
 */
export async function approvedByPeriod(db: Kysely<Database>, scope: AnalyticsScope): Promise<ApprovedRow[]> {
  const { rows } = await sql<ApprovedRow>`
    with pinned as (
      select distinct e.key, e.value
        from period_approvals a, jsonb_each_text(a.lines) e
       where a.voided_at is null),
    lines as (
      select split_part(key, '|', 2) as rep_id, split_part(key, '|', 3) as period,
             split_part(value, ' ', 2) as currency, split_part(value, ' ', 1)::numeric as amount
        from pinned)
    select period, currency, sum(amount)::text as approved
      from lines
     where ${inScope(scope, sql.ref('period'), sql.ref('rep_id'))}
     group by period, currency
     order by period, currency`.execute(db);
  return rows;
}

/** The period labels (month, quarter, year) a payroll file was exported for, drafts aside. */
export async function exportedPayrollPeriods(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('payroll_exports')
    .select('period')
    .distinct()
    .where('draft', '=', false)
    .orderBy('period')
    .execute();
  return rows.map((r) => r.period);
}

export interface CoveragePeriod {
  planId: string;
  /** The quota period's label and its first and last day. */
  period: string;
  from: string;
  to: string;
}

export interface CoverageRow {
  rep_id: string;
  rep_name: string | null;
  team_id: string | null;
  plan_id: string;
  period: string;
  quota: string;
  credit: string;
  remaining_quota: string;
  /** Open deals the rep owns closing in the period, in the base currency, to the cent. */
  open_pipeline: string;
  /** open_pipeline ÷ remaining_quota, 6 decimals; null when nothing remains. */
  coverage: string | null;
}

/**
 * Per individual contributor (a rep with no reports) on a plan: the remaining quota of the quota
 * period and the open pipeline closing in it. Deal amounts are converted to the base currency at
 * the rate in effect on their close date (a currency without a rate counts at 1: the base).
 */
function coverageQuery(scope: AnalyticsScope, periods: readonly CoveragePeriod[]): RawBuilder<unknown> {
  const wanted = sql.join(periods.map((p) => sql`(${p.planId}, ${p.period}, ${p.from}::date, ${p.to}::date)`));
  const reps = scope.reps ? sql`a.rep_id = any(${[...scope.reps]}::text[])` : sql`true`;
  return sql`
    with wanted(plan_id, period, from_date, to_date) as (values ${wanted}),
    quota as (
      select distinct on (a.plan_id, a.period, a.rep_id)
             a.rep_id, a.rep_name, a.manager_id, a.plan_id, a.period, a.quota, a.credit, w.from_date, w.to_date
        from attainment_distribution a
        join wanted w on w.plan_id = a.plan_id and w.period = a.period
       where ${reps} and not exists (select 1 from reps c where c.manager_id = a.rep_id)
       order by a.plan_id, a.period, a.rep_id, a.credit desc, a.measure)
    select q.rep_id, q.rep_name, q.manager_id as team_id, q.plan_id, q.period, q.quota, q.credit,
           greatest(q.quota - q.credit, 0) as remaining_quota,
           coalesce((select round(sum(d.amount / coalesce(fx.rate, 1)), 2)
                       from deals d
                       left join lateral (select f.rate from fx_rates f
                                           where f.currency = d.currency and f.from_date <= d.close_date
                                           order by f.from_date desc limit 1) fx on true
                      where d.owner_id = q.rep_id and d.stage = 'open' and not d.deleted
                        and d.close_date between q.from_date and q.to_date), 0) as open_pipeline
      from quota q`;
}

export async function quotaCoverage(
  db: Kysely<Database>,
  scope: AnalyticsScope,
  periods: readonly CoveragePeriod[],
): Promise<CoverageRow[]> {
  if (periods.length === 0) return [];
  const { rows } = await sql<CoverageRow>`
    select rep_id, rep_name, team_id, plan_id, period, quota::text as quota, credit::text as credit,
           remaining_quota::text as remaining_quota, open_pipeline::text as open_pipeline,
           round(open_pipeline / nullif(remaining_quota, 0), 6)::text as coverage
      from (${coverageQuery(scope, periods)}) c
     order by plan_id, period, team_id nulls first, rep_id`.execute(db);
  return rows;
}

export interface TeamCoverageRow {
  team_id: string | null;
  team_name: string | null;
  plan_id: string;
  period: string;
  reps: number;
  remaining_quota: string;
  open_pipeline: string;
  coverage: string | null;
}

/** The same per team (the reps' manager): its pipeline ÷ its remaining quota. */
export async function teamCoverage(
  db: Kysely<Database>,
  scope: AnalyticsScope,
  periods: readonly CoveragePeriod[],
): Promise<TeamCoverageRow[]> {
  if (periods.length === 0) return [];
  const { rows } = await sql<TeamCoverageRow>`
    select c.team_id, min(m.name) as team_name, c.plan_id, c.period, count(*)::integer as reps,
           sum(c.remaining_quota)::text as remaining_quota, sum(c.open_pipeline)::text as open_pipeline,
           round(sum(c.open_pipeline) / nullif(sum(c.remaining_quota), 0), 6)::text as coverage
      from (${coverageQuery(scope, periods)}) c
      left join reps m on m.id = c.team_id
     group by c.team_id, c.plan_id, c.period
     order by c.plan_id, c.period, c.team_id nulls first`.execute(db);
  return rows;
}

export interface RejectCountRow {
  source: string;
  reason: string;
  records: number;
}

/**
 * The run's rejects by source (a file without its line number, a CRM object) and reason, the
 * record ids taken out of the reason so that alike reasons count together. With reps in scope, only rejects about them or their deals.
 */
export async function rejectCounts(
  db: Kysely<Database>,
  runId: string,
  scope: AnalyticsScope,
): Promise<RejectCountRow[]> {
  const reps = scope.reps ? [...scope.reps] : undefined;
  const about = reps
    ? sql`(j.record_id = any(${reps}::text[]) or split_part(j.record_id, '/', 1) = any(${reps}::text[])
           or exists (select 1 from deals d where d.id = j.record_id and d.owner_id = any(${reps}::text[])))`
    : sql`true`;
  const { rows } = await sql<RejectCountRow>`
    select regexp_replace(j.source, ':[0-9]+$', '') as source, replace(j.reason, j.record_id, '…') as reason,
           count(*)::integer as records
      from rejects j
     where j.run_id = ${runId} and ${about}
     group by 1, 2
     order by records desc, source, reason`.execute(db);
  return rows;
}
