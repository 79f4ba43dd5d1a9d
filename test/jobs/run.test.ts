/**
 * `attain run` end to end on a copy of the example workspace, against PGlite and the local
 * PostgreSQL: twice gives the same tables; a failure midway leaves the previous results; locks,
 * adjustments and clawbacks; a bad plan writes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../jobs/run.js';
import { lockPeriod, migrateToLatest } from '../../src/db/index.js';
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

  const run = (extra: Partial<Parameters<typeof runPipeline>[0]> = {}) =>
    runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, ...extra });
  const lines = async () =>
    (
      await backend.db
        .selectFrom('payout_lines')
        .select(['rep_id', 'plan_id', 'period', 'component', 'amount'])
        .orderBy('rep_id')
        .orderBy('plan_id')
        .orderBy('period')
        .orderBy('component')
        .execute()
    ).map((r) => `${r.rep_id} ${r.plan_id} ${r.period} ${r.component} ${Number(r.amount).toFixed(2)}`);

  it('runs twice to identical tables, with both runs in the ledger', async () => {
    const first = await run({ runId: 'run-a' });
    expect(first.lines).toBe(55);
    expect(first.rejects).toBe(4);
    expect(first.rejectSample).toHaveLength(4);
    const before = await lines();
    const attainment = await backend.db
      .selectFrom('attainment')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    await run({ runId: 'run-b' });
    expect(await lines()).toEqual(before);
    expect(
      await backend.db
        .selectFrom('attainment')
        .select(sql<number>`count(*)::int`.as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(attainment);
    const runs = await backend.db.selectFrom('runs').select(['id', 'status']).orderBy('id').execute();
    expect(runs).toEqual([
      { id: 'run-a', status: 'succeeded' },
      { id: 'run-b', status: 'succeeded' },
    ]);
    // The view a BI tool reads: Alice's January = commission 2,400 + spiff 500.
    const alice = await backend.db
      .selectFrom('payouts_by_rep_period')
      .selectAll()
      .where('rep_id', '=', 'r1')
      .where('period', '=', '2026-01')
      .executeTakeFirstOrThrow();
    expect(Number(alice.total)).toBe(2900);
  });

  it('a run that fails midway leaves the previous results and is marked failed', async () => {
    await run({ runId: 'run-ok' });
    const before = await lines();
    // Change the data, then fail after calculating, before anything is written.
    const deals = join(dir, 'data/deals.csv');
    writeFileSync(
      deals,
      readFileSync(deals, 'utf8').replace(
        'o-1001,"Acme Corp, platform",r1,48000.00',
        'o-1001,"Acme Corp, platform",r1,96000.00',
      ),
    );
    await expect(
      run({
        runId: 'run-broken',
        afterStep: (step) => {
          if (step === 'calculate') throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(await lines()).toEqual(before);
    const failed = await backend.db
      .selectFrom('runs')
      .select(['status', 'error'])
      .where('id', '=', 'run-broken')
      .executeTakeFirstOrThrow();
    expect(failed).toEqual({ status: 'failed', error: 'disk full' });
  });

  it('a store that fails fails the run once every step it started has ended; on PostgreSQL the next steps ran beside it', async () => {
    await run({ runId: 'run-ok' });
    const before = await lines();
    // The canonical deals refuse to be written: the store's transaction fails, a second after it
    // starts (by then the run's inputs are stored and the next steps have started beside it).
    await sql`create function refuse_deals() returns trigger language plpgsql as $$ begin perform pg_sleep(1); raise exception 'disk full'; end $$`.execute(
      backend.db,
    );
    await sql`create trigger refuse_deals before insert or update or delete on deals for each statement execute function refuse_deals()`.execute(
      backend.db,
    );
    const events: string[] = [];
    try {
      await expect(
        run({
          runId: 'run-broken',
          progress: {
            step: (name) => events.push(`${name} started`),
            done: (name) => events.push(`${name} done`),
          },
        }),
      ).rejects.toThrow('disk full');
    } finally {
      await sql`drop trigger refuse_deals on deals`.execute(backend.db);
      await sql`drop function refuse_deals()`.execute(backend.db);
    }
    expect(events).not.toContain('store done');
    // PostgreSQL: calculate started while the store ran, and the run stopped before write-back.
    // PGlite (one query at a time, in this thread): the steps stay one after the other.
    if (backend.name === 'postgres') expect(events).toContain('calculate started');
    else expect(events).not.toContain('calculate started');
    expect(events).not.toContain('write-back started');
    const failed = await backend.db
      .selectFrom('runs')
      .select(['status', 'error'])
      .where('id', '=', 'run-broken')
      .executeTakeFirstOrThrow();
    expect(failed).toEqual({ status: 'failed', error: expect.stringContaining('disk full') });
    // The run lock is free again, and the next run stores what the first did.
    await run({ runId: 'run-next' });
    expect(await lines()).toEqual(before);
  });

  it('lock, then a paid deal turns lost: an adjustment inside the clawback window, nothing after it', async () => {
    expect((await run({ runId: 'run-1' })).lockedPeriods).toEqual([]);
    await lockPeriod(backend.db, '2026-01', 'test');
    const january = (await lines()).filter((l) => l.includes(' 2026-01 '));
    expect(january).toContain('r1 ae-fy26 2026-01 commission 2400.00');

    // Acme (o-1001, Alice, closed 2026-01-14, 48,000) is lost on 2026-03-01: 46 days, inside 90.
    const deals = join(dir, 'data/deals.csv');
    const original = readFileSync(deals, 'utf8');
    writeFileSync(
      deals,
      original.replace(
        'r1,48000.00,USD,2026-01-14,won,New Business,36,2026-01-14',
        'r1,48000.00,USD,2026-01-14,lost,New Business,36,2026-03-01',
      ),
    );
    // The summary names the locked period, left as paid.
    expect((await run({ runId: 'run-2' })).lockedPeriods).toEqual(['2026-01']);
    const after = await lines();
    expect(after.filter((l) => l.includes(' 2026-01 '))).toEqual(january);
    // Alice loses the 2,400 commission and the 500 spiff paid in January: −2,900 in February.
    expect(after).toContain('r1 ae-fy26 2026-02 adjustment -2900.00');

    // The same loss on 2026-06-01 is 138 days after closing: outside the window, nothing changes.
    writeFileSync(
      deals,
      original.replace(
        'r1,48000.00,USD,2026-01-14,won,New Business,36,2026-01-14',
        'r1,48000.00,USD,2026-01-14,lost,New Business,36,2026-06-01',
      ),
    );
    await run({ runId: 'run-3' });
    const outside = await lines();
    expect(outside.filter((l) => l.includes('adjustment'))).toEqual([]);
    expect(outside.filter((l) => l.includes(' 2026-01 '))).toEqual(january);
  });

  it('a workspace whose plans fail validation writes nothing', async () => {
    const plan = join(dir, 'plans/sales-manager.yaml');
    writeFileSync(plan, readFileSync(plan, 'utf8').replace('rate: 0.005', 'rate: half a percent'));
    await expect(run()).rejects.toThrow(/sales-manager\.yaml:\d+:\d+ components\[1\]\.rate: expected a number/);
    expect(await backend.db.selectFrom('runs').selectAll().execute()).toEqual([]);
    expect(await lines()).toEqual([]);
  });
});

describe('attain run without a reachable database', () => {
  it('exits 3 naming the host, with the password masked', async () => {
    const { runCli } = await import('../cli/run-cli.js');
    const { dir, cleanup } = copyExample();
    try {
      const previous = process.env['DATABASE_URL'];
      process.env['DATABASE_URL'] = 'postgres://attain:s3cret@127.0.0.1:1/attain';
      try {
        const { code, err } = await runCli(['run', '--workspace', dir]);
        expect(code).toBe(3);
        expect(err).toContain('127.0.0.1:1');
        expect(err).not.toContain('s3cret');
      } finally {
        if (previous === undefined) delete process.env['DATABASE_URL'];
        else process.env['DATABASE_URL'] = previous;
      }
    } finally {
      cleanup();
    }
  });
});
