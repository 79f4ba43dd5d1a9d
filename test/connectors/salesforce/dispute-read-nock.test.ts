/**
 * Reading disputes from Salesforce through the real jsforce transport, with Salesforce's recorded
 * shapes in nock: the SOQL the sync sends (open disputes changed since the cursor, in stamp order)
 * and a query answer as the REST API gives it ("Execute a SOQL Query",
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm:
 * `totalSize`, `done`, `records` each with `attributes`); an org whose object lacks the dispute
 * fields reads nothing.
 */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SalesforceConfig } from '../../../config/attain-schema.js';
import { readDisputes } from '../../../connectors/salesforce/dispute-read.js';
import { SchemaReader } from '../../../connectors/salesforce/org-schema.js';
import { SalesforceClient } from '../../../connectors/salesforce/salesforce-client.js';

const LOGIN = 'https://login.salesforce.com';
const INSTANCE = 'https://acme.my.salesforce.com';
const DATA = '/services/data/v62.0';

const config: SalesforceConfig = {
  loginUrl: LOGIN,
  apiVersion: '62.0',
  auth: { flow: 'refresh-token', clientId: '3MVG9client', clientSecret: 'shh-secret', refreshToken: '5Aep861refresh' },
  fields: {},
};

let logs: string[];
const client = () =>
  new SalesforceClient({
    config,
    workspaceDir: '/tmp',
    log: (m) => logs.push(m),
    retry: { retries: 1, baseDelayMs: 1 },
  });

function orgWith(fields: string[]) {
  nock(LOGIN)
    .post('/services/oauth2/token')
    .reply(200, {
      access_token: '00Dxx0000001gPL!AR8AQJXg',
      instance_url: INSTANCE,
      id: `${LOGIN}/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS`,
      token_type: 'Bearer',
      issued_at: '1732600000000',
      signature: 'Tj6kQ1dGvIoQ8Yw5Q1nE0VRm3DvSp7U2y1q6h5S2l8k=',
    });
  // "Describe Global" and "sObject Describe" (REST API Developer Guide): the object list, then its fields.
  nock(INSTANCE)
    .get(`${DATA}/sobjects`)
    .reply(200, {
      encoding: 'UTF-8',
      maxBatchSize: 200,
      sobjects: [{ name: 'Attain_Commission__c', queryable: true }],
    });
  nock(INSTANCE)
    .get(`${DATA}/sobjects/Attain_Commission__c/describe`)
    .reply(200, {
      name: 'Attain_Commission__c',
      createable: true,
      updateable: true,
      deletable: true,
      fields: fields.map((name) => ({ name, type: 'string', createable: true, updateable: true, nillable: true })),
    });
}

beforeEach(() => {
  logs = [];
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('reading disputes from Salesforce', () => {
  it('asks for open disputes changed since the cursor and reads each one with the cursor it moves to', async () => {
    orgWith(['Id', 'Attain_Key__c', 'Amount__c', 'Dispute_Reason__c', 'Dispute_Status__c', 'SystemModstamp']);
    let soql = '';
    nock(INSTANCE)
      .get(`${DATA}/query`)
      .query((q) => {
        soql = String(q['q']);
        return true;
      })
      .reply(200, {
        totalSize: 2,
        done: true,
        records: [
          {
            attributes: { type: 'Attain_Commission__c', url: `${DATA}/sobjects/Attain_Commission__c/a00xx0000001` },
            Id: 'a00xx0000001AAAAA1',
            Attain_Key__c: 'ae|005A|2026-01|commission',
            Dispute_Reason__c: 'Acme is missing',
            Amount__c: 4000,
            SystemModstamp: '2026-02-01T10:00:00.000+0000',
          },
          {
            attributes: { type: 'Attain_Commission__c', url: `${DATA}/sobjects/Attain_Commission__c/a00xx0000002` },
            Id: 'a00xx0000002AAAAA2',
            Attain_Key__c: 'ae|005B|2026-01|commission',
            Dispute_Reason__c: null,
            Amount__c: 12.5,
            SystemModstamp: '2026-02-01T11:30:00.000+0000',
          },
        ],
      });
    const sf = client();
    const read = await readDisputes(sf, new SchemaReader(sf), { multiCurrency: false }, '2026-01-31T23:59:59.500Z', {
      log: (m) => logs.push(m),
    });
    expect(soql).toBe(
      "SELECT Id, Attain_Key__c, Dispute_Reason__c, Amount__c, SystemModstamp FROM Attain_Commission__c WHERE Dispute_Status__c = 'Open' AND SystemModstamp >= 2026-01-31T23:59:59Z ORDER BY SystemModstamp, Id",
    );
    expect(read).toEqual({
      disputes: [
        {
          key: 'ae|005A|2026-01|commission',
          recordId: 'a00xx0000001AAAAA1',
          reason: 'Acme is missing',
          amount: '4000',
        },
        { key: 'ae|005B|2026-01|commission', recordId: 'a00xx0000002AAAAA2', reason: '', amount: '12.5' },
      ],
      cursor: '2026-02-01T11:30:00.000Z',
    });
  });

  it('reads nothing from an object deployed before the dispute fields, and says so', async () => {
    orgWith(['Id', 'Attain_Key__c', 'Amount__c', 'SystemModstamp']);
    const sf = client();
    const read = await readDisputes(sf, new SchemaReader(sf), { multiCurrency: false }, undefined, {
      log: (m) => logs.push(m),
    });
    expect(read).toEqual({ disputes: [] });
    expect(logs).toContain('salesforce: Attain_Commission__c has no dispute fields: disputes are not read');
    expect(nock.pendingMocks()).toEqual([]);
  });
});
