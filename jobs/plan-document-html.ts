/**
 * A plan document as one self-contained HTML page (jobs/html-layout.ts: styles and the payout
 * curve's SVG inline, nothing fetched), for the screen and for printing.
 */
import { e, htmlPage, row, td, th } from './html-layout.js';
import type { DocBlock, PlanDocument } from './plan-document.js';

export function renderPlanDocumentHtml(document: PlanDocument): string {
  const body = [
    `<h1>Comp plan: ${e(document.planName)}</h1>`,
    `<p class="muted">Version ${e(document.hash)}</p>`,
    '<dl>',
    ...document.facts.map(([label, value]) => `<dt>${e(label)}</dt><dd>${e(value)}</dd>`),
    '</dl>',
    ...document.sections.flatMap((section) => [`<h2>${e(section.heading)}</h2>`, ...section.blocks.map(render)]),
    `<footer>Written by Attain from ${e(document.file)}, version ${e(document.hash)}. The payout curve and the ` +
      'worked examples are computed by the engine that calculates payouts.</footer>',
  ];
  return htmlPage(`Comp plan ${document.planName} · version ${document.hash}`, body);
}

function render(block: DocBlock): string {
  switch (block.kind) {
    case 'text':
      return `<p>${e(block.text)}</p>`;
    case 'subheading':
      return `<h3>${e(block.text)}</h3>`;
    case 'chart':
      return `<div>${block.svg}</div>`;
    case 'table': {
      const right = new Set(block.right ?? []);
      const [header = [], ...rows] = block.rows;
      return [
        '<table>',
        row(header.map((cell, i) => th(cell, right.has(i)))),
        ...rows.map((cells, r) => {
          const html = row(cells.map((cell, i) => td(cell, right.has(i))));
          return block.lastRowBold && r === rows.length - 1 ? html.replace('<tr>', '<tr class="total">') : html;
        }),
        '</table>',
      ].join('\n');
    }
  }
}
