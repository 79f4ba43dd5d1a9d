/**
 * The liability forecast (docs/report.md#liability-forecast, docs/database.md#liability-forecast):
 * per estimate and payout period, the commission an open deal would change and that commission
 * weighted by the deal's stage probability, replaced whole with the estimates by every run; and
 * the view that sums it per period, rep, plan and currency. Frozen in time, like every migration.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('liability_forecast')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('deal_id', 'text', (c) => c.notNull())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    /** The payout period of the lines the deal changes. */
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    /** Unweighted: the estimate's change in this period. */
    .addColumn('commission', 'numeric', (c) => c.notNull())
    /** A fraction 0..1 (the deal's probability percent ÷ 100); null when it has none usable. */
    .addColumn('probability', 'numeric')
    /** commission × probability, rounded half-even once to the currency's minor unit; null without a probability. */
    .addColumn('expected', 'numeric')
    /** Why there is no probability. */
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('liability_forecast_pkey', ['deal_id', 'rep_id', 'plan_id', 'period'])
    .execute();

  // Totals are sums of the rows, each already rounded: they equal their rows to the cent.
  await db.schema
    .createView('commission_liability_forecast')
    .as(
      sql`select f.period, f.rep_id, r.name as rep_name, r.manager_id, f.plan_id, f.currency,
                 count(distinct f.deal_id)::integer as deals,
                 sum(f.commission) as pipeline,
                 coalesce(sum(f.expected), 0) as expected,
                 count(distinct f.deal_id) filter (where f.expected is null)::integer as deals_without_probability
            from liability_forecast f
            left join reps r on r.id = f.rep_id
           group by f.period, f.rep_id, r.name, r.manager_id, f.plan_id, f.currency`,
    )
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropView('commission_liability_forecast').execute();
  await db.schema.dropTable('liability_forecast').execute();
}
