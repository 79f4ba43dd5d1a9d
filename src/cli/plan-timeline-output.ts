/** `attain validate`'s timeline of each plan with dated versions (docs/cli.md#attain-validate). */
import type { Writable } from 'node:stream';
import { describeQuotaPeriods, planTimeline } from '../../config/plan-timeline.js';
import type { FiscalCalendar } from '../domain/periods.js';
import type { Plan } from '../domain/plan.js';
import { printable } from './printable.js';

/** Nothing for plans without versions. */
export function writeTimelines(
  out: Writable,
  plans: readonly Plan[],
  planFiles: Readonly<Record<string, string>>,
  calendar: FiscalCalendar,
): void {
  for (const plan of plans) {
    if (!plan.versions?.length) continue;
    const rows = planTimeline(plan, calendar).map((entry) => [
      String(entry.version),
      entry.effective ?? '-',
      describeQuotaPeriods(entry),
      entry.hash.slice(0, 12),
    ]);
    const header = ['version', 'effective', 'quota periods', 'content hash'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const render = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd() + '\n';
    out.write(printable(`${plan.id} (${planFiles[plan.id] ?? plan.id}): ${rows.length} versions`) + '\n');
    for (const row of [header, ...rows]) out.write(render(row));
  }
}
