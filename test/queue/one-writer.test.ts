/**
 * One run at a time per database, across the two runners, with real worker processes: an
 * `attain run --in-process` against the workers' database while a queued run is in flight is
 * refused (and the queued run completes, not marked abandoned); a queued run while an in-process
 * run holds the database is refused with the reason; a queued run whose jobs are gone from Redis
 * (worker killed, keys lost) is shown failed, with why, by `attain status`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../jobs/run.js';
import { getRun } from '../../src/db/index.js';
import {
  REDIS_URL,
  assertBuilt,
  cli,
  scratch,
  skipQueueTests,
  startWorkerProcess,
  type Scratch,
} from './queue-harness.js';

/** Waits until the run ledger has a row in this state, and returns its id. */
async function runIn(s: Scratch, status: 'running' | 'succeeded' | 'failed', timeoutMs = 30_000): Promise<string> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await sleep(100)) {
    const row = await s.database.db.selectFrom('runs').select('id').where('status', '=', status).executeTakeFirst();
    if (row) return row.id;
  }
  throw new Error(`no run became ${status} within ${timeoutMs} ms`);
}

describe.skipIf(skipQueueTests)('one writer per database, queued or in process', () => {
  const scratches: Scratch[] = [];
  const fresh = async (options?: Parameters<typeof scratch>[0]) => {
    const s = await scratch(options);
    scratches.push(s);
    return s;
  };
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    for (const s of scratches.splice(0)) await s.dispose();
  }, 30_000);

  it('refuses attain run --in-process while a queued run is in flight, and the queued run completes', async () => {
    const s = await fresh({ stepDelayMs: 1500 });
    const worker = startWorkerProcess(s);
    await worker.ready;
    const queued = cli(s, ['trigger', '--wait']);
    const runId = await runIn(s, 'running');
    const inProcess = await cli(s, ['run', '--in-process']);
    expect(inProcess.code, inProcess.out + inProcess.err).toBe(1);
    expect(inProcess.err).toContain(
      `another attain run is in progress on postgres://postgres@127.0.0.1:5432/test?options=-c+search_path%3D${s.schema} (run ${runId}, queued: queue ${s.prefix}, worker pid`,
    );
    expect(await getRun(s.database.db, runId)).toMatchObject({ status: 'running', error: null });
    const done = await queued;
    expect(done.code, done.out + done.err).toBe(0);
    expect(await getRun(s.database.db, runId)).toMatchObject({ status: 'succeeded', error: null });
    const runs = await s.database.db.selectFrom('runs').select(['id', 'status']).execute();
    expect(runs).toEqual([{ id: runId, status: 'succeeded' }]);
  }, 90_000);

  it('refuses a queued run while an in-process run holds the database, and the next one runs', async () => {
    const s = await fresh();
    const worker = startWorkerProcess(s);
    await worker.ready;
    let refused: Awaited<ReturnType<typeof cli>> | undefined;
    await runPipeline({
      workspaceDir: s.dir,
      trigger: 'test',
      database: s.database,
      runId: 'run-in-process',
      afterStep: async (step) => {
        if (step === 'store') refused = await cli(s, ['trigger', '--wait']);
      },
    });
    expect(refused?.code).toBe(1);
    const queuedId = /^(run-\S+): queued/.exec(refused!.out)![1]!;
    expect(refused?.err).toContain(
      `the database is busy with run run-in-process (in process: attain run in process, pid ${process.pid} on `,
    );
    expect(await getRun(s.database.db, queuedId)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('the database is busy with run run-in-process'),
    });
    expect(await getRun(s.database.db, 'run-in-process')).toMatchObject({ status: 'succeeded' });
    const next = await cli(s, ['trigger', '--wait']);
    expect(next.code, next.out + next.err).toBe(0);
  }, 90_000);

  it('shows a queued run whose jobs Redis lost as failed, with why, in attain status; the next run succeeds', async () => {
    const s = await fresh({ stepDelayMs: 1500 });
    const worker = startWorkerProcess(s);
    await worker.ready;
    void cli(s, ['trigger']);
    const runId = await runIn(s, 'running');
    worker.child.kill('SIGKILL');
    await worker.exited;
    // The run's keys are gone, as after a FLUSHALL or a Redis restarted without its data.
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${s.prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();

    const status = await cli(s, ['status']);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(
      new RegExp(
        `  ${runId}  failed .*\\n      its run job is gone from the queue ${s.prefix} \\(Redis lost it: flushed, or restarted without its data\\)`,
      ),
    );
    expect(await getRun(s.database.db, runId)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('its run job is gone from the queue'),
    });
    const again = startWorkerProcess(s);
    await again.ready;
    const next = await cli(s, ['trigger', '--wait']);
    expect(next.code, next.out + next.err).toBe(0);
  }, 90_000);
});
