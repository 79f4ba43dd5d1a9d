/**
 * More deals share one `hs_lastmodifieddate` millisecond than one search query returns (a bulk
 * import): the README says that millisecond is then read in `hs_object_id` order. Against the local
 * portal (fake-portal.ts), storing through the real SyncStore on PGlite, on a virtual clock (the
 * search's 4 requests a second cost no wall time). Once with a small result cap in the portal, so
 * the connector meets the cap as HubSpot's 400, and once at HubSpot's own 10,000, where the
 * connector re-windows before asking past it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubspotConfig } from '../../../config/attain-schema.js';
import { createHubspotConnector } from '../../../connectors/hubspot/index.js';
import { readCanonical } from '../../../src/db/canonical-store.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { createSyncStore } from '../../../src/db/sync-store.js';
import { TestBackend } from '../../db/backends.js';
import { FakePortal } from './fake-portal.js';
import { VirtualClock } from './virtual-clock.js';

const TOKEN = 'pat-na1-crowded-token';
const BEFORE = '2026-02-01T09:00:00.000Z';
const CROWDED = '2026-02-01T10:00:00.123Z';
const AFTER = '2026-02-01T11:00:00.000Z';

type SearchRequest = {
  filters: { propertyName: string; operator: string; value: string }[];
  sort: string;
  after: number;
  status: number;
};

function seed(portal: FakePortal, crowded: number): string[] {
  const ids: string[] = [];
  const add = (id: number, modified: string) => {
    ids.push(String(id));
    portal.deals.set(String(id), {
      id: String(id),
      properties: {
        dealname: `Deal ${id}`,
        amount: '100',
        closedate: '2026-01-31T12:00:00.000Z',
        dealstage: 'closedwon',
        pipeline: 'default',
        hubspot_owner_id: '101',
        deal_currency_code: 'USD',
        dealtype: 'newbusiness',
        hs_lastmodifieddate: modified,
      },
    });
  };
  // Ids interleave with the crowded ones, so reading by id is not reading by insertion.
  add(5, BEFORE);
  add(20_000_001, BEFORE);
  for (let i = 0; i < crowded; i++) add(10 + i * 3, CROWDED);
  add(7, AFTER);
  add(20_000_002, AFTER);
  return ids;
}

describe('HubSpot deals: one millisecond holding more deals than a search returns', () => {
  const backend = new TestBackend('pglite');
  const portals: FakePortal[] = [];
  beforeAll(async () => {
    await backend.open();
    await migrateToLatest(backend.db);
  }, 180_000);
  afterAll(() => backend.dispose());
  beforeEach(() => backend.truncateAll());
  afterEach(async () => {
    for (const p of portals.splice(0)) await p.stop();
  });

  async function sync(portal: FakePortal) {
    portals.push(portal);
    const baseUrl = await portal.start();
    portal.owners = [{ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }];
    const config: HubspotConfig = {
      baseUrl,
      auth: { accessToken: TOKEN },
      rateLimit: { perTenSeconds: 190, searchPerSecond: 4 },
      fields: {},
    };
    const log: string[] = [];
    const store = createSyncStore(backend.db, 'hubspot');
    const connector = createHubspotConnector(
      { config, workspaceDir: '.', env: {}, log: (m) => log.push(m) },
      { clock: new VirtualClock() },
    );
    const report = await connector.sync(store, { log: (m) => log.push(m) });
    return { report, log, store };
  }

  it('meets a small cap as a 400, then reads the millisecond by hs_object_id: each deal stored once, the cursor past it', async () => {
    const portal = new FakePortal({ token: TOKEN, searchCap: 1_000, splits: false });
    const ids = seed(portal, 2_500);
    const searches = trackSearches(portal);
    const { report, log, store } = await sync(portal);

    const stored = (await readCanonical(backend.db, { source: 'hubspot' })).deals;
    expect(stored.map((d) => d.id).sort()).toEqual([...ids].sort());
    // Read once each: the crowded ids met again in the id-ordered windows are skipped.
    expect(report.records['deals']).toBe(ids.length);
    expect(await store.cursor('deals')).toBe(JSON.stringify({ since: Date.parse(AFTER) }));
    // The crowded millisecond was read by id: EQ on the timestamp, GT on the last id, sorted by id.
    const byId = searches.filter((s) => s.sort === 'hs_object_id');
    expect(byId.length).toBeGreaterThanOrEqual(3);
    expect(
      byId.every(
        (s) =>
          s.filters[0]?.operator === 'EQ' &&
          s.filters[0].value === String(Date.parse(CROWDED)) &&
          s.filters[1]?.propertyName === 'hs_object_id',
      ),
    ).toBe(true);
    // A query's filters stay fixed while `after` pages through it (a filter moving with the ids read
    // would skip the deals between), and each new id-ordered query starts after the last id read.
    searches.forEach((s, i) => {
      if (s.after > 0) expect(s.filters).toEqual(searches[i - 1]?.filters);
    });
    const starts = byId.filter((s) => s.after === 0).map((s) => Number(s.filters[1]?.value));
    expect(starts[0]).toBe(0);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    // After it, the search goes on from the millisecond, exclusive, by timestamp.
    expect(searches.at(-1)?.filters).toEqual([
      { propertyName: 'hs_lastmodifieddate', operator: 'GT', value: String(Date.parse(CROWDED)) },
    ]);
    expect(searches.filter((s) => s.status === 400).length).toBeGreaterThan(0);
    expect(log.join('\n')).toMatch(/deals read in \d+ search windows/);
  });

  it("at HubSpot's 10,000 cap: re-windows before asking past it, and reads 10,300 deals of one millisecond once each", async () => {
    const portal = new FakePortal({ token: TOKEN, splits: false });
    const ids = seed(portal, 10_300);
    const searches = trackSearches(portal);
    const { report, store } = await sync(portal);

    expect(searches.filter((s) => s.status !== 200)).toEqual([]);
    expect(searches.every((s) => s.after + 200 <= 10_000)).toBe(true);
    expect(searches.some((s) => s.sort === 'hs_object_id')).toBe(true);
    const stored = (await readCanonical(backend.db, { source: 'hubspot' })).deals;
    expect(stored).toHaveLength(ids.length);
    expect(new Set(stored.map((d) => d.id))).toEqual(new Set(ids));
    expect(report.records['deals']).toBe(ids.length);
    expect(await store.cursor('deals')).toBe(JSON.stringify({ since: Date.parse(AFTER) }));
  }, 120_000);
});

/** Records each search request the portal answers: its filters, sort, offset and status. */
function trackSearches(portal: FakePortal): SearchRequest[] {
  const searches: SearchRequest[] = [];
  portal.onSearch = (body, status) => {
    const filters = body.filterGroups?.[0]?.filters ?? [];
    searches.push({ filters, sort: body.sorts?.[0]?.propertyName ?? '', after: Number(body.after ?? 0), status });
  };
  return searches;
}
