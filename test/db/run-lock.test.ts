import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { DatabaseUnavailableError, RunInProgressError } from '../../src/db/errors.js';
import { openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { withRunLock } from '../../src/db/run-lock.js';
import {
  RUN_LOCK_CLASS,
  acquireRunLease,
  readRunLease,
  reconcileRuns,
  releaseRunLease,
} from '../../src/db/run-lease.js';
import { getRun, replaceResults, startRun } from '../../src/db/run-store.js';
import { POSTGRES_URL, forEachBackend } from './backends.js';
import { line } from './fixtures.js';

/** A promise and the function that settles it: to hold a lock while the test tries another. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

forEachBackend((backend) => {
  it('runs the work under the lock, with the database usable inside, and releases it after', async () => {
    await migrateToLatest(backend.db);
    const written = await withRunLock(backend.database, async () => {
      await startRun(backend.db, { id: 'run-a', trigger: 'manual', inputsHash: 'h', planVersions: {} });
      return replaceResults(backend.db, {
        runId: 'run-a',
        planId: 'ae',
        periods: ['2026-01'],
        lines: [line('r1', '2026-01', 'commission', '1.00')],
        attainment: [],
      });
    });
    expect(written).toEqual({ lines: 1, attainment: 0 });
    // Released: the next run takes it, also after a run that threw.
    await expect(withRunLock(backend.database, () => Promise.reject(new Error('step failed')))).rejects.toThrow(
      'step failed',
    );
    expect(await withRunLock(backend.database, () => Promise.resolve('again'))).toBe('again');
  });

  it('marks runs left running by a process that died as failed', async () => {
    await migrateToLatest(backend.db);
    await startRun(backend.db, { id: 'crashed', trigger: 'schedule', inputsHash: 'h', planVersions: {} });
    await withRunLock(backend.database, async () => {
      expect(await getRun(backend.db, 'crashed')).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('abandoned'),
      });
    });
  });

  it('refuses a second holder while the first runs', async () => {
    await migrateToLatest(backend.db);
    // PostgreSQL: a second pool, as a second `attain run` process would have. PGlite: one process only (see connect.test.ts).
    const other = backend.name === 'postgres' ? await backend.open() : backend.database;
    const first = gate();
    const started = gate();
    const holding = withRunLock(backend.database, async () => {
      await startRun(backend.db, { id: 'run-1', trigger: 'manual', inputsHash: 'h', planVersions: {} });
      started.open();
      await first.wait;
    });
    await started.wait;
    const refused = withRunLock(other, () => Promise.resolve('never'));
    await expect(refused).rejects.toThrow(RunInProgressError);
    await expect(withRunLock(other, () => Promise.resolve('never'))).rejects.toThrow(
      /another attain run is in progress on .*\(run lock-\d+-\w+, in process: attain run in process, pid \d+ on .*, started .*\); wait for it to finish/,
    );
    first.open();
    await holding;
    expect(await withRunLock(other, () => Promise.resolve('mine now'))).toBe('mine now');
  });

  const queued = (runId: string, ttlMs = 60_000) => ({
    runId,
    runner: 'queue' as const,
    holder: 'queue attaintest, worker pid 1 on test',
    queuePrefix: 'attaintest',
    ttlMs,
    embedded: backend.name === 'pglite',
  });

  it('refuses an in-process run while a queued run holds the database, and leaves that run running', async () => {
    await migrateToLatest(backend.db);
    await backend.truncateAll();
    expect(await acquireRunLease(backend.db, queued('run-queued'))).toEqual({ acquired: true });
    await startRun(backend.db, { id: 'run-queued', trigger: 'schedule', inputsHash: 'h', planVersions: {} });
    await expect(withRunLock(backend.database, () => Promise.resolve('never'))).rejects.toThrow(
      /another attain run is in progress on .*\(run run-queued, queued: queue attaintest, worker pid 1 on test, started /,
    );
    expect(await getRun(backend.db, 'run-queued')).toMatchObject({ status: 'running', error: null });
    await releaseRunLease(backend.db, 'run-queued');
  });

  it('refuses a queued run while an in-process run holds the database', async () => {
    await migrateToLatest(backend.db);
    await backend.truncateAll();
    await withRunLock(
      backend.database,
      async () => {
        const outcome = await acquireRunLease(backend.db, queued('run-queued'));
        expect(outcome).toMatchObject({
          acquired: false,
          lease: { runId: 'run-in-process', runner: 'process', alive: true },
        });
      },
      { runId: 'run-in-process' },
    );
    // Released when the run ends: the queued run gets it.
    expect(await acquireRunLease(backend.db, queued('run-queued'))).toEqual({ acquired: true });
    await releaseRunLease(backend.db, 'run-queued');
  });

  it('takes the database from a queued run nobody renews, and marks that run failed with the reason', async () => {
    await migrateToLatest(backend.db);
    await backend.truncateAll();
    await acquireRunLease(backend.db, queued('run-lost', 1));
    await startRun(backend.db, { id: 'run-lost', trigger: 'trigger', inputsHash: 'h', planVersions: {} });
    await sleep(20);
    expect(await readRunLease(backend.db, backend.name === 'pglite')).toMatchObject({
      runId: 'run-lost',
      alive: false,
    });
    await withRunLock(backend.database, () => Promise.resolve(), { runId: 'run-next' });
    expect(await getRun(backend.db, 'run-lost')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^abandoned: no worker renewed its run lease since \d{4}-.*\(queue attaintest/),
    });
    // The lost run's next step finds out and stops.
    await expect(acquireRunLease(backend.db, { ...queued('run-lost'), requireRunning: true })).rejects.toThrow(
      /run run-lost was marked failed while it waited \(abandoned: .*\): it stops here; attain retry run-lost/,
    );
    expect(await readRunLease(backend.db, backend.name === 'pglite')).toBeUndefined();
  });

  it('reconciles a queued run whose lease ran out, and leaves a live one', async () => {
    await migrateToLatest(backend.db);
    await backend.truncateAll();
    await acquireRunLease(backend.db, queued('run-live'));
    await startRun(backend.db, { id: 'run-live', trigger: 'trigger', inputsHash: 'h', planVersions: {} });
    expect(await reconcileRuns(backend.db, { embedded: backend.name === 'pglite' })).toEqual([]);
    expect(await getRun(backend.db, 'run-live')).toMatchObject({ status: 'running' });
    await releaseRunLease(backend.db, 'run-live');
    await acquireRunLease(backend.db, queued('run-expired', 1));
    await startRun(backend.db, { id: 'run-expired', trigger: 'trigger', inputsHash: 'h', planVersions: {} });
    await sleep(20);
    const ended = await reconcileRuns(backend.db, { embedded: backend.name === 'pglite' });
    // The run left running without a lease was marked failed when the next run took the lease.
    expect(ended.map((e) => e.runId)).toEqual(['run-expired']);
    expect(await getRun(backend.db, 'run-expired')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no worker renewed its run lease'),
    });
    expect(await getRun(backend.db, 'run-live')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no runner holds it'),
    });
    expect(await readRunLease(backend.db, backend.name === 'pglite')).toBeUndefined();
  });

  if (backend.name === 'postgres')
    it('frees the database at once when the process of an in-process run is gone, and names it on the run', async () => {
      await migrateToLatest(backend.db);
      await backend.truncateAll();
      // Another process's session holding the run lock, as `attain run` does.
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${backend.schema}`);
      const session = new pg.Client({ connectionString: url.toString() });
      await session.connect();
      const { rows } = await session.query<{ pid: number }>(
        `select pg_advisory_lock(${RUN_LOCK_CLASS}, hashtext(current_schema())), pg_backend_pid() as pid`,
      );
      await acquireRunLease(backend.db, {
        runId: 'run-killed',
        runner: 'process',
        holder: 'attain run in process, pid 99 on elsewhere',
        sessionPid: rows[0]!.pid,
        embedded: false,
      });
      await startRun(backend.db, { id: 'run-killed', trigger: 'cli', inputsHash: 'h', planVersions: {} });
      expect(await acquireRunLease(backend.db, queued('run-queued'))).toMatchObject({ acquired: false });
      await session.end();
      expect(await acquireRunLease(backend.db, queued('run-queued'))).toMatchObject({
        acquired: true,
        replaced: { runId: 'run-killed', runner: 'process' },
      });
      expect(await getRun(backend.db, 'run-killed')).toMatchObject({
        status: 'failed',
        error:
          'abandoned: the attain run process that ran it (attain run in process, pid 99 on elsewhere) ended before it finished',
      });
      await releaseRunLease(backend.db, 'run-queued');
    });

  if (backend.name === 'postgres')
    it('locks per schema: a run in another schema is not blocked', async () => {
      const schema = `${backend.schema}_other`;
      const elsewhere = await openDatabase({ url: POSTGRES_URL, dataDir: backend.workspaceDataDir, schema });
      try {
        await migrateToLatest(elsewhere.db);
        const done = await withRunLock(backend.database, () => withRunLock(elsewhere, () => Promise.resolve('both')));
        expect(done).toBe('both');
      } finally {
        await elsewhere.db.schema.dropSchema(schema).ifExists().cascade().execute();
        await elsewhere.close();
      }
    });

  if (backend.name === 'pglite')
    it('keeps a second process off the embedded database', async () => {
      await expect(openDatabase({ dataDir: backend.workspaceDataDir })).rejects.toThrow(DatabaseUnavailableError);
      await expect(openDatabase({ dataDir: backend.workspaceDataDir })).rejects.toThrow(/already open in this process/);
    });
});
