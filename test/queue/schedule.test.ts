/**
 * `attain schedule` on the local Redis: installing it twice leaves one scheduler; two workers run
 * the nightly job when its time comes (a cron a few seconds out) and record the run as a scheduled
 * one; `--remove` takes it away.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, NIGHTLY_SCHEDULER_ID } from '../../jobs/catalog.js';
import { assertBuilt, skipQueueTests, cli, scratch, startWorkerProcess, type Scratch } from './queue-harness.js';

describe.skipIf(skipQueueTests)('attain schedule', () => {
  let s: Scratch | undefined;
  beforeAll(() => assertBuilt());
  afterEach(() => s?.dispose(), 30_000);

  it('installs one scheduler however often it runs, and the workers run the nightly job at its time', async () => {
    s = await scratch();
    // Six fields (with seconds), in UTC: ten seconds from now (room for a loaded machine), once a day.
    const at = new Date(Date.now() + 10_000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    appendFileSync(join(s.dir, 'attain.yaml'), `schedule: { cron: "${cron}", tz: UTC }\n`);

    const first = await cli(s, ['schedule']);
    expect(first.err).toBe('');
    expect(first.out).toContain(
      `nightly run scheduled: cron "${cron}" in UTC; next at ${at.toISOString().replace(/\.\d+Z$/, '.000Z')}`,
    );
    const workers = [startWorkerProcess(s), startWorkerProcess(s)];
    await Promise.all(workers.map((w) => w.ready));
    // Wait (not a timed assertion: the test's timeout bounds it) for the scheduled run to finish.
    let runs: { id: string; status: string; trigger: string }[] = [];
    while (!runs.some((r) => r.status === 'succeeded')) {
      await new Promise((r) => setTimeout(r, 200));
      runs = await s.database.db.selectFrom('runs').select(['id', 'status', 'trigger']).execute();
    }
    const stamp = at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    expect(runs).toEqual([{ id: `run-${stamp}-nightly`, status: 'succeeded', trigger: 'schedule' }]);

    // Installing it again (after the run: a second upsert once the time has passed moves it to tomorrow) leaves one scheduler.
    expect((await cli(s, ['schedule'])).code).toBe(0);
    const schedulers = await s.queue('runs').getJobSchedulers();
    expect(schedulers.map((j) => [j.key, j.pattern, j.tz])).toEqual([['attain-nightly', cron, 'UTC']]);

    const status = await cli(s, ['status']);
    expect(status.out).toContain(`nightly run: cron "${cron}" in UTC, next at `);
    expect(status.out).toContain(`run-${stamp}-nightly  succeeded schedule`);

    expect((await cli(s, ['schedule', '--remove'])).out).toBe('nightly run removed\n');
    expect(await s.queue('runs').getJobSchedulers()).toEqual([]);
  }, 120_000);

  it("installing it again after a tick fell due with no worker running enqueues that night's run instead of skipping it", async () => {
    s = await scratch();
    const at = new Date(Date.now() + 3000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    appendFileSync(join(s.dir, 'attain.yaml'), `schedule: { cron: "${cron}", tz: UTC }\n`);
    // Installed here, as the first `attain schedule` would, in milliseconds: a CLI process starting on
    // a loaded machine can take longer than the 3 s, and would then install tomorrow's tick.
    const queue = s.queue('runs');
    await queue.upsertJobScheduler(
      NIGHTLY_SCHEDULER_ID,
      { pattern: cron, tz: 'UTC' },
      { name: 'nightly', data: {}, opts: JOBS.nightly.defaults },
    );
    expect((await queue.getJobScheduler(NIGHTLY_SCHEDULER_ID))?.next).toBe(Math.floor(at.getTime() / 1000) * 1000);
    // No worker: the tick falls due and waits. (Polled, not timed: the test's timeout bounds it.)
    while (Date.now() <= at.getTime()) await new Promise((r) => setTimeout(r, 200));

    const again = await cli(s, ['schedule']);
    const stamp = at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    expect(again.err).toBe('');
    expect(again.out).toContain(
      `the nightly run due at ${at.toISOString().replace(/\.\d+Z$/, '.000Z')} has not run (no worker took it): queued now as run-${stamp}-nightly`,
    );

    const worker = startWorkerProcess(s);
    await worker.ready;
    let runs: { id: string; status: string }[] = [];
    while (!runs.some((r) => r.status === 'succeeded')) {
      await new Promise((r) => setTimeout(r, 200));
      runs = await s.database.db.selectFrom('runs').select(['id', 'status']).execute();
    }
    expect(runs).toEqual([{ id: `run-${stamp}-nightly`, status: 'succeeded' }]);
  }, 120_000);

  it('without a schedule in attain.yaml, says what to add (exit 2)', async () => {
    s = await scratch();
    const outcome = await cli(s, ['schedule']);
    expect(outcome.code).toBe(2);
    expect(outcome.err).toContain(
      'attain.yaml: no schedule: add schedule: { cron: "0 2 * * *", tz: America/New_York }',
    );
  }, 30_000);
});
