/**
 * A Vega-Lite specification rendered to SVG in Node: compiled by vega-lite, run by Vega's headless
 * view (no browser, no canvas: text is measured by Vega's estimate). The one way Attain draws a
 * chart, for the report, statements and plan documents; the SVG goes inline into HTML and through
 * svg-to-pdfkit into a PDF.
 */
import type { TopLevelSpec } from 'vega-lite';

/** Vega and Vega-Lite load with the first chart, not with every command that could draw one. */
export async function vegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const [{ View, parse }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
