/**
 * What a queued run leaves in Redis does not grow with its rejects: a night with thousands of bad
 * records stores them all in the database (`rejects`), while the jobs' return values and data
 * carry counts and a sample of five. Real worker process, the local Redis and PostgreSQL.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '../../src/db/index.js';
import { assertBuilt, cli, scratch, skipQueueTests, startWorkerProcess, type Scratch } from './queue-harness.js';

const BAD_DEALS = 3000;
/** Bytes a job's return value or data may take, whatever the number of rejects. */
const BOUND = 4096;

describe.skipIf(skipQueueTests)('a run with many rejects on the queue', () => {
  const scratches: Scratch[] = [];
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    for (const s of scratches.splice(0)) await s.dispose();
  }, 30_000);

  it('keeps the rejects in the database and only counts and a sample in Redis', async () => {
    const s = await scratch();
    scratches.push(s);
    const rows = Array.from(
      { length: BAD_DEALS },
      (_, i) => `bad-${i},Bad deal ${i},r1,not-a-number,USD,2026-01-10,won,New Business,12,2026-01-10\n`,
    );
    appendFileSync(join(s.dir, 'data', 'deals.csv'), rows.join(''));
    const worker = startWorkerProcess(s);
    await worker.ready;
    const done = await cli(s, ['trigger', '--wait']);
    expect(done.code, done.out + done.err).toBe(0);
    const runId = /^(run-\S+): queued/.exec(done.out)![1]!;
    expect(done.out).toContain(`  rejects: ${BAD_DEALS + 4} records not used, e.g. `);

    const stored = await s.database.db
      .selectFrom('rejects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(BAD_DEALS + 4);
    expect(await getRun(s.database.db, runId)).toMatchObject({
      status: 'succeeded',
      counts: { rejects: BAD_DEALS + 4 },
    });
    // Kept only until the run has recorded them all.
    expect(await s.database.db.selectFrom('step_rejects').selectAll().execute()).toEqual([]);

    const run = await s.queue('runs').getJob(runId);
    const steps = await s.queue('steps').getJobs(['completed']);
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const job of [run!, ...steps]) {
      const size = JSON.stringify(job.returnvalue).length + JSON.stringify(job.data).length;
      expect(size, `${job.id}: ${JSON.stringify(job.returnvalue).slice(0, 300)}`).toBeLessThan(BOUND);
    }
    expect((run!.returnvalue as { rejects: number; rejectSample: unknown[] }).rejects).toBe(BAD_DEALS + 4);
    expect((run!.returnvalue as { rejectSample: unknown[] }).rejectSample).toHaveLength(5);
  }, 120_000);
});
