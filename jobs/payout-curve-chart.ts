/**
 * A plan document's payout curve: what the plan pays for one quota period against attainment
 * from 0 to 200 %, one line per component and their total (src/domain/plan-examples.ts computes
 * the points with the engine). Drawn like the statement's chart (jobs/vega-svg.ts, Helvetica, the
 * same sizes of type), so the SVG goes inline into HTML and through svg-to-pdfkit into the PDF.
 * The points are plotted as numbers; the exact figures are in the worked examples.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CurvePoint } from '../src/domain/plan-examples.js';
import { vegaLiteSvg } from './vega-svg.js';

export const CURVE_WIDTH = 360;
export const CURVE_HEIGHT = 180;

export async function payoutCurveSvg(points: readonly CurvePoint[], currency: string): Promise<string> {
  const series = [...new Set(points.map((p) => p.series))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CURVE_WIDTH,
    height: CURVE_HEIGHT,
    background: 'white',
    config: {
      font: 'Helvetica',
      axis: { labelFontSize: 9, titleFontSize: 9, gridColor: '#eeeeee' },
      legend: { labelFontSize: 9, titleFontSize: 9 },
    },
    data: {
      values: points.map((p) => ({ attainment: Number(p.attainment), series: p.series, amount: Number(p.amount) })),
    },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: {
            field: 'attainment',
            type: 'quantitative',
            title: 'attainment',
            scale: { domain: [0, 2] },
            axis: { format: '.0%', tickCount: 8 },
          },
          y: { field: 'amount', type: 'quantitative', title: `payout per quota period (${currency})` },
          ...(series.length > 1
            ? { color: { field: 'series', type: 'nominal', title: null, sort: series } }
            : { color: { value: '#3b6ea5' } }),
        },
      },
      { mark: { type: 'rule', color: '#c0392b', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
    ],
  };
  return vegaLiteSvg(spec);
}
