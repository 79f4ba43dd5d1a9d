/**
 * The parts of a run's source read side by side (docs/architecture.md#the-csv-read-in-ranges): each
 * byte range of a large data file, read by its own job, stored here until the run's sync step puts
 * them together into the run's engine input. Frozen in time, like every migration.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_input_parts')
    .addColumn('run_id', 'text', (c) => c.notNull())
    /** The file and the range: `deals.csv` and 0 for its first. */
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('run_input_parts_pkey', ['run_id', 'file', 'part'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('run_input_parts').execute();
}
