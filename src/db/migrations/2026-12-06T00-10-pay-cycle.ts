/**
 * The pay cycle: the audit log, disputes on payout lines with their history, and period
 * approvals. Frozen in time.
 *
 * `audit_events` is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (PGlite is
 * PostgreSQL and runs the same trigger), so a record of who did what cannot be edited by the
 * application or by anyone with only table privileges. `key`, when given, makes an event that a
 * retried step records twice land once (an insert that conflicts does nothing).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('key', 'text', (c) => c.unique())
    .execute();
  await sql`
    create function audit_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_events is append-only: % is not allowed', tg_op;
    end
    $$`.execute(db);
  await sql`
    create trigger audit_events_no_change before update or delete on audit_events
      for each row execute function audit_events_append_only()`.execute(db);
  await sql`
    create trigger audit_events_no_truncate before truncate on audit_events
      for each statement execute function audit_events_append_only()`.execute(db);

  await db.schema
    .createTable('disputes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    /** `<plan>|<rep>|<period>|<component>`, as the write-back keys commission records. */
    .addColumn('line_key', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('component', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'resolved')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    /** Where it was raised (`cli`, a CRM), and the record there: an import is keyed by both. */
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('cli'))
    .addColumn('external_id', 'text')
    /** The line's amount when the dispute was opened. */
    .addColumn('line_amount', 'numeric', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('resolved_by', 'text')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolution', 'text')
    .addColumn('adjustment', 'numeric')
    /** The payout period the adjustment was posted in: chosen by the first run after the resolution, then kept. */
    .addColumn('adjustment_period', 'text')
    .addColumn('adjustment_run_id', 'text')
    .addUniqueConstraint('disputes_source_external_id', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('disputes_period').on('disputes').columns(['period', 'status']).execute();

  await db.schema
    .createTable('dispute_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('dispute_id', 'bigint', (c) => c.notNull().references('disputes.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('period_approvals')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('period', 'text', (c) => c.notNull())
    /** Null: every plan with lines in the period. */
    .addColumn('plan_id', 'text')
    /** The successful run whose lines were approved. */
    .addColumn('run_id', 'text', (c) => c.notNull())
    /** sha256 of the approved lines (key, amount, currency), and the lines themselves: key → `amount currency`. */
    .addColumn('lines_hash', 'text', (c) => c.notNull())
    .addColumn('lines', 'jsonb', (c) => c.notNull())
    .addColumn('approved_by', 'text', (c) => c.notNull())
    .addColumn('approved_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('note', 'text')
    /** Approved with disputes open (`--force`). */
    .addColumn('forced', 'boolean', (c) => c.notNull().defaultTo(false))
    /** Set when a later run changed an approved line: the approval no longer holds. */
    .addColumn('voided_at', 'timestamptz')
    .addColumn('voided_by_run', 'text')
    /** What changed: `[{ key, approved, now }]` (`approved` or `now` null for a line added or gone). */
    .addColumn('changes', 'jsonb')
    .execute();
  await sql`create unique index period_approvals_active on period_approvals (period, coalesce(plan_id, ''))
    where voided_at is null`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('period_approvals').execute();
  await db.schema.dropTable('dispute_events').execute();
  await db.schema.dropTable('disputes').execute();
  await db.schema.dropTable('audit_events').execute();
  await sql`drop function audit_events_append_only()`.execute(db);
}
