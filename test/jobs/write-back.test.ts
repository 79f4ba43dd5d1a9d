import { beforeAll, beforeEach, expect, it } from 'vitest';
import type { CommissionRecord, WritebackOutcome, WritebackTarget } from '../../connectors/source.js';
import {
  commissionKey,
  readCommissionRecords,
  recordHash,
  traceText,
  writeBackChanges,
} from '../../jobs/write-back.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { replaceResults } from '../../src/db/run-store.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { Trace } from '../../src/domain/trace.js';
import { forEachBackend } from '../db/backends.js';
import { attainmentRow, line } from '../db/fixtures.js';

/** The CRM edge: records what it was sent; refuses the keys it is told to. */
class RecordingTarget implements WritebackTarget {
  readonly name = 'salesforce';
  upserts: CommissionRecord[][] = [];
  removals: string[][] = [];
  refuse = new Set<string>();

  async upsert(records: CommissionRecord[]): Promise<WritebackOutcome[]> {
    this.upserts.push(records);
    // Any order: the diff must match by key.
    return records
      .map((r) =>
        this.refuse.has(r.key)
          ? { key: r.key, ok: false, error: 'INVALID_CROSS_REFERENCE_KEY: Rep__c' }
          : { key: r.key, ok: true, externalId: `a00${r.key.length}` },
      )
      .reverse();
  }

  async remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]> {
    this.removals.push(records.map((r) => r.key));
    return records.map((r) => ({ key: r.key, ok: true }));
  }
}

