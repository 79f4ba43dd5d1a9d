/**
 * Recorded Salesforce response shapes through nock, with the real jsforce transport doing the
 * requests: query pages with nextRecordsUrl, a Bulk 2.0 query job's lifecycle with Sforce-Locator
 * paging, a composite upsert with mixed success, INVALID_SESSION_ID then a new token, Salesforce's
 * own 503 SERVER_UNAVAILABLE and 500 UNKNOWN_EXCEPTION bodies then success on a PATCH, and
 * REQUEST_LIMIT_EXCEEDED.
 */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SalesforceConfig } from '../../../config/attain-schema.js';
import { CommissionTarget } from '../../../connectors/salesforce/commission-target.js';
import { bulkQueryPages, restQueryPages } from '../../../connectors/salesforce/query-pages.js';
import { SalesforceClient } from '../../../connectors/salesforce/salesforce-client.js';
import { ConnectorError } from '../../../connectors/source.js';
import { SALESFORCE_OUTAGES } from './fake-org.js';

const LOGIN = 'https://login.salesforce.com';
const INSTANCE = 'https://acme.my.salesforce.com';
const DATA = '/services/data/v62.0';
const LIMIT = { 'Sforce-Limit-Info': 'api-usage=1200/15000' };

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
    retry: { retries: 3, baseDelayMs: 1 },
  });

