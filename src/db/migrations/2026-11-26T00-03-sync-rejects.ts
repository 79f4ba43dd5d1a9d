/**
 * Rejects found while syncing a CRM source. A CRM sync is incremental: a record rejected last night
 * is not read again tonight unless it changes, so its reject must be remembered until it does.
 * Keyed by source, object and record id; a later page holding the record clears it. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sync_rejects')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    /** Where the reject says it came from: `salesforce Opportunity`. */
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sync_rejects_pkey', ['source', 'object', 'record_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sync_rejects').execute();
}
