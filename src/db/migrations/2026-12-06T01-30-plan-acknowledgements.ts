/**
 * Plan acknowledgements: a rep's acceptance of one exact version of a plan (its content hash),
 * recorded by `attain plan ack` or imported from data/acknowledgements.csv. One row per rep, plan
 * and version: acknowledging the same version again changes nothing. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('plan_acknowledgements')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('rep_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('plan_hash', 'text', (c) => c.notNull())
    /** The day the rep accepted it (YYYY-MM-DD). */
    .addColumn('acknowledged_on', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    /** `attain plan ack`, or the file and line it was imported from (`acknowledgements.csv:4`). */
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('plan_acknowledgements_version', ['rep_id', 'plan_id', 'plan_hash'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('plan_acknowledgements').execute();
}
