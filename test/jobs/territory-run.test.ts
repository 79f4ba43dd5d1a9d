/**
 * A run with territory credit (docs/territories.md#territory-credit) on PGlite and the local
 * PostgreSQL: the accounts and territory assignments are stored, the stored input holds the
 * territories, and the run replays to its result hash from that input alone, after the workspace's
 * territory files changed.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { replayRun } from '../../jobs/replay.js';
import { runPipeline } from '../../jobs/run.js';
import { loadRunInputs, migrateToLatest, readCanonical } from '../../src/db/index.js';
import { territoryWorkspaces } from '../cli/territory-workspace.js';
import { forEachBackend } from '../db/backends.js';

const make = territoryWorkspaces();

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(() => backend.truncateAll());

  it('stores accounts and territory assignments, and replays a territory-credited run from its stored input', async () => {
    const dir = make();
    const summary = await runPipeline({
      workspaceDir: dir,
      trigger: 'test',
      database: backend.database,
      runId: 'run-t',
      asOf: '2026-06-30',
    });
    expect(summary.lines).toBe(5);
    const stored = await readCanonical(backend.db, { source: 'csv' });
    expect(stored.accounts?.map((a) => a.id)).toEqual(['acme', 'globex', 'hooli', 'initech', 'umbrella']);
    expect(stored.territoryAssignments).toHaveLength(4);
    expect(stored.deals.find((d) => d.id === 'd1')?.accountId).toBe('acme');
    const input = await loadRunInputs(backend.db, 'run-t');
    expect(input?.data.territories?.map((t) => t.id)).toEqual(['na', 'na-east', 'ny-metro', 'na-west']);

    // The workspace's territories change: the stored run still replays to its own hash.
    rmSync(join(dir, 'data/territory-assignments.csv'));
    writeFileSync(join(dir, 'territories.yaml'), 'territories:\n  - id: everywhere\n');
    expect((await replayRun(backend.database, 'run-t')).matches).toBe(true);
  });
});
