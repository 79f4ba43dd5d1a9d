/**
 * The run lease: one run at a time writes a database (schema), whichever runner runs it. The lease
 * is a row of the database itself (`run_lease`, one at most), so an `attain run` in process and a
 * queued run on the workers' database exclude each other without knowing of each other.
 *
 * Whether its holder is still there:
 * - an in-process run (`process`) holds the run lock, a session-level advisory lock, for as long as
 *   it runs; PostgreSQL drops it when the process dies, so the holder is alive exactly while its
 *   session (`session_pid`) holds that lock. On the embedded database one process has it open at a
 *   time (its lock in connect.ts), so an in-process holder other than this process is gone
 *   (EMBEDDED_HOLDER_TOKEN).
 * - a queued run (`queue`) moves from worker to worker and waits between its stages: the workers
 *   running its jobs renew the lease, which ends at `expires_at` unless renewed. Whoever can see
 *   the queue also asks it (jobs/reconcile-runs.ts): a run whose job is gone or failed is over.
 *
 * Taking the lease from a holder that is gone marks that holder's run failed with the reason, in
 * the same transaction; so does finding a run left `running` with no holder at all.
 */
import { randomInt } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { RunEndedError } from './errors.js';
import type { Database, RunLeaseTable } from './schema.js';

/**
 * On the embedded database, what an in-process holder records instead of a session pid: a token
 * of this process (a pid would not do: in containers every process is pid 1). Only this process
 * can have the database open, and it gives the lease up when its run ends, so a lease with another
 * token was left by a process that is gone.
 */
export const EMBEDDED_HOLDER_TOKEN = randomInt(1, 2 ** 31 - 1);

/** First half of the run lock's advisory key: "Atta" in ASCII, so it is recognisable in pg_locks. */
export const RUN_LOCK_CLASS = 0x41747461;

export interface LeaseRequest {
  runId: string;
  runner: RunLeaseTable['runner'];
  /** Who asks, for messages: `attain run (in process) pid 12 on host-a`, `queue attain, worker pid 7 on host-b`. */
  holder: string;
  /** A queued run's queue prefix. */
  queuePrefix?: string;
  /** A queued run: how long the lease lasts unless renewed. */
  ttlMs?: number;
  /** An in-process run: the backend pid of the session holding the run lock (embedded: EMBEDDED_HOLDER_TOKEN). */
  sessionPid?: number;
  /** The embedded database (PGlite): one process at a time. */
  embedded: boolean;
  /** Refuse (RunEndedError) unless the run is recorded and `running`: a queued run's later stages and steps. */
  requireRunning?: boolean;
}

export interface RunLease {
  runId: string;
  runner: RunLeaseTable['runner'];
  holder: string;
  queuePrefix: string | null;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date | null;
  /** Whether the holder is still there (see the top of this file). */
  alive: boolean;
}

export type LeaseOutcome = { acquired: true; replaced?: RunLease } | { acquired: false; lease: RunLease };

/** The lease, with whether its holder is alive. */
export async function readRunLease(db: Kysely<Database>, embedded: boolean): Promise<RunLease | undefined> {
  const { rows } = await leaseQuery(embedded, false).execute(db);
  return rows[0] && toLease(rows[0]);
}

/**
 * Takes the lease for a run, or renews it when the run holds it already. A live holder keeps it
 * (`acquired: false`, naming it); a holder that is gone is replaced, and its run marked failed.
 * Runs left `running` by no holder at all are marked failed too.
 */
export async function acquireRunLease(db: Kysely<Database>, request: LeaseRequest): Promise<LeaseOutcome> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('run_lease')
      .values(leaseRow(request))
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('run_id')
      .executeTakeFirst();
    let replaced: RunLease | undefined;
    if (!inserted) {
      const { rows } = await leaseQuery(request.embedded, true).execute(trx);
      const lease = toLease(rows[0]!);
      if (lease.runId !== request.runId) {
        if (lease.alive) return { acquired: false, lease };
        replaced = lease;
      }
      await trx
        .updateTable('run_lease')
        .set({
          ...leaseRow(request),
          ...(replaced ? { acquired_at: sql<Date>`now()` } : {}),
          renewed_at: sql<Date>`now()`,
        })
        .execute();
      if (replaced) await failRunning(trx, replaced.runId, goneReason(replaced));
    }
    if (request.requireRunning) await assertRunning(trx, request.runId);
    await failOrphans(trx, request.runId);
    return replaced ? { acquired: true, replaced } : { acquired: true };
  });
}

