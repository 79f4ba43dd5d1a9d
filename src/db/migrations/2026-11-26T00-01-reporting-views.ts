/**
 * Views a BI tool reads directly (docs/database.md). Frozen in time, like every migration.
 *
 * Totals are sums of the stored (already rounded) payout lines, kept per currency: a rep paid by two
 * plans in two currencies gets two rows, never a sum across currencies. Counts and ranks are cast
 * to integer so BI tools see numbers, not bigint strings.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createView('attainment_by_rep_period')
    .as(
      sql`select a.rep_id, r.name as rep_name, r.manager_id, a.plan_id, a.period, a.measure,
                 a.credit, a.quota, a.attainment, a.run_id
            from attainment a
            left join reps r on r.id = a.rep_id`,
    )
    .execute();

  await db.schema
    .createView('payouts_by_rep_period')
    .as(
      sql`select p.rep_id, r.name as rep_name, p.plan_id, p.period, p.currency,
                 sum(p.amount) as total, count(*)::integer as lines
            from payout_lines p
            left join reps r on r.id = p.rep_id
           group by p.rep_id, r.name, p.plan_id, p.period, p.currency`,
    )
    .execute();

  // Per payout period (and currency), every rep's total across plans, ranked highest first; ties share a rank.
  await db.schema
    .createView('leaderboard')
    .as(
      sql`select t.period, t.currency, t.rep_id, r.name as rep_name, t.total,
                 (rank() over (partition by t.period, t.currency order by t.total desc))::integer as rank
            from (select rep_id, period, currency, sum(amount) as total
                    from payout_lines
                   group by rep_id, period, currency) t
            left join reps r on r.id = t.rep_id`,
    )
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropView('leaderboard').execute();
  await db.schema.dropView('payouts_by_rep_period').execute();
  await db.schema.dropView('attainment_by_rep_period').execute();
}
