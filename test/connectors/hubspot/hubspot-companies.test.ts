/**
 * HubSpot companies as accounts and each deal's primary company (docs/territories.md#accounts),
 * against HubSpot's documented answers (nock intercepts the real @hubspot/api-client), stored
 * through the real SyncStore on PGlite. The shapes: the companies API's objects list
 * (https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/guide) and the
 * associations v4 batch read, whose `to` entries carry `associationTypes` with `category` and
 * `typeId` (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associate-records/batch/get-associations).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubspotConfig } from '../../../config/attain-schema.js';
import { createHubspotConnector } from '../../../connectors/hubspot/index.js';
import { readCanonical } from '../../../src/db/canonical-store.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { createSyncStore, listSyncRejects } from '../../../src/db/sync-store.js';
import { TestBackend } from '../../db/backends.js';
import { HUBSPOT_ANSWERS, PIPELINE } from './fake-portal.js';
import { VirtualClock } from './virtual-clock.js';

const BASE = 'https://api.hubapi.com';
const TOKEN = 'pat-na1-11111111-2222';
const config = (companies?: HubspotConfig['companies']): HubspotConfig => ({
  baseUrl: BASE,
  auth: { accessToken: TOKEN },
  rateLimit: { perTenSeconds: 190, searchPerSecond: 4 },
  fields: {},
  ...(companies && { companies }),
});

const deal = (id: string, modified: string) => ({
  id,
  properties: {
    dealname: `Deal ${id}`,
    amount: '1000',
    closedate: '2026-02-01T12:00:00.000Z',
    dealstage: 'closedwon',
    pipeline: 'default',
    hubspot_owner_id: '101',
    deal_currency_code: 'USD',
    dealtype: 'newbusiness',
    hs_lastmodifieddate: modified,
    hs_object_id: id,
  },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: modified,
  archived: false,
});

/** An object of the objects list: its id, the properties asked for (null when empty), timestamps, archived. */
const company = (id: string, properties: Record<string, string | null>, archived = false) => ({
  id,
  properties: { hs_object_id: id, ...properties },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-05T00:00:00.000Z',
  archived,
  ...(archived && { archivedAt: '2026-01-06T00:00:00.000Z' }),
});

/** Everything besides companies and associations, as the deals sync reads it. */
function basics(scope: nock.Scope): nock.Scope {
  return scope
    .get('/crm/v3/properties/deals')
    .reply(200, {
      results: [
        'dealname',
        'amount',
        'closedate',
        'dealstage',
        'pipeline',
        'hubspot_owner_id',
        'deal_currency_code',
        'dealtype',
        'hs_lastmodifieddate',
      ].map((name) => ({ name, label: name, type: 'string', fieldType: 'text' })),
    })
    .get('/crm/v3/pipelines/deals')
    .reply(200, { results: [PIPELINE] })
    .get('/settings/v3/currencies/company-currency')
    .reply(200, HUBSPOT_ANSWERS.companyCurrency('USD'))
    .get('/settings/v3/currencies/exchange-rates')
    .query(true)
    .reply(200, { results: [] })
    .get('/crm/v3/owners')
    .query({ limit: '500', archived: 'false' })
    .reply(200, {
      results: [
        HUBSPOT_ANSWERS.owner({ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }, false),
      ],
    })
    .get('/crm/v3/owners')
    .query({ limit: '500', archived: 'true' })
    .reply(200, { results: [] })
    .post('/crm/v3/objects/deals/search')
    .reply(200, {
      total: 3,
      results: [
        deal('1', '2026-02-01T10:00:00.000Z'),
        deal('2', '2026-02-02T10:00:00.000Z'),
        deal('3', '2026-02-03T10:00:00.000Z'),
      ],
    })
    .get('/crm/v3/objects/deals')
    .query((q) => q['archived'] === 'true')
    .reply(200, { results: [] })
    .post('/crm/v3/objects/deals/splits/batch/read')
    .reply(200, (_uri, body) =>
      HUBSPOT_ANSWERS.splitsBatch((body as { inputs: { id: string }[] }).inputs.map(({ id }) => ({ id, splits: [] }))),
    );
}

