import { beforeAll, beforeEach, expect, it } from 'vitest';
import { readCanonical } from '../../src/db/canonical-store.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createSyncStore, listSyncRejects } from '../../src/db/sync-store.js';
import { forEachBackend } from './backends.js';
import { canonical } from './fixtures.js';

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(() => backend.truncateAll());

  it('stores a page with its cursor, and only that source sees it', async () => {
    const store = createSyncStore(backend.db, 'salesforce');
    const data = canonical();
    expect(await store.cursor('Opportunity')).toBeUndefined();
    await store.storePage({ object: 'User', reps: data.reps, cursor: '2026-02-01T00:00:00.000Z' });
    await store.storePage({
      object: 'Opportunity',
      deals: data.deals,
      splits: { dealIds: ['d1', 'd2'], splits: data.splits },
      fxRates: data.fxRates,
      cursor: '2026-03-01T10:00:00.000Z',
    });
    expect(await store.cursor('Opportunity')).toBe('2026-03-01T10:00:00.000Z');
    expect(await store.cursor('User')).toBe('2026-02-01T00:00:00.000Z');
    const synced = await readCanonical(backend.db, { source: 'salesforce' });
    expect(synced).toEqual({ ...data, quotas: [], assignments: [] });
    expect((await readCanonical(backend.db, { source: 'hubspot' })).deals).toEqual([]);
    expect(await createSyncStore(backend.db, 'hubspot').cursor('Opportunity')).toBeUndefined();
  });

  it('stores a page whose CRM text holds a NUL, the record a reject naming its object, id and field', async () => {
    const store = createSyncStore(backend.db, 'hubspot');
    const data = canonical();
    const [good, bad] = data.deals;
    await store.storePage({ object: 'owners', reps: data.reps });
    await store.storePage({
      object: 'deals',
      deals: [good!, { ...bad!, name: 'Null\u0000Corp' }],
      splits: { dealIds: [good!.id, bad!.id], splits: data.splits },
      cursor: 'c1',
    });
    expect(await store.cursor('deals')).toBe('c1');
    const synced = await readCanonical(backend.db, { source: 'hubspot' });
    expect(synced.deals.map((d) => d.id)).toEqual([good!.id]);
    expect(synced.splits.every((s) => s.dealId !== bad!.id)).toBe(true);
    expect(await listSyncRejects(backend.db, 'hubspot')).toEqual([
      {
        source: 'hubspot deals',
        recordId: bad!.id,
        reason: 'name holds a NUL character (U+0000), which cannot be stored',
      },
    ]);
  });

  it('keeps the previous data and cursor when a page fails to store', async () => {
    const store = createSyncStore(backend.db, 'salesforce');
    const [deal] = canonical().deals;
    await store.storePage({ object: 'Opportunity', deals: [deal!], cursor: 'c1' });
    // Not a number: PostgreSQL refuses the numeric, the whole page rolls back.
    await expect(
      store.storePage({
        object: 'Opportunity',
        deals: [
          { ...deal!, name: 'renamed' },
          { ...deal!, id: 'd9', amount: 'lots' },
        ],
        cursor: 'c2',
      }),
    ).rejects.toThrow();
    expect(await store.cursor('Opportunity')).toBe('c1');
    expect((await readCanonical(backend.db, { source: 'salesforce' })).deals.map((d) => d.name)).toEqual(['Acme']);
  });

  it('replaces the splits of the deals a page lists, and leaves the others', async () => {
    const store = createSyncStore(backend.db, 'salesforce');
    const data = canonical();
    await store.storePage({
      object: 'Opportunity',
      deals: data.deals,
      splits: { dealIds: ['d1'], splits: data.splits },
    });
    await store.storePage({
      object: 'OpportunitySplit',
      splits: { dealIds: ['d1', 'd2'], splits: [{ dealId: 'd2', repId: 'r1', percent: '100', kind: 'revenue' }] },
    });
    expect((await readCanonical(backend.db, { source: 'salesforce' })).splits).toEqual([
      { dealId: 'd2', repId: 'r1', percent: '100', kind: 'revenue' },
    ]);
  });

  it('remembers a reject until a later page holds the record again', async () => {
    const store = createSyncStore(backend.db, 'salesforce');
    const [deal] = canonical().deals;
    const reject = (id: string, reason: string) => ({ source: 'salesforce Opportunity', recordId: id, reason });
    await store.storePage({
      object: 'Opportunity',
      rejects: [reject('006A', 'no amount'), reject('006B', 'unknown currency XYZ'), reject('006B', 'no owner')],
    });
    // A page of another object does not touch them; a record read again but filtered out clears its own.
    await store.storePage({ object: 'User', rejects: [reject('006A', 'a user that happens to share the id')] });
    expect(await listSyncRejects(backend.db, 'salesforce')).toEqual([
      reject('006A', 'no amount'),
      reject('006B', 'no owner'),
      reject('006A', 'a user that happens to share the id'),
    ]);
    await store.storePage({
      object: 'Opportunity',
      deals: [
        { ...deal!, id: '006A' },
        { ...deal!, id: '006C' },
      ],
      seen: ['006B'],
    });
    expect(await listSyncRejects(backend.db, 'salesforce')).toEqual([
      reject('006A', 'a user that happens to share the id'),
    ]);
    // A stored deal later filtered out (its record type no longer counted) stops counting.
    await store.storePage({ object: 'Opportunity', seen: ['006C'] });
    const deals = (await readCanonical(backend.db, { source: 'salesforce' })).deals;
    expect(deals.map((d) => [d.id, d.deleted])).toEqual([
      ['006A', false],
      ['006C', true],
    ]);
  });

  it('forgets a cursor on reset, for a full resync', async () => {
    const store = createSyncStore(backend.db, 'hubspot');
    await store.storePage({ object: 'deals', cursor: '1700000000000' });
    await store.resetCursor('deals');
    expect(await store.cursor('deals')).toBeUndefined();
  });
});
