/**
 * One run at a time per database (and schema), for `attain run` in process: it takes the run lease
 * (run-lease.ts), which queued runs take too, so a second run of either kind is refused with
 * RunInProgressError instead of interleaving its writes with the first.
 *
 * PostgreSQL: the run also holds a session-level advisory lock (the run lock) on a connection of
 * its own for the whole run, while its queries use the pool as usual. The server drops it when the
 * process dies, which is how others know the lease's in-process holder is gone (a Ctrl-C or a kill
 * frees the database at once). The key pairs a constant with a hash of the schema, so test files
 * and workspaces isolated by schema don't block each other.
 *
 * PGlite: one session in one process (the data dir's lock keeps other processes out); a
 * per-database flag refuses a second holder in the process. The connection is not held: PGlite's
 * Kysely driver has only one, and the run needs it.
 */
import { hostname } from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { AttainDb } from './connect.js';
import { RunInProgressError } from './errors.js';
import {
  EMBEDDED_HOLDER_TOKEN,
  RUN_LOCK_CLASS,
  acquireRunLease,
  readRunLease,
  releaseRunLease,
  type LeaseRequest,
  type RunLease,
} from './run-lease.js';
import type { Database } from './schema.js';

const acquire = sql<{
  acquired: boolean;
  pid: number;
}>`select pg_try_advisory_lock(${sql.lit(RUN_LOCK_CLASS)}::integer, hashtext(current_schema())) as acquired, pg_backend_pid() as pid`;
const release = sql`select pg_advisory_unlock(${sql.lit(RUN_LOCK_CLASS)}::integer, hashtext(current_schema()))`;

const heldInProcess = new WeakSet<Kysely<Database>>();

/**
 * Runs `fn` holding the run lease for `runId`; throws RunInProgressError at once if another run,
 * in process or queued, holds it. Taking it marks failed the runs whose holder is gone.
 */
export async function withRunLock<T>(
  database: AttainDb,
  fn: () => Promise<T>,
  options: { runId?: string } = {},
): Promise<T> {
  const { db } = database;
  const request: LeaseRequest = {
    runId: options.runId ?? `lock-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    runner: 'process',
    holder: `attain run in process, pid ${process.pid} on ${hostname()}`,
    embedded: database.backend === 'pglite',
  };
  const holding = async (extra: Partial<LeaseRequest>): Promise<T> => {
    const outcome = await acquireRunLease(db, { ...request, ...extra });
    if (!outcome.acquired) throw runInProgress(database, outcome.lease);
    try {
      return await fn();
    } finally {
      await releaseRunLease(db, request.runId).catch(() => undefined);
    }
  };

  if (database.backend === 'pglite') {
    if (heldInProcess.has(db)) throw runInProgress(database, await readRunLease(db, true).catch(() => undefined));
    heldInProcess.add(db);
    try {
      return await holding({ sessionPid: EMBEDDED_HOLDER_TOKEN });
    } finally {
      heldInProcess.delete(db);
    }
  }

  return db.connection().execute(async (session) => {
    const { rows } = await acquire.execute(session);
    if (!rows[0]?.acquired) throw runInProgress(database, await readRunLease(db, false).catch(() => undefined));
    try {
      return await holding({ sessionPid: rows[0].pid });
    } finally {
      // A failed unlock means a broken session, and the server drops a broken session's locks.
      await release.execute(session).catch(() => undefined);
    }
  });
}

function runInProgress(database: AttainDb, lease: RunLease | undefined): RunInProgressError {
  const which = lease
    ? ` (run ${lease.runId}, ${lease.runner === 'queue' ? 'queued' : 'in process'}: ${lease.holder}, started ${lease.acquiredAt.toISOString()})`
    : '';
  return new RunInProgressError(
    `another attain run is in progress on ${database.describe}${which}; wait for it to finish, then run again`,
  );
}
