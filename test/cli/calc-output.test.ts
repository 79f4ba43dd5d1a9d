/** The human `attain calc` report on tables too large to spread into a function call. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../config/workspace.js';
import { writeTables } from '../../src/cli/calc-output.js';
import type { PayoutLine } from '../../src/domain/engine.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { Trace } from '../../src/domain/trace.js';
import { EXAMPLE } from './run-cli.js';

describe('attain calc tables', () => {
  it('prints a plan of 200,000 rows (Math.max over a spread column overflowed the stack)', async () => {
    const workspace = await loadWorkspace(EXAMPLE);
    const plan = workspace.plans.find((p) => p.id === 'ae-fy26')!;
    const trace = Trace.stored('commission', {});
    const payouts: PayoutLine[] = [];
    for (let i = 0; i < 200_000; i++) {
      const repId = `r${String(i).padStart(6, '0')}`;
      payouts.push({
        repId,
        planId: plan.id,
        period: '2026-01',
        component: 'commission',
        amount: '1.00',
        currency: 'USD',
        trace,
      });
    }
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    await writeTables(
      out,
      {
        result: { payouts, attainment: [], rejects: [] },
        plans: [plan],
        reps: [],
        baseCurrency: 'USD',
        calendar: new FiscalCalendar(1),
      },
      'heading',
    );
    expect(text).toContain('Total payouts: 200,000.00 USD');
    expect(text).toMatch(/^ {2}r199999 \(r199999\) +2026-01 +– +1\.00 /m);
  });
});
