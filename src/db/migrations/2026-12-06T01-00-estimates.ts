/**
 * Estimates (docs/estimates.md, docs/database.md#estimates): what each open deal would pay each
 * rep it touches, replaced whole by every run, so that a deal that closes or is deleted loses its
 * rows. Frozen in time, like every migration.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('estimates')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('deal_id', 'text', (c) => c.notNull())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'numeric', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    /** The day the deal is assumed to close: its close date, or the as-of date when that has passed. */
    .addColumn('close_date', 'date', (c) => c.notNull())
    .addColumn('trace', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('estimates_pkey', ['deal_id', 'rep_id', 'plan_id'])
    .execute();
  await db.schema.createIndex('estimates_rep_id').on('estimates').column('rep_id').execute();

  // Per estimate, the deal and the rep by name, for a BI tool or a rep's "my pipeline" page.
  await db.schema
    .createView('estimates_by_deal')
    .as(
      sql`select e.deal_id, d.name as deal_name, d.amount as deal_amount, d.currency as deal_currency,
                 e.close_date, e.rep_id, r.name as rep_name, r.manager_id, e.plan_id, e.amount, e.currency,
                 e.trace->>'role' as role, e.run_id
            from estimates e
            left join deals d on d.id = e.deal_id
            left join reps r on r.id = e.rep_id`,
    )
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropView('estimates_by_deal').execute();
  await db.schema.dropTable('estimates').execute();
}
