import { sql } from 'kysely';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { readCanonical, storeCanonicalRest, storeDealsPart, upsertCanonical } from '../../src/db/canonical-store.js';
import type { CanonicalData } from '../../src/domain/model.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { forEachBackend } from './backends.js';
import { canonical } from './fixtures.js';

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(() => backend.truncateAll());

  it('keeps numeric exact, as written: the scale is kept, nothing goes through a float', async () => {
    const { rows } = await sql<{ a: string; b: string; c: string; total: string; n: string; d: string }>`
      select 1234.5600::numeric as a, 1234.56::numeric as b, 0.1::numeric + 0.2::numeric as c,
             sum(x) as total, count(*) as n, '2026-01-02'::date as d
        from unnest(array['1234.50', '0.005', '99999999999999999999.99']::numeric[]) as x`.execute(backend.db);
    expect(rows[0]).toEqual({
      a: '1234.5600',
      b: '1234.56',
      c: '0.3',
      total: '100000000000000001234.495',
      n: '3',
      d: '2026-01-02',
    });
  });

  it('stores canonical data and reads back exactly what was given', async () => {
    const data = canonical();
    expect(await upsertCanonical(backend.db, data, 'csv')).toEqual({
      reps: 3,
      deals: 2,
      splits: 3,
      quotas: 2,
      assignments: 2,
      fxRates: 1,
    });
    const back = await readCanonical(backend.db);
    expect(back).toEqual(data);
    expect(back.deals[0]?.amount).toBe('1234.5600');
    expect(back.deals[1]?.amount).toBe('99999999999999999999.99');
    expect(back.fxRates[0]?.rate).toBe('0.912345678901');
  });

  it('stores accounts, deal accounts and territory assignments, and reads them back exactly', async () => {
    const data = canonical();
    data.deals[0] = { ...data.deals[0]!, accountId: 'acme' };
    data.accounts = [
      {
        id: 'acme',
        name: 'Acme, Inc.',
        ownerId: 'r1',
        country: 'US',
        region: 'NY',
        postalCode: '10001',
        industry: 'Retail',
        employees: '250',
        annualRevenue: '12500000.50',
        fields: { segment: 'mid-market' },
        lastModified: '2026-03-01T10:00:00Z',
        deleted: false,
      },
      { id: 'bare', name: 'Bare', fields: {}, deleted: false },
    ];
    data.territoryAssignments = [
      { repId: 'r1', territoryId: 'east', role: 'owner', percent: '60', from: '2026-01-01', to: '2026-06-30' },
      { repId: 'r2', territoryId: 'east', role: 'overlay', percent: '25', from: '2026-01-01' },
    ];
    expect(await upsertCanonical(backend.db, data, 'csv')).toMatchObject({ accounts: 2, territoryAssignments: 2 });
    expect(await readCanonical(backend.db)).toEqual(data);
    // A snapshot without them removes them.
    await upsertCanonical(backend.db, canonical(), 'csv');
    expect(await readCanonical(backend.db)).toEqual(canonical());
  });

  it('is idempotent, and a snapshot replaces what the source no longer has', async () => {
    const data = canonical();
    await upsertCanonical(backend.db, data, 'csv');
    await upsertCanonical(backend.db, data, 'csv');
    expect(await readCanonical(backend.db)).toEqual(data);

    // An assignment whose start date was edited, a quota row removed, a deal gone: no stale rows remain.
    const edited = canonical();
    edited.assignments[0] = { repId: 'r1', planId: 'ae', from: '2026-02-01' };
    edited.quotas.pop();
    edited.deals.pop();
    edited.splits.pop();
    await upsertCanonical(backend.db, edited, 'csv');
    expect(await readCanonical(backend.db)).toEqual(edited);
  });

  it('in parts (the rest, then deals with their splits by part, in any order) leaves what one snapshot leaves', async () => {
    const inParts = async (data: CanonicalData, count: number) => {
      await storeCanonicalRest(backend.db, data, 'csv');
      // Parts in reverse order: none depends on another.
      for (let k = count - 1; k >= 0; k--) {
        const ids = new Set(data.deals.filter((_, i) => i % count === k).map((d) => d.id));
        const splits = data.splits.filter((x) => ids.has(x.dealId));
        await storeDealsPart(backend.db, { deals: data.deals.filter((d) => ids.has(d.id)), splits }, 'csv');
      }
    };
    const data = canonical();
    await inParts(data, 2);
    await inParts(data, 2);
    expect(await readCanonical(backend.db, { source: 'csv' })).toEqual(data);

    // A deal gone, a split gone, a quota gone: as the snapshot.
    const edited = canonical();
    edited.quotas.pop();
    edited.deals.pop();
    edited.splits.pop();
    await inParts(edited, 2);
    const snapshot = await readCanonical(backend.db, { source: 'csv' });
    await upsertCanonical(backend.db, edited, 'csv');
    expect(snapshot).toEqual(await readCanonical(backend.db, { source: 'csv' }));
    expect(snapshot).toEqual(edited);
  });

  it('keeps sources apart: a snapshot of one source leaves the other source rows', async () => {
    const data = canonical();
    await upsertCanonical(backend.db, { ...data, quotas: [], assignments: [] }, 'salesforce');
    await upsertCanonical(
      backend.db,
      { reps: [], deals: [], splits: [], fxRates: [], quotas: data.quotas, assignments: data.assignments },
      'csv',
    );
    expect(await readCanonical(backend.db)).toEqual(data);
    expect((await readCanonical(backend.db, { source: 'csv' })).deals).toEqual([]);
    expect((await readCanonical(backend.db, { source: 'salesforce' })).deals).toEqual(data.deals);
  });

  it('incremental mode upserts what changed, replaces those deals splits, and deletes nothing else', async () => {
    const data = canonical();
    await upsertCanonical(backend.db, data, 'salesforce');
    const d1 = { ...data.deals[0]!, amount: '2000.00', stage: 'lost' as const };
    await upsertCanonical(
      backend.db,
      {
        reps: [],
        deals: [d1],
        splits: [{ dealId: 'd1', repId: 'r1', percent: '100', kind: 'revenue' }],
        quotas: [],
        assignments: [],
        fxRates: [],
      },
      'salesforce',
      { mode: 'incremental' },
    );
    const back = await readCanonical(backend.db);
    expect(back.deals).toEqual([d1, data.deals[1]]);
    expect(back.splits).toEqual([{ dealId: 'd1', repId: 'r1', percent: '100', kind: 'revenue' }]);
    expect(back.reps).toEqual(data.reps);
  });

  it('round-trips awkward text: quotes, backslashes, braces, commas, the word NULL, newlines, emoji', async () => {
    const data = canonical();
    const awkward = [
      'say "hi", then {leave}',
      'C:\\path\\to\\"file"',
      'NULL',
      '',
      ' padded ',
      'line\nbreak\ttab',
      'naïve 🚀 \u2028',
    ];
    data.reps = awkward.map((name, i) => ({ id: `r${i}`, name, email: name, active: i % 2 === 0 }));
    data.deals[0]!.fields = Object.fromEntries(awkward.map((v, i) => [`f${i} ${v}`, v]));
    await upsertCanonical(backend.db, data, 'csv');
    const back = await readCanonical(backend.db);
    expect(back.reps).toEqual(data.reps);
    expect(back.deals[0]?.fields).toEqual(data.deals[0]?.fields);
  });

  it('takes the last of duplicate keys instead of failing', async () => {
    const data = canonical();
    data.reps.push({ ...data.reps[1]!, name: 'Ann Again' });
    await upsertCanonical(backend.db, data, 'csv');
    expect((await readCanonical(backend.db)).reps.map((r) => r.name)).toEqual(['Mia Manager', 'Ann Again', 'Bob']);
  });

  it('writes in bulk, thousands of rows per statement', async () => {
    const data = canonical();
    data.deals = Array.from({ length: 5000 }, (_, i) => ({
      ...data.deals[0]!,
      id: `d${String(i).padStart(5, '0')}`,
      amount: `${i}.01`,
    }));
    data.splits = [];
    await upsertCanonical(backend.db, data, 'csv');
    const { rows } = await sql<{
      n: string;
      total: string;
    }>`select count(*) as n, sum(amount) as total from deals`.execute(backend.db);
    expect(rows[0]).toEqual({ n: '5000', total: '12497550.00' });
  });
});