/** Extends a queued run's lease; false when the run no longer holds it. */
export async function renewRunLease(db: Kysely<Database>, runId: string, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable('run_lease')
    .set({ renewed_at: sql<Date>`now()`, expires_at: sql<Date>`now() + ${ttlMs} * interval '1 millisecond'` })
    .where('run_id', '=', runId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Gives the lease up (a run that ended); nothing when the run does not hold it. */
export async function releaseRunLease(db: Kysely<Database>, runId: string): Promise<void> {
  await db.deleteFrom('run_lease').where('run_id', '=', runId).execute();
}

/**
 * What a runner that can see more (the queue) says of a `running` run: `alive` (leave it), a
 * reason it is over, or undefined (it cannot tell: judge by the lease).
 */
export type RunVerdict = (runId: string, lease: RunLease | undefined) => Promise<'alive' | string | undefined>;

/**
 * Marks failed, with the reason, every `running` run whose holder is gone: `attain status` and the
 * workers call it (with the queue's verdict), so a run is never left `running` for ever.
 */
export async function reconcileRuns(
  db: Kysely<Database>,
  options: { embedded: boolean; verdict?: RunVerdict },
): Promise<{ runId: string; reason: string }[]> {
  const running = await db.selectFrom('runs').select('id').where('status', '=', 'running').execute();
  if (running.length === 0) return [];
  const lease = await readRunLease(db, options.embedded);
  const ended: { runId: string; reason: string }[] = [];
  for (const { id } of running) {
    const held = lease?.runId === id ? lease : undefined;
    const verdict = await options.verdict?.(id, held);
    if (verdict === 'alive' || (verdict === undefined && held?.alive)) continue;
    const reason = verdict ?? (held ? goneReason(held) : ORPHAN);
    await db.transaction().execute(async (trx) => {
      if (await failRunning(trx, id, reason)) ended.push({ runId: id, reason });
      if (held) await trx.deleteFrom('run_lease').where('run_id', '=', id).execute();
    });
  }
  return ended;
}

const ORPHAN = 'abandoned: no runner holds it any more (the process or the queued jobs that ran it are gone)';

function goneReason(lease: RunLease): string {
  if (lease.runner === 'process')
    return `abandoned: the attain run process that ran it (${lease.holder}) ended before it finished`;
  return `abandoned: no worker renewed its run lease since ${lease.renewedAt.toISOString()} (${lease.holder}; its jobs were lost, or no worker ran them)`;
}

/** The lease's columns for a request; a queued holder's lease ends `ttlMs` from now. */
function leaseRow(request: LeaseRequest) {
  return {
    run_id: request.runId,
    runner: request.runner,
    holder: request.holder,
    queue_prefix: request.queuePrefix ?? null,
    session_pid: request.sessionPid ?? null,
    expires_at:
      request.runner === 'queue' && request.ttlMs !== undefined
        ? sql<Date>`now() + ${request.ttlMs} * interval '1 millisecond'`
        : null,
  };
}

async function failRunning(trx: Transaction<Database>, runId: string, reason: string): Promise<boolean> {
  const result = await trx
    .updateTable('runs')
    .set({ status: 'failed', finished_at: sql<Date>`now()`, error: reason })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

async function failOrphans(trx: Transaction<Database>, holderRunId: string): Promise<void> {
  await trx
    .updateTable('runs')
    .set({ status: 'failed', finished_at: sql<Date>`now()`, error: ORPHAN })
    .where('id', '<>', holderRunId)
    .where('status', '=', 'running')
    .execute();
}

async function assertRunning(trx: Transaction<Database>, runId: string): Promise<void> {
  const run = await trx.selectFrom('runs').select(['status', 'error']).where('id', '=', runId).executeTakeFirst();
  if (run?.status === 'running') return;
  throw new RunEndedError(
    run
      ? `run ${runId} was marked ${run.status} while it waited${run.error ? ` (${run.error})` : ''}: it stops here; attain retry ${runId} runs it again`
      : `run ${runId} is not recorded in this database: it stops here`,
  );
}

interface LeaseRow {
  run_id: string;
  runner: RunLeaseTable['runner'];
  holder: string;
  queue_prefix: string | null;
  acquired_at: Date;
  renewed_at: Date;
  expires_at: Date | null;
  alive: boolean;
}

/**
 * The lease row and whether its holder is alive: a queued holder until its lease expires (by the
 * database's clock, the same for every host); an in-process holder while its session holds the
 * run lock (pg_locks shows every session's advisory locks; the key is the lock class and a hash
 * of the schema, in the form pg_locks gives two-integer keys).
 */
function leaseQuery(embedded: boolean, forUpdate: boolean) {
  const processAlive = embedded
    ? sql`l.session_pid = ${sql.lit(EMBEDDED_HOLDER_TOKEN)}`
    : sql`exists (
        select 1 from pg_locks k
        where k.locktype = 'advisory' and k.granted and k.pid = l.session_pid
          and k.database = (select oid from pg_database where datname = current_database())
          and k.classid = ${sql.lit(RUN_LOCK_CLASS)}::integer::oid
          and k.objid = hashtext(current_schema())::oid and k.objsubid = 2)`;
  return sql<LeaseRow>`
    select l.run_id, l.runner, l.holder, l.queue_prefix, l.acquired_at, l.renewed_at, l.expires_at,
      case when l.runner = 'queue' then coalesce(l.expires_at > now(), false) else ${processAlive} end as alive
    from run_lease l ${forUpdate ? sql`for update of l` : sql``}`;
}

function toLease(row: LeaseRow): RunLease {
  return {
    runId: row.run_id,
    runner: row.runner,
    holder: row.holder,
    queuePrefix: row.queue_prefix,
    acquiredAt: new Date(row.acquired_at),
    renewedAt: new Date(row.renewed_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    alive: row.alive,
  };
}
