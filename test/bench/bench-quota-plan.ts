/**
 * The bench's quota plan (docs/quota-planning.md): `attain quotas plan` for the year after the
 * synthetic org's deals, history method with a ramp and seasonality, in process. Prints
 * `quotaPlanSeconds` (read the workspace, plan, write the file) and the planning alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareCalculation } from '../../jobs/prepare-calculation.js';
import { planQuotaFile } from '../../jobs/quota-plan.js';

export interface QuotaPlanFigures {
  quotaPlanSeconds: number;
  /** The planning math and the file alone, the workspace already read. */
  quotaPlanOnlySeconds: number;
  rows: number;
}

export async function benchQuotaPlan(orgDir: string, log: (line: string) => void): Promise<QuotaPlanFigures> {
  const scratch = mkdtempSync(join(tmpdir(), 'attain-bench-quotas-'));
  try {
    const started = process.hrtime.bigint();
    const prepared = await prepareCalculation(orgDir, { today: '2026-12-31' });
    const planStarted = process.hrtime.bigint();
    const outcome = await planQuotaFile(
      prepared,
      { year: '2027', target: '1000000000', overassign: '1.1', ramp: '0,0.25,0.5,0.75,1' },
      join(scratch, 'quotas.csv'),
    );
    const ended = process.hrtime.bigint();
    const figures = {
      quotaPlanSeconds: Number((Number(ended - started) / 1e9).toFixed(2)),
      quotaPlanOnlySeconds: Number((Number(ended - planStarted) / 1e9).toFixed(3)),
      rows: outcome.rows,
    };
    log(
      `quota plan 2027: ${figures.quotaPlanSeconds} s (planning and writing alone ${figures.quotaPlanOnlySeconds} s), ` +
        `${outcome.rows.toLocaleString('en')} rows for ${outcome.summary.carriers.toLocaleString('en')} reps`,
    );
    return figures;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
