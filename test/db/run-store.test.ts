import { sql } from 'kysely';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upsertCanonical } from '../../src/db/canonical-store.js';
import { PeriodLockedError } from '../../src/db/errors.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { listLockEvents, listLocks, lockPeriod, readLockedLines, unlockPeriod } from '../../src/db/period-locks.js';
import { finishRun, getRun, replaceRejects, replaceResults, startRun } from '../../src/db/run-store.js';
import { forEachBackend, type TestBackend } from './backends.js';
import type { ProgressUpdate } from '../../src/domain/progress.js';
import { Trace } from '../../src/domain/trace.js';
import { attainmentRow, canonical, line } from './fixtures.js';

const PERIODS = ['2026-01', '2026-02', '2026-Q1'];

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(() => backend.truncateAll());

  const stored = (b: TestBackend = backend) =>
    b.db
      .selectFrom('payout_lines')
      .select(['run_id', 'rep_id', 'period', 'component', 'amount'])
      .orderBy('period')
      .orderBy('rep_id')
      .orderBy('component')
      .execute();

  describe('runs', () => {
    it('records a run from start to finish, and a retried id starts afresh', async () => {
      await startRun(backend.db, { id: 'run-1', trigger: 'manual', inputsHash: 'abc', planVersions: { ae: 'v1' } });
      let run = await getRun(backend.db, 'run-1');
      expect(run).toMatchObject({
        status: 'running',
        trigger: 'manual',
        inputs_hash: 'abc',
        plan_versions: { ae: 'v1' },
        finished_at: null,
        counts: null,
      });
      expect(run?.started_at).toBeInstanceOf(Date);

      await finishRun(backend.db, 'run-1', { status: 'failed', counts: { deals: 2 }, error: 'boom' });
      run = await getRun(backend.db, 'run-1');
      expect(run).toMatchObject({ status: 'failed', counts: { deals: 2 }, error: 'boom' });
      expect(run?.finished_at).toBeInstanceOf(Date);

      await startRun(backend.db, { id: 'run-1', trigger: 'schedule', inputsHash: 'def', planVersions: { ae: 'v2' } });
      expect(await getRun(backend.db, 'run-1')).toMatchObject({
        status: 'running',
        trigger: 'schedule',
        inputs_hash: 'def',
        finished_at: null,
        error: null,
        counts: null,
      });
      await expect(finishRun(backend.db, 'nope', { status: 'succeeded' })).rejects.toThrow('no such run');
    });

    it('replaces a run rejects', async () => {
      const rejects = [
        { source: 'deals.csv:17', recordId: 'd17', reason: 'unknown currency XYZ' },
        { source: 'splits.csv:3', recordId: 'd3', reason: 'revenue splits sum to 90, not 100' },
      ];
      await replaceRejects(backend.db, 'run-1', rejects);
      await replaceRejects(backend.db, 'run-1', rejects);
      await replaceRejects(backend.db, 'run-2', rejects.slice(1));
      const rows = await backend.db.selectFrom('rejects').selectAll().orderBy('run_id').orderBy('record_id').execute();
      expect(rows).toEqual([
        { run_id: 'run-1', source: 'deals.csv:17', record_id: 'd17', reason: 'unknown currency XYZ' },
        { run_id: 'run-1', source: 'splits.csv:3', record_id: 'd3', reason: 'revenue splits sum to 90, not 100' },
        { run_id: 'run-2', source: 'splits.csv:3', record_id: 'd3', reason: 'revenue splits sum to 90, not 100' },
      ]);
    });
  });

  describe('replaceResults', () => {
    const results = (runId: string) => ({
      runId,
      planId: 'ae',
      periods: PERIODS,
      lines: [
        line('r1', '2026-01', 'commission', '8250.00'),
        line('r1', '2026-02', 'commission', '-100.10'),
        line('r2', '2026-01', 'commission', '0.01'),
      ],
      attainment: [attainmentRow('r1', '2026-Q1', '150000', '100000', '1.5'), attainmentRow('r2', '2026-Q1', '0')],
    });

    it('writes lines with their trace and attainment, exact', async () => {
      expect(await replaceResults(backend.db, results('run-1'))).toEqual({ lines: 3, attainment: 2 });
      const rows = await backend.db
        .selectFrom('payout_lines')
        .selectAll()
        .orderBy('period')
        .orderBy('rep_id')
        .execute();
      expect(rows[0]).toEqual({
        run_id: 'run-1',
        rep_id: 'r1',
        plan_id: 'ae',
        period: '2026-01',
        component: 'commission',
        amount: '8250.00',
        currency: 'USD',
        trace: { deals: [{ deal: 'r1-2026-01', credit: '8250.00' }], rate: '0.05' },
      });
      const attainment = await backend.db.selectFrom('attainment').selectAll().orderBy('rep_id').execute();
      expect(attainment).toEqual([
        {
          run_id: 'run-1',
          rep_id: 'r1',
          plan_id: 'ae',
          period: '2026-Q1',
          measure: 'bookings',
          credit: '150000',
          quota: '100000',
          attainment: '1.5',
        },
        {
          run_id: 'run-1',
          rep_id: 'r2',
          plan_id: 'ae',
          period: '2026-Q1',
          measure: 'bookings',
          credit: '0',
          quota: null,
          attainment: null,
        },
      ]);
    });

    it('twice gives no duplicate rows, and drops lines the new result no longer has', async () => {
      await replaceResults(backend.db, results('run-1'));
      await replaceResults(backend.db, results('run-2'));
      expect(await stored()).toEqual([
        { run_id: 'run-2', rep_id: 'r1', period: '2026-01', component: 'commission', amount: '8250.00' },
        { run_id: 'run-2', rep_id: 'r2', period: '2026-01', component: 'commission', amount: '0.01' },
        { run_id: 'run-2', rep_id: 'r1', period: '2026-02', component: 'commission', amount: '-100.10' },
      ]);
      const next = results('run-3');
      next.lines = next.lines.slice(0, 1);
      await replaceResults(backend.db, next);
      expect(await stored()).toEqual([
        { run_id: 'run-3', rep_id: 'r1', period: '2026-01', component: 'commission', amount: '8250.00' },
      ]);
      expect(await backend.db.selectFrom('attainment').select('run_id').distinct().execute()).toEqual([
        { run_id: 'run-3' },
      ]);
    });

    it('leaves other plans and periods alone', async () => {
      await replaceResults(backend.db, results('run-1'));
      await replaceResults(backend.db, {
        runId: 'run-2',
        planId: 'se',
        periods: ['2026-01'],
        lines: [line('r1', '2026-01', 'commission', '5.00', 'se')],
        attainment: [],
      });
      await replaceResults(backend.db, {
        runId: 'run-3',
        planId: 'ae',
        periods: ['2026-03'],
        lines: [line('r1', '2026-03', 'commission', '7.00')],
        attainment: [],
      });
      const counts = await backend.db
        .selectFrom('payout_lines')
        .select(['run_id', (eb) => eb.fn.countAll<string>().as('n')])
        .groupBy('run_id')
        .orderBy('run_id')
        .execute();
      expect(counts).toEqual([
        { run_id: 'run-1', n: '3' },
        { run_id: 'run-2', n: '1' },
        { run_id: 'run-3', n: '1' },
      ]);
    });

    it('fails as a whole: a failure after the delete leaves the previous results', async () => {
      await replaceResults(backend.db, results('run-1'));
      const before = await stored();
      // The duplicate line breaks the primary key on insert, after the old rows were deleted.
      const broken = results('run-2');
      broken.lines = [...broken.lines, line('r2', '2026-01', 'commission', '0.01')];
      await expect(replaceResults(backend.db, broken)).rejects.toThrow(/duplicate key|unique/);
      expect(await stored()).toEqual(before);

      // A bad row in the middle, one row per statement: statements before it went through, the ones after never run.
      const badAmount = results('run-3');
      badAmount.lines = [
        line('r1', '2026-01', 'commission', '1.00'),
        line('r1', '2026-02', 'commission', 'not a number'),
        line('r2', '2026-01', 'commission', '3.00'),
      ];
      await expect(replaceResults(backend.db, badAmount, { chunkSize: 1 })).rejects.toThrow(/numeric/);
      expect(await stored()).toEqual(before);
      expect(await backend.db.selectFrom('attainment').select('run_id').distinct().execute()).toEqual([
        { run_id: 'run-1' },
      ]);
    });

    it('inserts in chunks', async () => {
      const many = results('run-1');
      many.lines = Array.from({ length: 250 }, (_, i) => line(`r${i}`, '2026-01', 'commission', `${i}.50`));
      const updates: ProgressUpdate[] = [];
      await replaceResults(backend.db, many, { chunkSize: 100, onProgress: (u) => updates.push(u) });
      expect(updates.filter((u) => u.task === 'writing payout_lines').map((u) => [u.done, u.total])).toEqual([
        [100, 250],
        [200, 250],
        [250, 250],
      ]);
      const { rows } = await sql<{
        n: string;
        total: string;
      }>`select count(*) as n, sum(amount) as total from payout_lines`.execute(backend.db);
      expect(rows[0]).toEqual({ n: '250', total: '31250.00' });
    });

    it('writes odd text through COPY as it is: quotes, commas, newlines, backslashes; a NUL as U+FFFD', async () => {
      const odd = 'Acme, "Big" Deal\nline two\r\\N \\. \t é 𝄞 ';
      const oddLine = {
        ...line('r,"1"\\N', '2026-01', '', '12.34'),
        trace: Trace.stored('', { deal: odd, nul: 'a\0b', literal: '\\u0000', empty: '', nothing: null }),
      };
      await replaceResults(backend.db, { ...results('run-1'), lines: [oddLine], attainment: [] });
      const rows = await backend.db.selectFrom('payout_lines').select(['rep_id', 'component', 'trace']).execute();
      expect(rows).toEqual([
        {
          rep_id: 'r,"1"\\N',
          component: '',
          trace: { deal: odd, nul: 'a\ufffdb', literal: '\\u0000', empty: '', nothing: null },
        },
      ]);
    });

    it('escapes a long value through COPY whichever special character it holds', async () => {
      // Values of 64 characters and more are searched for each special character in turn.
      const long = (c: string) => `${'x'.repeat(70)}${c}${'y'.repeat(10)}`;
      const ids = ['\t', '\n', '\r', '\\', '\\N'].map(long);
      await replaceResults(backend.db, {
        ...results('run-1'),
        lines: ids.map((repId) => line(repId, '2026-01', 'commission', '1.00')),
        attainment: [],
      });
      const rows = await backend.db.selectFrom('payout_lines').select('rep_id').execute();
      expect(new Set(rows.map((r) => r.rep_id))).toEqual(new Set(ids));
      expect(rows).toHaveLength(ids.length);
    });

    it('refuses rows outside its plan and periods before writing anything', async () => {
      const stray = results('run-1');
      stray.lines = [...stray.lines, line('r1', '2026-04', 'commission', '1.00')];
      await expect(replaceResults(backend.db, stray)).rejects.toThrow(
        'period 2026-04, rep r1 is outside the periods (or reps) being replaced',
      );
      expect(await stored()).toEqual([]);
    });

    it("with reps (a shard of the plan), replaces those reps' rows only, and refuses rows of others", async () => {
      await replaceResults(backend.db, results('run-1'));
      const before = await stored();
      const shard = results('run-2');
      const r1 = {
        ...shard,
        lines: shard.lines.filter((l) => l.repId === 'r1'),
        attainment: shard.attainment.filter((a) => a.repId === 'r1'),
        reps: ['r1'],
      };
      await expect(replaceResults(backend.db, { ...r1, lines: shard.lines })).rejects.toThrow(
        /rep r[^1] is outside the periods \(or reps\) being replaced/,
      );
      expect(await stored()).toEqual(before);
      await replaceResults(backend.db, { ...r1, lines: r1.lines.slice(1) });
      const after = await stored();
      expect(after.filter((r) => r.rep_id !== 'r1')).toEqual(before.filter((r) => r.rep_id !== 'r1'));
      expect(after.filter((r) => r.rep_id === 'r1')).toEqual(
        r1.lines.slice(1).map((l) => expect.objectContaining({ run_id: 'run-2', rep_id: 'r1', period: l.period })),
      );
      expect(before.filter((r) => r.rep_id === 'r1').length).toBe(r1.lines.length);
    });

    it('never rewrites a locked period', async () => {
      await replaceResults(backend.db, results('run-1'));
      await lockPeriod(backend.db, '2026-01', 'admin');
      const before = await stored();
      await expect(replaceResults(backend.db, results('run-2'))).rejects.toThrow(PeriodLockedError);
      await expect(replaceResults(backend.db, results('run-2'))).rejects.toThrow('period 2026-01 is locked');
      expect(await stored()).toEqual(before);
      // Without the locked period it goes through, and the locked lines stay as they were.
      const open = results('run-2');
      open.periods = ['2026-02', '2026-Q1'];
      open.lines = open.lines.filter((l) => l.period !== '2026-01');
      await replaceResults(backend.db, open);
      expect((await stored()).map((r) => `${r.run_id} ${r.period}`)).toEqual([
        'run-1 2026-01',
        'run-1 2026-01',
        'run-2 2026-02',
      ]);
    });
  });

  describe('locks', () => {
    it('locks and unlocks periods, recording each change in the ledger', async () => {
      expect(await lockPeriod(backend.db, '2026-01', 'ann', 'January paid')).toBe(true);
      expect(await lockPeriod(backend.db, '2026-01', 'bob')).toBe(false);
      expect(await lockPeriod(backend.db, '2026-Q1', 'ann')).toBe(true);
      const locks = await listLocks(backend.db);
      expect(locks.map(({ lockedAt: _, ...rest }) => rest)).toEqual([
        { period: '2026-01', lockedBy: 'ann', note: 'January paid' },
        { period: '2026-Q1', lockedBy: 'ann' },
      ]);
      expect(locks[0]?.lockedAt).toBeInstanceOf(Date);

      await expect(unlockPeriod(backend.db, '2026-01', { force: false, by: 'bob' })).rejects.toThrow(
        /is locked \(by ann at .*use --force/,
      );
      expect(await unlockPeriod(backend.db, '2026-01', { force: true, by: 'bob', note: 'late deal' })).toBe(true);
      expect(await unlockPeriod(backend.db, '2026-01', { force: true, by: 'bob' })).toBe(false);
      expect((await listLocks(backend.db)).map((l) => l.period)).toEqual(['2026-Q1']);

      const events = await listLockEvents(backend.db);
      expect(events.map(({ period, action, force, actor, note }) => ({ period, action, force, actor, note }))).toEqual([
        { period: '2026-01', action: 'lock', force: false, actor: 'ann', note: 'January paid' },
        { period: '2026-Q1', action: 'lock', force: false, actor: 'ann', note: null },
        { period: '2026-01', action: 'unlock', force: true, actor: 'bob', note: 'late deal' },
      ]);
      expect((await listLockEvents(backend.db, '2026-Q1')).length).toBe(1);
    });

    it('reads the stored lines of locked periods back as payout lines with their trace', async () => {
      await replaceResults(backend.db, {
        runId: 'run-1',
        planId: 'ae',
        periods: ['2026-01', '2026-02', '2026-04'],
        lines: [
          line('r1', '2026-01', 'commission', '8250.00'),
          line('r1', '2026-02', 'draw', '-50.00'),
          line('r2', '2026-04', 'commission', '1.00'),
        ],
        attainment: [],
      });
      const lines = await readLockedLines(backend.db, ['2026-01', '2026-02']);
      expect(lines.map(({ trace, ...rest }) => ({ ...rest, trace: trace.toJSON() }))).toEqual([
        {
          repId: 'r1',
          planId: 'ae',
          period: '2026-01',
          component: 'commission',
          amount: '8250.00',
          currency: 'USD',
          trace: { deals: [{ deal: 'r1-2026-01', credit: '8250.00' }], rate: '0.05' },
        },
        {
          repId: 'r1',
          planId: 'ae',
          period: '2026-02',
          component: 'draw',
          amount: '-50.00',
          currency: 'USD',
          trace: { deals: [{ deal: 'r1-2026-02', credit: '-50.00' }], rate: '0.05' },
        },
      ]);
      // A test from the calendar: a locked quarter locks its months.
      const byQuarter = await readLockedLines(
        backend.db,
        (period) => period.startsWith('2026-0') && Number(period.slice(5)) <= 3,
      );
      expect(byQuarter.map((l) => l.period)).toEqual(['2026-01', '2026-02']);
      expect(await readLockedLines(backend.db, [])).toEqual([]);
    });
  });

  describe('views', () => {
    it('sum payouts per rep, plan, period and currency, and rank reps per period', async () => {
      await upsertCanonical(backend.db, canonical(), 'csv');
      await replaceResults(backend.db, {
        runId: 'run-1',
        planId: 'ae',
        periods: ['2026-01', '2026-02', '2026-Q1'],
        lines: [
          line('r1', '2026-01', 'commission', '100.10'),
          line('r1', '2026-01', 'spiff', '500.00'),
          line('r2', '2026-01', 'commission', '600.10'),
          line('mgr', '2026-01', 'override', '20.00'),
          line('r1', '2026-02', 'commission', '10.00'),
        ],
        attainment: [attainmentRow('r1', '2026-Q1', '150000', '100000', '1.5')],
      });
      // A second plan paying r1 in EUR: its own row, never summed with USD.
      await replaceResults(backend.db, {
        runId: 'run-1',
        planId: 'eu',
        periods: ['2026-01'],
        lines: [line('r1', '2026-01', 'commission', '50.00', 'eu', 'EUR')],
        attainment: [],
      });

      const payouts = await backend.db
        .selectFrom('payouts_by_rep_period')
        .selectAll()
        .orderBy('period')
        .orderBy('plan_id')
        .orderBy('rep_id')
        .execute();
      expect(payouts).toEqual([
        {
          rep_id: 'mgr',
          rep_name: 'Mia Manager',
          plan_id: 'ae',
          period: '2026-01',
          currency: 'USD',
          total: '20.00',
          lines: 1,
        },
        { rep_id: 'r1', rep_name: 'Ann', plan_id: 'ae', period: '2026-01', currency: 'USD', total: '600.10', lines: 2 },
        { rep_id: 'r2', rep_name: 'Bob', plan_id: 'ae', period: '2026-01', currency: 'USD', total: '600.10', lines: 1 },
        { rep_id: 'r1', rep_name: 'Ann', plan_id: 'eu', period: '2026-01', currency: 'EUR', total: '50.00', lines: 1 },
        { rep_id: 'r1', rep_name: 'Ann', plan_id: 'ae', period: '2026-02', currency: 'USD', total: '10.00', lines: 1 },
      ]);

      const board = await backend.db
        .selectFrom('leaderboard')
        .selectAll()
        .orderBy('period')
        .orderBy('currency')
        .orderBy('rank')
        .orderBy('rep_id')
        .execute();
      expect(board).toEqual([
        { period: '2026-01', currency: 'EUR', rep_id: 'r1', rep_name: 'Ann', total: '50.00', rank: 1 },
        { period: '2026-01', currency: 'USD', rep_id: 'r1', rep_name: 'Ann', total: '600.10', rank: 1 },
        { period: '2026-01', currency: 'USD', rep_id: 'r2', rep_name: 'Bob', total: '600.10', rank: 1 },
        { period: '2026-01', currency: 'USD', rep_id: 'mgr', rep_name: 'Mia Manager', total: '20.00', rank: 3 },
        { period: '2026-02', currency: 'USD', rep_id: 'r1', rep_name: 'Ann', total: '10.00', rank: 1 },
      ]);

      expect(await backend.db.selectFrom('attainment_by_rep_period').selectAll().execute()).toEqual([
        {
          rep_id: 'r1',
          rep_name: 'Ann',
          manager_id: 'mgr',
          plan_id: 'ae',
          period: '2026-Q1',
          measure: 'bookings',
          credit: '150000',
          quota: '100000',
          attainment: '1.5',
          run_id: 'run-1',
        },
      ]);
    });
  });
});
