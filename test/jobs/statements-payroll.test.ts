/**
 * Statements and the payroll export on the demo company, against PGlite and the local PostgreSQL:
 * a run, January locked (paid), a January deal lost inside the clawback window and a second run
 * (a clawback adjustment in February). Every total is checked against the payout lines to the cent.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { PayCycleInputError } from '../../jobs/pay-cycle-error.js';
import { ADP_HEADER, CSV_HEADER, buildPayrollFile, exportPayroll } from '../../jobs/payroll-export.js';
import { runPipeline } from '../../jobs/run.js';
import { buildStatements, renderStatement } from '../../jobs/statements.js';
import { lockPeriod, migrateToLatest } from '../../src/db/index.js';
import { listAuditEvents } from '../../src/db/audit-log.js';
import { exportedPeriods } from '../../src/db/payout-periods.js';
import { listPayrollExports } from '../../src/db/payroll-exports.js';
import { decimal, formatDecimal, ZERO } from '../../src/domain/decimal.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { money } from '../../src/domain/trace-words.js';
import { forEachBackend } from '../db/backends.js';

const DEMO = resolve(import.meta.dirname, '../../examples/demo');
const calendar = new FiscalCalendar(1);
const cents = (amounts: readonly string[]) =>
  formatDecimal(
    amounts.reduce((s, a) => s + decimal(a), ZERO),
    2,
  );

forEachBackend((backend) => {
  let root = '';
  let workspace: Workspace;

  beforeAll(async () => {
    await migrateToLatest(backend.db);
    root = mkdtempSync(join(tmpdir(), 'attain-pay-cycle-'));
    cpSync(DEMO, join(root, 'demo'), { recursive: true, filter: (source) => !source.includes('/.attain') });
    const dir = join(root, 'demo');
    await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, runId: 'run-1' });
    await lockPeriod(backend.db, '2026-01', 'controller');
    // Vandelay (D-1362, east-01, closed 2026-01-02) is lost in February, inside the 90-day window.
    const deals = join(dir, 'data/deals.csv');
    writeFileSync(
      deals,
      readFileSync(deals, 'utf8').replace(
        /^D-1362,(.*),won,(.*),2026-01-02$/m,
        (_line, head: string, tail: string) => `D-1362,${head},lost,${tail},2026-02-10`,
      ),
    );
    await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, runId: 'run-2' });
    workspace = await loadWorkspace(dir);
  }, 240_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** The sum of the stored lines per rep in these payout periods, by SQL. */
  const storedTotals = async (periods: string[]) => {
    const rows = await backend.db
      .selectFrom('payout_lines')
      .select(['rep_id', sql<string>`sum(amount)::text`.as('total')])
      .where('period', 'in', periods)
      .groupBy('rep_id')
      .execute();
    return new Map(rows.map((r) => [r.rep_id, formatDecimal(decimal(r.total), 2)]));
  };
  const statements = (period: string, repId?: string) =>
    buildStatements(backend.db, { calendar, plans: workspace.plans, period, ...(repId ? { repId } : {}) });

  describe('statements', () => {
    it('total every rep’s lines of a month to the cent, and say paid once the month is locked', async () => {
      const built = await statements('2026-01');
      const stored = await storedTotals(['2026-01']);
      expect(built.map((s) => s.rep.id).sort()).toEqual([...stored.keys()].sort());
      for (const statement of built) {
        expect(statement.totals, statement.rep.id).toEqual([{ currency: 'USD', amount: stored.get(statement.rep.id) }]);
        const lineSum = statement.plans.flatMap((p) => [
          ...p.lines.map((l) => l.amount),
          ...p.adjustments.map((a) => a.amount),
          ...p.draws.map((d) => d.amount),
        ]);
        expect(cents(lineSum)).toBe(stored.get(statement.rep.id));
        expect(statement.status).toBe('paid');
      }
      expect((await statements('2026-02'))[0]!.status).toBe('draft');
    });

    it('hold a quarter’s months and its own lines, with the year to date through its end', async () => {
      const quarter = ['2026-01', '2026-02', '2026-03', '2026-Q1'];
      const built = await statements('2026-Q1');
      const stored = await storedTotals(quarter);
      expect(built).toHaveLength(stored.size);
      for (const statement of built) {
        expect(statement.totals[0]!.amount, statement.rep.id).toBe(stored.get(statement.rep.id));
        // The year starts with the quarter, so the year to date is the quarter.
        expect(statement.yearToDate[0]!.amount, statement.rep.id).toBe(stored.get(statement.rep.id));
      }
      const manager = built.find((s) => s.rep.id === 'east-mgr')!;
      expect(manager.plans[0]!.team.length).toBeGreaterThan(5);
      expect(manager.manager).toEqual({ id: 'vp', name: 'Sam Okafor' });
    });

    it('explain each line in words, list the credited deals, and show a clawback with its deal', async () => {
      const [january] = await statements('2026-01', 'east-01');
      const commission = january!.plans[0]!.lines.find((l) => l.component === 'commission')!;
      expect(commission.explanation).toMatch(/^first [\d,]+\.\d\d at 6 % = [\d,]+\.\d\d/);
      expect(january!.plans[0]!.deals.map((d) => d.id)).toContain('D-1362');
      expect(january!.runs).toEqual([{ runId: 'run-1', inputsHash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);

      const [february] = await statements('2026-02', 'east-01');
      const adjustment = february!.plans[0]!.adjustments[0]!;
      expect(adjustment.clawedBack).toEqual([{ id: 'D-1362', name: 'Vandelay platform' }]);
      expect(decimal(adjustment.amount)).toBeLessThan(0n);
      expect(adjustment.explanation).toContain('clawed back: D-1362');
      expect(february!.runs.map((r) => r.runId)).toEqual(['run-2']);
    });

    it('print the rep, the period and the total in a PDF that a text extractor reads back', async () => {
      const [statement] = await statements('2026-02', 'east-01');
      const pdf = await renderStatement(statement!, 'pdf');
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
      expect(text).toContain(statement!.rep.name);
      expect(text).toContain('Commission statement 2026-02');
      expect(text).toContain(`Earnings this period ${money(statement!.totals[0]!.amount)} USD`);
      expect(text).toContain('Vandelay platform (D-1362)');
    });

    it('write a self-contained HTML page with the chart inline', async () => {
      const [statement] = await statements('2026-Q1', 'east-mgr');
      const html = (await renderStatement(statement!, 'html')).toString('utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/<(script|link|img)\b/);
      expect(html).toContain(`${money(statement!.totals[0]!.amount)} USD`);
    });

    it('refuse an unknown period or a rep without lines', async () => {
      await expect(statements('2026-13')).rejects.toThrow(/2026-13: not a period/);
      await expect(statements('2027-05')).rejects.toThrow(PayCycleInputError);
      await expect(statements('2026-01', 'nobody')).rejects.toThrow(/rep nobody has no payout lines/);
    });
  });

  describe('payroll export', () => {
    const options = (format: 'csv' | 'adp-wfn', period = '2026-01', draft = false) => ({
      calendar,
      payroll: workspace.config.payroll,
      period,
      format,
      draft,
    });

    it('csv: one row per employee, period and earning code, summing to the lines to the cent', async () => {
      const file = await buildPayrollFile(backend.db, options('csv'));
      const [header, ...rows] = parse(file.bytes) as string[][];
      expect(header).toEqual(CSV_HEADER);
      const stored = await storedTotals(['2026-01']);
      const byRep = new Map<string, string[]>();
      for (const row of rows) byRep.set(row[1]!, [...(byRep.get(row[1]!) ?? []), row[5]!]);
      expect(new Map([...byRep].map(([rep, amounts]) => [rep, cents(amounts)]))).toEqual(stored);
      expect(file.totals).toEqual({ USD: cents([...stored.values()]) });
      expect(rows.find((r) => r[1] === 'west-01')).toEqual([
        '000103',
        'west-01',
        'Ben Fischer',
        '2026-01',
        'DRAW',
        '1500.00',
        'USD',
      ]);
      expect(new Set(rows.map((r) => r[4]))).toEqual(new Set(['COMM', 'DRAW']));
      expect(file.fileName).toBe('payroll-2026-01.csv');
    });

    it('adp-wfn: Co Code, Batch ID and File # first, a negative adjustment as a negative earning', async () => {
      const draft = await buildPayrollFile(backend.db, options('adp-wfn', '2026-02', true));
      expect(draft.fileName).toBe('PRDMOEPI-DRAFT.csv');
      expect(draft.bytes.toString()).toMatch(/^Co Code,Batch ID,File #,Earnings 3 Code,Earnings 3 Amount\r\n/);
      const [header, ...rows] = parse(draft.bytes) as string[][];
      expect(header).toEqual(ADP_HEADER);
      expect(rows.every((r) => r[0] === 'DMO' && r[1] === 'ATTAIN')).toBe(true);
      const east01 = rows.filter((r) => r[2] === '000120');
      expect(east01.find((r) => r[3] === 'ADJ')![4]).toMatch(/^-\d+\.\d\d$/);
      const stored = await storedTotals(['2026-02']);
      expect(cents(rows.map((r) => r[4]!))).toBe(cents([...stored.values()]));
    });

    it('gives the same bytes twice and records each export with its hash', async () => {
      const out = mkdtempSync(join(tmpdir(), 'attain-payroll-'));
      try {
        const path = (name: string) => join(out, name);
        const first = await exportPayroll(backend.db, { ...options('adp-wfn'), path, by: 'payroll' });
        const bytes = readFileSync(first.path);
        const second = await exportPayroll(backend.db, { ...options('adp-wfn'), path, by: 'payroll' });
        expect(readFileSync(second.path).equals(bytes)).toBe(true);
        const recorded = await listPayrollExports(backend.db, '2026-01');
        expect(recorded.map((r) => [r.file_name, r.sha256, r.draft])).toEqual([
          ['PRDMOEPI.csv', first.sha256, false],
          ['PRDMOEPI.csv', first.sha256, false],
        ]);
        // The audit log has both, and the pay cycle now sees January as exported.
        const audit = (await listAuditEvents(backend.db)).filter((e) => e.action === 'export');
        expect(audit.map((e) => [e.by, e.subject, e.details['sha256']])).toEqual([
          ['payroll', '2026-01', first.sha256],
          ['payroll', '2026-01', first.sha256],
        ]);
        expect([...(await exportedPeriods(backend.db)).keys()]).toEqual(['2026-01']);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it('refuses an unpaid period, an unknown one, and reps without an employee id, writing nothing', async () => {
      const out = mkdtempSync(join(tmpdir(), 'attain-payroll-'));
      const path = (name: string) => join(out, name);
      const before = (await listPayrollExports(backend.db)).length;
      try {
        await expect(exportPayroll(backend.db, { ...options('csv', '2026-02'), path, by: 'x' })).rejects.toThrow(
          /2026-02 is not paid yet/,
        );
        await expect(exportPayroll(backend.db, { ...options('csv', '2031-01'), path, by: 'x' })).rejects.toThrow(
          /2031-01: no payout lines/,
        );
        await backend.db
          .updateTable('reps')
          .set({ employee_id: null })
          .where('id', 'in', ['east-01', 'west-02'])
          .execute();
        const refused = exportPayroll(backend.db, { ...options('csv'), path, by: 'x' });
        await expect(refused).rejects.toThrow(
          /2 reps have payout lines in 2026-01 but no employee id: east-01 \(.+\), west-02/,
        );
        expect(existsSync(path('payroll-2026-01.csv'))).toBe(false);
        expect(await listPayrollExports(backend.db)).toHaveLength(before);
      } finally {
        await backend.db.updateTable('reps').set({ employee_id: '000120' }).where('id', '=', 'east-01').execute();
        await backend.db.updateTable('reps').set({ employee_id: '000104' }).where('id', '=', 'west-02').execute();
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
});
