/**
 * Plan documents for every plan the repository ships (the examples of docs/ and examples/): each
 * is built and rendered in both formats without error, names its version, and each worked
 * example's total is the sum of the engine's lines to the cent.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planTimeline } from '../../config/plan-timeline.js';
import { loadWorkspace } from '../../config/workspace.js';
import { buildPlanDocument } from '../../jobs/plan-document.js';
import { renderPlanDocumentHtml } from '../../jobs/plan-document-html.js';
import { renderPlanDocumentPdf } from '../../jobs/plan-document-pdf.js';
import { planHash } from '../../jobs/sync.js';
import { ZERO, decimal, formatDecimal } from '../../src/domain/decimal.js';
import { FiscalCalendar } from '../../src/domain/periods.js';

const ROOT = resolve(import.meta.dirname, '../..');
const WORKSPACES = [
  ...readdirSync(join(ROOT, 'docs/examples')).map((name) => join(ROOT, 'docs/examples', name)),
  join(ROOT, 'examples/demo'),
  join(ROOT, 'examples/example'),
];

describe.each(WORKSPACES.map((dir) => [dir.slice(ROOT.length + 1), dir]))('%s', (_name, dir) => {
  it('documents every plan, in PDF and HTML', { timeout: 60_000 }, async () => {
    const workspace = await loadWorkspace(dir);
    for (const plan of workspace.plans) {
      const document = await buildPlanDocument(workspace, { planId: plan.id, today: '2026-06-30' });
      expect(document.hash).toBe(planHash(plan));
      expect(document.examples.map((e) => e.attainment)).toEqual(['0.5', '1', '1.5']);
      for (const example of document.examples) {
        const lines = example.lines.reduce((sum, l) => sum + decimal(l.amount), ZERO);
        expect(formatDecimal(lines, 2), `${plan.id} at ${example.attainment}`).toBe(example.total);
        const components = example.components.reduce((sum, c) => sum + decimal(c.amount), ZERO);
        expect(formatDecimal(components, 2)).toBe(example.total);
      }
      const html = renderPlanDocumentHtml(document);
      expect(html).toContain(`Version ${document.hash}`);
      expect(html).toContain('<svg');
      const pdf = await renderPlanDocumentPdf(document);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    }
  });
});

it('refuses a quota that is not an amount above zero', async () => {
  const workspace = await loadWorkspace(join(ROOT, 'examples/demo'));
  for (const quota of ['0', '-5', '1e5', 'lots'])
    await expect(buildPlanDocument(workspace, { planId: 'ae-2026', today: '2026-06-30', quota })).rejects.toThrow(
      `--quota ${quota}: expected an amount above zero`,
    );
});

it('lists a plan’s dated versions with the periods each pays, and describes the one paying the examples', async () => {
  const workspace = await loadWorkspace(join(ROOT, 'docs/examples/plan-versions'));
  const plan = workspace.plans.find((p) => p.id === 'ae')!;
  const timeline = planTimeline(plan, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth));
  const components = (document: Awaited<ReturnType<typeof buildPlanDocument>>) =>
    document.sections.find((s) => s.heading.startsWith('What is paid'))!;

  const before = await buildPlanDocument(workspace, { planId: 'ae', today: '2026-05-15' });
  expect(before.versions).toEqual([
    { periods: 'through 2026-Q2', hash: timeline[0]!.hash.slice(0, 12) },
    { effective: '2026-07-01', periods: '2026-Q3 on', hash: timeline[1]!.hash.slice(0, 12) },
  ]);
  expect(components(before).heading).toBe('What is paid: components (the version paying 2026-Q2)');
  expect(JSON.stringify(components(before))).not.toContain('multi-year-spiff');

  const after = await buildPlanDocument(workspace, { planId: 'ae', today: '2026-08-15' });
  expect(components(after).heading).toBe('What is paid: components (the version paying 2026-Q3)');
  expect(JSON.stringify(components(after))).toContain('multi-year-spiff');
  // One document, one hash to acknowledge: the whole file, every version on it.
  expect([before.hash, after.hash]).toEqual([planHash(plan), planHash(plan)]);
});
