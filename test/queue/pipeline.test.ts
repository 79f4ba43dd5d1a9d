/**
 * The pipeline through BullMQ on the local Redis and PostgreSQL, with real worker processes of the
 * compiled CLI: the same payout lines as the in-process run; a trigger during a run joins it; a
 * malformed job fails at once with a validation message; a failed step retried by command
 * completes the run; an unreachable Redis is exit 3 with the password masked.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../jobs/run.js';
import { getRun, readCanonical } from '../../src/db/index.js';
import {
  assertBuilt,
  skipQueueTests,
  cli,
  results,
  scratch,
  startWorkerProcess,
  type Scratch,
} from './queue-harness.js';

describe.skipIf(skipQueueTests)('the pipeline on the queue', () => {
  let baseline: Scratch;
  let expected: Awaited<ReturnType<typeof results>>;
  const scratches: Scratch[] = [];
  const fresh = async (options?: Parameters<typeof scratch>[0]) => {
    const s = await scratch(options);
    scratches.push(s);
    return s;
  };
  /** A fresh workspace with `queue` added to its attain.yaml, run on two workers (`trigger --wait`, which must succeed). */
  const runOnTwoWorkers = async (queue: string) => {
    const s = await fresh();
    const yaml = join(s.dir, 'attain.yaml');
    writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}${queue}\n`);
    const workers = [startWorkerProcess(s), startWorkerProcess(s)];
    await Promise.all(workers.map((w) => w.ready));
    const done = await cli(s, ['trigger', '--wait']);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    const runId = /^(run-\S+): queued/.exec(done.out)![1]!;
    return { s, done, runId };
  };

  beforeAll(async () => {
    assertBuilt();
    baseline = await scratch();
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess',
    });
    expected = await results(baseline.database, 'run-inprocess');
  }, 60_000);
  afterAll(() => baseline?.dispose(), 30_000);
  afterEach(async () => {
    for (const s of scratches.splice(0)) await s.dispose();
  }, 30_000);

  it('two workers give the payout lines, attainment and rejects of the in-process run; a trigger during the run joins it', async () => {
    const s = await fresh({ stepDelayMs: 1000 });
    const workers = [startWorkerProcess(s), startWorkerProcess(s)];
    await Promise.all(workers.map((w) => w.ready));

    const first = cli(s, ['trigger', '--wait']);
    // Once the run is queued it is in flight for at least three 1 s stages (sync; store and the
    // calculations; write-back), room for a second CLI process to start on a loaded machine: that
    // trigger joins it.
    while ((await s.queue('runs').getJobCountByTypes('waiting', 'active', 'waiting-children')) === 0)
      await new Promise((r) => setTimeout(r, 50));
    const second = await cli(s, ['trigger']);
    const done = await first;
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    const runId = /^(run-\S+): queued/.exec(done.out)?.[1];
    expect(runId).toBeDefined();
    expect(second.out).toBe(`${runId}: a run was in flight; joined it\n`);
    // The summary attain run prints in process, with the database the worker wrote to (through the
    // tests' today, ATTAIN_TODAY in vitest.config.ts).
    expect(done.out).toContain(
      `Run ${runId} succeeded, calculated through 2026-06-30.
  8 reps, 15 deals, 55 payout lines written
  payouts per plan and period:
