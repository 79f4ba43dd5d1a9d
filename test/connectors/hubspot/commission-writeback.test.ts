/**
 * Write-back against the local portal (fake-portal.ts), which refuses a whole batch call with 400
 * when one input holds an invalid value, as HubSpot does: the target bisects the batch so only the
 * bad records fail, with HubSpot's message, and the rest are written. Through writeBackChanges on
 * PGlite, the refused record is kept with its error and sent again next run. Records whose line
 * credits one deal are associated to it (associations v4); a deal missing in HubSpot leaves that
 * record written but incomplete, sent and associated again next run.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubspotConfig } from '../../../config/attain-schema.js';
import { openCommissionTarget } from '../../../connectors/hubspot/commission-object.js';
import { HubspotApi } from '../../../connectors/hubspot/hubspot-api.js';
import type { CommissionRecord } from '../../../connectors/source.js';
import { readCommissionRecords, writeBackChanges } from '../../../jobs/write-back.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { replaceResults } from '../../../src/db/run-store.js';
import { FiscalCalendar } from '../../../src/domain/periods.js';
import { Trace } from '../../../src/domain/trace.js';
import { TestBackend } from '../../db/backends.js';
import { FakePortal } from './fake-portal.js';
import { VirtualClock } from './virtual-clock.js';

const TOKEN = 'pat-na1-writeback-token';

const record = (i: number, overrides: Partial<CommissionRecord> = {}): CommissionRecord => ({
  key: `ae|101|2026-Q1|c${String(i).padStart(3, '0')}`,
  repId: '101',
  planId: 'ae',
  period: '2026-Q1',
  component: `c${String(i).padStart(3, '0')}`,
  amount: `${i}.00`,
  currency: 'USD',
  attainment: '1.25',
  trace: '{}',
  ...overrides,
});

describe('HubSpot write-back when a batch is refused whole', () => {
  let portal: FakePortal;
  let baseUrl = '';
  let api: HubspotApi;

  const start = async (options: ConstructorParameters<typeof FakePortal>[0] = {}) => {
    portal = new FakePortal({ token: TOKEN, ...options });
    baseUrl = await portal.start();
    portal.owners = [
      { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' },
      { id: '102', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor' },
      { id: '103', email: 'cy@example.com', firstName: 'Cy', lastName: 'Old', archived: true },
    ];
    portal.schemaCreated = true;
    const config: HubspotConfig = {
      baseUrl,
      auth: { accessToken: TOKEN },
      rateLimit: { perTenSeconds: 190, searchPerSecond: 4 },
      fields: {},
    };
    api = new HubspotApi(config, () => undefined, { clock: new VirtualClock() });
  };
  afterEach(async () => portal.stop());

  it('never sends the dispute properties, so a dispute a rep raised survives the next write-back', async () => {
    await start();
    const target = await openCommissionTarget(api);
    await target.upsert([record(1)]);
    // The rep raises a dispute on their record in HubSpot.
    const row = portal.commissions.get(record(1).key)!;
    Object.assign(row.properties, { attain_dispute_reason: 'Missing the Acme deal', attain_dispute_status: 'open' });
    await target.upsert([record(1, { amount: '250.00' })]);
    expect(portal.commissions.get(record(1).key)!.properties).toMatchObject({
      amount: '250.00',
      attain_dispute_reason: 'Missing the Acme deal',
      attain_dispute_status: 'open',
    });
    for (const sent of portal.upserts)
      expect(Object.keys(sent.properties).filter((name) => name.startsWith('attain_dispute'))).toEqual([]);
  });

  it("bisects a refused upsert batch: only the bad records fail, with HubSpot's message; the others are written once", async () => {
    await start();
    const records = Array.from({ length: 120 }, (_, i) => record(i));
    // Two bad records in the first batch of 100: a value that is not a number, and an archived owner.
    records[17] = record(17, { amount: 'NaN-ish' });
    records[62] = record(62, { repId: '103' });
    const target = await openCommissionTarget(api);
    const before = api.apiCalls;
    const outcomes = await target.upsert(records);

    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.map((o) => o.key).sort()).toEqual([records[17]!.key, records[62]!.key]);
    expect(failed.find((o) => o.key === records[17]!.key)?.error).toMatch(
      /^HubSpot answered 400 to POST \/crm\/v3\/objects\/attain_commission\/batch\/upsert: Property values were not valid: .*NaN-ish was not a valid number/,
    );
    expect(failed.find((o) => o.key === records[62]!.key)?.error).toMatch(/103 is not a valid owner id/);
    // The good records: all written, each exactly once (a refused call writes nothing).
    expect(outcomes.filter((o) => o.ok)).toHaveLength(118);
    expect(outcomes.every((o) => !o.ok || /^\d+$/.test(o.externalId ?? ''))).toBe(true);
    const written = portal.upserts.map((u) => u.id);
    expect(new Set(written).size).toBe(written.length);
    expect(written.sort()).toEqual(
      records
        .filter((_, i) => i !== 17 && i !== 62)
        .map((r) => r.key)
        .sort(),
    );
    expect(portal.commissions.has(records[17]!.key)).toBe(false);
    // Bisected, not sent one by one: the second batch went through whole, and each bad record cost a
    // path of halvings (100 → 50 → 25 → 13 → 7 → 4 → 2 → 1), not 100 single calls.
    expect(portal.refusedBatches[0]).toEqual({ operation: 'upsert', ids: records.slice(0, 100).map((r) => r.key) });
    expect(
      portal.refusedBatches
        .filter((b) => b.ids.length === 1)
        .map((b) => b.ids[0])
        .sort(),
    ).toEqual([records[17]!.key, records[62]!.key]);
    expect(api.apiCalls - before).toBeLessThan(40);
  });

  it("a batch of a departed rep's lines, all refused, does not stop the next batch from being bisected", async () => {
    await start();
    // Owner 103 is archived (the rep left): all 100 lines of the first batch are refused, one by one;
    // the second batch holds one more of them among 49 good lines.
    const records = [
      ...Array.from({ length: 101 }, (_, i) => record(i, { repId: '103' })),
      ...Array.from({ length: 49 }, (_, i) => record(200 + i)),
    ];
    const outcomes = await (await openCommissionTarget(api)).upsert(records);
    expect(outcomes).toHaveLength(150);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed).toHaveLength(101);
    expect(failed.every((o) => /103 is not a valid owner id/.test(o.error ?? ''))).toBe(true);
    expect(outcomes.filter((o) => o.ok).map((o) => o.key)).toEqual(records.slice(101).map((r) => r.key));
    expect([...portal.commissions.keys()].sort()).toEqual(
      records
        .slice(101)
        .map((r) => r.key)
        .sort(),
    );
    // The first batch, all bad: every node of its halving tree refused (2 × 100 − 1 calls); in the
    // second, the halvings led to the one bad record alone.
    const bad = new Set(records.slice(0, 101).map((r) => r.key));
    expect(
      portal.refusedBatches
        .filter((b) => b.ids.every((id) => bad.has(id)))
        .map((b) => b.ids.length)
        .filter((n) => n === 1),
    ).toHaveLength(101);
    expect(portal.refusedBatches.filter((b) => b.ids.every((id) => bad.has(id)))).toHaveLength(199 + 1);
  });

  it('does not bisect a refusal that is not a 400: the batch fails whole', async () => {
    await start();
    const target = await openCommissionTarget(api);
    // The object was deleted in HubSpot after the target was opened: 404 for every call.
    portal.schemaCreated = false;
    const before = api.apiCalls;
    const outcomes = await target.upsert(Array.from({ length: 10 }, (_, i) => record(i)));
    expect(api.apiCalls - before).toBe(1);
    expect(outcomes.every((o) => !o.ok && /HubSpot answered 404/.test(o.error ?? ''))).toBe(true);
  });

  it('bisects a refused archive batch: only the bad record stays, the others are archived', async () => {
    await start();
    const target = await openCommissionTarget(api);
    const written = await target.upsert(Array.from({ length: 30 }, (_, i) => record(i)));
    const ids = new Map(written.map((o) => [o.key, o.externalId!]));
    const bad = ids.get(record(11).key)!;
    portal.options.refuseArchiveIds = new Set([bad]);

    const outcomes = await target.remove([...ids].map(([key, externalId]) => ({ key, externalId })));
    expect(outcomes.filter((o) => !o.ok)).toEqual([
      {
        key: record(11).key,
        ok: false,
        externalId: bad,
        error: `HubSpot answered 400 to POST /crm/v3/objects/attain_commission/batch/archive: Invalid input: object ${bad} cannot be archived`,
      },
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(29);
    expect([...portal.commissions.values()].filter((row) => !row.archived).map((row) => row.id)).toEqual([bad]);
    expect(portal.refusedBatches[0]?.ids).toHaveLength(30);
    expect(new Set(portal.archivedIds).size).toBe(29);
  });
});

describe('HubSpot write-back through writeBackChanges', () => {
  const backend = new TestBackend('pglite');
  const portal = new FakePortal({ token: TOKEN });
  let api: HubspotApi;
  beforeAll(async () => {
    await backend.open();
    await migrateToLatest(backend.db);
    const baseUrl = await portal.start();
    portal.schemaCreated = true;
    api = new HubspotApi(
      { baseUrl, auth: { accessToken: TOKEN }, rateLimit: { perTenSeconds: 190, searchPerSecond: 4 }, fields: {} },
      () => undefined,
      { clock: new VirtualClock() },
    );
  }, 180_000);
  afterAll(async () => {
    await portal.stop();
    await backend.dispose();
  });
  beforeEach(() => backend.truncateAll());

  it('keeps the refused record failed with its reason and sends only it again, until HubSpot takes it', async () => {
    portal.owners = [{ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }];
    const records = [...Array.from({ length: 40 }, (_, i) => record(i)), record(40, { repId: '104' })];
    const target = await openCommissionTarget(api);

    const first = await writeBackChanges(backend.db, target, records);
    expect(first.sent).toBe(41);
    expect(first.failed).toEqual([
      { key: record(40).key, error: expect.stringMatching(/104 is not a valid owner id/) as unknown as string },
    ]);
    const state = await backend.db
      .selectFrom('writeback_state')
      .select(['key', 'status', 'error'])
      .where('status', '!=', 'ok')
      .execute();
    expect(state).toEqual([
      {
        key: record(40).key,
        status: 'failed',
        error: expect.stringMatching(/104 is not a valid owner id/) as unknown as string,
      },
    ]);

    // Owner 104 is added in HubSpot: the next run sends the failed record alone, and it is written.
    portal.owners.push({ id: '104', email: 'dee@example.com', firstName: 'Dee', lastName: 'New' });
    portal.upserts = [];
    const second = await writeBackChanges(backend.db, target, records);
    expect(second).toMatchObject({ sent: 1, unchanged: 40, failed: [] });
    expect(portal.upserts.map((u) => u.id)).toEqual([record(40).key]);
    expect(portal.commissions.get(record(40).key)?.properties['hubspot_owner_id']).toBe('104');
  });
});

describe('HubSpot write-back: deal associations', () => {
  const backend = new TestBackend('pglite');
  let portal: FakePortal;
  let api: HubspotApi;
  const calendar = new FiscalCalendar(1);
  beforeAll(async () => {
    await backend.open();
    await migrateToLatest(backend.db);
  }, 180_000);
  afterAll(() => backend.dispose());
  beforeEach(() => backend.truncateAll());
  afterEach(async () => portal.stop());

  const start = async (options: ConstructorParameters<typeof FakePortal>[0] = {}) => {
    portal = new FakePortal({ token: TOKEN, ...options });
    const baseUrl = await portal.start();
    portal.schemaCreated = true;
    portal.owners = [{ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }];
    for (const id of ['11', '12', '13']) portal.putDeal(id, '101', '1000', 'closedwon', '2026-02-10T15:00:00.000Z');
    api = new HubspotApi(
      { baseUrl, auth: { accessToken: TOKEN }, rateLimit: { perTenSeconds: 190, searchPerSecond: 4 }, fields: {} },
      () => undefined,
      { clock: new VirtualClock() },
    );
  };
  /** Ana's payout lines, each with the deals its trace lists (as the engine writes them). */
  const store = (lines: [period: string, component: string, amount: string, deals: string[]][]) =>
    replaceResults(backend.db, {
      runId: 'run-1',
      planId: 'ae',
      periods: ['2026-01', '2026-02', '2026-03'],
      lines: lines.map(([period, component, amount, deals]) => ({
        repId: '101',
        planId: 'ae',
        period,
        component,
        amount,
        currency: 'USD',
        trace: Trace.stored(
          component,
          deals.length ? { deals: deals.map((deal) => ({ deal, credit: '1000' })) } : { reached: true },
        ),
      })),
      attainment: [],
    });
  const run = async () =>
    writeBackChanges(backend.db, await openCommissionTarget(api), await readCommissionRecords(backend.db, calendar));
  const associated = () =>
    Object.fromEntries(
      [...portal.commissions]
        .filter(([, row]) => !row.archived)
        .map(([key, row]) => [key, [...(portal.dealAssociations.get(row.id) ?? [])].sort()]),
    );
  const v4Calls = () => portal.log.filter((r) => r.path.startsWith('/crm/v4/'));

  it('links a record whose line credits one deal to it, and no other; an unchanged record costs no call; a changed deal moves the link', async () => {
    await start();
    await store([
      ['2026-01', 'spiff', '500.00', ['11']],
      ['2026-01', 'commission', '200.00', ['11', '12']],
      ['2026-02', 'commission', '100.00', ['12']],
      ['2026-02', 'bonus', '2000.00', []],
    ]);
    const first = await run();
    expect(first).toMatchObject({ sent: 4, failed: [], incomplete: [] });
    expect(associated()).toEqual({
      'ae|101|2026-01|spiff': ['11'],
      'ae|101|2026-01|commission': [],
      'ae|101|2026-02|commission': ['12'],
      'ae|101|2026-02|bonus': [],
    });
    // Every record was new: nothing to read, one create call for the two with a deal.
    expect(portal.associationCalls.map((c) => [c.operation, c.inputs.length])).toEqual([['associate/default', 2]]);

    // Nothing changed: no write and no association call; only the schema check of opening the target.
    const calls = portal.log.length;
    expect(await run()).toMatchObject({ sent: 0, unchanged: 4, incomplete: [] });
    expect(portal.log.slice(calls).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /crm/v3/schemas']);

    // The spiff now pays on deal 13 instead of 11 (same amount: only the deal changed); February's
    // commission now credits deals 12 and 13, so it belongs to neither alone.
    await store([
      ['2026-01', 'spiff', '500.00', ['13']],
      ['2026-01', 'commission', '200.00', ['11', '12']],
      ['2026-02', 'commission', '150.00', ['12', '13']],
      ['2026-02', 'bonus', '2000.00', []],
    ]);
    portal.associationCalls = [];
    portal.upserts = [];
    expect(await run()).toMatchObject({ sent: 2, unchanged: 2, failed: [], incomplete: [] });
    expect(portal.upserts.map((u) => u.id).sort()).toEqual(['ae|101|2026-01|spiff', 'ae|101|2026-02|commission']);
    expect(associated()).toEqual({
      'ae|101|2026-01|spiff': ['13'],
      'ae|101|2026-01|commission': [],
      'ae|101|2026-02|commission': [],
      'ae|101|2026-02|bonus': [],
    });
    // Read the two updated records' links, archive the two stale ones in one call, create one.
    expect(portal.associationCalls.map((c) => [c.operation, c.inputs.length])).toEqual([
      ['read', 2],
      ['archive', 2],
      ['associate/default', 1],
    ]);
    expect(v4Calls().every((r) => r.path.startsWith('/crm/v4/associations/2-123/0-3/batch/'))).toBe(true);
  });

  it('a deal missing in HubSpot leaves that record written but not associated, without failing; the next run sends it alone and links it once the deal exists', async () => {
    await start();
    await store([
      ['2026-01', 'spiff', '500.00', ['11']],
      ['2026-02', 'spiff', '500.00', ['99']],
      ['2026-03', 'spiff', '500.00', ['12']],
    ]);
    const first = await run();
    expect(first.failed).toEqual([]);
    expect(first.incomplete).toEqual([
      {
        key: 'ae|101|2026-02|spiff',
        error: 'not associated to deal 99: VALIDATION_ERROR: Could not find deal 99 or 2-123 1001',
      },
    ]);
    // The record itself is in HubSpot, and the others of its batch are linked.
    expect(associated()).toEqual({
      'ae|101|2026-01|spiff': ['11'],
      'ae|101|2026-02|spiff': [],
      'ae|101|2026-03|spiff': ['12'],
    });
    const state = await backend.db
      .selectFrom('writeback_state')
      .select(['key', 'status', 'error', 'external_id'])
      .where('status', '!=', 'ok')
      .execute();
    expect(state).toEqual([
      { key: 'ae|101|2026-02|spiff', status: 'incomplete', error: first.incomplete[0]!.error, external_id: '1001' },
    ]);

    // Still missing: sent again (and refused again), alone.
    portal.upserts = [];
    expect(await run()).toMatchObject({
      sent: 1,
      unchanged: 2,
      failed: [],
      incomplete: [{ key: 'ae|101|2026-02|spiff' }],
    });
    // The deal appears: linked, and the record is done.
    portal.putDeal('99', '101', '1000', 'closedwon', '2026-02-10T15:00:00.000Z');
    expect(await run()).toMatchObject({ sent: 1, unchanged: 2, failed: [], incomplete: [] });
    expect(portal.upserts.map((u) => u.id)).toEqual(['ae|101|2026-02|spiff', 'ae|101|2026-02|spiff']);
    expect(associated()['ae|101|2026-02|spiff']).toEqual(['99']);
    expect(await backend.db.selectFrom('writeback_state').select('key').where('status', '!=', 'ok').execute()).toEqual(
      [],
    );
  });

  it('bisects an association batch HubSpot refuses whole over one missing deal: only that record is not linked', async () => {
    await start({ refuseAssociationBatchOnMissingDeal: true });
    const lines: [string, string, string, string[]][] = Array.from({ length: 120 }, (_, i) => [
      '2026-01',
      `c${String(i).padStart(3, '0')}`,
      '1.00',
      [i === 37 ? '99' : String(11 + (i % 3))],
    ]);
    await store(lines);
    const result = await run();
    expect(result.failed).toEqual([]);
    expect(result.incomplete).toEqual([
      {
        key: 'ae|101|2026-01|c037',
        error:
          'not associated to deal 99: HubSpot answered 400 to POST /crm/v4/associations/attain_commission/deals/batch/associate/default: One or more objects do not exist: deal 99',
      },
    ]);
    const links = associated();
    expect(Object.keys(links)).toHaveLength(120);
    expect(
      Object.entries(links)
        .filter(([, deals]) => deals.length !== 1)
        .map(([key]) => key),
    ).toEqual(['ae|101|2026-01|c037']);
    // The first batch of 100 was refused whole, then halved down to the bad record; the second went through.
    const refused = portal.refusedBatches.filter((b) => b.operation === 'associate');
    expect(refused[0]!.ids).toHaveLength(100);
    expect(refused.filter((b) => b.ids.length === 1)).toHaveLength(1);
    expect(portal.associationCalls.length).toBeLessThan(20);
  });
});
