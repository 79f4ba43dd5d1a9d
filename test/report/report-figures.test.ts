/**
 * `attain report`'s figures against SQL over the reporting database's tables (not the analytics
 * views the report reads), after an `attain run` of the demo company, on PGlite and PostgreSQL:
 * every chart's numbers to the cent, --manager and --period scopes, locks as paid, and the page
 * showing the figures it was given.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../config/workspace.js';
import { join } from 'node:path';
import { ReportInputError, buildReport, type ReportData, type ReportRequest } from '../../jobs/analytics-report.js';
import { reportHtml } from '../../jobs/report-html.js';
import { renderCharts } from '../../jobs/report-charts.js';
import { approvePeriod } from '../../jobs/pay-cycle.js';
import { exportPayroll } from '../../jobs/payroll-export.js';
import { runPipeline } from '../../jobs/run.js';
import { lockPeriod, migrateToLatest } from '../../src/db/index.js';
import { decimal, divideHalfEven, formatDecimal, ONE, ZERO } from '../../src/domain/decimal.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { targetIncentive } from '../../src/domain/target-incentive.js';
import { forEachBackend } from '../db/backends.js';
import { DEMO_AS_OF, DEMO_CHARTS, copyDemo } from './demo-report.js';

const money = (text: string | null | undefined) => formatDecimal(decimal(text ?? '0'), 2);
const calendar = new FiscalCalendar(1);

forEachBackend((backend) => {
  const demo = copyDemo();
  let request: ReportRequest;
  let report: ReportData;
  beforeAll(async () => {
    await migrateToLatest(backend.db);
    await runPipeline({ workspaceDir: demo.dir, trigger: 'test', database: backend.database, asOf: DEMO_AS_OF });
    // January approved, then the quarter locked and January's payroll exported; February stays open.
    await approvePeriod(backend.db, calendar, { period: '2026-01', by: 'test' });
    await lockPeriod(backend.db, '2026-Q1', 'test');
    const workspace = await loadWorkspace(demo.dir);
    await exportPayroll(backend.db, {
      calendar,
      payroll: workspace.config.payroll,
      period: '2026-01',
      format: 'csv',
      draft: false,
      by: 'test',
      path: (name) => join(demo.dir, name),
    });
    request = { plans: workspace.plans, fiscalYearStartMonth: 1, baseCurrency: 'USD' };
    report = await buildReport(backend.database, request);
  }, 180_000);
  afterAll(() => demo.cleanup());

  const query = async <T>(text: ReturnType<typeof sql<T>>) => (await text.execute(backend.db)).rows;

  it('attainment distribution: every bucket count, median and share at or above 100 %', async () => {
    const rows = await query(sql<{ plan_id: string; period: string; attainment: string }>`
      select plan_id, period, attainment::text as attainment from attainment where attainment is not null`);
    expect(rows.length).toBeGreaterThan(150);
    const groups = new Map<string, bigint[]>();
    for (const r of rows) {
      const key = `${r.plan_id}|${r.period}`;
      groups.set(key, [...(groups.get(key) ?? []), decimal(r.attainment)]);
    }
    expect(report.attainment.summary).toHaveLength(groups.size);
    for (const s of report.attainment.summary) {
      const values = groups.get(`${s.plan_id}|${s.period}`)!.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const mid = values.length >> 1;
      // The mean of the two middle ones, rounded half up at the 10th decimal (attainment is never negative).
      const median = values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]! + 1n) / 2n;
      expect(decimal(s.median), `${s.plan_id} ${s.period}`).toBe(median);
      const above = values.filter((v) => v >= ONE).length;
      expect([s.reps, s.at_or_above]).toEqual([values.length, above]);
      expect(s.share_at_or_above).toBe(formatDecimal((BigInt(above) * ONE) / BigInt(values.length), 6));
      // The histogram's bars add up to the reps, bucket by bucket.
      for (const h of report.attainment.histogram.filter((x) => x.plan_id === s.plan_id && x.period === s.period)) {
        const lower = decimal(h.bucket);
        const count = values.filter((v) => {
          const bucket = v >= 2n * ONE ? 2n * ONE : v < ZERO ? ZERO : ((v * 10n) / ONE) * (ONE / 10n);
          return bucket === lower;
        }).length;
        expect(h.reps, `${s.plan_id} ${s.period} bucket ${h.bucket}`).toBe(count);
      }
      const total = report.attainment.histogram
        .filter((x) => x.plan_id === s.plan_id && x.period === s.period)
        .reduce((n, x) => n + x.reps, 0);
      expect(total).toBe(values.length);
    }
  });

  it('pay for performance: each payout is the sum of the quota period’s component lines; the target is the plan at 100 %', async () => {
    const paid = await query(sql<{ rep_id: string; plan_id: string; period: string; total: string }>`
      select rep_id, plan_id, trace ->> 'quotaPeriod' as period, sum(amount)::text as total
        from payout_lines where trace ->> 'quotaPeriod' is not null group by 1, 2, 3`);
    const byKey = new Map(paid.map((p) => [`${p.rep_id}|${p.plan_id}|${p.period}`, p.total]));
    expect(report.payForPerformance.points.length).toBeGreaterThan(150);
    for (const p of report.payForPerformance.points)
      expect(money(p.payout), `${p.rep_id} ${p.period}`).toBe(money(byKey.get(`${p.rep_id}|${p.plan_id}|${p.period}`)));
    // An account executive on 180,000: 6 % of quota at 100 % (the club bonus starts at 120 %).
    const ae = report.payForPerformance.points.find(
      (p) => p.plan_id === 'ae-2026' && decimal(p.quota) === decimal('180000'),
    );
    expect(ae?.target_incentive).toBe('10800.00');
    const plan = request.plans.find((p) => p.id === 'ae-2026')!;
    expect(formatDecimal(targetIncentive(plan, decimal('180000')), 2)).toBe('10800.00');
    for (const curve of report.payForPerformance.curves) {
      const at100 = curve.points.find((p) => p.attainment === '1.00');
      expect(at100?.share, curve.planId).toBe('1.000000');
    }
  });

  it('cost of sales: commissions ÷ credited bookings per team and quota period', async () => {
    const rows = await query(sql<{ team: string | null; period: string; commissions: string; bookings: string }>`
      with c as (select rep_id, plan_id, period, max(credit) as credit from attainment group by 1, 2, 3),
           l as (select rep_id, plan_id, trace ->> 'quotaPeriod' as period, sum(amount) as paid
                   from payout_lines where trace ->> 'quotaPeriod' is not null group by 1, 2, 3)
      select r.manager_id as team, c.period, coalesce(sum(l.paid), 0)::text as commissions, sum(c.credit)::text as bookings
        from c left join l using (rep_id, plan_id, period) join reps r on r.id = c.rep_id
       group by r.manager_id, c.period`);
    expect(report.costOfSales).toHaveLength(rows.length);
    for (const row of rows) {
      const got = report.costOfSales.find((c) => c.team_id === row.team && c.period === row.period)!;
      expect(money(got.commissions), `${row.team} ${row.period}`).toBe(money(row.commissions));
      expect(decimal(got.credited_bookings)).toBe(decimal(row.bookings));
      const ratio = (decimal(row.commissions) * ONE) / decimal(row.bookings);
      expect(Math.abs(Number(got.cost_of_sales) - Number(formatDecimal(ratio)))).toBeLessThan(1e-6);
    }
  });

  it('leaderboard and trend: the sums of the payout lines', async () => {
    const reps = await query(sql<{ rep_id: string; total: string }>`
      select rep_id, sum(amount)::text as total from payout_lines group by rep_id order by sum(amount) desc, rep_id`);
    expect(report.leaderboard.map((l) => [l.rep_id, money(l.earned)])).toEqual(
      reps.slice(0, report.leaderboard.length).map((r) => [r.rep_id, money(r.total)]),
    );
    expect(report.leaderboard[0]!.rank).toBe(1);
    const trend = await query(sql<{ plan_id: string; period: string; total: string }>`
      select plan_id, period, sum(amount)::text as total from payout_lines group by 1, 2 order by 1, 2`);
    expect(report.trend.map((t) => [t.plan_id, t.period, money(t.earned)])).toEqual(
      trend.map((t) => [t.plan_id, t.period, money(t.total)]),
    );
  });

  it('quota coverage: open pipeline in the last quota period ÷ the quota left, per rep and team', async () => {
    const rows = await query(sql<{ rep_id: string; pipeline: string }>`
      select d.owner_id as rep_id,
             round(sum(d.amount / coalesce((select f.rate from fx_rates f where f.currency = d.currency
                       and f.from_date <= d.close_date order by f.from_date desc limit 1), 1)), 2)::text as pipeline
        from deals d where d.stage = 'open' and not d.deleted and d.close_date between '2026-10-01' and '2026-12-31'
       group by d.owner_id`);
    const pipeline = new Map(rows.map((r) => [r.rep_id, r.pipeline]));
    const reps = report.coverage.reps;
    expect(reps.length).toBeGreaterThan(40);
    expect(new Set(reps.map((r) => r.period))).toEqual(new Set(['2026-Q4']));
    for (const r of reps) {
      expect(money(r.open_pipeline), r.rep_id).toBe(money(pipeline.get(r.rep_id)));
      const left = decimal(r.quota) - decimal(r.credit);
      expect(decimal(r.remaining_quota)).toBe(left > ZERO ? left : ZERO);
    }
    expect(reps.some((r) => decimal(r.open_pipeline) > ZERO)).toBe(true);
    for (const t of report.coverage.teams) {
      const members = reps.filter((r) => r.team_id === t.team_id && r.plan_id === t.plan_id);
      expect(t.reps).toBe(members.length);
      expect(money(t.open_pipeline)).toBe(
        money(formatDecimal(members.reduce((s, r) => s + decimal(r.open_pipeline), ZERO))),
      );
    }
  });

  it('commission liability: earned per payout period, paid where locked (the months of a locked quarter too)', async () => {
    const rows = await query(sql<{ period: string; total: string }>`
      select period, sum(amount)::text as total from payout_lines group by period order by period`);
    expect(report.liability.map((l) => [l.period, money(l.earned)]).sort()).toEqual(
      rows.map((r) => [r.period, money(r.total)]).sort(),
    );
    // In calendar order: a quarter right after its last month.
    expect(report.liability.slice(0, 5).map((l) => l.period)).toEqual([
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-Q1',
      '2026-04',
    ]);
    const row = (period: string) => report.liability.find((l) => l.period === period)!;
    for (const locked of ['2026-01', '2026-02', '2026-03', '2026-Q1']) {
      expect(row(locked).paid).toBe(row(locked).earned);
      expect(row(locked).outstanding).toBe('0');
    }
    expect(row('2026-04').paid).toBe('0');
    expect(row('2026-04').outstanding).toBe(row('2026-04').earned);
  });

  it('commission liability: approved where an approval in force pins the lines, exported where payroll was', async () => {
    const sums = await query(sql<{ period: string; total: string }>`
      select period, sum(amount)::text as total from payout_lines
       where period in ('2026-01', '2026-02', '2026-Q1') group by period`);
    const total = (period: string) => money(sums.find((r) => r.period === period)?.total);
    const row = (period: string) => report.liability.find((l) => l.period === period)!;
    // The approval pinned every line of January: its sum is January's lines by SQL.
    expect(money(row('2026-01').states['approved'])).toBe(total('2026-01'));
    expect(money(row('2026-01').states['exported'])).toBe(total('2026-01'));
    // February is locked (with its quarter) but neither approved nor exported; the quarter's own lines are not January's.
    expect(row('2026-02').states).toEqual({ approved: '0', exported: '0' });
    expect(row('2026-Q1').states).toEqual({ approved: '0', exported: '0' });
    expect(money(row('2026-Q1').paid)).toBe(total('2026-Q1'));
    // A manager's tree: their reps' January lines only.
    const west = await buildReport(backend.database, { ...request, managerId: 'west-mgr' });
    const [{ t } = { t: '' }] = await query(sql<{ t: string }>`
      select sum(amount)::text as t from payout_lines p join reps r on r.id = p.rep_id
       where p.period = '2026-01' and (r.id = 'west-mgr' or r.manager_id = 'west-mgr')`);
    const westJan = west.liability.find((l) => l.period === '2026-01')!;
    expect(money(westJan.states['approved'])).toBe(money(t));
    expect(money(westJan.states['exported'])).toBe(money(t));
    // A voided approval (a run changed its lines) pins nothing.
    await sql`update period_approvals set voided_at = now()`.execute(backend.db);
    const voided = await buildReport(backend.database, request);
    expect(voided.liability.find((l) => l.period === '2026-01')!.states['approved']).toBe('0');
    await sql`update period_approvals set voided_at = null`.execute(backend.db);
  });

  it('liability forecast: each estimate’s change per payout period × its deal’s probability, rounded once per row; the view’s sums', async () => {
    // From the tables: the estimates' line changes by payout period, and the deal's probability field (percent).
    const changes = await query(sql<{
      deal_id: string;
      rep_id: string;
      period: string;
      currency: string;
      change: string;
      probability: string | null;
    }>`
      select e.deal_id, e.rep_id, c ->> 'period' as period, e.currency, sum((c ->> 'change')::numeric)::text as change,
             d.fields ->> 'probability' as probability
        from estimates e join deals d on d.id = e.deal_id, jsonb_array_elements(e.trace -> 'changes') c
       where c ->> 'component' <> 'draw'
       group by e.deal_id, e.rep_id, e.plan_id, c ->> 'period', e.currency, d.fields ->> 'probability'`);
    expect(changes.length).toBeGreaterThan(20);
    const expected = new Map<string, { pipeline: bigint; expected: bigint }>();
    for (const c of changes) {
      const key = `${c.period} ${c.currency}`;
      const sums = expected.get(key) ?? { pipeline: ZERO, expected: ZERO };
      sums.pipeline += decimal(c.change);
      // Round half-even to the cent, once per row: a probability of 40 % is a fraction 0.4.
      if (c.probability !== null)
        sums.expected += divideHalfEven(decimal(c.change) * decimal(c.probability), 100n * ONE * 10n ** 8n) * 10n ** 8n;
      expected.set(key, sums);
    }
    const periods = report.forecast.periods;
    // The chart's axis: every period of the liability and the forecast, a month before the quarter it ends.
    const order = report.forecast.order;
    expect(new Set(order)).toEqual(new Set([...report.liability, ...periods].map((r) => r.period)));
    expect(order.indexOf('2026-11')).toBeLessThan(order.indexOf('2026-12'));
    expect(order.indexOf('2026-12')).toBeLessThan(order.indexOf('2026-Q4'));
    expect(periods.map((p) => `${p.period} ${p.currency}`).sort()).toEqual([...expected.keys()].sort());
    for (const p of periods) {
      const sums = expected.get(`${p.period} ${p.currency}`)!;
      expect(money(p.pipeline), p.period).toBe(formatDecimal(sums.pipeline, 2));
      expect(money(p.expected), p.period).toBe(formatDecimal(sums.expected, 2));
      expect(decimal(p.expected) < decimal(p.pipeline)).toBe(true);
    }
    // The view's rows sum to the report's, and each row of the table is already at the cent.
    const [{ total, rows } = { total: '', rows: '' }] = await query(sql<{ total: string; rows: string }>`
      select (select sum(expected)::text from commission_liability_forecast) as total,
             (select sum(expected)::text from liability_forecast) as rows`);
    expect(money(total)).toBe(
      formatDecimal(
        periods.reduce((s, p) => s + decimal(p.expected), ZERO),
        2,
      ),
    );
    expect(money(rows)).toBe(money(total));
    const [{ n } = { n: -1 }] = await query(sql<{ n: number }>`
      select count(*)::integer as n from liability_forecast where expected is not null and expected <> round(expected, 2)`);
    expect(n).toBe(0);
    // Open deals without a probability are said, with how many.
    const [{ missing } = { missing: -1 }] = await query(sql<{ missing: number }>`
      select count(distinct e.deal_id)::integer as missing
        from estimates e join deals d on d.id = e.deal_id
       where d.fields ->> 'probability' is null and e.trace -> 'changes' <> '[]'::jsonb`);
    expect(missing).toBeGreaterThan(0);
    expect(report.forecast.withoutProbability).toEqual([{ reason: 'no probability', deals: missing }]);
  });

  it('rejects: counted by source and reason, all of the run’s', async () => {
    const [{ n } = { n: -1 }] = await query(sql<{ n: number }>`
      select count(*)::integer as n from rejects where run_id = ${report.generatedFor.runId}`);
    expect(n).toBeGreaterThan(0);
    expect(report.rejects.reduce((s, r) => s + r.records, 0)).toBe(n);
    // By file, not by line: the demo's bad deals are all deals.csv's.
    expect(report.rejects.filter((r) => r.source === 'deals.csv').reduce((s, r) => s + r.records, 0)).toBe(5);
  });

  it('--manager: only that manager’s tree, the same figures for it', async () => {
    const west = await buildReport(backend.database, { ...request, managerId: 'west-mgr' });
    const tree = await query(sql<{ id: string }>`select id from reps where id = 'west-mgr' or manager_id = 'west-mgr'`);
    const ids = tree.map((t) => t.id);
    expect(ids.length).toBeGreaterThan(5);
    const [{ total } = { total: '' }] = await query(sql<{ total: string }>`
      select sum(amount)::text as total from payout_lines where rep_id = any(${ids}::text[])`);
    const earned = west.liability.reduce((s, l) => s + decimal(l.earned), ZERO);
    expect(formatDecimal(earned, 2)).toBe(money(total));
    expect(west.leaderboard.every((l) => ids.includes(l.rep_id))).toBe(true);
    expect(west.payForPerformance.points.every((p) => ids.includes(p.rep_id))).toBe(true);
    expect(west.costOfSales.map((c) => c.team_id).sort()).toEqual(expect.arrayContaining(['west-mgr']));
    const [{ expected } = { expected: '' }] = await query(sql<{ expected: string }>`
      select sum(expected)::text as expected from liability_forecast where rep_id = any(${ids}::text[])`);
    expect(
      formatDecimal(
        west.forecast.periods.reduce((s, f) => s + decimal(f.expected), ZERO),
        2,
      ),
    ).toBe(money(expected));
    expect(decimal(expected) > ZERO).toBe(true);
    await expect(buildReport(backend.database, { ...request, managerId: 'nobody' })).rejects.toThrow(ReportInputError);
  });

  it('--period: only periods overlapping the range; a bad range is refused', async () => {
    const h1 = await buildReport(backend.database, { ...request, period: '2026-01..2026-06' });
    expect(new Set(h1.liability.map((l) => l.period))).toEqual(
      new Set(['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-Q1', '2026-Q2']),
    );
    expect(new Set(h1.attainment.summary.map((s) => s.period))).toEqual(new Set(['2026-Q1', '2026-Q2']));
    expect(new Set(h1.coverage.reps.map((r) => r.period))).toEqual(new Set(['2026-Q2']));
    // The demo's open deals close on its as-of date, in December: none in the first half.
    expect(h1.forecast.periods).toEqual([]);
    const q4 = await buildReport(backend.database, { ...request, period: '2026-Q4' });
    expect(q4.forecast.periods.map((f) => f.period)).toEqual(report.forecast.periods.map((f) => f.period));
    for (const bad of ['2026-13', '2026-06..2026-01', 'Q1..Q2', '2026..2027..2028'])
      await expect(buildReport(backend.database, { ...request, period: bad }), bad).rejects.toThrow(ReportInputError);
  });

  describe('the page', () => {
    it('draws every chart as SVG with marks and shows the exact figures', async () => {
      const charts = await renderCharts(report);
      expect(charts.map((c) => c.id)).toEqual(DEMO_CHARTS);
      for (const c of charts) expect(c.svg, c.id).toMatch(/^<svg[\s\S]*(<path|<line|<circle)/);
      const html = reportHtml(report, charts);
      for (const l of report.liability) expect(html).toContain(`<td class="n">${l.earned}</td>`);
      for (const f of report.forecast.periods) expect(html).toContain(`<td class="n">${f.expected}</td>`);
      expect(html).toContain('<h2>Liability forecast</h2>');
      expect(html).toContain('<th class="n">earned</th><th class="n">approved</th><th class="n">exported</th>');
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    });
  });
});
