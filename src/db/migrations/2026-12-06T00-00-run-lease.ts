/**
 * The run lease: which run may write this database (schema) now, for both runners. One row at
 * most; run-lease.ts takes, renews and hands it over. And the rejects the steps of a run found, kept
 * here (by run and step) instead of in the queue's job return values. Frozen in time.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration must not depend on today's Database type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_lease')
    .addColumn('name', 'text', (c) =>
      c
        .primaryKey()
        .defaultTo('run')
        .check(sql`name = 'run'`),
    )
    .addColumn('run_id', 'text', (c) => c.notNull())
    /** `process` (attain run in process) or `queue` (a queued run, renewed by the workers running its jobs). */
    .addColumn('runner', 'text', (c) => c.notNull())
    /** Who holds it, for messages: host, pid, queue prefix. */
    .addColumn('holder', 'text', (c) => c.notNull())
    /** A queued run's queue prefix. */
    .addColumn('queue_prefix', 'text')
    /** The PostgreSQL backend pid of an in-process holder's session, which holds the run lock while it runs. */
    .addColumn('session_pid', 'integer')
    .addColumn('acquired_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('renewed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    /** A queued holder's lease ends here unless renewed; null for an in-process holder. */
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('step_rejects')
    .addColumn('run_id', 'text', (c) => c.notNull())
    /** `sync`, or the calculate step's key (`calculate`, `calculate:<planId>[:<k>of<n>]`). */
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('step_rejects_run_step').on('step_rejects').columns(['run_id', 'step']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('step_rejects').execute();
  await db.schema.dropTable('run_lease').execute();
}
