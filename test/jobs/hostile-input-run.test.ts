/**
 * `attain run` on data a careless export or a hostile hand produces, against PGlite and the local
 * PostgreSQL: the bad record is a reject naming its line, found when the files are read (so
 * `validate` says the same), and the run completes.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { runPipeline } from '../../jobs/run.js';
import { migrateToLatest } from '../../src/db/index.js';
import { copyExample, runCli } from '../cli/run-cli.js';
import { forEachBackend } from '../db/backends.js';

forEachBackend((backend) => {
  let dir = '';
  let cleanup = () => undefined as void;
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(async () => {
    await backend.truncateAll();
    ({ dir, cleanup } = copyExample());
  });
  afterEach(() => cleanup());

  it('a NUL byte in a text field is a reject naming file and line, in validate and in run alike', async () => {
    appendFileSync(
      join(dir, 'data', 'deals.csv'),
      'o-nul,Null\u0000Corp,r1,100.00,USD,2026-02-02,won,New Business,12,\n',
    );
    const validated = await runCli(['validate', '--workspace', dir]);
    expect(validated.code).toBe(0);
    expect(validated.out).toMatch(
      /deals\.csv:\d+ {2}o-nul: name holds a NUL character \(U\+0000\), which cannot be stored/,
    );

    const summary = await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database });
    const rejects = await backend.db
      .selectFrom('rejects')
      .select(['record_id', 'reason'])
      .where('run_id', '=', summary.runId)
      .execute();
    expect(rejects).toContainEqual({
      record_id: 'o-nul',
      reason: 'name holds a NUL character (U+0000), which cannot be stored',
    });
    const stored = await backend.db.selectFrom('deals').select('id').where('id', '=', 'o-nul').execute();
    expect(stored).toEqual([]);
  });
});
