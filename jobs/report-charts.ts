/**
 * The report's charts: Vega-Lite specifications compiled and rendered to SVG in Node (vega-lite,
 * vega; no browser, no canvas: text is measured by vega's estimate). The SVG is inlined in the
 * page, so the report needs no script to draw them. Values are plotted as numbers; the exact
 * decimal figures are in the tables beside each chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportData } from './analytics-report.js';
import { vegaLiteSvg } from './vega-svg.js';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e7eb' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 13, anchor: 'start' },
} as const;

export interface Chart {
  id: string;
  title: string;
  svg: string;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  return vegaLiteSvg({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec);
}

const num = (text: string | null): number | null => (text === null ? null : Number(text));

/** The specifications of every chart, in page order; charts without data are left out. */
export function chartSpecs(data: ReportData): { id: string; title: string; spec: TopLevelSpec }[] {
  const specs: { id: string; title: string; spec: TopLevelSpec }[] = [];
  const plans = [...new Set(data.attainment.histogram.map((h) => h.plan_id))];
  for (const plan of plans) {
    specs.push({
      id: `attainment-${plan}`,
      title: `Attainment distribution · ${plan}`,
      spec: {
        data: {
          values: data.attainment.histogram
            .filter((h) => h.plan_id === plan)
            .map((h) => ({ period: h.period, bucket: Number(h.bucket) * 100, reps: h.reps })),
        },
        mark: { type: 'bar', color: '#4f46e5', binSpacing: 1 },
        encoding: {
          column: { field: 'period', type: 'ordinal', title: null },
          x: {
            field: 'bucket',
            type: 'quantitative',
            bin: { binned: true, step: 10 },
            title: 'attainment (%)',
            scale: { domain: [0, 210] },
          },
          x2: { field: 'bucketEnd' },
          y: { field: 'reps', type: 'quantitative', title: 'reps' },
        },
        transform: [{ calculate: 'datum.bucket + 10', as: 'bucketEnd' }],
        width: 180,
        height: 120,
      } as TopLevelSpec,
    });
  }

  for (const curve of data.payForPerformance.curves) {
    const points = data.payForPerformance.points
      .filter((p) => p.plan_id === curve.planId && p.payout_share !== null)
      .map((p) => ({
        rep: p.rep_name ?? p.rep_id,
        period: p.period,
        attainment: Number(p.attainment) * 100,
        share: Number(p.payout_share) * 100,
      }));
    specs.push({
      id: `pay-for-performance-${curve.planId}`,
      title: `Pay for performance · ${curve.planId}`,
      spec: {
        width: 420,
        height: 260,
        layer: [
          {
            data: {
              values: curve.points.map((p) => ({ attainment: num(p.attainment)! * 100, share: num(p.share)! * 100 })),
            },
            mark: { type: 'line', color: '#dc2626', strokeWidth: 2 },
            encoding: {
              x: { field: 'attainment', type: 'quantitative', title: 'attainment (%)' },
              y: { field: 'share', type: 'quantitative', title: 'payout, % of target incentive' },
            },
          },
          {
            data: { values: points },
            mark: { type: 'circle', size: 36, opacity: 0.7, color: '#4f46e5' },
            encoding: {
              x: { field: 'attainment', type: 'quantitative' },
              y: { field: 'share', type: 'quantitative' },
              tooltip: [{ field: 'rep' }, { field: 'period' }],
            },
          },
        ],
      } as TopLevelSpec,
    });
  }

  if (data.costOfSales.length > 0)
    specs.push({
      id: 'cost-of-sales',
      title: 'Cost of sales: commissions ÷ credited bookings, by team and quota period',
      spec: {
        data: {
          values: data.costOfSales
            .filter((c) => c.cost_of_sales !== null)
            .map((c) => ({
              team: c.team_name ?? c.team_id ?? '(no manager)',
              period: c.period,
              cost: Number(c.cost_of_sales) * 100,
            })),
        },
        mark: 'bar',
        encoding: {
          x: { field: 'team', type: 'nominal', title: null, axis: { labelAngle: 0 } },
          xOffset: { field: 'period', type: 'ordinal' },
          color: { field: 'period', type: 'ordinal', scale: { scheme: 'tableau10' } },
          y: { field: 'cost', type: 'quantitative', title: '% of bookings' },
        },
        width: 520,
        height: 220,
      } as TopLevelSpec,
    });

  if (data.leaderboard.length > 0)
    specs.push({
      id: 'leaderboard',
      title: 'Leaderboard: earned over the report',
      spec: {
        data: {
          values: data.leaderboard.map((l) => ({
            rep: `${l.rank}. ${l.rep_name ?? l.rep_id}`,
            earned: Number(l.earned),
            currency: l.currency,
          })),
        },
        mark: { type: 'bar', color: '#059669' },
        encoding: {
          y: { field: 'rep', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
          x: { field: 'earned', type: 'quantitative', title: 'earned' },
        },
        width: 420,
      } as TopLevelSpec,
    });

  if (data.trend.length > 0)
    specs.push({
      id: 'trend',
      title: 'Earned per payout period, by plan',
      spec: {
        data: { values: data.trend.map((t) => ({ plan: t.plan_id, start: t.start, earned: Number(t.earned) })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'start', type: 'temporal', timeUnit: 'yearmonth', title: 'payout period (from its first month)' },
          y: { field: 'earned', type: 'quantitative', title: 'earned' },
          color: { field: 'plan', type: 'nominal', scale: { scheme: 'tableau10' } },
        },
        width: 520,
        height: 220,
      } as TopLevelSpec,
    });

  if (data.coverage.teams.length > 0)
    specs.push({
      id: 'coverage',
      title: 'Quota coverage: open pipeline ÷ remaining quota, by team',
      spec: {
        data: {
          values: data.coverage.teams
            .filter((t) => t.coverage !== null)
            .map((t) => ({
              team: `${t.team_name ?? t.team_id ?? '(no manager)'} · ${t.period}`,
              coverage: Number(t.coverage),
            })),
        },
        layer: [
          {
            mark: { type: 'bar', color: '#0891b2' },
            encoding: {
              y: { field: 'team', type: 'nominal', title: null, axis: { labelLimit: 320 } },
              x: { field: 'coverage', type: 'quantitative', title: 'coverage (×)' },
            },
          },
          { mark: { type: 'rule', color: '#dc2626', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
        ],
        width: 420,
      } as TopLevelSpec,
    });

  if (data.liability.length > 0)
    specs.push({
      id: 'liability',
      title: 'Commission liability by payout period',
      spec: {
        data: {
          values: data.liability.flatMap((l) => [
            { period: l.period, state: 'paid (locked)', amount: Number(l.paid) },
            { period: l.period, state: 'earned, not paid', amount: Number(l.outstanding) },
          ]),
        },
        mark: 'bar',
        encoding: {
          x: { field: 'period', type: 'ordinal', title: 'payout period', sort: null },
          y: { field: 'amount', type: 'quantitative', title: 'amount', stack: 'zero' },
          color: {
            field: 'state',
            type: 'nominal',
            scale: { domain: ['paid (locked)', 'earned, not paid'], range: ['#059669', '#f59e0b'] },
          },
        },
        width: 520,
        height: 220,
      } as TopLevelSpec,
    });

  if (data.forecast.periods.length > 0) {
    // Beside what is earned (paid or not), what the open pipeline is expected to add (docs/report.md#liability-forecast).
    const states = ['paid (locked)', 'earned, not paid', 'expected from open pipeline'];
    specs.push({
      id: 'forecast',
      title: 'Liability forecast: earned and expected commission by payout period',
      spec: {
        data: {
          values: [
            ...data.liability.flatMap((l) => [
              { period: l.period, state: states[0], amount: Number(l.paid) },
              { period: l.period, state: states[1], amount: Number(l.outstanding) },
            ]),
            ...data.forecast.periods.map((f) => ({ period: f.period, state: states[2], amount: Number(f.expected) })),
          ],
        },
        mark: 'bar',
        encoding: {
          x: { field: 'period', type: 'ordinal', title: 'payout period', sort: data.forecast.order },
          y: { field: 'amount', type: 'quantitative', title: 'amount', stack: 'zero' },
          color: {
            field: 'state',
            type: 'nominal',
            scale: { domain: states, range: ['#059669', '#f59e0b', '#6366f1'] },
            legend: { labelLimit: 260 },
          },
          order: { field: 'state', sort: 'ascending' },
        },
        width: 520,
        height: 220,
      } as TopLevelSpec,
    });
  }

  if (data.rejects.length > 0)
    specs.push({
      id: 'rejects',
      title: 'Rejected records by source',
      spec: {
        data: { values: data.rejects.map((r) => ({ source: r.source, records: r.records, reason: r.reason })) },
        mark: { type: 'bar', color: '#9ca3af' },
        encoding: {
          y: { field: 'source', type: 'nominal', title: null },
          x: { aggregate: 'sum', field: 'records', type: 'quantitative', title: 'records' },
        },
        width: 420,
      } as TopLevelSpec,
    });
  return specs;
}

export async function renderCharts(data: ReportData): Promise<Chart[]> {
  const charts: Chart[] = [];
  for (const { id, title, spec } of chartSpecs(data)) charts.push({ id, title, svg: await renderSvg(spec) });
  return charts;
}