`,
    );
    expect(done.out).toContain('  rejects: 4 records not used, e.g. ');
    expect(done.out).toMatch(new RegExp(`  results: postgres://\\S+search_path%3D${s.schema}\\n`));

    expect(await results(s.database, runId!)).toEqual(expected);
    const run = await getRun(s.database.db, runId!);
    expect(run).toMatchObject({
      status: 'succeeded',
      trigger: 'trigger',
      counts: { reps: 8, deals: 15, rejects: 4, lines: 55 },
    });
    // The same result hash as the in-process run: `attain replay` checks either against the same definition.
    const inProcess = await getRun(baseline.database.db, 'run-inprocess');
    expect(run?.result_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(run?.result_hash).toBe(inProcess?.result_hash);
    // And the same inputs hash: the sha256 of the same stored engine input.
    expect(run?.inputs_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(run?.inputs_hash).toBe(inProcess?.inputs_hash);
    expect(await s.database.db.selectFrom('runs').select('id').execute()).toHaveLength(1);
    // Every log line about the run carries its id.
    const lines = workers
      .flatMap((w) => w.output().trim().split('\n'))
      .map((l) => JSON.parse(l) as { runId?: string; msg: string });
    const about = lines.filter(
      (l) => l.msg.includes('plan ') || l.msg.includes('started') || l.msg.includes('run succeeded'),
    );
    expect(about.length).toBeGreaterThan(4);
    for (const line of about) expect(line.runId).toBe(runId);
  }, 90_000);

  it('a plan with more reps than queue.shardReps is calculated in shards on both workers: the same results and hash; a rep taken off the plan loses its lines', async () => {
    const { s, done, runId } = await runOnTwoWorkers('queue: { shardReps: 2 }');
    // ae-fy26 has 5 reps: 3 shards; mgr-fy26 has 3: 2 shards.
    for (const step of [
      'calculate-ae-fy26-1of3',
      'calculate-ae-fy26-2of3',
      'calculate-ae-fy26-3of3',
      'calculate-mgr-fy26-1of2',
      'calculate-mgr-fy26-2of2',
    ]) {
      expect(done.out).toContain(`✓ ${step}`);
    }
    expect(done.out).not.toContain('✓ calculate-ae-fy26 ');
    expect(done.out).toContain(
      `Run ${runId} succeeded, calculated through 2026-06-30.\n  8 reps, 15 deals, 55 payout lines written\n`,
    );
    expect(await results(s.database, runId)).toEqual(expected);
    expect((await getRun(s.database.db, runId))?.result_hash).toBe(
      (await getRun(baseline.database.db, 'run-inprocess'))?.result_hash,
    );

    // r5 is deleted (reps, assignments, quotas): no shard has r5 among its reps any more, so the run
    // removes the lines no shard wrote, as one replace does in process. r5's deals become rejects.
    const removeR5 = (dir: string) => {
      for (const name of ['reps.csv', 'assignments.csv', 'quotas.csv']) {
        const file = join(dir, 'data', name);
        writeFileSync(file, readFileSync(file, 'utf8').replace(/^r5,.*\n/gm, ''));
      }
    };
    removeR5(s.dir);
    expect(
      await s.database.db.selectFrom('payout_lines').select('rep_id').where('rep_id', '=', 'r5').execute(),
    ).not.toHaveLength(0);
    const again = await cli(s, ['trigger', '--wait']);
    expect(again.code, again.err).toBe(0);
    const second = /^(run-\S+): queued/.exec(again.out)![1]!;
    expect(
      await s.database.db.selectFrom('payout_lines').select('rep_id').where('rep_id', '=', 'r5').execute(),
    ).toHaveLength(0);
    const reference = await fresh();
    removeR5(reference.dir);
    await runPipeline({
      workspaceDir: reference.dir,
      trigger: 'test',
      database: reference.database,
      runId: 'run-reference',
    });
    expect(await results(s.database, second)).toEqual(await results(reference.database, 'run-reference'));
    expect((await getRun(s.database.db, second))?.result_hash).toBe(
      (await getRun(reference.database.db, 'run-reference'))?.result_hash,
    );
  }, 90_000);

  it('large data files are read in byte ranges on both workers, put together by sync, stored in parts: the same results, hashes and stored records', async () => {
    const { s, done, runId } = await runOnTwoWorkers('queue: { csvRangeBytes: 256 }');
    // deals.csv (1,555 bytes) in 5 ranges, reps.csv and quotas.csv in 2; the small files are read by sync.
    const reads = [...done.out.matchAll(/✓ (read-\S+)/g)].map((m) => m[1]);
    expect(reads).toEqual(
      expect.arrayContaining([
        'read-deals.csv-1of5',
        'read-deals.csv-5of5',
        'read-reps.csv-2of2',
        'read-quotas.csv-1of2',
      ]),
    );
    expect(reads.filter((r) => r?.startsWith('read-deals.csv'))).toHaveLength(5);
    expect(reads.some((r) => r?.startsWith('read-fx.csv'))).toBe(false);
    expect(done.out).toContain(
      `Run ${runId} succeeded, calculated through 2026-06-30.\n  8 reps, 15 deals, 55 payout lines written\n`,
    );
    expect(await results(s.database, runId)).toEqual(expected);
    const run = await getRun(s.database.db, runId);
    const inProcess = await getRun(baseline.database.db, 'run-inprocess');
    expect(run?.inputs_hash).toBe(inProcess?.inputs_hash);
    expect(run?.result_hash).toBe(inProcess?.result_hash);
    // The parts are removed once sync has put them together.
    expect(await s.database.db.selectFrom('run_input_parts').select('run_id').execute()).toEqual([]);
    // The store in parts, as deals.csv was read: the rest, and the deals with their splits in 5 parts.
    expect(done.out).toContain('✓ store-rest');
    for (let k = 1; k <= 5; k++) expect(done.out).toContain(`✓ store-deals-${k}of5`);
    expect(await readCanonical(s.database.db)).toEqual(await readCanonical(baseline.database.db));

    // A deal gone, a deal's splits gone, a split gone: the store parts and the rest leave the tables
    // as one snapshot does in process.
    const change = (dir: string) => {
      const edit = (name: string, pattern: RegExp) => {
        const file = join(dir, 'data', name);
        writeFileSync(file, readFileSync(file, 'utf8').replace(pattern, ''));
      };
      edit('deals.csv', /^o-1018,.*\n/m);
      edit('splits.csv', /^o-1006,.*\n/gm);
      edit('splits.csv', /^o-1011,r2,10,overlay\n/m);
    };
    change(s.dir);
    const again = await cli(s, ['trigger', '--wait']);
    expect(again.code, again.err).toBe(0);
    const second = /^(run-\S+): queued/.exec(again.out)![1]!;
    const reference = await fresh();
    change(reference.dir);
    await runPipeline({ workspaceDir: reference.dir, trigger: 'test', database: reference.database, runId: 'run-ref' });
    const stored = await readCanonical(s.database.db);
    expect(stored.deals.map((d) => d.id)).not.toContain('o-1018');
    expect(stored.splits.filter((x) => x.dealId === 'o-1006')).toEqual([]);
    expect(stored).toEqual(await readCanonical(reference.database.db));
    expect(await results(s.database, second)).toEqual(await results(reference.database, 'run-ref'));
  }, 90_000);

  it('many open deals make their estimates in parts, side by side: the estimates and forecast of the in-process run, twice', async () => {
    // Four open deals (the example's one and three more), one estimates part each.
    const reopen = (dir: string) => {
      const file = join(dir, 'data', 'deals.csv');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^(o-100[235],.*?),won,/gm, '$1,open,'));
    };
    const reference = await fresh();
    reopen(reference.dir);
    await runPipeline({ workspaceDir: reference.dir, trigger: 'test', database: reference.database, runId: 'run-ref' });
    const stored = async (database: typeof reference.database) => ({
      estimates: (
        await database.db
          .selectFrom('estimates')
          .select(['deal_id', 'rep_id', 'plan_id', 'amount', 'currency', 'close_date', 'trace'])
          .execute()
      )
        .map((r) => JSON.stringify(r))
        .sort(),
      forecast: (
        await database.db
          .selectFrom('liability_forecast')
          .select(['deal_id', 'rep_id', 'plan_id', 'period', 'commission', 'expected', 'reason'])
          .execute()
      )
        .map((r) => JSON.stringify(r))
        .sort(),
    });
    const want = await stored(reference.database);
    expect(new Set(want.estimates.map((e) => (JSON.parse(e) as { deal_id: string }).deal_id)).size).toBe(4);

    const s = await fresh();
    reopen(s.dir);
    const yaml = join(s.dir, 'attain.yaml');
    writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}queue: { estimateDeals: 1 }\n`);
    const workers = [startWorkerProcess(s), startWorkerProcess(s)];
    await Promise.all(workers.map((w) => w.ready));
    for (let round = 0; round < 2; round++) {
      const done = await cli(s, ['trigger', '--wait']);
      expect(done.err).toBe('');
      expect(done.code).toBe(0);
      for (let k = 1; k <= 4; k++) expect(done.out).toContain(`✓ estimates-open-${k}of4`);
      // The second run's parts remove the first run's estimates: no estimate twice.
      expect(await stored(s.database)).toEqual(want);
    }
  }, 90_000);

  it('a malformed job fails at once with a validation message, and is not retried', async () => {
    const s = await fresh();
    const worker = startWorkerProcess(s);
    await worker.ready;
    const job = await s
      .queue('steps')
      .add('calculate', { runId: 'run-by-hand', plan: 'ae-fy26' }, { attempts: 5, jobId: 'by-hand' });
    let state = await job.getState();
    for (let i = 0; i < 200 && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await job.getState();
    }
    const failed = await s.queue('steps').getJob('by-hand');
    expect(state).toBe('failed');
    expect(failed?.failedReason).toBe(
      'job by-hand (calculate): invalid payload: planId: Invalid input: expected string, received undefined; (payload): Unrecognized key: "plan"',
    );
    expect(failed?.attemptsMade).toBe(1);
  }, 60_000);

  it('a failed step fails the run with its reason; attain retry completes it', async () => {
    const s = await fresh();
    const worker = startWorkerProcess(s);
    await worker.ready;
    // An assignment to a plan that does not exist: the sync step fails for good (a configuration error).
    const assignments = join(s.dir, 'data/assignments.csv');
    const good = readFileSync(assignments, 'utf8');
    writeFileSync(assignments, good.replace('ae-fy26', 'ae-fy99'));
    const failed = await cli(s, ['trigger', '--wait']);
    expect(failed.code).toBe(1);
    const runId = /^(run-\S+): queued/.exec(failed.out)![1]!;
    expect(failed.err).toContain(`${runId} failed: sync step (${runId}-sync): `);
    expect(failed.err).toContain('ae-fy99');
    expect(failed.err).toContain(`attain retry ${runId}`);
    const run = await getRun(s.database.db, runId);
    expect(run?.status).toBe('failed');
    expect(run?.error).toContain('ae-fy99');
    const status = await cli(s, ['status']);
    expect(status.out).toContain(`${runId}  failed`);
    expect(status.out).toContain('Retry a failed run with: attain retry RUN_ID');

    writeFileSync(assignments, good);
    const retried = await cli(s, ['retry', runId, '--wait']);
    expect(retried.err).toBe('');
    expect(retried.out).toContain(`${runId}: queued again`);
    expect(retried.out).toContain(`${runId} succeeded`);
    expect(retried.code).toBe(0);
    expect(await getRun(s.database.db, runId)).toMatchObject({ status: 'succeeded', error: null });
    expect((await results(s.database, runId)).lines).toEqual(expected.lines);
  }, 90_000);

  it('SIGTERM: the worker finishes its active step, then stops; another worker completes the run', async () => {
    const s = await fresh({ stepDelayMs: 1500 });
    const first = startWorkerProcess(s);
    await first.ready;
    const queued = await cli(s, ['trigger']);
    const runId = /^(run-\S+): queued/.exec(queued.out)![1]!;
    const sync = `${runId}-sync`;
    while ((await (await s.queue('steps').getJob(sync))?.getState()) !== 'active')
      await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const log = first.output();
    expect(log).toContain('stopping: finishing the active jobs');
    expect(log.indexOf('"msg":"stopped"')).toBeGreaterThan(log.indexOf('8 reps, 15 deals, 4 rejects'));
    // Finished by the worker that stopped, not left to expire.
    expect(await (await s.queue('steps').getJob(sync))?.getState()).toBe('completed');

    const second = startWorkerProcess(s);
    await second.ready;
    const joined = await cli(s, ['trigger', '--wait']);
    expect(joined.out).toContain(`${runId}: a run was in flight; joined it`);
    expect(joined.out).toContain(`${runId} succeeded`);
    expect((await results(s.database, runId)).lines).toEqual(expected.lines);
  }, 90_000);

  it('Redis unreachable: worker and trigger exit 3 naming the host, the password masked', async () => {
    const s = await fresh();
    const env = { REDIS_URL: 'redis://:hunter2@127.0.0.1:1' };
    for (const command of [['trigger'], ['worker', '--port', '0']]) {
      const outcome = await cli(s, command, env);
      expect(outcome.code).toBe(3);
      expect(outcome.err).toMatch(
        /^cannot reach Redis at 127\.0\.0\.1:1 \(redis:\/\/:\*\*\*\*@127\.0\.0\.1:1\): .*ECONNREFUSED/,
      );
      expect(outcome.err + outcome.out).not.toContain('hunter2');
    }
  }, 30_000);
});
