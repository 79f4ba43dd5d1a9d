/**
 * One `attain run` at a time per database (and schema): a second one is refused with
 * RunInProgressError instead of interleaving its writes with the first.
 *
 * PostgreSQL: a session-level advisory lock, held on a connection of its own for the whole run, so
 * the run's own queries use the pool as usual; the server releases it if the process dies. The key
 * pairs a constant with a hash of the schema, so test files and workspaces isolated by schema don't
 * block each other.
 *
 * PGlite: one session in one process (the data dir's lock file keeps other processes out), where an
 * advisory lock is re-entrant; a per-database flag refuses a second holder in the process. The
 * connection is not held: PGlite's Kysely driver has only one, and the run needs it.
 */
import { sql, type Kysely } from 'kysely';
import type { AttainDb } from './connect.js';
import { RunInProgressError } from './errors.js';
import type { Database } from './schema.js';

/** First half of the advisory lock key: "Atta" in ASCII, so it is recognisable in pg_locks. */
const RUN_LOCK_CLASS = 0x41747461;

const acquire = sql<{
  acquired: boolean;
}>`select pg_try_advisory_lock(${sql.lit(RUN_LOCK_CLASS)}::integer, hashtext(current_schema())) as acquired`;
const release = sql`select pg_advisory_unlock(${sql.lit(RUN_LOCK_CLASS)}::integer, hashtext(current_schema()))`;

const heldInProcess = new WeakSet<Kysely<Database>>();

/**
 * Runs `fn` holding the run lock; throws RunInProgressError at once if another run holds it. Every
 * run must go through here: once the lock is held, runs still marked `running` are left over from
 * a process that died, and are marked failed.
 */
export async function withRunLock<T>(database: AttainDb, fn: () => Promise<T>): Promise<T> {
  const { db } = database;
  if (database.backend === 'pglite') {
    if (heldInProcess.has(db)) throw await runInProgress(database);
    heldInProcess.add(db);
    try {
      await acquire.execute(db);
      try {
        await abandonStaleRuns(db);
        return await fn();
      } finally {
        await release.execute(db);
      }
    } finally {
      heldInProcess.delete(db);
    }
  }

  return db.connection().execute(async (session) => {
    const { rows } = await acquire.execute(session);
    if (!rows[0]?.acquired) throw await runInProgress(database);
    try {
      await abandonStaleRuns(db);
      return await fn();
    } finally {
      // A failed unlock means a broken session, and the server drops a broken session's locks.
      await release.execute(session).catch(() => undefined);
    }
  });
}

async function runInProgress(database: AttainDb): Promise<RunInProgressError> {
  const running = await database.db
    .selectFrom('runs')
    .select(['id', 'started_at'])
    .where('status', '=', 'running')
    .orderBy('started_at', 'desc')
    .executeTakeFirst()
    .catch(() => undefined);
  const which = running ? ` (run ${running.id}, started ${running.started_at.toISOString()})` : '';
  return new RunInProgressError(
    `another attain run is in progress on ${database.describe}${which}; wait for it to finish, then run again`,
  );
}

async function abandonStaleRuns(db: Kysely<Database>): Promise<void> {
  const { rows } = await sql<{ exists: boolean }>`select to_regclass('runs') is not null as exists`.execute(db);
  if (!rows[0]?.exists) return;
  await db
    .updateTable('runs')
    .set({
      status: 'failed',
      finished_at: sql<Date>`now()`,
      error: 'abandoned: the process running it ended before it finished',
    })
    .where('status', '=', 'running')
    .execute();
}
