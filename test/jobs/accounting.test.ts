/**
 * Commission accounting on the demo company, against PGlite and the local PostgreSQL: a run with
 * Vandelay (D-1362, east-01, January) on a 24-month term, January locked, then Vandelay lost in
 * February (a clawback) and Nakatomi platform (D-1159) without its term (a reject), and a second
 * run. The journal balances per entry and per file, its payable equals the stored lines by SQL, and
 * every contract's schedule sums to what it capitalised.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import {
  amortizationReport,
  buildGlFile,
  expensedForWantOfTerm,
  exportGl,
  GL_HEADER,
  loadBook,
} from '../../jobs/accounting.js';
import { PayCycleInputError } from '../../jobs/pay-cycle-error.js';
import { runPipeline } from '../../jobs/run.js';
import { lockPeriod, migrateToLatest } from '../../src/db/index.js';
import { decimal, formatDecimal, ZERO } from '../../src/domain/decimal.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { forEachBackend } from '../db/backends.js';

const DEMO = resolve(import.meta.dirname, '../../examples/demo');
const calendar = new FiscalCalendar(1);
/** The demo's accounts (examples/demo/attain.yaml). */
const [DEFERRED, PAYABLE, EXPENSE] = [
  '1450 Deferred commissions',
  '2150 Commissions payable',
  '6150 Commission expense',
];
const sum = (amounts: readonly string[]) => amounts.reduce((s, a) => s + decimal(a || '0'), ZERO);
const cents = (amounts: readonly string[]) => formatDecimal(sum(amounts), 2);

interface GlRow {
  entry: string;
  kind: string;
  account: string;
  debit: string;
  credit: string;
  dealId: string;
  repId: string;
  memo: string;
}

