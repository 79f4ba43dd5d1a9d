/**
 * `attain run` in a workspace whose attain.yaml names a queue: the run goes through the
 * queue's workers; with none connected it says so at once instead of waiting forever, and
 * `--in-process` runs it here.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getRun } from '../../src/db/index.js';
import { assertBuilt, cli, scratch, skipQueueTests, startWorkerProcess, type Scratch } from './queue-harness.js';

describe.skipIf(skipQueueTests)('attain run with a queue in attain.yaml', () => {
  const scratches: Scratch[] = [];
  afterEach(async () => {
    for (const s of scratches.splice(0)) await s.dispose();
  }, 30_000);

  const withQueue = async () => {
    assertBuilt();
    const s = await scratch();
    scratches.push(s);
    appendFileSync(join(s.dir, 'attain.yaml'), 'queue: { redisUrl: ${REDIS_URL} }\n');
    return s;
  };

  it('with no worker connected, says how to start one (exit 1); --in-process runs here', async () => {
    const s = await withQueue();
    const refused = await cli(s, ['run']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      'no attain worker is connected to 127.0.0.1:6379: start one (attain worker), or run in this process with attain run --in-process',
    );
    expect(await s.database.db.selectFrom('runs').select('id').execute()).toEqual([]);

    const here = await cli(s, ['run', '--in-process']);
    expect(here.code).toBe(0);
    const runs = await s.database.db.selectFrom('runs').select(['trigger', 'status']).execute();
    expect(runs).toEqual([{ trigger: 'cli', status: 'succeeded' }]);
  }, 60_000);

  it('with a worker, the worker runs it and attain run follows it to the end', async () => {
    const s = await withQueue();
    const worker = startWorkerProcess(s);
    await worker.ready;
    const done = await cli(s, ['run', '--strict']);
    const runId = /^(run-\S+): queued/.exec(done.out)?.[1];
    expect(runId).toBeDefined();
    expect(done.out).toContain(`${runId} succeeded`);
    // The example workspace has rejects: --strict makes that exit 1, as in process.
    expect(done.err).toBe('--strict: 4 records were rejected\n');
    expect(done.code).toBe(1);
    expect(await getRun(s.database.db, runId!)).toMatchObject({ status: 'succeeded', trigger: 'cli' });
    expect(worker.output()).toContain(runId!);
  }, 60_000);
});
