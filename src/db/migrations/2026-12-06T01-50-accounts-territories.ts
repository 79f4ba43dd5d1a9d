/**
 * Accounts and territories (docs/territories.md): the accounts a source gave (`accounts`), each
 * deal's account (`deals.account_id`), and the reps assigned to territories
 * (`territory_assignments`, from data/territory-assignments.csv). Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('country', 'text')
    .addColumn('region', 'text')
    .addColumn('postal_code', 'text')
    .addColumn('industry', 'text')
    .addColumn('employees', 'numeric')
    .addColumn('annual_revenue', 'numeric')
    .addColumn('fields', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('last_modified', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('accounts_source_idx').on('accounts').column('source').execute();
  await db.schema.alterTable('deals').addColumn('account_id', 'text').execute();
  await db.schema.createIndex('deals_account_idx').on('deals').column('account_id').execute();
  await db.schema
    .createTable('territory_assignments')
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('territory_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'overlay')`))
    .addColumn('percent', 'numeric', (c) => c.notNull())
    .addColumn('from_date', 'date', (c) => c.notNull())
    .addColumn('to_date', 'date')
    .addColumn('source', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('territory_assignments_pk', ['rep_id', 'territory_id', 'role', 'from_date'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('territory_assignments').execute();
  await db.schema.dropIndex('deals_account_idx').execute();
  await db.schema.alterTable('deals').dropColumn('account_id').execute();
  await db.schema.dropTable('accounts').execute();
}
