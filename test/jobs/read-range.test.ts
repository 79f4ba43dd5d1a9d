/**
 * Which files a queued run reads in ranges (queue.csvRangeBytes), and the sync step's check that
 * the parts it puts together were read from the file as it is: a file changed after its ranges
 * were read is read whole instead. Parts stored by the read steps come back from the database as
 * they were read; one stored by another version of Attain is read again.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadWorkspace } from '../../config/workspace.js';
import { CSV_PART_FORMAT } from '../../connectors/csv/csv-part-codec.js';
import { readCsvSource } from '../../connectors/csv/csv-source.js';
import { loadParts, planReadRanges, readPart, readStep, type StoredPart } from '../../jobs/read-range.js';
import { SILENT_LOG, type StepContext } from '../../jobs/step-context.js';
import { loadRunInputPart, migrateToLatest } from '../../src/db/index.js';
import { copyExample } from '../cli/run-cli.js';
import { forEachBackend } from '../db/backends.js';

const { dir, cleanup } = copyExample();
afterAll(cleanup);
const yaml = join(dir, 'attain.yaml');
writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}queue: { csvRangeBytes: 256 }\n`);

it('plans the files larger than queue.csvRangeBytes, and keeps their parts only while the file is as read', async () => {
  const workspace = await loadWorkspace(dir);
  const ranged = await planReadRanges(workspace);
  // deals.csv (1,555 bytes), reps.csv (459) and quotas.csv (310); not splits.csv (173), fx.csv or assignments.csv.
  expect(ranged.map((r) => [r.file, r.ranges.length])).toEqual([
    ['reps.csv', 2],
    ['deals.csv', 5],
    ['quotas.csv', 2],
  ]);
  const cached = new Map<string, StoredPart>();
  for (const { file, ranges } of ranged)
    for (const [index, range] of ranges.entries())
      cached.set(`${file}#${index}`, await readPart(workspace, file, range));
  // Taken from the worker's memory: no database needed.
  const ctx = (): StepContext => ({
    db: undefined as never,
    workspaceDir: dir,
    runId: 'run-x',
    env: {},
    log: SILENT_LOG,
    cache: { csvParts: new Map(cached) },
  });
  const parts = await loadParts(ctx(), workspace, ranged);
  expect([...parts.keys()]).toEqual(['reps.csv', 'deals.csv', 'quotas.csv']);
  const whole = await readCsvSource(join(dir, 'data'), { tz: workspace.config.calendar.tz });
  expect(parts.get('deals.csv')!.flatMap((p) => p.records)).toEqual(whole.data.deals);

  appendFileSync(
    join(dir, 'data/deals.csv'),
    'o-2000,Late Deal,r1,100.00,USD,2026-06-01,won,New Business,12,2026-06-01\n',
  );
  const after = await loadParts(ctx(), workspace, ranged);
  expect([...after.keys()]).toEqual(['reps.csv', 'quotas.csv']);
});

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));

  it('puts together the parts the read steps stored, and reads again one stored in another format', async () => {
    const workspace = await loadWorkspace(dir);
    const ranged = await planReadRanges(workspace);
    const warnings: string[] = [];
    const ctx: StepContext = {
      db: backend.db,
      workspaceDir: dir,
      runId: 'run-db',
      env: {},
      log: { info: () => undefined, warn: (_, message) => warnings.push(message) },
    };
    for (const { file, ranges } of ranged)
      for (const [part, range] of ranges.entries())
        await readStep(ctx, { runId: 'run-db', file, part, count: ranges.length, range });
    await backend.db
      .updateTable('run_input_parts')
      .set({ format: 'json+gzip' })
      .where('file', '=', 'deals.csv')
      .where('part', '=', 1)
      .execute();
    await expect(loadRunInputPart(backend.db, 'run-db', 'deals.csv', 1, CSV_PART_FORMAT)).rejects.toThrow(
      'run run-db: part 2 of deals.csv is stored as json+gzip, by another version of Attain; this version reads columns+brotli',
    );

    const parts = await loadParts(ctx, workspace, ranged);
    expect(warnings).toEqual([expect.stringContaining('part 2 of deals.csv is stored as json+gzip')]);
    const data = join(dir, 'data');
    const tz = workspace.config.calendar.tz;
    const whole = await readCsvSource(data, { tz });
    const joined = await readCsvSource(data, { tz, parts });
    expect(JSON.stringify(joined.data)).toBe(JSON.stringify(whole.data));
    expect(joined.rejects).toEqual(whole.rejects);
    expect(joined.data.deals.map((d) => joined.locate(d))).toEqual(whole.data.deals.map((d) => whole.locate(d)));
  });
});
