/**
 * The pay cycle through a queued run (a real worker process on the local Redis and PostgreSQL):
 * the sync step on the worker pays a resolved dispute's adjustment in the first open period, and
 * the report step voids an approval whose lines the run changed, which `attain trigger --wait`
 * and `attain status` print.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approvePeriod, openLineDispute, resolveLineDispute } from '../../jobs/pay-cycle.js';
import { runPipeline } from '../../jobs/run.js';
import { listDisputes } from '../../src/db/index.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { assertBuilt, cli, scratch, skipQueueTests, startWorkerProcess, type Scratch } from './queue-harness.js';

describe.skipIf(skipQueueTests)('the pay cycle on the queue', () => {
  let s: Scratch | undefined;
  afterEach(() => s?.dispose(), 30_000);

  it('a queued run pays a dispute adjustment and voids the approval it changed', async () => {
    assertBuilt();
    s = await scratch();
    const { db } = s.database;
    await runPipeline({ workspaceDir: s.dir, trigger: 'test', database: s.database, runId: 'run-inprocess' });
    const { id } = await openLineDispute(db, { lineKey: 'ae-fy26|r1|2026-01|commission', reason: 'x', by: 'r1' });
    await resolveLineDispute(db, { id, note: 'pay 25', by: 'ann', adjust: '25' });
    await approvePeriod(db, new FiscalCalendar(1), { period: '2026-01', by: 'ann' });
    // January's inputs change (its approval will not hold), and it is approved: the adjustment goes to February.
    const deals = join(s.dir, 'data/deals.csv');
    writeFileSync(
      deals,
      readFileSync(deals, 'utf8').replace(
        'o-1001,"Acme Corp, platform",r1,48000.00',
        'o-1001,"Acme Corp, platform",r1,96000.00',
      ),
    );

    const worker = startWorkerProcess(s);
    await worker.ready;
    const done = await cli(s, ['trigger', '--wait']);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toContain('  approval of 2026-01 (by ann) is void: this run changed');
    expect(done.out).toMatch(/ {4}ae-fy26\|r1\|2026-01\|commission: [\d.]+ USD → [\d.]+ USD\n/);
    expect(done.out).toContain('  payouts per plan and period:\n    ae-fy26\n      2026-01 ');

    expect((await listDisputes(db, { id }))[0]).toMatchObject({ adjustmentPeriod: '2026-02' });
    const adjustment = await db
      .selectFrom('payout_lines')
      .select(['period', 'amount'])
      .where('rep_id', '=', 'r1')
      .where('component', '=', 'adjustment')
      .execute();
    expect(adjustment).toEqual([{ period: '2026-02', amount: '25.00' }]);

    const status = await cli(s, ['status']);
    expect(status.out).toContain('Approvals voided by these runs');
    expect(status.out).toMatch(/ {2}2026-01, approved by ann \S+ \S+: run run-\S+ changed \d+ lines?\n/);
  }, 120_000);
});
