/**
 * Accounts from Salesforce (docs/territories.md#accounts): with `salesforce.accounts` in attain.yaml,
 * Account is pulled incrementally (deletions included) before the opportunities, and each
 * opportunity keeps its AccountId; through the real jsforce against the local org (fake-org.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SalesforceConfig } from '../../../config/attain-schema.js';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.js';
import { readCanonical } from '../../../src/db/canonical-store.js';
import { listSyncRejects } from '../../../src/db/sync-store.js';
import { SyncDatabase } from '../recording-store.js';
import { FakeOrg } from './fake-org.js';

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
const log = () => undefined;
/** The SOQL of every query the org was asked, decoded. */
const queries = () =>
  org.requests
    .filter((r) => r.path.includes('/query'))
    .map((r) => new URL(r.path, 'http://org').searchParams.get('q') ?? '')
    .filter(Boolean);

function connector(accounts: SalesforceConfig['accounts'] | null = { fields: { segment: 'Segment__c' } }) {
  const config: SalesforceConfig = {
    loginUrl: org.url,
    apiVersion: '62.0',
    auth: { flow: 'jwt', clientId: 'attain-client', username: 'integration@acme.test', privateKey: keys.privateKey },
    fields: {},
    ...(accounts ? { accounts } : {}),
  };
  return createSalesforceConnector({ config, workspaceDir: '/nonexistent', env: {}, log }, FAST);
}

beforeEach(async () => {
  org = await new FakeOrg({
    publicKey: keys.publicKey,
    pageSize: 2,
    extraAccountFields: { Segment__c: 'picklist' },
  }).start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  org.putAccount({
    Id: '001A',
    Name: 'Acme, Inc.',
    OwnerId: '005A',
    BillingCountry: 'US',
    BillingState: 'NY',
    BillingPostalCode: '10001',
    Industry: 'Retail',
    NumberOfEmployees: 800,
    AnnualRevenue: 12500000.5,
    Segment__c: 'Mid-Market',
  });
  org.putAccount({ Id: '001B', Name: 'Bare', OwnerId: '005A' });
  org.putAccount({ Id: '001C', Name: 'Odd', OwnerId: '005A', NumberOfEmployees: -3 });
  org.putOpportunity({
    Id: '006A',
    Name: 'Acme deal',
    OwnerId: '005A',
    AccountId: '001A',
    Amount: 1000,
    CloseDate: '2026-02-10',
  });
  org.putOpportunity({
    Id: '006B',
    Name: 'No account',
    OwnerId: '005A',
    AccountId: null,
    Amount: 500,
    CloseDate: '2026-02-11',
  });
});

afterEach(async () => {
  await org.stop();
});

describe('Salesforce accounts', () => {
  it('pulls Account with its mapped fields and Opportunity.AccountId, page by page with a cursor', async () => {
    const store = await database.fresh('salesforce');
    const report = await connector().sync(store, { log });
    expect(report.records).toMatchObject({ User: 1, Account: 3, Opportunity: 2 });
    // Account is read before Opportunity, with the standard fields and the mapped custom one.
    expect(queries()).toContain(
      'SELECT Id, IsDeleted, SystemModstamp, Name, OwnerId, BillingCountry, BillingState, BillingPostalCode, Industry, NumberOfEmployees, AnnualRevenue, Segment__c FROM Account ORDER BY SystemModstamp, Id',
    );
    const kept = await readCanonical(database.db, { source: 'salesforce' });
    expect(kept.accounts).toEqual([
      {
        id: '001A',
        name: 'Acme, Inc.',
        ownerId: '005A',
        country: 'US',
        region: 'NY',
        postalCode: '10001',
        industry: 'Retail',
        employees: '800',
        annualRevenue: '12500000.5',
        fields: { segment: 'Mid-Market' },
        lastModified: expect.any(String),
        deleted: false,
      },
      {
        id: '001B',
        name: 'Bare',
        ownerId: '005A',
        fields: { segment: null },
        lastModified: expect.any(String),
        deleted: false,
      },
    ]);
    expect(await listSyncRejects(database.db, 'salesforce')).toEqual([
      { source: 'salesforce Account', recordId: '001C', reason: 'NumberOfEmployees -3 is not a number of at least 0' },
    ]);
    expect(kept.deals.map((d) => [d.id, d.accountId])).toEqual([
      ['006A', '001A'],
      ['006B', undefined],
    ]);
    // Two accounts a page: the cursor is the last stored SystemModstamp.
    const pages = store.pages.filter((p) => p.object === 'Account');
    expect(pages).toHaveLength(2);
    expect(await store.cursor('Account')).toBe(
      new Date(String(org.accounts.get('001C')!['SystemModstamp']).replace('+0000', 'Z')).toISOString(),
    );
  });

  it('reads only what changed since the cursor, deletions included', async () => {
    const store = await database.fresh('salesforce');
    await connector().sync(store, { log });
    org.putAccount({ Id: '001B', BillingCountry: 'CA' });
    org.putAccount({ Id: '001A', IsDeleted: true });
    org.requests.length = 0;
    const report = await connector().sync(store, { log });
    // 001C shares the old cursor's timestamp: read again (>=), harmlessly.
    expect(report.records['Account']).toBe(3);
    expect(queries().find((q) => q.includes('FROM Account'))).toMatch(
      /FROM Account WHERE SystemModstamp >= \d{4}-\d\d-\d\dT[\d:]+Z ORDER BY SystemModstamp, Id$/,
    );
    const kept = await readCanonical(database.db, { source: 'salesforce' });
    expect(kept.accounts?.map((a) => [a.id, a.country ?? null, a.deleted])).toEqual([
      ['001A', 'US', true],
      ['001B', 'CA', false],
    ]);
  });

  it('without salesforce.accounts, reads neither Account nor AccountId', async () => {
    const store = await database.fresh('salesforce');
    const report = await connector(null).sync(store, { log });
    expect(report.records['Account']).toBeUndefined();
    expect(queries().some((q) => q.includes('Account'))).toBe(false);
    expect(
      (await readCanonical(database.db, { source: 'salesforce' })).deals.every((d) => d.accountId === undefined),
    ).toBe(true);
  });

  it('refuses to sync a mapped Account field the org does not have', async () => {
    const store = await database.fresh('salesforce');
    await expect(connector({ fields: { tier: 'Tier__c' } }).sync(store, { log })).rejects.toThrow(
      'accounts.fields.tier: Account.Tier__c does not exist or the user cannot read it',
    );
    expect(store.pages).toEqual([]);
  });
});