forEachBackend((backend) => {
  let root = '';
  let workspace: Workspace;
  const options = () => ({ calendar, accounting: workspace.config.accounting });

  beforeAll(async () => {
    await migrateToLatest(backend.db);
    root = mkdtempSync(join(tmpdir(), 'attain-accounting-'));
    const dir = join(root, 'demo');
    cpSync(DEMO, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
    const deals = join(dir, 'data/deals.csv');
    const edit = (from: RegExp, to: string) => {
      const text = readFileSync(deals, 'utf8');
      if (!from.test(text)) throw new Error(`not in deals.csv: ${from}`);
      writeFileSync(deals, text.replace(from, to));
    };
    edit(/^(D-1362,.*,won,New Business),12,/m, '$1,24,');
    await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, runId: 'run-1' });
    await lockPeriod(backend.db, '2026-01', 'controller');
    // The cells after the term: accountId, probability.
    edit(/^(D-1362,.*),won,(New Business,24,[^,]*,[^,]*),2026-01-02$/m, '$1,lost,$2,2026-02-10');
    edit(/^(D-1159,.*,won,New Business),24,/m, '$1,,');
    await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, runId: 'run-2' });
    workspace = await loadWorkspace(dir);
  }, 240_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const rowsOf = (bytes: Buffer) => parse(bytes, { columns: true }) as GlRow[];
  /** The stored lines' total of these payout periods, by SQL. */
  const storedTotal = async (periods: string[]) => {
    const row = await backend.db
      .selectFrom('payout_lines')
      .select(sql<string>`coalesce(sum(amount), 0)::text`.as('total'))
      .where('period', 'in', periods)
      .executeTakeFirstOrThrow();
    return formatDecimal(decimal(row.total), 2);
  };

  describe('attain export gl', () => {
    it('writes a paid month’s journal: every entry balanced, payable equal to the month’s lines', async () => {
      const file = await buildGlFile(backend.db, { ...options(), period: '2026-01', draft: false });
      expect(file.fileName).toBe('gl-2026-01.csv');
      const rows = rowsOf(file.bytes);
      expect(Object.keys(rows[0]!)).toEqual(GL_HEADER);
      expect(file.rows).toBe(rows.length);
      const entries = new Map<string, GlRow[]>();
      for (const row of rows) entries.set(row.entry, [...(entries.get(row.entry) ?? []), row]);
      expect([...entries.keys()]).toEqual(['2026-01-capitalize-USD', '2026-01-amortize-USD', '2026-01-expense-USD']);
      for (const [entry, lines] of entries) {
        expect(cents(lines.map((l) => l.debit)), entry).toBe(cents(lines.map((l) => l.credit)));
        expect(
          lines.every((l) => (l.debit === '') !== (l.credit === '')),
          entry,
        ).toBe(true);
      }
      expect(file.totals).toEqual({
        USD: { debit: cents(rows.map((r) => r.debit)), credit: cents(rows.map((r) => r.credit)) },
      });
      const payable = rows.filter((r) => r.account === PAYABLE);
      const credited = sum(payable.map((r) => r.credit)) - sum(payable.map((r) => r.debit));
      expect(formatDecimal(credited, 2)).toBe(await storedTotal(['2026-01']));
      // Vandelay, 24 months: capitalised in January.
      expect(rows.some((r) => r.kind === 'capitalize' && r.dealId === 'D-1362' && r.repId === 'east-01')).toBe(true);
      // The same period exported twice: the same bytes.
      const again = await buildGlFile(backend.db, { ...options(), period: '2026-01', draft: false });
      expect(again.sha256).toBe(file.sha256);
    });

    it('refuses a period not yet paid up to its end, naming the periods; --draft writes a file marked DRAFT', async () => {
      const refused = buildGlFile(backend.db, { ...options(), period: '2026-02', draft: false });
      await expect(refused).rejects.toThrow(PayCycleInputError);
      await expect(refused).rejects.toThrow(/not yet: 2026-02\. Lock them/);
      await expect(buildGlFile(backend.db, { ...options(), period: '2026-13', draft: true })).rejects.toThrow(
        /2026-13: not a period/,
      );
      const out = join(root, 'gl.csv');
      const written = await exportGl(backend.db, { ...options(), period: '2026-02', draft: true, path: () => out });
      expect(written.path).toBe(join(root, 'gl-DRAFT.csv'));
      expect(readFileSync(written.path)).toEqual(written.bytes);
    });

    it('reverses the clawed-back deal’s unamortised balance, and expenses the deal without a term, saying why', async () => {
      const file = await buildGlFile(backend.db, { ...options(), period: '2026-02', draft: true });
      const rows = rowsOf(file.bytes);
      const jan = rowsOf((await buildGlFile(backend.db, { ...options(), period: '2026-01', draft: false })).bytes);
      const capitalized = sum(jan.filter((r) => r.kind === 'capitalize' && r.dealId === 'D-1362').map((r) => r.debit));
      const amortizedJan = sum(jan.filter((r) => r.kind === 'amortize' && r.dealId === 'D-1362').map((r) => r.debit));
      const clawback = rows.filter((r) => r.kind === 'clawback');
      expect(clawback.map((r) => [r.account, r.dealId])).toEqual([
        [PAYABLE, 'D-1362'],
        [DEFERRED, 'D-1362'],
        [EXPENSE, 'D-1362'],
      ]);
      expect(decimal(clawback[1]!.credit)).toBe(capitalized - amortizedJan);
      expect(cents(clawback.map((r) => r.debit))).toBe(cents(clawback.map((r) => r.credit)));
      // The recovered amount is the February adjustment line of east-01, by SQL.
      const adjustment = await backend.db
        .selectFrom('payout_lines')
        .select('amount')
        .where('rep_id', '=', 'east-01')
        .where('period', '=', '2026-02')
        .where('component', '=', 'adjustment')
        .executeTakeFirstOrThrow();
      expect(formatDecimal(-decimal(clawback[0]!.debit), 2)).toBe(adjustment.amount);
      // No amortisation of Vandelay after the clawback.
      expect(rows.some((r) => r.kind === 'amortize' && r.dealId === 'D-1362')).toBe(false);

      expect(file.rejects).toEqual([
        { dealId: 'D-1159', reason: 'contractTermMonths is missing: the contract term is needed to capitalise' },
      ]);
      const expensed = rows.filter((r) => r.kind === 'expense' && r.dealId === 'D-1159');
      expect(expensed.length).toBeGreaterThan(0);
      expect(expensed[0]!.memo).toBe(
        'expensed: rejected for accounting: contractTermMonths is missing: the contract term is needed to capitalise',
      );
    });

    it('tells attain report what was expensed for want of a term: the year’s expense entries of the deal, to the cent', async () => {
      const all = await expensedForWantOfTerm(backend.db, options(), {});
      expect(new Set(all.map((r) => r.dealId))).toEqual(new Set(['D-1159']));
      expect(
        all.every((r) => r.reason === 'contractTermMonths is missing: the contract term is needed to capitalise'),
      ).toBe(true);
      // Equal to the GL's expense entries for the deal over the year.
      const rows = rowsOf((await buildGlFile(backend.db, { ...options(), period: '2026', draft: true })).bytes);
      const expensed = rows.filter((r) => r.kind === 'expense' && r.dealId === 'D-1159');
      expect(formatDecimal(sum(all.map((r) => r.amount)), 2)).toBe(
        formatDecimal(sum(expensed.map((r) => r.debit)) - sum(expensed.map((r) => r.credit)), 2),
      );
      // A manager's report or a period range sees only its own.
      const rep = all[0]!.repId;
      expect((await expensedForWantOfTerm(backend.db, options(), { reps: ['nobody'] })).length).toBe(0);
      expect((await expensedForWantOfTerm(backend.db, options(), { reps: [rep] })).every((r) => r.repId === rep)).toBe(
        true,
      );
      expect(await expensedForWantOfTerm(backend.db, options(), { periods: ['2027-01'] })).toEqual([]);
    });

    it('carries every stored line of the year through commissions payable, and balances to the cent', async () => {
      const file = await buildGlFile(backend.db, { ...options(), period: '2026', draft: true });
      const rows = rowsOf(file.bytes);
      expect(file.totals['USD']!.debit).toBe(file.totals['USD']!.credit);
      const payable = rows.filter((r) => r.account === PAYABLE);
      const credited = sum(payable.map((r) => r.credit)) - sum(payable.map((r) => r.debit));
      const periods = (await backend.db.selectFrom('payout_lines').select('period').distinct().execute()).map(
        (r) => r.period,
      );
      expect(formatDecimal(credited, 2)).toBe(await storedTotal(periods.filter((p) => p.startsWith('2026'))));
    });
  });

  describe('attain amortization', () => {
    it('lists capitalised, amortised and remaining per deal and rep; every schedule sums to its contract', async () => {
      const report = await amortizationReport(backend.db, { ...options(), asOf: '2026-06-30' });
      expect(report.through).toBe('2026-06');
      expect(report.contracts.length).toBeGreaterThan(50);
      for (const c of report.contracts) {
        const label = `${c.repId} ${c.dealId}`;
        expect(c.termMonths, label).toBeGreaterThan(12);
        expect(sum([c.amortized, c.reversed, c.remaining]), label).toBe(decimal(c.capitalized));
        expect(cents(c.schedule.map((s) => s.amount)), label).toBe(
          formatDecimal(decimal(c.capitalized) - decimal(c.reversed), 2),
        );
        expect(cents(c.schedule.filter((s) => s.month <= '2026-06').map((s) => s.amount)), label).toBe(c.amortized);
      }
      const vandelay = report.contracts.find((c) => c.dealId === 'D-1362')!;
      expect(vandelay).toMatchObject({
        repId: 'east-01',
        termMonths: 24,
        start: '2026-01',
        clawedBack: '2026-02',
        remaining: '0.00',
      });
      expect(report.totals).toEqual([
        {
          currency: 'USD',
          capitalized: cents(report.contracts.map((c) => c.capitalized)),
          amortized: cents(report.contracts.map((c) => c.amortized)),
          reversed: cents(report.contracts.map((c) => c.reversed)),
          remaining: cents(report.contracts.map((c) => c.remaining)),
        },
      ]);
      expect(report.rejects).toEqual([
        {
          dealId: 'D-1159',
          dealName: 'Nakatomi platform',
          reason: 'contractTermMonths is missing: the contract term is needed to capitalise',
        },
      ]);
      expect(report.expensed.map((e) => e.reason)).toContain('rejected for accounting');
      await expect(amortizationReport(backend.db, { ...options(), asOf: '2026-6-30' })).rejects.toThrow(
        /expected a date YYYY-MM-DD/,
      );
    });

    it('capitalises nothing when the threshold is above every term, and amortises from a start field', async () => {
      const none = await amortizationReport(backend.db, {
        calendar,
        accounting: { ...workspace.config.accounting!, capitalizeAboveMonths: 36 },
        asOf: '2026-12-31',
      });
      expect(none.contracts).toEqual([]);
      const { book } = await loadBook(backend.db, {
        calendar,
        accounting: { ...workspace.config.accounting!, amortizationStart: { field: 'lastModified' } },
      });
      // lastModified is a column of deals.csv, not an extra field: every capitalisable deal is a reject.
      expect(book.contracts).toEqual([]);
      expect(book.rejects.length).toBeGreaterThan(50);
    });
  });
});
