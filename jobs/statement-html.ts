/**
 * A statement as one self-contained HTML page (styles and chart inline, nothing fetched), laid out
 * for the screen and for printing on A4 or Letter by jobs/html-layout.ts.
 */
import { money, percent } from '../src/domain/trace-words.js';
import { e, htmlPage, row, td, th } from './html-layout.js';
import type { PlanStatement, Statement } from './statements.js';

const amounts = (list: Statement['totals']): string =>
  list.map((m) => `${money(m.amount)} ${m.currency}`).join(' + ') || '0.00';

export function renderStatementHtml(statement: Statement, chartSvg: string): string {
  const plans = statement.plans.map((plan) => `${plan.planName} (${plan.planId})`).join(', ');
  const currencies = [...new Set(statement.plans.map((plan) => plan.currency))].join(', ');
  const body = [
    `<h1>Commission statement · ${e(statement.period)} <span class="status ${statement.status}">${statement.status}</span></h1>`,
    '<dl>',
    `<dt>Rep</dt><dd>${e(statement.rep.name)} (${e(statement.rep.id)})</dd>`,
    `<dt>Manager</dt><dd>${statement.manager ? `${e(statement.manager.name)} (${e(statement.manager.id)})` : '—'}</dd>`,
    `<dt>Plan</dt><dd>${e(plans)}</dd>`,
    `<dt>Period</dt><dd>${e(statement.period)}</dd>`,
    `<dt>Currency</dt><dd>${e(currencies)}</dd>`,
    `<dt>Status</dt><dd>${statement.status}</dd>`,
    `<dt>Earnings this period</dt><dd><strong>${e(amounts(statement.totals))}</strong></dd>`,
    `<dt>Year to date</dt><dd>${e(amounts(statement.yearToDate))} <span class="muted">(${e(statement.yearToDateFrom)} through ${e(statement.period)})</span></dd>`,
    '</dl>',
    attainmentSection(statement, chartSvg),
    ...statement.plans.map(planSection),
    `<footer>Computed by run ${statement.runs.map((r) => `${e(r.runId)} (inputs ${e(r.inputsHash)})`).join(', ')}. ` +
      'Every amount is a stored payout line; the totals are their sum.</footer>',
  ];
  return htmlPage(`Commission statement ${statement.period} · ${statement.rep.name}`, body);
}

function attainmentSection(statement: Statement, chartSvg: string): string {
  if (statement.attainment.length === 0) return '';
  const rows = statement.attainment.map((a) =>
    row([
      td(a.through ? `${a.period} through ${a.through}` : a.period),
      td(a.planId),
      td(money(a.credit), true),
      td(a.quota === null ? 'no quota' : money(a.quota), true),
      td(a.attainment === null ? '—' : percent(a.attainment), true),
    ]),
  );
  return [
    '<h2>Attainment against quota</h2>',
    chartSvg ? `<div>${chartSvg}</div>` : '',
    `<table><tr>${th('Quota period')}${th('Plan')}${th('Credit', true)}${th('Quota', true)}${th('Attainment', true)}</tr>`,
    ...rows,
    '</table>',
  ].join('\n');
}

function planSection(plan: PlanStatement): string {
  const parts = [`<h2>${e(plan.planName)} <span class="muted">${e(plan.planId)} · ${e(plan.currency)}</span></h2>`];
  parts.push(
    `<table><tr>${th('Period')}${th('Component')}${th('Amount', true)}${th('How it was computed')}</tr>`,
    ...plan.lines.map((l) => row([td(l.period), td(l.component), td(money(l.amount), true), td(l.explanation)])),
    ...plan.adjustments.map((a) => row([td(a.period), td('adjustment'), td(money(a.amount), true), td(a.explanation)])),
    ...plan.draws.map((d) => row([td(d.period), td('draw'), td(money(d.amount), true), td(d.explanation)])),
    `<tr class="total"><td colspan="2">Total ${e(plan.currency)}</td>${td(money(plan.total), true)}<td>year to date ${e(money(plan.yearToDate))}</td></tr>`,
    '</table>',
  );
  if (plan.deals.length > 0) {
    parts.push(
      '<h3>Credited deals</h3>',
      `<table><tr>${th('Deal')}${th('Close date')}${th('Amount', true)}${th('Currency')}${th('Rate', true)}${th('Split', true)}${th(`Credit (${plan.currency})`, true)}</tr>`,
      ...plan.deals.map((d) =>
        row([
          td(d.name ? `${d.name} (${d.id})` : d.id),
          td(d.closeDate),
          td(d.amount === '' ? '' : money(d.amount), true),
          td(d.currency),
          td(d.rate, true),
          td(`${d.split} %`, true),
          td(money(d.credit), true),
        ]),
      ),
      '</table>',
    );
  }
  if (plan.team.length > 0) {
    parts.push(
      '<h3>Team credit by direct report</h3>',
      `<table><tr>${th('Direct report')}${th(`Credit (${plan.currency})`, true)}</tr>`,
      ...plan.team.map((t) => row([td(`${t.name} (${t.repId})`), td(money(t.credit), true)])),
      '</table>',
    );
  }
  if (plan.adjustments.length > 0) {
    parts.push(
      '<h3>Adjustments and clawbacks</h3>',
      `<table><tr>${th('Period')}${th('Amount', true)}${th('Deals clawed back')}${th('Deals added')}</tr>`,
      ...plan.adjustments.map((a) =>
        row([
          td(a.period),
          td(money(a.amount), true),
          td(a.clawedBack.map((d) => (d.name ? `${d.name} (${d.id})` : d.id)).join(', ') || '—'),
          td(a.added.map((d) => (d.name ? `${d.name} (${d.id})` : d.id)).join(', ') || '—'),
        ]),
      ),
      '</table>',
    );
  }
  if (plan.draws.length > 0) {
    parts.push(
      '<h3>Draw</h3>',
      `<table><tr>${th('Period')}${th('Paid (+) or recovered (−)', true)}${th('Balance after', true)}</tr>`,
      ...plan.draws.map((d) => row([td(d.period), td(money(d.amount), true), td(money(d.balanceAfter), true)])),
      '</table>',
    );
  }
  return parts.join('\n');
}
