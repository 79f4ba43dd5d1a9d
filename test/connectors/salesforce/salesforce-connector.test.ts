/**
 * The connector against a local org (fake-org.ts) with the real jsforce doing the requests: the
 * auth flows, incremental paging with cursors, deletions, splits, rates, Bulk 2.0 for large
 * deltas, API limits, bad config and the write-back target.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SalesforceConfig } from '../../../config/attain-schema.js';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.js';
import { ConnectorError, type CommissionRecord } from '../../../connectors/source.js';
import { FakeOrg } from './fake-org.js';
import { readCanonical } from '../../../src/db/canonical-store.js';
import { listSyncRejects } from '../../../src/db/sync-store.js';
import { SyncDatabase } from '../recording-store.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const FAST = { retry: { retries: 2, baseDelayMs: 1 }, bulkPollMs: 1 };

let org: FakeOrg;
const database = new SyncDatabase();
beforeAll(() => database.open(), 180_000);
afterAll(() => database.dispose());
const logs: string[] = [];

function configFor(overrides: Partial<SalesforceConfig> = {}): SalesforceConfig {
  return {
    loginUrl: org.url,
    apiVersion: '62.0',
    auth: { flow: 'jwt', clientId: 'attain-client', username: 'integration@acme.test', privateKey: keys.privateKey },
    fields: {},
    ...overrides,
  };
}

function connector(overrides: Partial<SalesforceConfig> = {}) {
  return createSalesforceConnector(
    { config: configFor(overrides), workspaceDir: '/nonexistent', env: {}, log: (m) => logs.push(m) },
    FAST,
  );
}

const log = (m: string) => logs.push(m);

function seed(target: FakeOrg): void {
  target.addUser({ Id: '005A', Name: 'Ada Rep', ManagerId: '005M' });
  target.addUser({ Id: '005B', Name: 'Bo Rep', ManagerId: '005M' });
  target.addUser({ Id: '005M', Name: 'Mia Manager' });
  target.addUser({ Id: '005X', Name: 'Gone Rep', IsActive: false });
  target.rates.push({ Id: '04wE', IsoCode: 'EUR', StartDate: '2026-01-01', ConversionRate: 0.92 });
  target.putOpportunity({
    Id: '006A',
    Name: 'Acme',
    OwnerId: '005A',
    Amount: 120000,
    CloseDate: '2026-02-10',
    CurrencyIsoCode: 'USD',
    ARR__c: 100000,
  });
  target.putOpportunity({
    Id: '006B',
    Name: 'Bolt',
    OwnerId: '005B',
    Amount: 50000.5,
    CloseDate: '2026-03-01',
    CurrencyIsoCode: 'EUR',
    ARR__c: 40000,
  });
  target.putOpportunity({
    Id: '006C',
    Name: 'Open one',
    OwnerId: '005A',
    Amount: 9000,
    CloseDate: '2026-06-30',
    CurrencyIsoCode: 'USD',
    StageName: 'Prospecting',
    IsWon: false,
    IsClosed: false,
    ARR__c: 9000,
  });
  target.putOpportunity({
    Id: '006N',
    Name: 'No amount',
    OwnerId: '005A',
    Amount: null,
    CloseDate: '2026-02-11',
    CurrencyIsoCode: 'USD',
    ARR__c: null,
  });
  target.putSplit({ Id: '0SpA1', OpportunityId: '006A', SplitOwnerId: '005A', SplitPercentage: 60, revenue: true });
  target.putSplit({ Id: '0SpA2', OpportunityId: '006A', SplitOwnerId: '005B', SplitPercentage: 40, revenue: true });
  target.putSplit({ Id: '0SpA3', OpportunityId: '006A', SplitOwnerId: '005M', SplitPercentage: 10, revenue: false });
}

beforeEach(async () => {
  logs.length = 0;
  org = await new FakeOrg({
    publicKey: keys.publicKey,
    pageSize: 2,
    multiCurrency: true,
    extraOpportunityFields: { ARR__c: 'currency' },
  }).start();
  seed(org);
});

afterEach(async () => {
  await org.stop();
});

describe('Salesforce sync', () => {
  it('signs a JWT, pulls every object page by page through nextRecordsUrl, and saves a cursor with each page', async () => {
    const store = await database.fresh('salesforce');
    const sf = connector();
    const report = await sf.sync(store, { log });

    expect(report.records).toEqual({ User: 4, Opportunity: 4, OpportunitySplit: 3, DatedConversionRate: 1 });
    // The API version is set explicitly, never jsforce's 50.0.
    expect([...org.versions]).toEqual(['62.0']);
    // Two records a page: 4 opportunities came as two pages, each with its own cursor.
    const oppPages = store.pages.filter((p) => p.object === 'Opportunity');
    expect(oppPages).toHaveLength(2);
    expect(oppPages.map((p) => p.cursor)).toEqual(
      [org.opportunities.get('006B')!['SystemModstamp'], org.opportunities.get('006N')!['SystemModstamp']].map((s) =>
        new Date(String(s).replace('+0000', 'Z')).toISOString(),
      ),
    );
    expect(org.requests.some((r) => r.path.includes('/query/01g'))).toBe(true);

    const deals = store.deals();
    expect(deals.get('006A')).toMatchObject({
      ownerId: '005A',
      amount: '120000',
      currency: 'USD',
      closeDate: '2026-02-10',
      stage: 'won',
      type: 'New Business',
      deleted: false,
    });
    expect(deals.get('006B')).toMatchObject({ amount: '50000.5', currency: 'EUR' });
    expect(deals.get('006C')?.stage).toBe('open');
    const rejects = store.pages.flatMap((p) => p.rejects ?? []);
    expect(rejects).toEqual([
      { source: 'salesforce Opportunity', recordId: '006N', reason: 'no amount (Amount is empty)' },
    ]);

    const reps = store.pages.flatMap((p) => p.reps ?? []);
    expect(reps.find((r) => r.id === '005X')).toEqual({
      id: '005X',
      name: 'Gone Rep',
      email: '005X@acme.test',
      active: false,
    });
    expect(reps.find((r) => r.id === '005A')?.managerId).toBe('005M');

    const splitPage = store.pages.find((p) => p.object === 'OpportunitySplit')!;
    expect(splitPage.splits?.dealIds).toEqual(['006A']);
    expect(splitPage.splits?.splits).toEqual([
      { dealId: '006A', repId: '005A', percent: '60', kind: 'revenue' },
      { dealId: '006A', repId: '005B', percent: '40', kind: 'revenue' },
      { dealId: '006A', repId: '005M', percent: '10', kind: 'overlay' },
    ]);
    expect(store.pages.flatMap((p) => p.fxRates ?? [])).toEqual([
      { currency: 'EUR', from: '2026-01-01', rate: '0.92' },
    ]);
    expect(report.apiCalls).toBe(org.apiUsed);

    // And the reporting database kept it all: the rows, the reject, the cursors.
    const kept = await readCanonical(database.db, { source: 'salesforce' });
    expect(kept.deals.map((d) => d.id)).toEqual(['006A', '006B', '006C']);
    expect(kept.splits).toHaveLength(3);
    expect(await listSyncRejects(database.db, 'salesforce')).toEqual(rejects);
    expect(await store.cursor('Opportunity')).toBe(oppPages[1]!.cursor);
  });

  it('reads only what changed since the cursor (>=, so records sharing the cursor time come again), and deletions', async () => {
    const store = await database.fresh('salesforce');
    await connector().sync(store, { log });
    store.pages.length = 0;

    org.putOpportunity({ Id: '006B', Amount: 61000 });
    org.deleteOpportunity('006C');
    const report = await connector().sync(store, { log });

    // 006N carried the old cursor and is read again (>=): harmless, nothing is lost.
    const read = store.pages
      .filter((p) => p.object === 'Opportunity')
      .flatMap((p) => [...(p.deals ?? []).map((d) => d.id), ...(p.rejects ?? []).map((r) => r.recordId)]);
    expect(read.sort()).toEqual(['006B', '006C', '006N']);
    expect(store.deals().get('006B')?.amount).toBe('61000');
    expect(store.deals().get('006C')?.deleted).toBe(true);
    expect(report.records['User']).toBe(1);
    const soql = org.requests.map((r) => decodeURIComponent(r.path)).filter((p) => p.includes('FROM Opportunity '));
    expect(soql.at(-1)).toMatch(
      /queryAll\?q=SELECT .* FROM Opportunity WHERE SystemModstamp >= 2026-01-01T\d\d:\d\d:\d\dZ ORDER BY SystemModstamp, Id/,
    );
  });

  it('re-reads every split of an opportunity whose splits changed', async () => {
    const store = await database.fresh('salesforce');
    await connector().sync(store, { log });
    store.pages.length = 0;
    org.splits.delete('0SpA3');
    org.putSplit({ Id: '0SpA2', OpportunityId: '006A', SplitOwnerId: '005B', SplitPercentage: 40, revenue: true });
    await connector().sync(store, { log });
    const page = store.pages.find((p) => p.object === 'OpportunitySplit' && p.splits?.dealIds.length)!;
    expect(page.splits?.splits.map((s) => s.repId)).toEqual(['005A', '005B']);
  });

  it('maps the amount from a custom field and other mapped fields into deal.fields', async () => {
    const store = await database.fresh('salesforce');
    await connector({ fields: { amount: 'ARR__c', segment: 'StageName' } }).sync(store, { log });
    expect(store.deals().get('006A')).toMatchObject({ amount: '100000', fields: { segment: 'Closed Won' } });
    expect(store.pages.flatMap((p) => p.rejects ?? [])[0]?.reason).toBe('no amount (ARR__c is empty)');
  });

  it('stops before storing anything when attain.yaml maps a field the org does not have', async () => {
    const store = await database.fresh('salesforce');
    const error = await connector({ fields: { amount: 'ARR_c' } })
      .sync(store, { log })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('INVALID_CONFIG');
    expect((error as ConnectorError).exitCode).toBe(2);
    expect((error as Error).message).toContain('fields.amount: Opportunity.ARR_c does not exist');
    expect(store.pages).toEqual([]);
  });

  it('signs in again once when the session expires, and goes on', async () => {
    const store = await database.fresh('salesforce');
    const sf = connector();
    await sf.orgSchema();
    org.expireSessions();
    const report = await sf.sync(store, { log });
    expect(report.records['Opportunity']).toBe(4);
    expect(logs).toContain('salesforce: session expired; signing in again');
    expect(org.requests.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2);
  });

  it('uses Bulk API 2.0 above the threshold and turns its CSV strings into canonical values', async () => {
    const store = await database.fresh('salesforce');
    const report = await connector({ bulk: { queryAbove: 3 } }).sync(store, { log });
    expect(report.records['Opportunity']).toBe(4);
    expect(org.requests.some((r) => r.method === 'POST' && r.path.endsWith('/jobs/query'))).toBe(true);
    expect(store.deals().get('006B')).toMatchObject({
      amount: '50000.5',
      stage: 'won',
      deleted: false,
      currency: 'EUR',
    });
    expect(store.deals().get('006C')?.stage).toBe('open');
    // The cursor goes with the last page only: bulk pages come in no promised order.
    const pages = store.pages.filter((p) => p.object === 'Opportunity');
    expect(pages.at(-1)?.cursor).toBe(
      new Date(String(org.opportunities.get('006N')!['SystemModstamp']).replace('+0000', 'Z')).toISOString(),
    );
  });

  it('stops at its share of the daily API allocation and says so', async () => {
    await org.stop();
    org = await new FakeOrg({
      publicKey: keys.publicKey,
      pageSize: 1,
      multiCurrency: true,
      apiLimit: 40,
      extraOpportunityFields: { ARR__c: 'currency' },
    }).start();
    seed(org);
    const store = await database.fresh('salesforce');
    const report = await connector().sync(store, { log });
    // 25 % of 40 = 10 calls.
    expect(report.apiCalls).toBe(10);
    expect(report.stoppedEarly).toContain("the run's share of the org's daily allocation (25 % of 40) is used");
    expect(logs.some((l) => l.includes('stopped after 10 API calls'))).toBe(true);
  });

  it('on REQUEST_LIMIT_EXCEEDED stops, keeps the cursor, and resumes on the next run', async () => {
    const store = await database.fresh('salesforce');
    const sf = connector();
    await sf.orgSchema();
    const realStore = store.storePage.bind(store);
    store.storePage = async (page) => {
      await realStore(page);
      if (page.object === 'Opportunity') org.limitExceeded = true;
    };
    const report = await sf.sync(store, { log });
    expect(report.stoppedEarly).toContain('REQUEST_LIMIT_EXCEEDED');
    const kept = await store.cursor('Opportunity');
    expect(kept).toBeDefined();
    org.limitExceeded = false;
    store.storePage = realStore;
    const next = await connector().sync(store, { log });
    expect(next.stoppedEarly).toBeUndefined();
    // The second run read on from the kept cursor: the rest of the opportunities, then the splits and rates.
    const stamp = (id: string) =>
      new Date(String(org.opportunities.get(id)!['SystemModstamp']).replace('+0000', 'Z')).toISOString();
    expect(kept).toBe(stamp('006B'));
    expect(await store.cursor('Opportunity')).toBe(stamp('006N'));
    expect([...store.deals().keys()].sort()).toEqual(['006A', '006B', '006C']);
    expect(next.records['OpportunitySplit']).toBe(3);
  });

  it('a wrong credential is AUTH_FAILED (exit 3) with the cause, and never the secret', async () => {
    const sf = connector({
      auth: { flow: 'client-credentials', clientId: 'attain-client', clientSecret: 'hunter2-wrong' },
    });
    const error = (await sf
      .sync(await database.fresh('salesforce'), { log })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('invalid_client');
    expect(error.message).not.toContain('hunter2');
  });

  it('signs in with refresh-token, client-credentials and password flows', async () => {
    for (const auth of [
      { flow: 'refresh-token' as const, clientId: 'attain-client', refreshToken: 'refresh-me' },
      { flow: 'client-credentials' as const, clientId: 'attain-client', clientSecret: 'attain-secret' },
      {
        flow: 'password' as const,
        clientId: 'attain-client',
        clientSecret: 'attain-secret',
        username: 'integration@acme.test',
        password: 'sandbox-pass',
      },
    ]) {
      const sf = connector({ auth });
      await expect(sf.orgSchema()).resolves.toMatchObject({
        multiCurrency: true,
        splits: true,
        ratesObject: 'DatedConversionRate',
      });
    }
  });
});

describe('Salesforce write-back target', () => {
  const record = (repId: string, component: string, amount: string): CommissionRecord => ({
    key: `ae-fy26|${repId}|2026-02|${component}`,
    repId,
    planId: 'ae-fy26',
    period: '2026-02',
    component,
    amount,
    currency: 'USD',
    attainment: '1.25',
    trace: '{\n  "deals": ["006A"]\n}',
  });

  it('upserts 200 per call by Attain_Key__c, owned by the rep, with per-record outcomes', async () => {
    const target = await connector().writeback();
    const records = Array.from({ length: 401 }, (_, i) => record('005A', `c${i}`, '10.00'));
    records.push(record('005X', 'commission', '5.00'));
    const outcomes = await target.upsert(records);
    expect(org.upserted.map((keys) => keys.length)).toEqual([200, 200, 2]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(401);
    expect(outcomes.find((o) => !o.ok)).toEqual({
      key: 'ae-fy26|005X|2026-02|commission',
      ok: false,
      error: 'INACTIVE_OWNER_OR_USER: operation performed with inactive user (OwnerId)',
    });
    const stored = org.commissions.get('ae-fy26|005A|2026-02|c0')!;
    expect(stored).toMatchObject({
      OwnerId: '005A',
      Rep__c: '005A',
      Amount__c: '10.00',
      Attainment__c: '125',
      CurrencyIsoCode: 'USD',
      Period__c: '2026-02',
    });
  });

  it('deletes records that no longer exist, by Id or found by key', async () => {
    const target = await connector().writeback();
    const [first] = await target.upsert([record('005A', 'commission', '1.00'), record('005B', 'commission', '2.00')]);
    const outcomes = await target.remove([
      { key: first!.key, externalId: first!.externalId! },
      { key: 'ae-fy26|005B|2026-02|commission' },
      { key: 'never-written' },
    ]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(org.deleted).toEqual(['ae-fy26|005A|2026-02|commission', 'ae-fy26|005B|2026-02|commission']);
    expect(org.commissions.size).toBe(0);
  });

  it('uses one Bulk API 2.0 ingest job above the threshold', async () => {
    const target = await connector({ bulk: { ingestAbove: 2 } }).writeback();
    const outcomes = await target.upsert([
      record('005A', 'a', '1.00'),
      record('005B', 'b', '2.00'),
      record('005X', 'c', '3.00'),
    ]);
    expect(org.requests.filter((r) => r.path.endsWith('/jobs/ingest'))).toHaveLength(1);
    expect(outcomes.filter((o) => o.ok).map((o) => o.key)).toEqual([
      'ae-fy26|005A|2026-02|a',
      'ae-fy26|005B|2026-02|b',
    ]);
    expect(outcomes.find((o) => !o.ok)?.error).toContain('INACTIVE_OWNER_OR_USER');
    expect(org.commissions.get('ae-fy26|005B|2026-02|b')?.['Trace__c']).toBe('{\n  "deals": ["006A"]\n}');
  });

  it('writes estimates through one Bulk API 2.0 ingest job above the threshold too', async () => {
    const target = (await connector({ bulk: { ingestAbove: 2 } }).estimates!())!;
    const estimate = (deal: string, rep: string, amount: string) => ({
      key: `${deal}|${rep}|ae`,
      dealId: deal,
      repId: rep,
      planId: 'ae',
      amount,
      currency: 'USD',
      closeDate: '2026-03-31',
      trace: '{}',
    });
    const outcomes = await target.upsert([
      estimate('006C', '005A', '10.00'),
      estimate('006C', '005B', '20.00'),
      estimate('006C', '005X', '30.00'),
    ]);
    const jobs = org.requests.filter((r) => r.path.endsWith('/jobs/ingest'));
    expect(jobs).toHaveLength(1);
    expect(outcomes.filter((o) => o.ok).map((o) => o.key)).toEqual(['006C|005A|ae', '006C|005B|ae']);
    expect(outcomes.find((o) => !o.ok)?.error).toContain('INACTIVE_OWNER_OR_USER');
    expect(org.estimates.get('006C|005B|ae')).toMatchObject({
      OwnerId: '005B',
      Opportunity__c: null,
      Amount__c: '20.00',
    });
    expect(org.commissions.size).toBe(0);
  });

  it('refuses to write when the object is not deployed, saying how to deploy it', async () => {
    await org.stop();
    org = await new FakeOrg({ publicKey: keys.publicKey, commissionObject: false }).start();
    const error = (await connector()
      .writeback()
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('Attain_Commission__c does not exist');
    expect(error.message).toContain('sf project deploy start');
  });
});
