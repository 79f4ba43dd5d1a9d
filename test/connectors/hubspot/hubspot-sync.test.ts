/**
 * The connector against recorded HubSpot response shapes (nock intercepts the real
 * @hubspot/api-client's node-fetch), storing through the real SyncStore on PGlite. Waits run on a
 * virtual clock, so a 10-second back-off costs nothing and nothing here is timed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubspotConfig } from '../../../config/attain-schema.js';
import { HubspotApi } from '../../../connectors/hubspot/hubspot-api.js';
import { createHubspotConnector } from '../../../connectors/hubspot/index.js';
import type { CommissionRecord } from '../../../connectors/source.js';
import { readCanonical } from '../../../src/db/canonical-store.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { createSyncStore, listSyncRejects } from '../../../src/db/sync-store.js';
import { TestBackend } from '../../db/backends.js';
import { HUBSPOT_ANSWERS, PIPELINE } from './fake-portal.js';
import { VirtualClock } from './virtual-clock.js';

const BASE = 'https://api.hubapi.com';
const TOKEN = 'pat-na1-11111111-2222';

const config = (overrides: Partial<HubspotConfig> = {}): HubspotConfig => ({
  baseUrl: BASE,
  auth: { accessToken: TOKEN },
  rateLimit: { perTenSeconds: 190, searchPerSecond: 4 },
  fields: {},
  ...overrides,
});

const deal = (id: string, modified: string, properties: Record<string, string | null> = {}) => ({
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
    ...properties,
  },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: modified,
  archived: false,
});

const ms = (iso: string) => String(Date.parse(iso));
type SearchBody = {
  filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[];
  after?: string;
  limit: number;
};

/** Everything a sync reads besides the deal search: properties, pipelines, currency, rates, owners, archived deals, splits. */
function portalBasics(scope: nock.Scope, options: { splits?: boolean; companyCurrency?: string } = {}): nock.Scope {
  scope
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
    .reply(200, HUBSPOT_ANSWERS.companyCurrency(options.companyCurrency ?? 'USD'))
    .get('/settings/v3/currencies/exchange-rates')
    .query(true)
    .reply(403, {
      status: 'error',
      message: "This app hasn't been granted all required scopes to make this call.",
      category: 'MISSING_SCOPES',
      errors: [
        {
          message: 'One or more of the following scopes are required.',
          context: { requiredGranularScopes: ['multi-currency-read'] },
        },
      ],
    })
    .get('/crm/v3/owners')
    .query({ limit: '500', archived: 'false' })
    .reply(200, {
      results: [
        HUBSPOT_ANSWERS.owner({ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }, false),
      ],
      paging: { next: { after: '101', link: `${BASE}/crm/v3/owners?after=101` } },
    })
    .get('/crm/v3/owners')
    .query({ limit: '500', archived: 'false', after: '101' })
    .reply(200, {
      results: [
        HUBSPOT_ANSWERS.owner({ id: '102', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor' }, false),
      ],
    })
    .get('/crm/v3/owners')
    .query({ limit: '500', archived: 'true' })
    .reply(200, {
      results: [
        HUBSPOT_ANSWERS.owner({ id: '99', email: 'gone@example.com', firstName: 'Old', lastName: 'Rep' }, true),
      ],
    })
    .get('/crm/v3/objects/deals')
    .query((q) => q['archived'] === 'true')
    .reply(200, {
      results: [{ ...deal('50', '2026-01-15T00:00:00.000Z'), archived: true, archivedAt: '2026-03-01T00:00:00.000Z' }],
    });
  if (options.splits === false) {
    scope
      .post('/crm/v3/objects/deals/splits/batch/read')
      .reply(404, HUBSPOT_ANSWERS.error('OBJECT_NOT_FOUND', 'Resource not found'));
  } else {
    scope.post('/crm/v3/objects/deals/splits/batch/read').reply(200, (_uri, body) =>
      HUBSPOT_ANSWERS.splitsBatch(
        (body as { inputs: { id: string }[] }).inputs.map(({ id }) => ({
          id,
          splits:
            id === '2'
              ? [
                  HUBSPOT_ANSWERS.split('50636518818', '101', '0.75'),
                  HUBSPOT_ANSWERS.split('50636518819', '102', '0.25'),
                ]
              : [],
        })),
      ),
    );
  }
  return scope;
}

describe('HubSpot connector against recorded responses', () => {
  const backend = new TestBackend('pglite');
  let workspaceDir = '';
  beforeAll(async () => {
    await backend.open();
    await migrateToLatest(backend.db);
    workspaceDir = mkdtempSync(join(tmpdir(), 'attain-hubspot-nock-'));
    writeFileSync(join(workspaceDir, 'attain.yaml'), 'source: { kind: csv }\ncalendar: { tz: UTC }\n');
    nock.disableNetConnect();
  }, 180_000);
  afterAll(async () => {
    nock.enableNetConnect();
    await backend.dispose();
    rmSync(workspaceDir, { recursive: true, force: true });
  });
  beforeEach(() => backend.truncateAll());
  afterEach(() => nock.cleanAll());

  const connector = (clock: VirtualClock, overrides: Partial<HubspotConfig> = {}, log: string[] = []) =>
    createHubspotConnector({ config: config(overrides), workspaceDir, env: {}, log: (m) => log.push(m) }, { clock });

  it('pages the search with paging.next.after, stores owners (archived too), splits and deletions, and saves the cursor', async () => {
    const scope = portalBasics(nock(BASE));
    const bodies: SearchBody[] = [];
    scope
      .post('/crm/v3/objects/deals/search', (body: SearchBody) => (bodies.push(body), body.after === undefined))
      .matchHeader('authorization', `Bearer ${TOKEN}`)
      .reply(200, {
        total: 3,
        results: [deal('1', '2026-02-01T10:00:00.000Z'), deal('2', '2026-02-02T10:00:00.000Z')],
        paging: { next: { after: '2', link: '' } },
      })
      .post('/crm/v3/objects/deals/search', (body: SearchBody) => (bodies.push(body), body.after === '2'))
      .reply(200, { total: 3, results: [deal('3', '2026-02-03T10:00:00.000Z', { amount: 'n/a' })] });
    const store = createSyncStore(backend.db, 'hubspot');
    const report = await connector(new VirtualClock()).sync(store, { log: () => undefined });

    expect(scope.isDone()).toBe(true);
    expect(bodies[0]?.filterGroups[0]?.filters).toEqual([
      { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' },
    ]);
    // The second page pages the same query: its filter does not move with the deals read.
    expect(bodies.at(-1)).toMatchObject({
      after: '2',
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
    });
    expect(report.records).toMatchObject({ owners: 3, deals: 3, 'deals-archived': 1 });
    const synced = await readCanonical(backend.db, { source: 'hubspot' });
    expect(synced.reps.map((r) => [r.id, r.active])).toEqual([
      ['101', true],
      ['102', true],
      ['99', false],
    ]);
    expect(synced.deals.map((d) => [d.id, d.deleted])).toEqual([
      ['1', false],
      ['2', false],
      ['50', true],
    ]);
    expect(synced.splits).toEqual([
      { dealId: '2', repId: '101', percent: '75', kind: 'revenue' },
      { dealId: '2', repId: '102', percent: '25', kind: 'revenue' },
    ]);
    expect(await listSyncRejects(backend.db, 'hubspot')).toEqual([
      { source: 'hubspot deals', recordId: '3', reason: 'amount "n/a" (amount) is not a decimal number' },
    ]);
    expect(await store.cursor('deals')).toBe(JSON.stringify({ since: Date.parse('2026-02-03T10:00:00.000Z') }));

    // The next run asks only for what changed since, inclusive.
    const next = portalBasics(nock(BASE));
    const again: SearchBody[] = [];
    next
      .post('/crm/v3/objects/deals/search', (body: SearchBody) => (again.push(body), true))
      .reply(200, { total: 0, results: [] });
    await connector(new VirtualClock()).sync(store, { log: () => undefined });
    expect(again[0]?.filterGroups[0]?.filters[0]).toEqual({
      propertyName: 'hs_lastmodifieddate',
      operator: 'GTE',
      value: ms('2026-02-03T10:00:00.000Z'),
    });
  });

  it('takes a deal without deal_currency_code in the company currency, read from its `id`', async () => {
    const scope = portalBasics(nock(BASE), { splits: false, companyCurrency: 'EUR' });
    scope
      .post('/crm/v3/objects/deals/search')
      .reply(200, { total: 1, results: [deal('7', '2026-02-01T10:00:00.000Z', { deal_currency_code: null })] });
    await connector(new VirtualClock(), {}).sync(createSyncStore(backend.db, 'hubspot'), { log: () => undefined });
    const synced = await readCanonical(backend.db, { source: 'hubspot' });
    expect(synced.deals.find((d) => d.id === '7')?.currency).toBe('EUR');
  });

  it('stores a page holding deals dated year 0, 0026 and 10000 as rejects naming each deal, and the rest', async () => {
    const scope = portalBasics(nock(BASE), { splits: false });
    scope.post('/crm/v3/objects/deals/search').reply(200, {
      total: 4,
      results: [
        deal('11', '2026-02-01T10:00:00.000Z', { closedate: '0000-01-01T00:00:00.000Z' }),
        deal('12', '2026-02-01T10:00:01.000Z', { closedate: '0026-03-01T00:00:00.000Z' }),
        deal('13', '2026-02-01T10:00:02.000Z', { closedate: '253402300800000' }),
        deal('14', '2026-02-01T10:00:03.000Z'),
      ],
    });
    const store = createSyncStore(backend.db, 'hubspot');
    const report = await connector(new VirtualClock()).sync(store, { log: () => undefined });
    expect(report.records['deals']).toBe(4);
    const synced = await readCanonical(backend.db, { source: 'hubspot' });
    expect(synced.deals.filter((d) => !d.deleted).map((d) => [d.id, d.closeDate])).toEqual([['14', '2026-02-01']]);
    const rejects = await listSyncRejects(backend.db, 'hubspot');
    expect(rejects.map((r) => [r.recordId, r.reason.replace(/ \(closedate\).*/, '')])).toEqual([
      ['11', 'close date "0000-01-01T00:00:00.000Z"'],
      ['12', 'close date "0026-03-01T00:00:00.000Z"'],
      ['13', 'close date "253402300800000"'],
    ]);
    expect(rejects.every((r) => r.source === 'hubspot deals' && r.reason.includes('outside the years 1900–2199'))).toBe(
      true,
    );
    // The page's cursor moved past all four: the next run does not read them again and again.
    expect(await store.cursor('deals')).toBe(JSON.stringify({ since: Date.parse('2026-02-01T10:00:03.000Z') }));
  });

  it('re-windows when the search answers 400 at its 10,000 cap, and reads each deal once', async () => {
    const scope = portalBasics(nock(BASE), { splits: false });
    const t1 = '2026-02-01T10:00:00.000Z';
    const t2 = '2026-02-02T10:00:00.000Z';
    const bodies: SearchBody[] = [];
    scope
      .post(
        '/crm/v3/objects/deals/search',
        (body: SearchBody) => (
          bodies.push(body),
          body.after === undefined && body.filterGroups[0]?.filters[0]?.value === '0'
        ),
      )
      .reply(200, {
        total: 12000,
        results: [deal('1', t1), deal('2', t2)],
        paging: { next: { after: '200', link: '' } },
      })
      // Past the cap: HubSpot refuses the page.
      .post('/crm/v3/objects/deals/search', (body: SearchBody) => body.after === '200')
      .reply(400, {
        status: 'error',
        message: 'There was a problem with the request.',
        correlationId: 'abc',
        category: 'VALIDATION_ERROR',
      })
      // The new window starts at the last seen timestamp, inclusive: deal 2 comes again and is skipped.
      .post(
        '/crm/v3/objects/deals/search',
        (body: SearchBody) => body.after === undefined && body.filterGroups[0]?.filters[0]?.value === ms(t2),
      )
      .reply(200, { total: 2, results: [deal('2', t2), deal('3', '2026-02-03T10:00:00.000Z')] });
    const log: string[] = [];
    const report = await connector(new VirtualClock(), {}, log).sync(createSyncStore(backend.db, 'hubspot'), {
      log: (m) => log.push(m),
    });

    // Every interceptor was used: the third one only matches the new window (from t2, no `after`).
    expect(scope.isDone()).toBe(true);
    expect(bodies[0]?.filterGroups[0]?.filters[0]?.value).toBe('0');
    expect(report.records['deals']).toBe(3);
    expect(
      (await readCanonical(backend.db, { source: 'hubspot' })).deals.filter((d) => !d.deleted).map((d) => d.id),
    ).toEqual(['1', '2', '3']);
    expect(log.join('\n')).toMatch(/no deal splits in this portal/);
  });

  it('re-windows before the cap without asking for a page past it', async () => {
    const scope = portalBasics(nock(BASE), { splits: false });
    const t = '2026-02-05T10:00:00.000Z';
    const bodies: SearchBody[] = [];
    scope
      .post(
        '/crm/v3/objects/deals/search',
        (body: SearchBody) => (
          bodies.push(body),
          body.after === undefined && body.filterGroups[0]?.filters[0]?.value === '0'
        ),
      )
      .reply(200, { total: 20000, results: [deal('1', t)], paging: { next: { after: '9900', link: '' } } })
      .post(
        '/crm/v3/objects/deals/search',
        (body: SearchBody) => body.after === undefined && body.filterGroups[0]?.filters[0]?.value === ms(t),
      )
      .reply(200, { total: 1, results: [deal('1', t), deal('4', '2026-02-06T00:00:00.000Z')] });
    await connector(new VirtualClock()).sync(createSyncStore(backend.db, 'hubspot'), { log: () => undefined });
    expect(scope.isDone()).toBe(true);
    expect(bodies.every((b) => b.after === undefined)).toBe(true);
  });

  it('backs off and retries a 429 TEN_SECONDLY_ROLLING, surfacing no error', async () => {
    const scope = nock(BASE)
      .get('/crm/v3/properties/deals')
      .reply(429, HUBSPOT_ANSWERS.tenSecondlyLimit(), {
        'X-HubSpot-RateLimit-Max': '190',
        'X-HubSpot-RateLimit-Remaining': '0',
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      })
      .get('/crm/v3/properties/deals')
      .reply(200, { results: [{ name: 'dealname' }] });
    const clock = new VirtualClock();
    const log: string[] = [];
    const api = new HubspotApi(config(), (m) => log.push(m), { clock });
    const answer = await api.request<{ results: unknown[] }>('GET properties', 'standard', {
      method: 'GET',
      path: '/crm/v3/properties/deals',
    });
    expect(answer.results).toHaveLength(1);
    expect(scope.isDone()).toBe(true);
    expect(api.apiCalls).toBe(2);
    // Held for the interval before the retry.
    expect(clock.time).toBeGreaterThanOrEqual(10_000);
    expect(log.join('\n')).toMatch(/429 TEN_SECONDLY_ROLLING on GET properties; waiting 10000 ms/);
  });

  it('stops the sync on a DAILY 429, keeping what was stored and its cursor, and says so', async () => {
    const scope = portalBasics(nock(BASE), { splits: false });
    scope
      .post('/crm/v3/objects/deals/search', (body: SearchBody) => body.after === undefined)
      .reply(200, {
        total: 400,
        results: [deal('1', '2026-02-01T10:00:00.000Z')],
        paging: { next: { after: '1', link: '' } },
      })
      .post('/crm/v3/objects/deals/search', (body: SearchBody) => body.after === '1')
      .reply(429, HUBSPOT_ANSWERS.dailyLimit());
    const store = createSyncStore(backend.db, 'hubspot');
    const report = await connector(new VirtualClock()).sync(store, { log: () => undefined });
    expect(report.stoppedEarly).toMatch(/daily API limit .* the next run resumes from the saved cursor/);
    expect(await store.cursor('deals')).toBe(JSON.stringify({ since: Date.parse('2026-02-01T10:00:00.000Z') }));
    expect((await readCanonical(backend.db, { source: 'hubspot' })).deals.map((d) => d.id)).toEqual(['1']);
  });

  it('refreshes an OAuth access token ahead of its expiry, never waiting for a 401', async () => {
    let wall = Date.parse('2026-03-01T00:00:00Z');
    const forms: string[] = [];
    const scope = nock(BASE)
      .post('/oauth/v3/token', (body: string) => (forms.push(body), true))
      .reply(200, { token_type: 'bearer', refresh_token: 'rt-1', access_token: 'at-1', expires_in: 1800 })
      .get('/crm/v3/owners')
      .query(true)
      .matchHeader('authorization', 'Bearer at-1')
      .reply(200, { results: [] })
      .post('/oauth/v3/token')
      .reply(200, { token_type: 'bearer', refresh_token: 'rt-1', access_token: 'at-2', expires_in: 1800 })
      .get('/crm/v3/owners')
      .query(true)
      .matchHeader('authorization', 'Bearer at-2')
      .reply(200, { results: [] });
    const api = new HubspotApi(
      config({ auth: { clientId: 'cid', clientSecret: 'csecret', refreshToken: 'rt-1' } }),
      () => undefined,
      { clock: new VirtualClock(), wallNow: () => wall },
    );
    const owners = { method: 'GET' as const, path: '/crm/v3/owners', qs: { limit: '1' } };
    await api.request('owners', 'standard', owners);
    // 26 minutes later the token has 4 minutes left: refreshed before the request, not after a 401.
    wall += 26 * 60_000;
    await api.request('owners', 'standard', owners);
    expect(scope.isDone()).toBe(true);
    expect(new URLSearchParams(forms[0]).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(forms[0]).get('refresh_token')).toBe('rt-1');
  });

  it('a refused token is AUTH_FAILED (exit 3) naming the cause, never the token', async () => {
    nock(BASE).get('/crm/v3/properties/deals').reply(401, {
      status: 'error',
      message: 'Authentication credentials not found.',
      correlationId: 'x',
      category: 'INVALID_AUTHENTICATION',
    });
    const error = await connector(new VirtualClock())
      .sync(createSyncStore(backend.db, 'hubspot'), { log: () => undefined })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectorError', code: 'AUTH_FAILED', exitCode: 3 });
    expect((error as Error).message).toMatch(/Authentication credentials not found/);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('an unknown mapped property is INVALID_CONFIG before anything is stored', async () => {
    portalBasics(nock(BASE));
    const error = await connector(new VirtualClock(), { fields: { type: 'dealtyp' } })
      .sync(createSyncStore(backend.db, 'hubspot'), { log: () => undefined })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', exitCode: 2 });
    expect((error as Error).message).toMatch(
      /source.hubspot.fields.type: the portal has no deal property "dealtyp" \(did you mean "dealtype"\?\)/,
    );
    expect((await readCanonical(backend.db, { source: 'hubspot' })).reps).toEqual([]);
  });

  it('batch-upserts 100 per call, matching results by attain_key (not position) and keeping per-record errors', async () => {
    const record = (i: number): CommissionRecord => ({
      key: `ae|101|2026-0${(i % 9) + 1}|c${i}`,
      repId: '101',
      planId: 'ae',
      period: `2026-0${(i % 9) + 1}`,
      component: `c${i}`,
      amount: `${i}.00`,
      currency: 'USD',
      trace: '{}',
    });
    const records = Array.from({ length: 101 }, (_, i) => record(i));
    const sizes: number[] = [];
    const scope = nock(BASE)
      .get('/crm/v3/schemas')
      .reply(200, {
        results: [
          {
            id: '1',
            objectTypeId: '2-777',
            name: 'attain_commission',
            properties: ['attain_key', 'period', 'plan', 'component', 'currency', 'trace']
              .map((name) => ({ name, type: 'string', hasUniqueValue: name === 'attain_key' }))
              .concat(['amount', 'attainment'].map((name) => ({ name, type: 'number', hasUniqueValue: false }))),
            associations: [
              { id: '51', fromObjectTypeId: '2-777', toObjectTypeId: '0-3', name: 'attain_commission_to_deal' },
            ],
          },
        ],
      })
      .post('/crm/v3/objects/2-777/batch/upsert')
      .times(2)
      .reply((_uri, body) => {
        const inputs = (body as { inputs: { id: string; idProperty: string; properties: Record<string, string> }[] })
          .inputs;
        sizes.push(inputs.length);
        const bad = inputs.find((input) => input.id === records[3]!.key);
        const results = inputs
          .filter((input) => input !== bad)
          .map((input, n) => ({ id: String(5000 + n), properties: { ...input.properties }, new: true }))
          .reverse();
        return bad
          ? [
              207,
              {
                status: 'COMPLETE',
                results,
                numErrors: 1,
                errors: [
                  {
                    status: 'error',
                    category: 'VALIDATION_ERROR',
                    message: 'Property values were not valid',
                    context: { id: [bad.id] },
                  },
                ],
              },
            ]
          : [200, { status: 'COMPLETE', results }];
      });
    const target = await connector(new VirtualClock()).writeback();
    const outcomes = await target.upsert(records);
    expect(scope.isDone()).toBe(true);
    expect(sizes).toEqual([100, 1]);
    const byKey = new Map(outcomes.map((o) => [o.key, o]));
    expect(byKey.get(records[3]!.key)).toEqual({
      key: records[3]!.key,
      ok: false,
      error: 'VALIDATION_ERROR: Property values were not valid',
    });
    expect(byKey.get(records[0]!.key)).toMatchObject({ ok: true });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(100);
    // Results came back reversed: the last input of the first batch got the first id.
    expect(byKey.get(records[99]!.key)?.externalId).toBe('5098');
  });
});
