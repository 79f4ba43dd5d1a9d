/**
 * A plan document as a PDF (A4), with the layout every Attain PDF shares (jobs/pdf-layout.ts):
 * the facts, each section's words and tables, the payout curve drawn as vectors, and the plan's
 * content hash in the facts, in the acknowledgement section and in the footer line.
 */
import { GREY, MARGIN, chart, heading, newPdf, paragraph, subheading, table } from './pdf-layout.js';
import type { DocBlock, PlanDocument } from './plan-document.js';

export async function renderPlanDocumentPdf(document: PlanDocument): Promise<Buffer> {
  const { doc, bytes } = newPdf({
    Title: `Comp plan ${document.planName} - version ${document.hash}`,
    Subject: `${document.planId} ${document.hash}`,
  });
  doc.font('Helvetica-Bold').fontSize(16).text(`Comp plan: ${document.planName}`);
  doc.font('Helvetica').fontSize(9).fillColor(GREY).text(`Version ${document.hash}`).fillColor('black');
  doc.moveDown(0.5);
  table(doc, document.facts, { columns: [120, '*'], header: false });
  for (const section of document.sections) {
    heading(doc, section.heading);
    for (const block of section.blocks) render(doc, block);
  }
  doc.moveDown(1);
  doc
    .fontSize(7)
    .fillColor(GREY)
    .text(
      `Written by Attain from ${document.file}, version ${document.hash}. The payout curve and the worked examples ` +
        'are computed by the engine that calculates payouts.',
      MARGIN,
    );
  doc.end();
  return bytes;
}

function render(doc: PDFKit.PDFDocument, block: DocBlock): void {
  switch (block.kind) {
    case 'text':
      return paragraph(doc, block.text);
    case 'subheading':
      return subheading(doc, block.text);
    case 'table':
      return table(doc, block.rows, {
        columns: block.columns,
        ...(block.right ? { right: block.right } : {}),
        ...(block.lastRowBold ? { lastRowBold: true } : {}),
      });
    case 'chart':
      return chart(doc, block.svg, block.width, block.height);
  }
}
