/**
 * A statement as a PDF (A4), written by pdfkit with the layout every Attain PDF shares
 * (jobs/pdf-layout.ts): its text flow and tables and the chart's SVG drawn as vectors.
 */
import { money, percent } from '../src/domain/trace-words.js';
import { CHART_HEIGHT, CHART_WIDTH } from './attainment-chart.js';
import { GREY, MARGIN, chart, heading, newPdf, subheading, table } from './pdf-layout.js';
import type { PlanStatement, Statement } from './statements.js';

export async function renderStatementPdf(statement: Statement, chartSvg: string): Promise<Buffer> {
  const { doc, bytes } = newPdf({
    Title: `Commission statement ${statement.period} - ${statement.rep.name}`,
    Subject: `${statement.rep.id} ${statement.period}`,
  });

  doc.font('Helvetica-Bold').fontSize(16).text(`Commission statement ${statement.period}`);
  doc
    .font('Helvetica')
    .fontSize(9)
    .fillColor(GREY)
    .text(`Status: ${statement.status.toUpperCase()}`)
    .fillColor('black');
  doc.moveDown(0.5);
  const plans = statement.plans.map((plan) => `${plan.planName} (${plan.planId})`).join(', ');
  const amounts = (list: Statement['totals']) =>
    list.map((m) => `${money(m.amount)} ${m.currency}`).join(' + ') || '0.00';
  table(
    doc,
    [
      ['Rep', `${statement.rep.name} (${statement.rep.id})`],
      ['Manager', statement.manager ? `${statement.manager.name} (${statement.manager.id})` : '-'],
      ['Plan', plans],
      ['Period', statement.period],
      ['Currency', [...new Set(statement.plans.map((plan) => plan.currency))].join(', ')],
      ['Status', statement.status],
      ['Earnings this period', amounts(statement.totals)],
      ['Year to date', `${amounts(statement.yearToDate)} (${statement.yearToDateFrom} through ${statement.period})`],
    ],
    { columns: [120, '*'], header: false },
  );

  if (statement.attainment.length > 0) {
    heading(doc, 'Attainment against quota');
    if (chartSvg) chart(doc, chartSvg, CHART_WIDTH, CHART_HEIGHT);
    table(
      doc,
      [
        ['Quota period', 'Plan', 'Credit', 'Quota', 'Attainment'],
        ...statement.attainment.map((a) => [
          a.period,
          a.planId,
          money(a.credit),
          a.quota === null ? 'no quota' : money(a.quota),
          a.attainment === null ? '-' : percent(a.attainment),
        ]),
      ],
      { columns: [80, '*', 90, 90, 70], right: [2, 3, 4] },
    );
  }

  for (const plan of statement.plans) planSection(doc, plan);

  doc.moveDown(1);
  doc
    .fontSize(7)
    .fillColor(GREY)
    .text(
      `Computed by run ${statement.runs.map((r) => `${r.runId} (inputs ${r.inputsHash})`).join(', ')}. ` +
        'Every amount is a stored payout line; the totals are their sum.',
      MARGIN,
    );
  doc.end();
  return bytes;
}

function planSection(doc: PDFKit.PDFDocument, plan: PlanStatement): void {
  heading(doc, `${plan.planName} - ${plan.planId} - ${plan.currency}`);
  table(
    doc,
    [
      ['Period', 'Component', 'Amount', 'How it was computed'],
      ...plan.lines.map((l) => [l.period, l.component, money(l.amount), l.explanation]),
      ...plan.adjustments.map((a) => [a.period, 'adjustment', money(a.amount), a.explanation]),
      ...plan.draws.map((d) => [d.period, 'draw', money(d.amount), d.explanation]),
      [`Total ${plan.currency}`, '', money(plan.total), `year to date ${money(plan.yearToDate)}`],
    ],
    { columns: [50, 80, 70, '*'], right: [2], lastRowBold: true },
  );

  if (plan.deals.length > 0) {
    subheading(doc, 'Credited deals');
    table(
      doc,
      [
        ['Deal', 'Close date', 'Amount', 'Cur.', 'Rate', 'Split', `Credit (${plan.currency})`],
        ...plan.deals.map((d) => [
          d.name ? `${d.name} (${d.id})` : d.id,
          d.closeDate,
          d.amount === '' ? '' : money(d.amount),
          d.currency,
          d.rate,
          `${d.split} %`,
          money(d.credit),
        ]),
      ],
      { columns: ['*', 58, 70, 30, 50, 40, 75], right: [2, 4, 5, 6] },
    );
  }
  if (plan.team.length > 0) {
    subheading(doc, 'Team credit by direct report');
    table(
      doc,
      [
        ['Direct report', `Credit (${plan.currency})`],
        ...plan.team.map((t) => [`${t.name} (${t.repId})`, money(t.credit)]),
      ],
      { columns: ['*', 100], right: [1] },
    );
  }
  if (plan.adjustments.length > 0) {
    subheading(doc, 'Adjustments and clawbacks');
    const names = (deals: { id: string; name: string }[]) =>
      deals.map((d) => (d.name ? `${d.name} (${d.id})` : d.id)).join(', ') || '-';
    table(
      doc,
      [
        ['Period', 'Amount', 'Deals clawed back', 'Deals added'],
        ...plan.adjustments.map((a) => [a.period, money(a.amount), names(a.clawedBack), names(a.added)]),
      ],
      { columns: [50, 70, '*', '*'], right: [1] },
    );
  }
  if (plan.draws.length > 0) {
    subheading(doc, 'Draw');
    table(
      doc,
      [
        ['Period', 'Paid (+) or recovered (-)', 'Balance after'],
        ...plan.draws.map((d) => [d.period, money(d.amount), money(d.balanceAfter)]),
      ],
      { columns: [60, 140, 100], right: [1, 2] },
    );
  }
}
