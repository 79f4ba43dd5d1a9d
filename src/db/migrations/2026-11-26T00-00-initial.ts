/**
 * The reporting database's tables (docs/database.md). Frozen in time: this file never imports app code and
 * never changes once released; later changes are new migrations.
 *
 * Money, percents, rates and attainment are unconstrained `numeric`: exact, and read back with the
 * scale they were written with. Synced tables have no foreign keys between them: source data can be
 * referentially broken (that is what rejects are for) and is stored as synced.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;

  await db.schema
    .createTable('reps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('manager_id', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('hire_date', 'date')
    .addColumn('end_date', 'date')
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'numeric', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('close_date', 'date', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('open', 'won', 'lost')`))
    .addColumn('type', 'text')
    .addColumn('fields', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_modified', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deals_source_idx').on('deals').column('source').execute();
  await db.schema.createIndex('deals_owner_idx').on('deals').column('owner_id').execute();

  // No key: a deal may split to one rep twice (a revenue and an overlay split); a deal's splits are replaced together.
  await db.schema
    .createTable('splits')
    .addColumn('deal_id', 'text', (c) => c.notNull())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('percent', 'numeric', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('revenue', 'overlay')`))
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('splits_deal_idx').on('splits').column('deal_id').execute();
  await db.schema.createIndex('splits_source_idx').on('splits').column('source').execute();

  await db.schema
    .createTable('quotas')
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('amount', 'numeric', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pkey', ['rep_id', 'period'])
    .execute();

  await db.schema
    .createTable('assignments')
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('from_date', 'date', (c) => c.notNull())
    .addColumn('to_date', 'date')
    .addColumn('source', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('assignments_pkey', ['rep_id', 'plan_id', 'from_date'])
    .execute();

  await db.schema
    .createTable('fx_rates')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('from_date', 'date', (c) => c.notNull())
    .addColumn('rate', 'numeric', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('fx_rates_pkey', ['currency', 'from_date'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed')`))
    .addColumn('inputs_hash', 'text', (c) => c.notNull())
    .addColumn('plan_versions', 'jsonb', (c) => c.notNull())
    .addColumn('counts', 'jsonb')
    .addColumn('error', 'text')
    .execute();

  // Keyed (plan, period, rep, component): one line per rep × payout period × component, in
  // the order that `replaceResults` deletes by (a plan's periods). No foreign key to runs: checking one
  // per row would slow the bulk insert, and lines are only ever written by a run that was recorded first.
  await db.schema
    .createTable('payout_lines')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('component', 'text', (c) => c.notNull())
    .addColumn('amount', 'numeric', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('trace', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('payout_lines_pkey', ['plan_id', 'period', 'rep_id', 'component'])
    .execute();

  await db.schema
    .createTable('attainment')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('measure', 'text', (c) => c.notNull())
    .addColumn('credit', 'numeric', (c) => c.notNull())
    .addColumn('quota', 'numeric')
    .addColumn('attainment', 'numeric')
    .addPrimaryKeyConstraint('attainment_pkey', ['plan_id', 'period', 'rep_id', 'measure'])
    .execute();

  await db.schema
    .createTable('rejects')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rejects_run_idx').on('rejects').column('run_id').execute();

  await db.schema
    .createTable('locks')
    .addColumn('period', 'text', (c) => c.primaryKey())
    .addColumn('locked_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('locked_by', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();

  await db.schema
    .createTable('lock_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('lock', 'unlock')`))
    .addColumn('force', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('sync_cursors')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('sync_cursors_pkey', ['source', 'object'])
    .execute();

  await db.schema
    .createTable('writeback_state')
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('writeback_state_pkey', ['target', 'key'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'writeback_state',
    'sync_cursors',
    'lock_events',
    'locks',
    'rejects',
    'attainment',
    'payout_lines',
    'runs',
    'fx_rates',
    'assignments',
    'quotas',
    'splits',
    'deals',
    'reps',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