function tokenOnce(accessToken = '00Dxx0000001gPL!AR8AQJXg') {
  return nock(LOGIN)
    .post(
      '/services/oauth2/token',
      (body: Record<string, string>) =>
        body['grant_type'] === 'refresh_token' && body['refresh_token'] === '5Aep861refresh',
    )
    .reply(200, {
      access_token: accessToken,
      signature: 'Tj6kQ1dGvIoQ8Yw5Q1nE0VRm3DvSp7U2y1q6h5S2l8k=',
      scope: 'refresh_token api',
      instance_url: INSTANCE,
      id: `${LOGIN}/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS`,
      token_type: 'Bearer',
      issued_at: '1732600000000',
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

describe('Salesforce REST through jsforce (recorded shapes)', () => {
  it('follows nextRecordsUrl to the last page', async () => {
    tokenOnce();
    const opp = (id: string) => ({
      attributes: { type: 'Opportunity', url: `${DATA}/sobjects/Opportunity/${id}` },
      Id: id,
      Amount: 1000,
      Owner: { attributes: { type: 'User' }, Name: 'Ada' },
    });
    nock(INSTANCE)
      .get(`${DATA}/queryAll`)
      .query(true)
      .matchHeader('Sforce-Query-Options', 'batchSize=2000')
      .reply(
        200,
        {
          totalSize: 3,
          done: false,
          nextRecordsUrl: `${DATA}/query/01gRO0000016PIAYA2-2000`,
          records: [opp('006A'), opp('006B')],
        },
        LIMIT,
      )
      .get(`${DATA}/query/01gRO0000016PIAYA2-2000`)
      .reply(200, { totalSize: 3, done: true, records: [opp('006C')] }, LIMIT);
    const sf = client();
    const pages = [];
    for await (const page of restQueryPages(sf, 'SELECT Id, Amount, Owner.Name FROM Opportunity', { all: true }))
      pages.push(page);
    expect(pages.map((p) => p.records.map((r) => r['Id']))).toEqual([['006A', '006B'], ['006C']]);
    // `attributes` is Salesforce's, not data: gone, nested ones too.
    expect(pages[0]!.records[0]).toEqual({ Id: '006A', Amount: 1000, Owner: { Name: 'Ada' } });
    expect(sf.apiCalls).toBe(2);
    expect(sf.usage).toEqual({ used: 1200, limit: 15000 });
    expect(nock.isDone()).toBe(true);
  });

  it('runs a Bulk API 2.0 query job and pages its CSV results with Sforce-Locator (no header row taken for a record)', async () => {
    tokenOnce();
    const header = '"Id","Amount","IsWon","SystemModstamp"\n';
    nock(INSTANCE)
      .post(
        `${DATA}/jobs/query`,
        (body: Record<string, string>) =>
          body['operation'] === 'queryAll' &&
          body['query'] === 'SELECT Id, Amount, IsWon, SystemModstamp FROM Opportunity',
      )
      .reply(
        200,
        {
          id: '750R0000000zlh9IAA',
          operation: 'queryAll',
          object: 'Opportunity',
          state: 'UploadComplete',
          contentType: 'CSV',
          apiVersion: 62.0,
        },
        LIMIT,
      )
      .get(`${DATA}/jobs/query/750R0000000zlh9IAA`)
      .reply(200, { id: '750R0000000zlh9IAA', state: 'InProgress' }, LIMIT)
      .get(`${DATA}/jobs/query/750R0000000zlh9IAA`)
      .reply(200, { id: '750R0000000zlh9IAA', state: 'JobComplete', numberRecordsProcessed: 3 }, LIMIT)
      .get(`${DATA}/jobs/query/750R0000000zlh9IAA/results`)
      .query({ maxRecords: '2' })
      .reply(
        200,
        `${header}"006A","1000.5","true","2026-01-05T10:00:00.000Z"\n"006B","","false","2026-01-05T10:00:01.000Z"\n`,
        { ...LIMIT, 'Content-Type': 'text/csv', 'Sforce-Locator': 'MjAwMDA', 'Sforce-NumberOfRecords': '2' },
      )
      .get(`${DATA}/jobs/query/750R0000000zlh9IAA/results`)
      .query({ maxRecords: '2', locator: 'MjAwMDA' })
      .reply(200, `${header}"006C","7","true","2026-01-05T10:00:02.000Z"\n`, {
        ...LIMIT,
        'Content-Type': 'text/csv',
        'Sforce-Locator': 'null',
        'Sforce-NumberOfRecords': '1',
      });
    const pages = [];
    for await (const page of bulkQueryPages(client(), 'SELECT Id, Amount, IsWon, SystemModstamp FROM Opportunity', {
      all: true,
      pageSize: 2,
      pollMs: 1,
    }))
      pages.push(page);
    expect(pages).toEqual([
      [
        { Id: '006A', Amount: '1000.5', IsWon: 'true', SystemModstamp: '2026-01-05T10:00:00.000Z' },
        { Id: '006B', Amount: '', IsWon: 'false', SystemModstamp: '2026-01-05T10:00:01.000Z' },
      ],
      [{ Id: '006C', Amount: '7', IsWon: 'true', SystemModstamp: '2026-01-05T10:00:02.000Z' }],
    ]);
    expect(nock.isDone()).toBe(true);
  });

  it('upserts through sObject Collections and reports each record, some refused', async () => {
    tokenOnce();
    nock(INSTANCE)
      .patch(
        `${DATA}/composite/sobjects/Attain_Commission__c/Attain_Key__c`,
        (body: { allOrNone: boolean; records: unknown[] }) => body.allOrNone === false && body.records.length === 3,
      )
      .reply(
        200,
        [
          { id: 'a01R000000AbCdEIAV', success: true, errors: [], created: true },
          {
            success: false,
            errors: [
              { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: ['Rep__c'] },
            ],
          },
          { id: 'a01R000000AbCdFIAV', success: true, errors: [], created: false },
        ],
        LIMIT,
      );
    const target = new CommissionTarget(client(), { multiCurrency: false, ingestAbove: 10_000, log: () => undefined });
    const record = (repId: string) => ({
      key: `ae|${repId}|2026-01|commission`,
      repId,
      planId: 'ae',
      period: '2026-01',
      component: 'commission',
      amount: '10.00',
      currency: 'USD',
      trace: '{}',
    });
    const outcomes = await target.upsert([record('005A'), record('005Q'), record('005B')]);
    expect(outcomes).toEqual([
      { key: 'ae|005A|2026-01|commission', ok: true, externalId: 'a01R000000AbCdEIAV' },
      {
        key: 'ae|005Q|2026-01|commission',
        ok: false,
        error: 'INVALID_CROSS_REFERENCE_KEY: invalid cross reference id (Rep__c)',
      },
      { key: 'ae|005B|2026-01|commission', ok: true, externalId: 'a01R000000AbCdFIAV' },
    ]);
  });

  it('links a line of one opportunity by Opportunity__c, never sends the dispute fields, and writes a line whose opportunity is deleted unlinked', async () => {
    tokenOnce();
    const sent: Record<string, unknown>[][] = [];
    nock(INSTANCE)
      .patch(
        `${DATA}/composite/sobjects/Attain_Commission__c/Attain_Key__c`,
        (body: { records: Record<string, unknown>[] }) => {
          sent.push(body.records);
          return true;
        },
      )
      // Salesforce's answer for a lookup to a deleted record: refused, naming no field.
      .reply(
        200,
        [
          { id: 'a01R000000AbCdEIAV', success: true, errors: [], created: true },
          { success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] },
          { id: 'a01R000000AbCdGIAV', success: true, errors: [], created: true },
        ],
        LIMIT,
      )
      .patch(
        `${DATA}/composite/sobjects/Attain_Commission__c/Attain_Key__c`,
        (body: { records: Record<string, unknown>[] }) => {
          sent.push(body.records);
          return true;
        },
      )
      .reply(200, [{ id: 'a01R000000AbCdFIAV', success: true, errors: [], created: true }], LIMIT);
    const target = new CommissionTarget(client(), { multiCurrency: false, ingestAbove: 10_000, log: () => undefined });
    const record = (repId: string, dealId?: string) => ({
      key: `ae|${repId}|2026-01|spiff`,
      repId,
      planId: 'ae',
      period: '2026-01',
      periodStart: '2026-01-01',
      periodEnd: '2026-01-31',
      component: 'spiff',
      amount: '500.00',
      currency: 'USD',
      trace: '{}',
      ...(dealId ? { dealId } : {}),
    });
    const outcomes = await target.upsert([
      record('005A', '006R000000AbCdEIAV'),
      record('005B', '006R000000GoneXIAV'),
      record('005C'),
    ]);
    expect(sent[0]!.map((r) => r['Opportunity__c'])).toEqual(['006R000000AbCdEIAV', '006R000000GoneXIAV', null]);
    expect(sent[0]![0]).toMatchObject({ Period_Start__c: '2026-01-01', Period_End__c: '2026-01-31' });
    for (const r of sent.flat())
      for (const field of ['Dispute_Reason__c', 'Dispute_Status__c', 'Dispute_Resolution__c'])
        expect(r).not.toHaveProperty(field);
    // Sent again without the lookup: written, with a warning (so it is tried again next run).
    expect(sent[1]).toHaveLength(1);
    expect(sent[1]![0]).toMatchObject({ Attain_Key__c: 'ae|005B|2026-01|spiff', Opportunity__c: null });
    expect(outcomes).toEqual([
      { key: 'ae|005A|2026-01|spiff', ok: true, externalId: 'a01R000000AbCdEIAV' },
      {
        key: 'ae|005B|2026-01|spiff',
        ok: true,
        externalId: 'a01R000000AbCdFIAV',
        warning: 'not linked to opportunity 006R000000GoneXIAV: ENTITY_IS_DELETED: entity is deleted',
      },
      { key: 'ae|005C|2026-01|spiff', ok: true, externalId: 'a01R000000AbCdGIAV' },
    ]);
  });

  it('on INVALID_SESSION_ID gets a new token once and repeats the request', async () => {
    tokenOnce('00Dxx!old');
    tokenOnce('00Dxx!new');
    nock(INSTANCE)
      .get(`${DATA}/sobjects`)
      .matchHeader('authorization', 'Bearer 00Dxx!old')
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }])
      .get(`${DATA}/sobjects`)
      .matchHeader('authorization', 'Bearer 00Dxx!new')
      .reply(200, { sobjects: [{ name: 'Opportunity' }] }, LIMIT);
    const response = await client().request<{ sobjects: unknown[] }>({ path: '/sobjects' });
    expect(response.body.sobjects).toHaveLength(1);
    expect(logs).toEqual(['salesforce: session expired; signing in again']);
    expect(nock.isDone()).toBe(true);
  });

  it('a session refused twice is AUTH_FAILED, not an endless refresh', async () => {
    tokenOnce();
    tokenOnce();
    nock(INSTANCE)
      .get(`${DATA}/sobjects`)
      .times(2)
      .reply(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    const error = (await client()
      .request({ path: '/sobjects' })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).not.toContain('shh-secret');
  });

  const { unavailable, unknownException } = SALESFORCE_OUTAGES;

  it('retries a PATCH after Salesforce 503 and 500 answers (jsforce would not) and succeeds', async () => {
    tokenOnce();
    nock(INSTANCE)
      .patch(`${DATA}/composite/sobjects/Attain_Commission__c/Attain_Key__c`)
      .reply(unavailable.status, unavailable.body, LIMIT)
      .patch(`${DATA}/composite/sobjects/Attain_Commission__c/Attain_Key__c`)
      .reply(unknownException.status, unknownException.body, LIMIT)
      .patch(`${DATA}/composite/sobjects/Attain_Commission__c/Attain_Key__c`)
      .reply(200, [{ id: 'a01R000000AbCdEIAV', success: true, errors: [], created: true }], LIMIT);
    const sf = client();
    const target = new CommissionTarget(sf, { multiCurrency: false, ingestAbove: 10_000, log: () => undefined });
    const outcomes = await target.upsert([
      {
        key: 'k',
        repId: '005A',
        planId: 'ae',
        period: '2026-01',
        component: 'c',
        amount: '1.00',
        currency: 'USD',
        trace: '{}',
      },
    ]);
    expect(outcomes).toEqual([{ key: 'k', ok: true, externalId: 'a01R000000AbCdEIAV' }]);
    expect(sf.apiCalls).toBe(3);
    expect(logs[0]).toMatch(
      /SERVER_UNAVAILABLE \(HTTP 503\) on PATCH \/composite\/sobjects\/Attain_Commission__c\/Attain_Key__c; retrying/,
    );
    expect(logs[1]).toMatch(/UNKNOWN_EXCEPTION \(HTTP 500\) on PATCH/);
  });

  it('a 503 that outlives the retries is TEMPORARY, naming the code and the status', async () => {
    tokenOnce();
    nock(INSTANCE).get(`${DATA}/sobjects`).times(4).reply(unavailable.status, unavailable.body, LIMIT);
    const error = (await client()
      .request({ path: '/sobjects' })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('TEMPORARY');
    expect(error.message).toContain('kept failing (SERVER_UNAVAILABLE (HTTP 503)) after 3 retries');
    expect(nock.isDone()).toBe(true);
  });

  it('a 503 without a Salesforce body (a proxy in the way) is retried too', async () => {
    tokenOnce();
    nock(INSTANCE)
      .get(`${DATA}/sobjects`)
      .reply(503, 'Service Unavailable', { 'Content-Type': 'text/plain' })
      .get(`${DATA}/sobjects`)
      .reply(200, { sobjects: [] }, LIMIT);
    expect((await client().request({ path: '/sobjects' })).body).toEqual({ sobjects: [] });
    expect(logs[0]).toMatch(/ERROR_HTTP_503 on GET \/sobjects; retrying/);
  });

  it('UNABLE_TO_LOCK_ROW is retried whatever its status; a 400 with another code is not', async () => {
    tokenOnce();
    nock(INSTANCE)
      .get(`${DATA}/sobjects`)
      .reply(400, [{ message: 'unable to obtain exclusive access to this record', errorCode: 'UNABLE_TO_LOCK_ROW' }])
      .get(`${DATA}/sobjects`)
      .reply(400, [{ message: "No such column 'Foo' on entity 'User'", errorCode: 'INVALID_FIELD' }]);
    const sf = client();
    const error = (await sf.request({ path: '/sobjects' }).catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(sf.apiCalls).toBe(2);
  });

  it('REQUEST_LIMIT_EXCEEDED is RATE_LIMITED, not retried', async () => {
    tokenOnce();
    nock(INSTANCE)
      .get(`${DATA}/queryAll`)
      .query(true)
      .reply(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], {
        'Sforce-Limit-Info': 'api-usage=15001/15000',
      });
    const sf = client();
    const error = (await restQueryPages(sf, 'SELECT Id FROM Opportunity', { all: true })
      .next()
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(sf.apiCalls).toBe(1);
    expect(sf.budgetExhausted()).toContain('15001/15000');
  });

  it('a refused refresh token is AUTH_FAILED with the cause, never the secret', async () => {
    nock(LOGIN)
      .post('/services/oauth2/token')
      .reply(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    const error = (await client()
      .request({ path: '/sobjects' })
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('invalid_grant (expired access/refresh token)');
    expect(error.message).not.toMatch(/shh-secret|5Aep861refresh/);
  });
});
