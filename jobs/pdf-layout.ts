/**
 * The layout shared by Attain's PDFs (statements, plan documents): A4 pages written by pdfkit, the
 * standard Helvetica fonts (nothing to install or embed), headings, tables (`doc.table`) and a
 * chart's SVG drawn as vectors by svg-to-pdfkit. Standard fonts cover Windows-1252 only, so the
 * few other characters the words may hold are written in plain ASCII here.
 */
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';

export const MARGIN = 40;
export const GREY = '#666666';
const HEADER = { backgroundColor: '#eeeeee', font: { family: 'Helvetica-Bold' } } as const;

/** Characters outside Windows-1252 that a trace's or a plan's words may contain. */
export const plain = (text: string): string =>
  text.replaceAll('\u2212', '-').replaceAll('\u2192', '->').replaceAll('\u2265', '>=').replaceAll('\u2264', '<=');

/** A new A4 document and the promise of its bytes once `doc.end()` is called. */
export function newPdf(info: PDFKit.DocumentInfo): { doc: PDFKit.PDFDocument; bytes: Promise<Buffer> } {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Creator: 'Attain', ...info } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const bytes = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, bytes };
}

export function heading(doc: PDFKit.PDFDocument, text: string): void {
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(11).text(plain(text), MARGIN).font('Helvetica').moveDown(0.3);
}

export function subheading(doc: PDFKit.PDFDocument, text: string): void {
  doc.moveDown(0.4).font('Helvetica-Bold').fontSize(9).text(plain(text), MARGIN).font('Helvetica').moveDown(0.2);
}

/** A paragraph of body text. */
export function paragraph(doc: PDFKit.PDFDocument, text: string): void {
  doc.font('Helvetica').fontSize(9).fillColor('black').text(plain(text), MARGIN).moveDown(0.3);
}

/** A chart's SVG (width × height in points, plus room for its axes), on a new page when it does not fit. */
export function chart(doc: PDFKit.PDFDocument, svg: string, width: number, height: number): void {
  if (doc.y + height + 40 > doc.page.height - MARGIN) doc.addPage();
  const top = doc.y;
  SVGtoPDF(doc, svg, MARGIN, top, { width: width + 80, height: height + 40, assumePt: true });
  doc.x = MARGIN;
  doc.y = top + height + 48;
}

export interface TableLayout {
  columns: (number | string)[];
  /** Indexes of right-aligned (numeric) columns. */
  right?: number[];
  /** The first row is a header (default true). */
  header?: boolean;
  lastRowBold?: boolean;
}

export function table(doc: PDFKit.PDFDocument, rows: string[][], layout: TableLayout): void {
  const right = new Set(layout.right ?? []);
  const header = layout.header ?? true;
  doc.fontSize(8).font('Helvetica');
  doc.table({
    position: { x: MARGIN },
    columnStyles: layout.columns.map((width, i) => ({
      width,
      align: { x: right.has(i) ? 'right' : 'left', y: 'top' },
    })),
    defaultStyle: { border: { bottom: 0.5 }, borderColor: { bottom: '#dddddd' }, padding: [2, 3] },
    data: rows.map((row, r) =>
      row.map((text) => ({
        text: plain(text),
        ...(header && r === 0 ? HEADER : {}),
        ...(layout.lastRowBold && r === rows.length - 1 ? { font: { family: 'Helvetica-Bold' } } : {}),
      })),
    ),
  });
  doc.x = MARGIN;
}
