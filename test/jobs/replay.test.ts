/**
 * `attain replay RUN_ID` against PGlite and the local PostgreSQL: a run replays to the same result
 * hash, from its stored inputs (not the workspace's files as they are now, nor the tables), with
 * locked lines too; a tampered hash is reported as different; an unknown run is a clear error.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReplayError, replayRun } from '../../jobs/replay.js';
import { runPipeline } from '../../jobs/run.js';
import { loadRunInputs, lockPeriod, migrateToLatest, openDatabase } from '../../src/db/index.js';
import { forEachBackend } from '../db/backends.js';
import { copyExample, runCli } from '../cli/run-cli.js';

const ACME_WON = 'r1,48000.00,USD,2026-01-14,won,New Business,36,2026-01-14';
const ACME_LOST = 'r1,48000.00,USD,2026-01-14,lost,New Business,36,2026-03-01';

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
  const storedHash = async (runId: string) =>
    (await backend.db.selectFrom('runs').select('result_hash').where('id', '=', runId).executeTakeFirstOrThrow())
      .result_hash;

  it('replays a run to the result hash it recorded', async () => {
    const summary = await run('run-a');
    const hash = await storedHash('run-a');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const outcome = await replayRun(backend.database, 'run-a');
    expect(outcome).toEqual({
      runId: 'run-a',
      storedHash: hash,
      replayedHash: hash,
      matches: true,
      lines: summary.lines,
    });
  });

  it('replays from the stored inputs, not from the workspace as it is now', async () => {
    await run('run-a');
    const deals = join(dir, 'data/deals.csv');
    writeFileSync(
      deals,
      readFileSync(deals, 'utf8').replace(
        'o-1001,"Acme Corp, platform",r1,48000.00',
        'o-1001,"Acme Corp, platform",r1,96000.00',
      ),
    );
    await run('run-b');
    expect(await storedHash('run-b')).not.toBe(await storedHash('run-a'));
    expect((await replayRun(backend.database, 'run-a')).matches).toBe(true);
    expect((await replayRun(backend.database, 'run-b')).matches).toBe(true);
    const input = await loadRunInputs(backend.db, 'run-a');
    expect(input?.data.deals.find((d) => d.id === 'o-1001')?.amount).toBe('48000.00');
  });

  it('replays a run that settled against locked lines (their traces as read back from jsonb)', async () => {
    await run('run-1');
    await lockPeriod(backend.db, '2026-01', 'test');
    const deals = join(dir, 'data/deals.csv');
    writeFileSync(deals, readFileSync(deals, 'utf8').replace(ACME_WON, ACME_LOST));
    await run('run-2');
    const input = await loadRunInputs(backend.db, 'run-2');
    expect(input?.locked?.periods).toEqual(['2026-01']);
    expect(input?.locked?.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(input?.locked?.lines[0]?.trace)).toMatch(/^\{/);
    expect((await replayRun(backend.database, 'run-2')).matches).toBe(true);
  });

  it('says so when the result differs from the stored hash', async () => {
    await run('run-a');
    const hash = await storedHash('run-a');
    await backend.db
      .updateTable('runs')
      .set({ result_hash: '0'.repeat(64) })
      .where('id', '=', 'run-a')
      .execute();
    const outcome = await replayRun(backend.database, 'run-a');
    expect(outcome).toMatchObject({ matches: false, storedHash: '0'.repeat(64), replayedHash: hash });
  });

  it('an unknown run, or one without stored inputs, is a ReplayError naming it', async () => {
    await expect(replayRun(backend.database, 'run-nope')).rejects.toThrow(ReplayError);
    await expect(replayRun(backend.database, 'run-nope')).rejects.toThrow(/no run run-nope/);
    await run('run-a');
    await backend.db.deleteFrom('run_inputs').where('run_id', '=', 'run-a').execute();
    await expect(replayRun(backend.database, 'run-a')).rejects.toThrow(
      /run run-a cannot be replayed: it has no stored inputs/,
    );
  });

  it("a retried run id drops the previous attempt's inputs and hash", async () => {
    await run('run-a');
    // The second attempt reads changed data, and fails once it has stored its inputs (the store step), before calculating.
    const deals = join(dir, 'data/deals.csv');
    writeFileSync(
      deals,
      readFileSync(deals, 'utf8').replace(
        'o-1001,"Acme Corp, platform",r1,48000.00',
        'o-1001,"Acme Corp, platform",r1,96000.00',
      ),
    );
    await expect(
      runPipeline({
        workspaceDir: dir,
        trigger: 'test',
        database: backend.database,
        runId: 'run-a',
        afterStep: (step) => {
          if (step === 'store') throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(await storedHash('run-a')).toBeNull();
    const inputs = await loadRunInputs(backend.db, 'run-a');
    expect(inputs?.data.deals.find((d) => d.id === 'o-1001')?.amount).toBe('96000.00');
    await expect(replayRun(backend.database, 'run-a')).rejects.toThrow(/it failed before calculating \(disk full\)/);
  });
});

describe('attain replay (embedded database)', () => {
  it('prints the outcome: 0 when it matches, 1 when it differs, 2 for an unknown run', async () => {
    const { dir, cleanup } = copyExample();
    const previous = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    try {
      // A fresh embedded database: the example folder may hold one from an earlier `attain run` there.
      rmSync(join(dir, '.attain'), { recursive: true, force: true });
      const ran = await runCli(['run', '--workspace', dir]);
      expect(ran.code, ran.err).toBe(0);
      const runId = /"runId":"(run-[^"]+)"/.exec(ran.out)?.[1] ?? '';
      expect(runId).toMatch(/^run-/);

      const same = await runCli(['replay', runId, '--workspace', dir]);
      expect(same.code, same.err).toBe(0);
      expect(same.out).toMatch(
        new RegExp(`^${runId} replayed: 55 payout lines, result hash [0-9a-f]{12}… matches the stored one\\n$`),
      );

      const tampered = await openDatabase({ dataDir: join(dir, '.attain') });
      await tampered.db
        .updateTable('runs')
        .set({ result_hash: 'f'.repeat(64) })
        .where('id', '=', runId)
        .execute();
      await tampered.close();
      const differs = await runCli(['replay', runId, '--workspace', dir]);
      expect(differs.code).toBe(1);
      expect(differs.out).toContain('differs from the stored ffffffffffff…');

      const unknown = await runCli(['--workspace', dir, 'replay', 'run-nope']);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toContain('no run run-nope');
    } finally {
      if (previous !== undefined) process.env['DATABASE_URL'] = previous;
      cleanup();
    }
  }, 240_000);
});
