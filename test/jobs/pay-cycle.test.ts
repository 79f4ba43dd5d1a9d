/**
 * The pay cycle on the demo company (examples/demo), on PGlite and PostgreSQL: run → dispute →
 * resolve with an adjustment → approve → lock, every total checked against payout_lines; an
 * approval voided by a run that changes its lines; bad input refused with nothing written; the
 * audit log append-only.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  PayCycleInputError,
  approvePeriod,
  listPeriodStates,
  lockApprovedPeriod,
  openLineDispute,
  resolveLineDispute,
} from '../../jobs/pay-cycle.js';
import { exportPayroll } from '../../jobs/payroll-export.js';
import { runPipeline, type RunSummary } from '../../jobs/run.js';
import { buildStatements, writeStatements } from '../../jobs/statements.js';
import { loadWorkspace } from '../../config/workspace.js';
import { listAuditEvents, listDisputes, migrateToLatest } from '../../src/db/index.js';
import { ZERO, decimal, formatDecimal } from '../../src/domain/decimal.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { forEachBackend } from '../db/backends.js';

const DEMO = resolve(import.meta.dirname, '../../examples/demo');
const calendar = new FiscalCalendar(1);
const LINE = 'ae-2026|east-01|2026-01|commission';

forEachBackend((backend) => {
  let dir = '';
  let root = '';
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(async () => {
    await backend.truncateAll();
    root = mkdtempSync(join(tmpdir(), 'attain-pay-cycle-'));
    dir = join(root, 'demo');
    cpSync(DEMO, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = (runId: string) =>
    runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, runId, asOf: '2026-03-31' });
  const db = () => backend.db;
  const counts = async () => {
    const { rows } = await sql<{ disputes: number; events: number; approvals: number; audit: number; locks: number }>`
      select (select count(*)::int from disputes) as disputes, (select count(*)::int from dispute_events) as events,
             (select count(*)::int from period_approvals) as approvals, (select count(*)::int from audit_events) as audit,
             (select count(*)::int from locks) as locks`.execute(db());
    return rows[0]!;
  };
  /** Sums of payout_lines per plan and period, and per period. */
  const stored = async () => {
    const rows = await db().selectFrom('payout_lines').select(['plan_id', 'period', 'amount']).execute();
    const byPlan = new Map<string, bigint>();
    const byPeriod = new Map<string, bigint>();
    for (const r of rows) {
      byPlan.set(`${r.plan_id} ${r.period}`, (byPlan.get(`${r.plan_id} ${r.period}`) ?? ZERO) + decimal(r.amount));
      byPeriod.set(r.period, (byPeriod.get(r.period) ?? ZERO) + decimal(r.amount));
    }
    const text = (m: Map<string, bigint>) => Object.fromEntries([...m].map(([k, v]) => [k, formatDecimal(v, 2)]));
    return { byPlan: text(byPlan), byPeriod: text(byPeriod) };
  };
  const expectTotalsMatch = async (summary: RunSummary) => {
    const sums = await stored();
    expect(Object.fromEntries(summary.totals.map((t) => [t.period, t.amount]))).toEqual(sums.byPeriod);
    expect(Object.fromEntries(summary.planTotals!.map((t) => [`${t.planId} ${t.period}`, t.amount]))).toEqual(
      sums.byPlan,
    );
    const periods = await listPeriodStates(db(), calendar);
    expect(Object.fromEntries(periods.map((p) => [`${p.planId} ${p.period}`, p.totals[0]!.amount]))).toEqual(
      sums.byPlan,
    );
  };

  it('walks the demo company through run → dispute → resolve with an adjustment → approve → lock → payroll in both formats → statements', async () => {
    await expectTotalsMatch(await run('run-1'));
    const january = await db()
      .selectFrom('payout_lines')
      .select('amount')
      .where('plan_id', '=', 'ae-2026')
      .where('rep_id', '=', 'east-01')
      .where('period', '=', '2026-01')
      .where('component', '=', 'commission')
      .executeTakeFirstOrThrow();

    const opened = await openLineDispute(db(), { lineKey: LINE, reason: 'the Acme deal is missing', by: 'east-01' });
    expect(opened).toMatchObject({ created: true, amount: january.amount, currency: 'USD' });
    // An open dispute holds the approval of its period; nothing is written.
    const before = await counts();
    await expect(approvePeriod(db(), calendar, { period: '2026-01', by: 'ann' })).rejects.toThrow(
      /1 dispute is open on it \(#\d+ ae-2026\|east-01\|2026-01\|commission\)/,
    );
    expect(await counts()).toEqual(before);

    const resolved = await resolveLineDispute(db(), {
      id: opened.id,
      note: 'split agreed',
      by: 'ann',
      adjust: '-80.5',
    });
    expect(resolved).toMatchObject({ status: 'resolved', adjustment: '-80.50', adjustmentPeriod: null });

    // The next run pays it as the adjustment line of January, the first open period, traced to the dispute.
    const second = await run('run-2');
    await expectTotalsMatch(second);
    const adjustment = await db()
      .selectFrom('payout_lines')
      .select(['amount', 'trace'])
      .where('rep_id', '=', 'east-01')
      .where('period', '=', '2026-01')
      .where('component', '=', 'adjustment')
      .executeTakeFirstOrThrow();
    expect(adjustment.amount).toBe('-80.50');
    expect(adjustment.trace).toMatchObject({ dispute: opened.id, line: LINE, resolution: 'split agreed' });
    const [dispute] = await listDisputes(db(), { id: opened.id });
    expect(dispute).toMatchObject({ adjustmentPeriod: '2026-01' });

    // Approve January, then lock it; February is not approved: its lock is refused.
    const approval = await approvePeriod(db(), calendar, { period: '2026-01', by: 'ann', note: 'checked' });
    expect(approval).toMatchObject({ approved: true, runId: 'run-2', forcedOver: [] });
    const januaryLines = await db()
      .selectFrom('payout_lines')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('period', '=', '2026-01')
      .executeTakeFirstOrThrow();
    expect(approval.lines).toBe(januaryLines.n);
    expect(await approvePeriod(db(), calendar, { period: '2026-01', by: 'ann' })).toMatchObject({ approved: false });
    await expect(lockApprovedPeriod(db(), calendar, { period: '2026-02', by: 'bob' })).rejects.toThrow(
      'cannot lock 2026-02: not approved: 2026-02 ae-2026',
    );
    expect(await lockApprovedPeriod(db(), calendar, { period: '2026-01', by: 'bob' })).toMatchObject({ locked: true });

    // A later run leaves the paid January as it was: the adjustment is paid once.
    const third = await run('run-3');
    await expectTotalsMatch(third);
    const adjustments = await db()
      .selectFrom('payout_lines')
      .select(['period', 'amount'])
      .where('rep_id', '=', 'east-01')
      .where('component', '=', 'adjustment')
      .execute();
    expect(adjustments).toEqual([{ period: '2026-01', amount: '-80.50' }]);
    const states = await listPeriodStates(db(), calendar);
    expect(states.map((s) => `${s.planId} ${s.period} ${s.state}`)).toEqual([
      'ae-2026 2026-01 paid',
      'ae-2026 2026-02 open',
      'ae-2026 2026-03 open',
      'manager-2026 2026-Q1 open',
    ]);
    expect(states[0]).toMatchObject({ approval: { by: 'ann', note: 'checked' }, lock: { lockedBy: 'bob' } });

    const audit = await listAuditEvents(db());
    expect(audit.map((e) => `${e.action} ${e.by} ${e.subject}`)).toEqual([
      `dispute-open east-01 dispute ${opened.id}`,
      `dispute-resolve ann dispute ${opened.id}`,
      'approve ann 2026-01',
      'lock bob 2026-01',
    ]);

    // Then payroll and the reps: both payroll files and the statements of the paid January total
    // its payout lines to the cent, and January is exported.
    const workspace = await loadWorkspace(dir);
    const januaryRows = await db()
      .selectFrom('payout_lines')
      .select('amount')
      .where('period', '=', '2026-01')
      .execute();
    const januaryTotal = formatDecimal(
      januaryRows.reduce((sum, r) => sum + decimal(r.amount), ZERO),
      2,
    );
    for (const format of ['csv', 'adp-wfn'] as const) {
      const file = await exportPayroll(db(), {
        calendar,
        payroll: workspace.config.payroll,
        period: '2026-01',
        format,
        draft: false,
        by: 'payroll',
        path: (name) => join(root, `${format}-${name}`),
      });
      expect(file.totals).toEqual({ USD: januaryTotal });
    }
    const statements = await buildStatements(db(), { calendar, plans: workspace.plans, period: '2026-01' });
    const statementsTotal = statements.flatMap((st) => st.totals).reduce((sum, t) => sum + decimal(t.amount), ZERO);
    expect(formatDecimal(statementsTotal, 2)).toBe(januaryTotal);
    expect(new Set(statements.map((st) => st.status))).toEqual(new Set(['paid']));
    const files = await writeStatements(db(), statements, {
      format: 'html',
      outDir: join(root, 'statements'),
      by: 'ann',
    });
    expect(files).toHaveLength(statements.length);
    expect((await listPeriodStates(db(), calendar))[0]).toMatchObject({ period: '2026-01', state: 'exported' });
    expect((await listAuditEvents(db())).slice(-3).map((e) => `${e.action} ${e.by} ${e.subject}`)).toEqual([
      'export payroll 2026-01',
      'export payroll 2026-01',
      'statements ann 2026-01',
    ]);
  }, 180_000);

  it('a run that changes an approved line voids the approval and says which lines changed; an adjustment skips approved periods', async () => {
    await run('run-1');
    await approvePeriod(db(), calendar, { period: '2026-02', planId: 'ae-2026', by: 'ann' });
    const opened = await openLineDispute(db(), {
      lineKey: 'ae-2026|east-02|2026-02|commission',
      reason: 'wrong rate',
      by: 'east-02',
    });
    await resolveLineDispute(db(), { id: opened.id, note: 'pay 100', by: 'ann', adjust: '100' });
    // February is approved: the adjustment goes to March.
    await run('run-2');
    expect((await listDisputes(db(), { id: opened.id }))[0]).toMatchObject({ adjustmentPeriod: '2026-03' });
    expect((await listPeriodStates(db(), calendar)).find((s) => s.period === '2026-02')?.state).toBe('approved');

    // A February deal grows: the approval of February no longer holds.
    const deals = join(dir, 'data/deals.csv');
    const text = readFileSync(deals, 'utf8');
    const feb = text.split('\n').find((l) => /,USD,2026-02-\d\d,won,New Business,/.test(l))!;
    const [id, name, owner, amount] = feb.split(',') as [string, string, string, string];
    const grown = feb.replace(`${id},${name},${owner},${amount}`, `${id},${name},${owner},${Number(amount) + 10000}`);
    writeFileSync(deals, text.replace(feb, grown));
    const summary = await run('run-3');
    expect(summary.approvalsVoided).toHaveLength(1);
    expect(summary.approvalsVoided![0]).toMatchObject({ period: '2026-02', planId: 'ae-2026', approvedBy: 'ann' });
    expect(summary.approvalsVoided![0]!.changes.map((c) => c.key)).toContain(`ae-2026|${owner}|2026-02|commission`);
    const february = (await listPeriodStates(db(), calendar)).find((s) => s.period === '2026-02')!;
    expect(february.state).toBe('open');
    expect(february.voided).toMatchObject({ by: 'ann', voidedByRun: 'run-3' });
    const voids = (await listAuditEvents(db())).filter((e) => e.action === 'approval-void');
    expect(voids.map((e) => e.subject)).toEqual(['2026-02 ae-2026']);
    // The same lines again: nothing more is voided.
    expect((await run('run-4')).approvalsVoided).toBeUndefined();
  }, 180_000);

  it('refuses to lock an approved period whose lines a run changed without voiding the approval (it failed after storing them)', async () => {
    await run('run-1');
    await approvePeriod(db(), calendar, { period: '2026-01', by: 'ann' });
    await db()
      .updateTable('payout_lines')
      .set({ amount: '1.00' })
      .where('rep_id', '=', 'east-01')
      .where('period', '=', '2026-01')
      .where('component', '=', 'commission')
      .execute();
    await expect(lockApprovedPeriod(db(), calendar, { period: '2026-01', by: 'bob' })).rejects.toThrow(
      'cannot lock 2026-01: not approved: 2026-01 (1 lines changed since its approval)',
    );
    expect(await lockApprovedPeriod(db(), calendar, { period: '2026-01', by: 'bob', force: true })).toMatchObject({
      locked: true,
    });
    // Locked already: nothing to check, nothing recorded.
    expect(await lockApprovedPeriod(db(), calendar, { period: '2026-01', by: 'bob' })).toMatchObject({
      locked: false,
    });
  }, 180_000);

  it('refuses bad input with the reason, writing nothing', async () => {
    await expect(approvePeriod(db(), calendar, { period: '2026-01', by: 'ann' })).rejects.toThrow(
      'cannot approve 2026-01: no run has succeeded yet (attain run first)',
    );
    await run('run-1');
    const before = await counts();
    const refused = async (action: Promise<unknown>, message: string | RegExp) => {
      const error = await action.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PayCycleInputError);
      expect((error as Error).message).toMatch(message);
    };
    await refused(approvePeriod(db(), calendar, { period: '2026-13', by: 'ann' }), '2026-13: expected a payout period');
    await refused(approvePeriod(db(), calendar, { period: '2030-01', by: 'ann' }), 'has no payout lines in it');
    await refused(
      approvePeriod(db(), calendar, { period: '2026-01', planId: 'nope', by: 'ann' }),
      'cannot approve 2026-01 of plan nope',
    );
    await refused(
      openLineDispute(db(), { lineKey: 'ae-2026|east-01', reason: 'x', by: 'a' }),
      'a line key is plan|rep|period|component',
    );
    await refused(
      openLineDispute(db(), { lineKey: 'ae-2026|east-01|2026-01|nope', reason: 'x', by: 'a' }),
      'no such payout line',
    );
    await refused(resolveLineDispute(db(), { id: '999', note: 'x', by: 'a' }), 'dispute 999: no such dispute');
    expect(await counts()).toEqual(before);

    const { id } = await openLineDispute(db(), { lineKey: LINE, reason: 'x', by: 'a' });
    const opened = await counts();
    await refused(resolveLineDispute(db(), { id, note: 'x', by: 'a', adjust: '1.234' }), 'at most 2 decimals');
    await refused(resolveLineDispute(db(), { id, note: 'x', by: 'a', adjust: '12,5' }), 'expected an amount in USD');
    await resolveLineDispute(db(), { id, note: 'no change', by: 'a' });
    const resolved = await counts();
    await refused(resolveLineDispute(db(), { id, note: 'again', by: 'a' }), `dispute ${id} is already resolved`);
    expect(await counts()).toEqual(resolved);
    expect(resolved.disputes).toBe(opened.disputes);
  }, 180_000);

  it('keeps a dispute whose line disappears, marked so; records plan files changed between runs', async () => {
    await run('run-1');
    const { id } = await openLineDispute(db(), { lineKey: LINE, reason: 'x', by: 'east-01' });
    // Imported from a CRM twice: one dispute.
    const a = await openLineDispute(db(), {
      lineKey: LINE,
      reason: 'y',
      by: 'east-01',
      source: 'salesforce',
      externalId: 'a0X1',
    });
    const b = await openLineDispute(db(), {
      lineKey: LINE,
      reason: 'y',
      by: 'east-01',
      source: 'salesforce',
      externalId: 'a0X1',
    });
    expect([a.created, b.created, b.id]).toEqual([true, false, a.id]);

    // The commission of the AE plan is renamed: the line goes, the plan file changed.
    const plan = join(dir, 'plans/account-executive.yaml');
    writeFileSync(plan, readFileSync(plan, 'utf8').replace(/- id: commission\b/, '- id: commission-v2'));
    await run('run-2');
    const [dispute] = await listDisputes(db(), { id });
    expect(dispute).toMatchObject({ status: 'open', currentAmount: null });
    const changed = (await listAuditEvents(db())).filter((e) => e.action === 'plan-changed');
    expect(changed.map((e) => [e.subject, e.details['run'], e.details['previousRun']])).toEqual([
      ['ae-2026', 'run-2', 'run-1'],
    ]);
  }, 180_000);

  it('keeps the audit log append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await run('run-1');
    await openLineDispute(db(), { lineKey: LINE, reason: 'x', by: 'east-01' });
    await expect(sql`update audit_events set actor = 'mallory'`.execute(db())).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events`.execute(db())).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(db())).rejects.toThrow(/append-only/);
    expect((await listAuditEvents(db())).at(-1)).toMatchObject({ action: 'dispute-open', by: 'east-01' });
  }, 120_000);
});
