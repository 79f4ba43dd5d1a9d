/**
 * The report as one self-contained HTML page: inline CSS, the charts as inline SVG, no script, no
 * font or image fetched, so it opens from disk anywhere and can be mailed to a manager. Each chart
 * has its figures beside it as a table, exactly as the reporting database gives them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportData } from './analytics-report.js';
import { renderCharts, type Chart } from './report-charts.js';

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0;
  color: #111827; background: #f9fafb; }
header { background: #1e1b4b; color: white; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: 0.85; font-size: 13px; }
main { padding: 16px 32px 48px; max-width: 1200px; }
section { background: white; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
section h2 { margin: 0 0 4px; font-size: 17px; }
section p.note { margin: 0 0 12px; color: #4b5563; font-size: 13px; }
figure { margin: 8px 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
details { margin-top: 8px; font-size: 12px; }
table { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 3px 10px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
nav a { color: #c7d2fe; margin-right: 14px; font-size: 13px; }
`;

function esc(text: string | number | null | undefined): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A percentage with two decimals from an exact ratio text: `0.123456` → `12.35 %`. */
function percent(ratio: string | null): string {
  return ratio === null ? '—' : `${(Number(ratio) * 100).toFixed(2)} %`;
}

interface Column<T> {
  title: string;
  value: (row: T) => string | number | null;
  numeric?: boolean;
}

