/**
 * Reading disputes from HubSpot through the real @hubspot/api-client transport, with HubSpot's
 * documented shapes in nock: the schemas list ("Retrieve all custom object schemas",
 * https://developers.hubspot.com/docs/api-reference/latest/crm/objects/schemas/get-all-schemas) and
 * the search on the custom object ("Search for CRM objects of a specified type",
 * https://developers.hubspot.com/docs/api-reference/latest/crm/objects/custom-objects/search/search-custom-objects:
 * `total`, `results` with `id`, `properties`, `createdAt`, `updatedAt`, `archived`, and
 * `paging.next.after` while more remain).
 */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HubspotConfig } from '../../../config/attain-schema.js';
import { readDisputes } from '../../../connectors/hubspot/dispute-read.js';
import { HubspotApi } from '../../../connectors/hubspot/hubspot-api.js';
import { VirtualClock } from './virtual-clock.js';

const BASE = 'https://api.hubapi.com';
const config: HubspotConfig = {
  baseUrl: BASE,
  auth: { accessToken: 'pat-na1-33333333-4444' },
  rateLimit: { perTenSeconds: 190, searchPerSecond: 4 },
  fields: {},
};

const schema = (properties: string[]) => ({
  results: [
    {
      id: '123',
      objectTypeId: '2-123',
      name: 'attain_commission',
      fullyQualifiedName: 'p123_attain_commission',
      labels: { singular: 'Commission', plural: 'Commissions' },
      properties: properties.map((name) => ({ name, type: 'string', fieldType: 'text' })),
      associations: [],
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    },
  ],
});

const result = (id: string, key: string, reason: string | null, modified: string) => ({
  id,
  properties: {
    attain_key: key,
    attain_dispute_reason: reason,
    amount: '5000.00',
    currency: 'USD',
    hs_createdate: '2026-01-01T00:00:00.000Z',
    hs_lastmodifieddate: modified,
    hs_object_id: id,
  },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: modified,
  archived: false,
});

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('reading disputes from HubSpot', () => {
  it('searches open disputes changed since the cursor, oldest first, page by page', async () => {
    const bodies: Record<string, unknown>[] = [];
    nock(BASE)
      .get('/crm/v3/schemas')
      .reply(200, schema(['attain_key', 'amount', 'attain_dispute_reason', 'attain_dispute_status']));
    nock(BASE)
      .post('/crm/v3/objects/2-123/search', (body: Record<string, unknown>) => (bodies.push(body), true))
      .reply(200, {
        total: 2,
        results: [result('501', 'ae|101|2026-Q1|commission', 'Deal 1 was 60,000', '2026-03-01T10:00:00.000Z')],
        paging: { next: { after: '1', link: '?after=1' } },
      })
      .post('/crm/v3/objects/2-123/search', (body: Record<string, unknown>) => (bodies.push(body), true))
      .reply(200, {
        total: 2,
        results: [result('502', 'ae|102|2026-Q1|commission', null, '2026-03-01T11:00:00.250Z')],
      });
    const api = new HubspotApi(config, () => undefined, { clock: new VirtualClock() });
    const read = await readDisputes(api, '2026-02-28T00:00:00.000Z', { log: () => undefined });

    expect(bodies[0]).toEqual({
      filterGroups: [
        {
          filters: [
            { propertyName: 'attain_dispute_status', operator: 'EQ', value: 'open' },
            { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(Date.parse('2026-02-28T00:00:00Z')) },
          ],
        },
      ],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['attain_key', 'attain_dispute_reason', 'amount', 'currency', 'hs_lastmodifieddate'],
      limit: 200,
    });
    expect(bodies[1]).toMatchObject({ after: '1' });
    expect(read).toEqual({
      disputes: [
        {
          key: 'ae|101|2026-Q1|commission',
          recordId: '501',
          reason: 'Deal 1 was 60,000',
          amount: '5000.00',
          currency: 'USD',
        },
        { key: 'ae|102|2026-Q1|commission', recordId: '502', reason: '', amount: '5000.00', currency: 'USD' },
      ],
      cursor: '2026-03-01T11:00:00.250Z',
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('reads nothing from an object without the dispute properties, or no object at all', async () => {
    nock(BASE)
      .get('/crm/v3/schemas')
      .reply(200, schema(['attain_key', 'amount']));
    const logs: string[] = [];
    const api = new HubspotApi(config, () => undefined, { clock: new VirtualClock() });
    expect(await readDisputes(api, undefined, { log: (m) => logs.push(m) })).toEqual({ disputes: [] });
    expect(logs).toEqual(['hubspot: attain_commission has no dispute properties: disputes are not read']);

    nock(BASE).get('/crm/v3/schemas').reply(200, { results: [] });
    expect(await readDisputes(api, undefined, { log: (m) => logs.push(m) })).toEqual({ disputes: [] });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