describe('HubSpot companies', () => {
  const backend = new TestBackend('pglite');
  beforeAll(async () => {
    await backend.open();
    await migrateToLatest(backend.db);
    nock.disableNetConnect();
  }, 180_000);
  afterAll(async () => {
    nock.enableNetConnect();
    await backend.dispose();
  });
  beforeEach(() => backend.truncateAll());
  afterEach(() => nock.cleanAll());

  const connector = (companies?: HubspotConfig['companies']) =>
    createHubspotConnector(
      { config: config(companies), workspaceDir: '/nonexistent', env: {}, log: () => undefined },
      { clock: new VirtualClock() },
    );

  it('reads companies page by page (archived ones as deletions) and each deal’s primary company', async () => {
    const scope = basics(nock(BASE));
    const listed: Record<string, string>[] = [];
    const properties = 'name,hubspot_owner_id,country,state,zip,industry,numberofemployees,annualrevenue,hs_segment';
    scope
      .get('/crm/v3/objects/companies')
      .query((q) => (listed.push(q as Record<string, string>), q['archived'] === 'false' && q['after'] === undefined))
      .reply(200, {
        results: [
          company('9001', {
            name: 'Acme',
            hubspot_owner_id: '101',
            country: 'United States',
            state: 'NY',
            zip: '10001',
            industry: 'RETAIL',
            numberofemployees: '800',
            annualrevenue: '12500000.50',
            hs_segment: 'mid',
          }),
        ],
        paging: { next: { after: '9001', link: `${BASE}/crm/v3/objects/companies?after=9001` } },
      })
      .get('/crm/v3/objects/companies')
      .query((q) => q['archived'] === 'false' && q['after'] === '9001')
      .reply(200, {
        results: [
          company('9002', { name: 'Bare', hubspot_owner_id: null, numberofemployees: null }),
          company('9003', { name: 'Odd', numberofemployees: 'lots' }),
        ],
      })
      .get('/crm/v3/objects/companies')
      .query((q) => q['archived'] === 'true')
      .reply(200, { results: [company('9004', { name: 'Gone' }, true)] });
    const associationInputs: unknown[] = [];
    scope.post('/crm/v4/associations/deals/companies/batch/read').reply(207, (_uri, body) => {
      associationInputs.push(body);
      return {
        status: 'COMPLETE',
        results: [
          {
            from: { id: '1' },
            to: [
              // An unlabeled association first, the primary one after: the primary wins whatever the order.
              { toObjectId: 9002, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 341, label: null }] },
              {
                toObjectId: 9001,
                associationTypes: [
                  { category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' },
                  { category: 'HUBSPOT_DEFINED', typeId: 341, label: null },
                ],
              },
            ],
          },
          // Deal 2 is associated with a company, but not as its primary one.
          {
            from: { id: '2' },
            to: [{ toObjectId: 9002, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 341, label: null }] }],
          },
        ],
        // Deal 3 has no company: HubSpot lists it as an error of the 207.
        numErrors: 1,
        errors: [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'No deals is associated with 3.',
            context: { fromObjectId: ['3'] },
          },
        ],
        startedAt: '2026-02-03T10:00:00.000Z',
        completedAt: '2026-02-03T10:00:00.100Z',
      };
    });

    const store = createSyncStore(backend.db, 'hubspot');
    const report = await connector({ fields: { segment: 'hs_segment' } }).sync(store, { log: () => undefined });
    expect(scope.isDone()).toBe(true);
    expect(report.records).toMatchObject({ companies: 4, deals: 3 });
    expect(listed[0]).toMatchObject({ limit: '100', archived: 'false', properties });
    expect(associationInputs).toEqual([{ inputs: [{ id: '1' }, { id: '2' }, { id: '3' }] }]);

    const synced = await readCanonical(backend.db, { source: 'hubspot' });
    expect(synced.accounts).toEqual([
      {
        id: '9001',
        name: 'Acme',
        ownerId: '101',
        country: 'United States',
        region: 'NY',
        postalCode: '10001',
        industry: 'RETAIL',
        employees: '800',
        annualRevenue: '12500000.50',
        fields: { segment: 'mid' },
        deleted: false,
      },
      { id: '9002', name: 'Bare', fields: { segment: null }, deleted: false },
      { id: '9004', name: 'Gone', fields: { segment: null }, deleted: true },
    ]);
    expect(synced.deals.map((d) => [d.id, d.accountId])).toEqual([
      ['1', '9001'],
      ['2', undefined],
      ['3', undefined],
    ]);
    expect(await listSyncRejects(backend.db, 'hubspot')).toEqual([
      {
        source: 'hubspot companies',
        recordId: '9003',
        reason: 'numberofemployees "lots" is not a number of at least 0',
      },
    ]);
  });

  it('without companies in attain.yaml, reads neither companies nor associations', async () => {
    const scope = basics(nock(BASE));
    const store = createSyncStore(backend.db, 'hubspot');
    const report = await connector().sync(store, { log: () => undefined });
    expect(scope.isDone()).toBe(true);
    expect(report.records['companies']).toBeUndefined();
    expect((await readCanonical(backend.db, { source: 'hubspot' })).deals.every((d) => d.accountId === undefined)).toBe(
      true,
    );
  });
});
