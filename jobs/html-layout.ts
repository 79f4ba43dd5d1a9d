/**
 * The layout shared by Attain's single-page HTML documents (statements, plan documents): one
 * self-contained page (styles and charts inline, nothing fetched), for the screen and for printing
 * on A4 or Letter, and the escaping helpers every cell goes through.
 */
import escapeHtml from 'escape-html';

const STYLE = `
body { font: 11px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 820px; }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 14px; margin: 22px 0 6px; border-bottom: 1px solid #ccc; }
h3 { font-size: 12px; margin: 14px 0 4px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; } td.n, th.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 1px solid #999; }
.status { display: inline-block; padding: 1px 8px; border-radius: 9px; font-weight: 600; text-transform: uppercase; font-size: 10px; }
.draft { background: #fff3cd; } .approved { background: #d1ecf1; } .paid { background: #d4edda; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 8px 0; } dt { color: #666; } dd { margin: 0; }
.muted { color: #666; } footer { margin-top: 24px; font-size: 9px; color: #666; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
@page { margin: 15mm; }
`;

export const e = (value: string): string => escapeHtml(value);
export const row = (cells: string[]): string => `<tr>${cells.join('')}</tr>`;
export const td = (value: string, numeric = false): string => `<td${numeric ? ' class="n"' : ''}>${e(value)}</td>`;
export const th = (value: string, numeric = false): string => `<th${numeric ? ' class="n"' : ''}>${e(value)}</th>`;

/** The whole page: `title` (plain text) in the head, `body` (HTML) inside. */
export function htmlPage(title: string, body: readonly string[]): string {
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<title>${e(title)}</title>` +
    `<style>${STYLE}</style></head><body>\n${body.join('\n')}\n</body></html>\n`
  );
}
