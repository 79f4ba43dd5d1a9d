/**
 * Exactly-once results on an at-least-once queue: two worker processes, one SIGKILLed at a random
 * point of the run, over several trials; each run completes on the other worker with the payout
 * lines, attainment and rejects of an uninterrupted in-process run, and no duplicate rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runPipeline } from '../../jobs/run.js';
import { getRun } from '../../src/db/index.js';
import {
  assertBuilt,
  skipQueueTests,
  cli,
  results,
  scratch,
  startWorkerProcess,
  type Scratch,
} from './queue-harness.js';

const TRIALS = Number(process.env['ATTAIN_KILL_TRIALS'] ?? 3);
/** Each step takes at least this long, so the run (sync, two calculates, write-back) spans about a second and a half. */
const STEP_DELAY_MS = 350;

describe.skipIf(skipQueueTests)('a worker killed mid-run', () => {
  let baseline: Scratch;
  let expected: Awaited<ReturnType<typeof results>>;

  beforeAll(async () => {
    assertBuilt();
    baseline = await scratch();
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-uninterrupted',
    });
    expected = await results(baseline.database, 'run-uninterrupted');
  }, 60_000);
  afterAll(() => baseline?.dispose(), 30_000);

  for (let trial = 1; trial <= TRIALS; trial++) {
    it(`trial ${trial}: the other worker completes the run with identical results`, async () => {
      const s = await scratch({ stepDelayMs: STEP_DELAY_MS });
      try {
        const workers = [startWorkerProcess(s), startWorkerProcess(s)];
        await Promise.all(workers.map((w) => w.ready));
        const run = cli(s, ['trigger', '--wait']);
        // A random point from the first step to the last; the worker busy with a step then (else either).
        const killAfter = 100 + Math.floor(Math.random() * 4 * STEP_DELAY_MS);
        await new Promise((r) => setTimeout(r, killAfter));
        const active = (await s.queue('steps').getActive()).map((j) => j.id!);
        const busy = workers.find((w) => active.some((id) => w.output().includes(`"jobId":"${id}","step"`)));
        const victim = busy ?? workers[Math.floor(Math.random() * 2)]!;
        victim.child.kill('SIGKILL');
        const done = await run;
        const context = `killed worker ${victim.child.pid} after ${killAfter} ms\n${done.out}${done.err}`;
        expect(done.code, context).toBe(0);
        const runId = /^(run-\S+): queued/.exec(done.out)![1]!;
        expect(await victim.exited).toBeNull();
        if (busy) {
          // The step the killed worker held was taken over by the other one after its lock expired.
          const taken = await Promise.all(active.map((id) => s.queue('steps').getJob(id)));
          expect(
            taken.some((j) => (j?.stalledCounter ?? 0) > 0 && j?.finishedOn !== undefined),
            context,
          ).toBe(true);
        }
        expect(await results(s.database, runId), context).toEqual(expected);
        const duplicates = await sql<{
          n: number;
        }>`select count(*)::int as n from (select rep_id, plan_id, period, component from payout_lines group by 1, 2, 3, 4 having count(*) > 1) d`.execute(
          s.database.db,
        );
        expect(duplicates.rows[0]?.n).toBe(0);
        expect(await getRun(s.database.db, runId)).toMatchObject({
          status: 'succeeded',
          counts: { lines: 55, rejects: 4 },
        });
        expect((await getRun(s.database.db, runId))?.result_hash).toBe(
          (await getRun(baseline.database.db, 'run-uninterrupted'))?.result_hash,
        );
      } finally {
        await s.dispose();
      }
    }, 60_000);
  }
});