const calendar = new FiscalCalendar(1);

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(() => backend.truncateAll());

  const store = (lines: ReturnType<typeof line>[], periods = ['2026-01', '2026-02', '2026-Q1']) =>
    replaceResults(backend.db, {
      runId: 'run-1',
      planId: 'ae',
      periods,
      lines,
      attainment: [attainmentRow('r1', '2026-Q1', '150000', '100000', '1.5')],
    });

  it('turns payout lines into commission records with the attainment of the quota period that holds them', async () => {
    await store([line('r1', '2026-01', 'commission', '100.00'), line('r2', '2026-02', 'commission', '50.00')]);
    const records = await readCommissionRecords(backend.db, calendar);
    expect(records.map((r) => [r.key, r.amount, r.attainment])).toEqual([
      ['ae|r1|2026-01|commission', '100.00', '1.5'],
      ['ae|r2|2026-02|commission', '50.00', undefined],
    ]);
    expect(JSON.parse(records[0]!.trace)).toEqual({ deals: [{ deal: 'r1-2026-01', credit: '100.00' }], rate: '0.05' });
    expect(commissionKey({ planId: 'ae', repId: 'r1', period: '2026-01', component: 'commission' })).toBe(
      'ae|r1|2026-01|commission',
    );
  });

  it('sends only what changed, retries what the CRM refused, and removes what is gone', async () => {
    const target = new RecordingTarget();
    target.refuse.add('ae|r2|2026-02|commission');
    await store([
      line('r1', '2026-01', 'commission', '100.00'),
      line('r2', '2026-02', 'commission', '50.00'),
      line('r1', '2026-02', 'bonus', '10.00'),
    ]);
    const first = await writeBackChanges(backend.db, target, await readCommissionRecords(backend.db, calendar));
    expect(first).toEqual({
      sent: 3,
      unchanged: 0,
      removed: 0,
      failed: [{ key: 'ae|r2|2026-02|commission', error: 'INVALID_CROSS_REFERENCE_KEY: Rep__c' }],
      incomplete: [],
      settled: [],
      removedKeys: [],
    });

    // Nothing changed: only the refused record goes again, and now it is taken.
    target.refuse.clear();
    const second = await writeBackChanges(backend.db, target, await readCommissionRecords(backend.db, calendar));
    expect(second).toEqual({
      sent: 1,
      unchanged: 2,
      removed: 0,
      failed: [],
      incomplete: [],
      settled: [],
      removedKeys: [],
    });
    expect(target.upserts[1]!.map((r) => r.key)).toEqual(['ae|r2|2026-02|commission']);

    // One amount changes and the bonus line disappears.
    await store([line('r1', '2026-01', 'commission', '120.00'), line('r2', '2026-02', 'commission', '50.00')]);
    const third = await writeBackChanges(backend.db, target, await readCommissionRecords(backend.db, calendar));
    expect(third).toEqual({
      sent: 1,
      unchanged: 1,
      removed: 1,
      failed: [],
      incomplete: [],
      settled: [],
      removedKeys: ['ae|r1|2026-02|bonus'],
    });
    expect(target.upserts[2]!.map((r) => [r.key, r.amount])).toEqual([['ae|r1|2026-01|commission', '120.00']]);
    expect(target.removals).toEqual([['ae|r1|2026-02|bonus']]);

    // And once more: nothing at all is sent.
    const fourth = await writeBackChanges(backend.db, target, await readCommissionRecords(backend.db, calendar));
    expect(fourth).toEqual({
      sent: 0,
      unchanged: 2,
      removed: 0,
      failed: [],
      incomplete: [],
      settled: [],
      removedKeys: [],
    });

    // A dispute's settlement: that record alone goes again, and the write-back says which dispute it carried.
    const settlements = new Map([['ae|r2|2026-02|commission', { disputeId: '7', resolution: 'Resolved by ann: ok' }]]);
    const fifth = await writeBackChanges(
      backend.db,
      target,
      await readCommissionRecords(backend.db, calendar, settlements),
    );
    expect(fifth).toMatchObject({ sent: 1, unchanged: 1, settled: ['7'] });
    expect(target.upserts[3]!.map((r) => [r.key, r.settlement?.resolution])).toEqual([
      ['ae|r2|2026-02|commission', 'Resolved by ann: ok'],
    ]);
    const sixth = await writeBackChanges(
      backend.db,
      target,
      await readCommissionRecords(backend.db, calendar, settlements),
    );
    expect(sixth).toMatchObject({ sent: 0, settled: [] });
    expect(target.upserts).toHaveLength(4);
    const state = await backend.db
      .selectFrom('writeback_state')
      .select(['key', 'status', 'external_id'])
      .orderBy('key')
      .execute();
    expect(state).toEqual([
      { key: 'ae|r1|2026-01|commission', status: 'ok', external_id: 'a0024' },
      { key: 'ae|r2|2026-02|commission', status: 'ok', external_id: 'a0024' },
    ]);
  });

  it('gives a record the deal its line credits when it credits exactly one, and no deal otherwise', async () => {
    const traced = (repId: string, period: string, component: string, trace: Record<string, unknown>) => ({
      ...line(repId, period, component, '10.00'),
      trace: Trace.stored(component, trace),
    });
    await store([
      // A per-deal spiff for one deal; the same deal credited twice (a revenue and an overlay split) is still one.
      traced('r1', '2026-01', 'spiff', { perDeal: '500', deals: [{ deal: '9001', pays: '500' }] }),
      traced('r1', '2026-02', 'commission', {
        deals: [
          { deal: '9002', credit: '60' },
          { deal: '9002', credit: '10' },
        ],
      }),
      // Two deals; none (a bonus); a manager's own deal plus the team's credit, whose deals are not listed.
      traced('r2', '2026-01', 'commission', { deals: [{ deal: '9003' }, { deal: '9004' }] }),
      traced('r2', '2026-02', 'bonus', { reached: true, bonus: '2000' }),
      traced('r3', '2026-01', 'commission', {
        deals: [{ deal: '9005' }],
        team: { credit: '5000', byDirectReport: { r2: '5000' } },
      }),
      traced('r3', '2026-02', 'commission', { deals: [{ deal: '9006' }], team: { credit: '0', byDirectReport: {} } }),
    ]);
    const records = await readCommissionRecords(backend.db, calendar);
    expect(records.map((r) => [r.key, r.dealId])).toEqual([
      ['ae|r1|2026-01|spiff', '9001'],
      ['ae|r1|2026-02|commission', '9002'],
      ['ae|r2|2026-01|commission', undefined],
      ['ae|r2|2026-02|bonus', undefined],
      ['ae|r3|2026-01|commission', undefined],
      ['ae|r3|2026-02|commission', '9006'],
    ]);
  });

  it('counts the deal in the hash only for a target that associates deals, so a changed deal re-sends the record there alone', () => {
    const base = {
      key: 'ae|r1|2026-01|c',
      repId: 'r1',
      planId: 'ae',
      period: '2026-01',
      component: 'c',
      amount: '1.00',
      currency: 'USD',
      trace: '{}',
    };
    const noDeal = recordHash(base, true);
    // Without a deal the hash is the one records had before deals existed, for either kind of target.
    expect(recordHash(base, false)).toBe(noDeal);
    expect(recordHash({ ...base, dealId: '1' }, true)).not.toBe(noDeal);
    expect(recordHash({ ...base, dealId: '1' }, true)).not.toBe(recordHash({ ...base, dealId: '2' }, true));
    expect(recordHash({ ...base, dealId: '1' }, false)).toBe(noDeal);
    // A target's fields version moves every hash (each record is sent once more to fill new fields);
    // the period dates follow from the period and never move it.
    expect(recordHash(base, true, 2)).not.toBe(noDeal);
    expect(recordHash({ ...base, periodStart: '2026-01-01', periodEnd: '2026-01-31' }, true)).toBe(noDeal);
  });

  it('cuts a trace too long for a CRM text field, and says where the whole one is', () => {
    const text = traceText({
      deals: Array.from({ length: 5000 }, (_, i) => ({ deal: `d${i}`, credit: '1000.00', note: 'x'.repeat(20) })),
    });
    expect(text.length).toBeLessThanOrEqual(65_536);
    expect(text).toMatch(/payout_lines\.trace\)$/);
  });
});
