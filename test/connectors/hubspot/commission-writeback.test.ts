/**
 * Write-back against the local portal (fake-portal.ts), which refuses a whole batch call with 400
 * when one input holds an invalid value, as HubSpot does: the target bisects the batch so only the
 * bad records fail, with HubSpot's message, and the rest are written. Through writeBackChanges on
 * PGlite, the refused record is kept with its error and sent again next run.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubspotConfig } from '../../../config/attain-schema.js';
import { openCommissionTarget } from '../../../connectors/hubspot/commission-object.js';
import { HubspotApi } from '../../../connectors/hubspot/hubspot-api.js';
import type { CommissionRecord } from '../../../connectors/source.js';
import { writeBackChanges } from '../../../jobs/write-back.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
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
    const config: HubspotConfig = { baseUrl, auth: { accessToken: TOKEN }, rateLimit: { perTenSeconds: 190, searchPerSecond: 4 }, fields: {} };
    api = new HubspotApi(config, () => undefined, { clock: new VirtualClock() });
  };
  afterEach(async () => portal.stop());

  it('bisects a refused upsert batch: only the bad records fail, with HubSpot\'s message; the others are written once', async () => {
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
    expect(failed.find((o) => o.key === records[17]!.key)?.error).toMatch(/^HubSpot answered 400 to POST \/crm\/v3\/objects\/attain_commission\/batch\/upsert: Property values were not valid: .*NaN-ish was not a valid number/);
    expect(failed.find((o) => o.key === records[62]!.key)?.error).toMatch(/103 is not a valid owner id/);
    // The good records: all written, each exactly once (a refused call writes nothing).
    expect(outcomes.filter((o) => o.ok)).toHaveLength(118);
    expect(outcomes.every((o) => !o.ok || /^\d+$/.test(o.externalId ?? ''))).toBe(true);
    const written = portal.upserts.map((u) => u.id);
    expect(new Set(written).size).toBe(written.length);
    expect(written.sort()).toEqual(records.filter((_, i) => i !== 17 && i !== 62).map((r) => r.key).sort());
    expect(portal.commissions.has(records[17]!.key)).toBe(false);
    // Bisected, not sent one by one: the second batch went through whole, and each bad record cost a
    // path of halvings (100 → 50 → 25 → 13 → 7 → 4 → 2 → 1), not 100 single calls.
    expect(portal.refusedBatches[0]).toEqual({ operation: 'upsert', ids: records.slice(0, 100).map((r) => r.key) });
    expect(portal.refusedBatches.filter((b) => b.ids.length === 1).map((b) => b.ids[0]).sort()).toEqual([records[17]!.key, records[62]!.key]);
    expect(api.apiCalls - before).toBeLessThan(40);
  });

  it('a batch of a departed rep\'s lines, all refused, does not stop the next batch from being bisected', async () => {
    await start();
    // Owner 103 is archived (the rep left): all 100 lines of the first batch are refused, one by one;
    // the second batch holds one more of them among 49 good lines.
    const records = [...Array.from({ length: 101 }, (_, i) => record(i, { repId: '103' })), ...Array.from({ length: 49 }, (_, i) => record(200 + i))];
    const outcomes = await (await openCommissionTarget(api)).upsert(records);
    expect(outcomes).toHaveLength(150);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed).toHaveLength(101);
    expect(failed.every((o) => /103 is not a valid owner id/.test(o.error ?? ''))).toBe(true);
    expect(outcomes.filter((o) => o.ok).map((o) => o.key)).toEqual(records.slice(101).map((r) => r.key));
    expect([...portal.commissions.keys()].sort()).toEqual(records.slice(101).map((r) => r.key).sort());
    // The first batch, all bad: every node of its halving tree refused (2 × 100 − 1 calls); in the
    // second, the halvings led to the one bad record alone.
    const bad = new Set(records.slice(0, 101).map((r) => r.key));
    expect(portal.refusedBatches.filter((b) => b.ids.every((id) => bad.has(id))).map((b) => b.ids.length).filter((n) => n === 1)).toHaveLength(101);
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
      { key: record(11).key, ok: false, externalId: bad, error: `HubSpot answered 400 to POST /crm/v3/objects/attain_commission/batch/archive: Invalid input: object ${bad} cannot be archived` },
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
    api = new HubspotApi({ baseUrl, auth: { accessToken: TOKEN }, rateLimit: { perTenSeconds: 190, searchPerSecond: 4 }, fields: {} }, () => undefined, { clock: new VirtualClock() });
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
    expect(first.failed).toEqual([{ key: record(40).key, error: expect.stringMatching(/104 is not a valid owner id/) as unknown as string }]);
    const state = await backend.db.selectFrom('writeback_state').select(['key', 'status', 'error']).where('status', '!=', 'ok').execute();
    expect(state).toEqual([{ key: record(40).key, status: 'failed', error: expect.stringMatching(/104 is not a valid owner id/) as unknown as string }]);

    // Owner 104 is added in HubSpot: the next run sends the failed record alone, and it is written.
    portal.owners.push({ id: '104', email: 'dee@example.com', firstName: 'Dee', lastName: 'New' });
    portal.upserts = [];
    const second = await writeBackChanges(backend.db, target, records);
    expect(second).toMatchObject({ sent: 1, unchanged: 40, failed: [] });
    expect(portal.upserts.map((u) => u.id)).toEqual([record(40).key]);
    expect(portal.commissions.get(record(40).key)?.properties['hubspot_owner_id']).toBe('104');
  });
});
