/** The demo company (examples/demo) copied to a scratch folder, for the report's tests. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEMO = resolve(import.meta.dirname, '../../examples/demo');
/** The demo's data runs through 2026: calculated through its last day. */
export const DEMO_AS_OF = '2026-12-31';

/** The charts of the demo's report, in page order. */
export const DEMO_CHARTS = [
  'attainment-ae-2026',
  'attainment-manager-2026',
  'pay-for-performance-ae-2026',
  'pay-for-performance-manager-2026',
  'cost-of-sales',
  'leaderboard',
  'trend',
  'coverage',
  'liability',
  'forecast',
  'rejects',
];

export function copyDemo(): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'attain-report-'));
  const dir = join(root, 'demo');
  cpSync(DEMO, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
