import { expect, it } from 'vitest';
import { DatabaseUnavailableError, RunInProgressError } from '../../src/db/errors.js';
import { openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { withRunLock } from '../../src/db/run-lock.js';
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
      /another attain run is in progress on .*\(run run-1, started .*\); wait for it to finish/,
    );
    first.open();
    await holding;
    expect(await withRunLock(other, () => Promise.resolve('mine now'))).toBe('mine now');
  });

  if (backend.name === 'postgres')
    it('locks per schema: a run in another schema is not blocked', async () => {
      const schema = `${backend.schema}_other`;
      const elsewhere = await openDatabase({ url: POSTGRES_URL, dataDir: backend.workspaceDataDir, schema });
      try {
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