function table<T>(rows: readonly T[], columns: readonly Column<T>[], open = false): string {
  if (rows.length === 0) return '<p class="note">Nothing in this report’s scope.</p>';
  const head = columns.map((c) => `<th${c.numeric ? ' class="n"' : ''}>${esc(c.title)}</th>`).join('');
  const body = rows
    .map(
      (r) => `<tr>${columns.map((c) => `<td${c.numeric ? ' class="n"' : ''}>${esc(c.value(r))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<details${open ? ' open' : ''}><summary>figures (${rows.length} row${rows.length === 1 ? '' : 's'})</summary><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></details>`;
}

function figures(charts: readonly Chart[], prefix: string): string {
  return charts
    .filter((c) => c.id === prefix || c.id.startsWith(`${prefix}-`))
    .map((c) => `<figure data-chart="${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${c.svg}</figure>`)
    .join('\n');
}

export function reportHtml(data: ReportData, charts: readonly Chart[]): string {
  const scope = `${data.generatedFor.period}${data.generatedFor.managerId ? ` · ${data.generatedFor.managerId}’s team` : ' · every rep'}`;
  const stateNames = [...new Set(data.liability.flatMap((l) => Object.keys(l.states)))];
  const sections = [
    `<section id="attainment"><h2>Attainment distribution</h2>
<p class="note">Reps by attainment per plan and quota period, in 10 % buckets (the last holds 200 % and more).</p>
${figures(charts, 'attainment')}
${table(
  data.attainment.summary,
  [
    { title: 'plan', value: (r) => r.plan_id },
    { title: 'quota period', value: (r) => r.period },
    { title: 'measure', value: (r) => r.measure },
    { title: 'reps', value: (r) => r.reps, numeric: true },
    { title: 'median attainment', value: (r) => percent(r.median), numeric: true },
    { title: 'at or above 100 %', value: (r) => r.at_or_above, numeric: true },
    { title: 'share at or above 100 %', value: (r) => percent(r.share_at_or_above), numeric: true },
  ],
  true,
)}</section>`,
    `<section id="pay-for-performance"><h2>Pay for performance</h2>
<p class="note">Each rep’s payout for a quota period as a share of their target incentive (what the plan pays at
100 % attainment for that rep’s quota), against attainment; the line is the plan’s curve, drawn for its most common quota.</p>
${figures(charts, 'pay-for-performance')}
${table(data.payForPerformance.points, [
  { title: 'rep', value: (r) => r.rep_name ?? r.rep_id },
  { title: 'plan', value: (r) => r.plan_id },
  { title: 'quota period', value: (r) => r.period },
  { title: 'attainment', value: (r) => percent(r.attainment), numeric: true },
  { title: 'payout', value: (r) => `${r.payout} ${r.currency ?? ''}`, numeric: true },
  { title: 'target incentive', value: (r) => r.target_incentive, numeric: true },
  { title: 'share of target', value: (r) => percent(r.payout_share), numeric: true },
])}</section>`,
    `<section id="cost-of-sales"><h2>Cost of sales</h2>
<p class="note">Commissions earned for a quota period ÷ the bookings credited in it, by team (a rep’s manager).</p>
${figures(charts, 'cost-of-sales')}
${table(data.costOfSales, [
  { title: 'team', value: (r) => r.team_name ?? r.team_id ?? '(no manager)' },
  { title: 'quota period', value: (r) => r.period },
  { title: 'commissions', value: (r) => `${r.commissions} ${r.currency ?? ''}`, numeric: true },
  { title: 'credited bookings', value: (r) => r.credited_bookings, numeric: true },
  { title: 'cost of sales', value: (r) => percent(r.cost_of_sales), numeric: true },
])}</section>`,
    `<section id="leaderboard"><h2>Leaderboard and trend</h2>
<p class="note">What each rep earned over the report’s payout periods, and each plan’s total per payout period.</p>
${figures(charts, 'leaderboard')}
${table(data.leaderboard, [
  { title: 'rank', value: (r) => r.rank, numeric: true },
  { title: 'rep', value: (r) => r.rep_name ?? r.rep_id },
  { title: 'earned', value: (r) => `${r.earned} ${r.currency}`, numeric: true },
])}
${figures(charts, 'trend')}
${table(data.trend, [
  { title: 'plan', value: (r) => r.plan_id },
  { title: 'payout period', value: (r) => r.period },
  { title: 'reps', value: (r) => r.reps, numeric: true },
  { title: 'earned', value: (r) => `${r.earned} ${r.currency}`, numeric: true },
])}</section>`,
    `<section id="coverage"><h2>Quota coverage</h2>
<p class="note">Open pipeline closing in each plan’s last quota period of the report ÷ the quota still to reach in it,
for reps without reports (pipeline in ${esc(data.baseCurrency)}). Below 1× the open deals cannot close the gap.</p>
${figures(charts, 'coverage')}
${table(data.coverage.teams, [
  { title: 'team', value: (r) => r.team_name ?? r.team_id ?? '(no manager)' },
  { title: 'plan', value: (r) => r.plan_id },
  { title: 'quota period', value: (r) => r.period },
  { title: 'reps', value: (r) => r.reps, numeric: true },
  { title: 'remaining quota', value: (r) => r.remaining_quota, numeric: true },
  { title: 'open pipeline', value: (r) => r.open_pipeline, numeric: true },
  { title: 'coverage', value: (r) => (r.coverage === null ? '—' : `${Number(r.coverage).toFixed(2)}×`), numeric: true },
])}
${table(data.coverage.reps, [
  { title: 'rep', value: (r) => r.rep_name ?? r.rep_id },
  { title: 'team', value: (r) => r.team_id },
  { title: 'quota period', value: (r) => r.period },
  { title: 'remaining quota', value: (r) => r.remaining_quota, numeric: true },
  { title: 'open pipeline', value: (r) => r.open_pipeline, numeric: true },
  { title: 'coverage', value: (r) => (r.coverage === null ? '—' : `${Number(r.coverage).toFixed(2)}×`), numeric: true },
])}</section>`,
    `<section id="liability"><h2>Commission liability</h2>
<p class="note">Earned per payout period; approved = pinned by an approval in force (attain approve); exported = in a period exported to payroll (attain export payroll); paid = earned in a locked period (attain lock).</p>
${figures(charts, 'liability')}
${table(
  data.liability,
  [
    { title: 'payout period', value: (r) => r.period },
    { title: 'currency', value: (r) => r.currency },
    { title: 'earned', value: (r) => r.earned, numeric: true },
    ...stateNames.map((name) => ({
      title: name,
      value: (r: (typeof data.liability)[number]) => r.states[name] ?? '0',
      numeric: true,
    })),
    { title: 'paid', value: (r) => r.paid, numeric: true },
    { title: 'not yet paid', value: (r) => r.outstanding, numeric: true },
  ],
  true,
)}</section>`,
    `<section id="forecast"><h2>Liability forecast</h2>
<p class="note">Expected commission of the open pipeline: for each open deal, what it would pay each rep if it closed won
(attain estimate) × the deal’s stage probability, in the payout period the pay would fall in; pipeline = the same unweighted.
Each row is rounded once, half-even, to the cent; totals are sums of rows.${
      data.forecast.withoutProbability.length > 0
        ? ` Expected to pay nothing, for want of a usable probability: ${esc(
            data.forecast.withoutProbability
              .map((w) => `${w.deals} deal${w.deals === 1 ? '' : 's'} (${w.reason})`)
              .join(', '),
          )}.`
        : ''
    }</p>
${figures(charts, 'forecast')}
${table(
  data.forecast.periods,
  [
    { title: 'payout period', value: (r) => r.period },
    { title: 'currency', value: (r) => r.currency },
    { title: 'reps', value: (r) => r.reps, numeric: true },
    { title: 'pipeline commission', value: (r) => r.pipeline, numeric: true },
    { title: 'expected commission', value: (r) => r.expected, numeric: true },
  ],
  true,
)}</section>`,
    `<section id="rejects"><h2>Rejects</h2>
<p class="note">Records the last run could not use, by source and reason (record ids shown as …).</p>
${figures(charts, 'rejects')}
${table(
  data.rejects,
  [
    { title: 'source', value: (r) => r.source },
    { title: 'reason', value: (r) => r.reason },
    { title: 'records', value: (r) => r.records, numeric: true },
  ],
  true,
)}
<h3>Rejected for accounting</h3>
<p class="note">Commission on deals without a usable contract term (attain.yaml <code>accounting:</code>): it cannot be capitalised, so it is expensed when incurred (docs/accounting.md).</p>
${table(
  data.expensedForWantOfTerm,
  [
    { title: 'deal', value: (r) => r.dealId },
    { title: 'rep', value: (r) => r.repId },
    { title: 'payout period', value: (r) => r.period },
    { title: 'currency', value: (r) => r.currency },
    { title: 'commission expensed', value: (r) => r.amount, numeric: true },
    { title: 'reason', value: (r) => r.reason },
  ],
  true,
)}</section>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Attain report · ${esc(scope)}</title>
<style>${CSS}</style></head>
<body><header><h1>Attain · performance and commissions</h1>
<p>${esc(scope)} · run ${esc(data.generatedFor.runId)}${data.generatedFor.finishedAt ? ` · finished ${esc(data.generatedFor.finishedAt)}` : ''}</p>
<nav><a href="#attainment">Attainment</a><a href="#pay-for-performance">Pay for performance</a><a href="#cost-of-sales">Cost of sales</a><a href="#leaderboard">Leaderboard</a><a href="#coverage">Coverage</a><a href="#liability">Liability</a><a href="#forecast">Forecast</a><a href="#rejects">Rejects</a></nav>
</header><main>
${sections.join('\n')}
</main></body></html>
`;
}

/** Renders the charts and writes `index.html` into `outDir`; returns its path. */
export async function writeReport(outDir: string, data: ReportData): Promise<string> {
  const charts = await renderCharts(data);
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, 'index.html');
  await writeFile(file, reportHtml(data, charts));
  return file;
}
