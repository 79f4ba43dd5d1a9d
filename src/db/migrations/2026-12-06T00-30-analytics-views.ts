/**
 * Views for performance analytics (docs/report.md), read by `attain report` and by BI tools. Frozen
 * in time, like every migration.
 *
 * One row per rep, so that a BI tool (and the report's `--manager`) can group them by plan, period
 * or team without the view having decided for them. Money is the sum of the stored (rounded) payout
 * lines, per currency; nothing is converted.
 *
 * - attainment_distribution: each rep's attainment per plan, quota period and measure, with its
 *   histogram bucket (10 % wide, from 0 % to "200 % and more") and whether it is at or above 100 %.
 * - cost_of_sales: per rep, plan and quota period, the commissions earned for that quota period
 *   (the component lines, whose trace names their quota period; draws and adjustments are not
 *   earnings of a period) and the credited bookings (the plan's largest measure credit: the
 *   widest measure is its bookings). A rep's team is their manager.
 * - commission_liability: per rep, plan and payout period, everything earned (every line: draws
 *   and adjustments included). Which periods are paid is decided by the locks, which know the
 *   fiscal calendar only through the application (a month of a locked quarter is locked).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createView('attainment_distribution')
    .as(
      sql`select a.plan_id, a.period, a.measure, a.rep_id, r.name as rep_name, r.manager_id,
                 a.credit, a.quota, a.attainment,
                 (greatest(least(floor(a.attainment * 10), 20), 0) / 10)::numeric(3, 1) as bucket,
                 a.attainment >= 1 as at_or_above_target,
                 a.run_id
            from attainment a
            left join reps r on r.id = a.rep_id
           where a.attainment is not null`,
    )
    .execute();

  await db.schema
    .createView('cost_of_sales')
    .as(
      sql`with earned as (
                select rep_id, plan_id, trace ->> 'quotaPeriod' as period, currency, sum(amount) as commissions
                  from payout_lines
                 where trace ->> 'quotaPeriod' is not null
                 group by rep_id, plan_id, trace ->> 'quotaPeriod', currency),
              credited as (
                select rep_id, plan_id, period, max(credit) as credited_bookings
                  from attainment
                 group by rep_id, plan_id, period),
              plan_currency as (
                select plan_id, min(currency) as currency from payout_lines group by plan_id)
          select coalesce(c.rep_id, e.rep_id) as rep_id, r.name as rep_name,
                 r.manager_id as team_id, m.name as team_name,
                 coalesce(c.plan_id, e.plan_id) as plan_id, coalesce(c.period, e.period) as period,
                 coalesce(e.currency, pc.currency) as currency,
                 coalesce(e.commissions, 0) as commissions,
                 coalesce(c.credited_bookings, 0) as credited_bookings
            from credited c
            full join earned e on e.rep_id = c.rep_id and e.plan_id = c.plan_id and e.period = c.period
            left join plan_currency pc on pc.plan_id = coalesce(c.plan_id, e.plan_id)
            left join reps r on r.id = coalesce(c.rep_id, e.rep_id)
            left join reps m on m.id = r.manager_id`,
    )
    .execute();

  await db.schema
    .createView('commission_liability')
    .as(
      sql`select p.rep_id, r.name as rep_name, r.manager_id, p.plan_id, p.period, p.currency,
                 sum(p.amount) as earned, count(*)::integer as lines
            from payout_lines p
            left join reps r on r.id = p.rep_id
           group by p.rep_id, r.name, r.manager_id, p.plan_id, p.period, p.currency`,
    )
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropView('commission_liability').execute();
  await db.schema.dropView('cost_of_sales').execute();
  await db.schema.dropView('attainment_distribution').execute();
}
