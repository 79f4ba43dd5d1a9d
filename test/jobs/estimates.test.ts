/**
 * The estimates step of `attain run` (docs/estimates.md): stored with each run, in a table and a
 * view, on PGlite and PostgreSQL; a deal that closes loses its estimates.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { runPipeline } from '../../jobs/run.js';
import { migrateToLatest, readEstimates } from '../../src/db/index.js';
import { forEachBackend } from '../db/backends.js';
import { copyExample } from '../cli/run-cli.js';

forEachBackend((backend) => {
  let dir = '';
  let cleanup = () => undefined as void;
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(async () => {
    await backend.truncateAll();
    ({ dir, cleanup } = copyExample());
  });
  afterEach(() => cleanup());

  const run = (runId: string) => runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, runId });
  const stored = async () =>
    (await readEstimates(backend.db)).map((e) => `${e.dealId} ${e.repId} ${e.planId} ${Number(e.amount).toFixed(2)}`);

  it('stores each open deal’s estimates with the run, and a deal that closes loses them', async () => {
    await run('run-a');
    expect(await stored()).toEqual([
      'o-1019 m2 mgr-fy26 137.50',
      'o-1019 r5 ae-fy26 1375.00',
      'o-1019 vp1 mgr-fy26 137.50',
    ]);
    const [eva] = (await readEstimates(backend.db)).filter((e) => e.repId === 'r5');
    expect(eva).toMatchObject({ closeDate: '2026-06-30', currency: 'USD' });
    expect(eva!.trace['role']).toBe('credited');
    const view = await backend.db
      .selectFrom('estimates_by_deal')
      .selectAll()
      .where('rep_id', '=', 'r5')
      .executeTakeFirstOrThrow();
    expect(view).toMatchObject({
      deal_id: 'o-1019',
      deal_name: 'Dunder Mifflin',
      rep_name: 'Eva Lindqvist',
      plan_id: 'ae-fy26',
      role: 'credited',
      run_id: 'run-a',
    });
    expect(Number(view.amount)).toBe(1375);

    // Won now: no estimate left, and the line it pays is a payout line.
    const deals = join(dir, 'data/deals.csv');
    writeFileSync(deals, readFileSync(deals, 'utf8').replace('2026-06-30,open,', '2026-06-30,won,'));
    await run('run-b');
    expect(await stored()).toEqual([]);
    const line = await backend.db
      .selectFrom('payout_lines')
      .select('amount')
      .where('rep_id', '=', 'r5')
      .where('period', '=', '2026-06')
      .where('component', '=', 'commission')
      .executeTakeFirstOrThrow();
    expect(Number(line.amount)).toBe(1375);
  });
});
