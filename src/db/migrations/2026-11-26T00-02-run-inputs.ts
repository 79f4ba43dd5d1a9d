/**
 * What `attain replay RUN_ID` needs: each run's engine input, stored compressed,
 * and the hash of the result it gave. Frozen in time, like every migration.
 *
 * `run_inputs.format` names the encoding of `inputs` (today `json+gzip`), so a later format can sit
 * next to the old rows. No foreign key to `runs`, like the result tables.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_inputs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('inputs', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.defaultTo(sql`now()`))
    .execute();
  await db.schema.alterTable('runs').addColumn('result_hash', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('result_hash').execute();
  await db.schema.dropTable('run_inputs').execute();
}
