/**
 * The statement's small attainment chart: one bar per quota period of the fiscal year so far,
 * with a rule at 100 % of quota. A Vega-Lite spec compiled to Vega and rendered to SVG by Vega's
 * headless view (no browser, no canvas): the same SVG goes inline into the HTML statement and
 * through svg-to-pdfkit into the PDF. The bars are drawn from numbers, the one place where a
 * decimal becomes a float; the figures printed beside the chart stay exact.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface ChartPoint {
  planId: string;
  period: string;
  /** The quota period is still running: attainment to the end of this payout period. */
  through?: string;
  attainment: string | null;
}

export const CHART_WIDTH = 320;
export const CHART_HEIGHT = 110;

/**
 * The chart's dataflow, compiled and parsed once per shape (one plan, or several side by side):
 * compiling and parsing cost more than rendering, and only the data differs between statements.
 */
const runtimes = new Map<boolean, ReturnType<typeof parse>>();
function runtime(severalPlans: boolean): ReturnType<typeof parse> {
  let cached = runtimes.get(severalPlans);
  if (!cached) runtimes.set(severalPlans, (cached = parse(compile(chartSpec(severalPlans)).spec)));
  return cached;
}

function chartSpec(severalPlans: boolean): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    background: 'white',
    config: {
      font: 'Helvetica',
      axis: { labelFontSize: 9, titleFontSize: 9, grid: false },
      legend: { labelFontSize: 9 },
    },
    data: { name: 'points' },
    layer: [
      {
        mark: { type: 'bar', color: '#3b6ea5' },
        encoding: {
          x: { field: 'period', type: 'ordinal', title: null, sort: null },
          y: { field: 'attainment', type: 'quantitative', title: 'attainment', axis: { format: '.0%', tickCount: 3 } },
          ...(severalPlans ? { xOffset: { field: 'plan' }, color: { field: 'plan', title: 'plan' } } : {}),
        },
      },
      { mark: { type: 'rule', color: '#c0392b', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
    ],
  };
}

/** The chart as SVG text; '' when no period has an attainment (no quota). */
export async function attainmentChartSvg(points: readonly ChartPoint[]): Promise<string> {
  const values = points
    .filter((point) => point.attainment !== null)
    .map((point) => ({
      plan: point.planId,
      period: point.through ? `${point.period} to ${point.through}` : point.period,
      attainment: Number(point.attainment),
    }));
  if (values.length === 0) return '';
  const view = new View(runtime(new Set(values.map((value) => value.plan)).size > 1), { renderer: 'none' });
  view.data('points', values);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
