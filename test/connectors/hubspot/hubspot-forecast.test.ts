/**
 * The liability forecast from a HubSpot source (docs/report.md#liability-forecast): attain.yaml maps
 * the deal's stage probability, HubSpot's `hs_deal_stage_probability`, into the deal's fields, and
 * `forecast.probabilityUnit: fraction` reads it as HubSpot writes it, a number from 0 to 1 (the
 * stage's probability: "probability is required with a value between 0.0 and 1.0",
 * https://developers.hubspot.com/docs/api/crm/pipelines; the deal property, "Deal probability",
 * https://knowledge.hubspot.com/crm-deals/hubspots-default-deal-properties). The real
 * @hubspot/api-client talks to the local fake portal; the run stores the forecast on PGlite and PostgreSQL.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runPipeline } from '../../../jobs/run.js';
import { migrateToLatest } from '../../../src/db/index.js';
import { forEachBackend } from '../../db/backends.js';
import { DEAL_PROPERTIES, FakePortal } from './fake-portal.js';
import { AE_QUARTERLY_PLAN } from '../plans.js';

const TOKEN = 'pat-na1-forecast-secret-token';

forEachBackend((backend) => {
  const portal = new FakePortal({ token: TOKEN, dealProperties: [...DEAL_PROPERTIES, 'hs_deal_stage_probability'] });
  let root = '';
  let dir = '';
  beforeAll(async () => {
    await migrateToLatest(backend.db);
    const baseUrl = await portal.start();
    root = mkdtempSync(join(tmpdir(), 'attain-hubspot-forecast-'));
    dir = join(root, 'ws');
    mkdirSync(join(dir, 'plans'), { recursive: true });
    mkdirSync(join(dir, 'data'));
    writeFileSync(
      join(dir, 'attain.yaml'),
      `source:
  kind: hubspot
  hubspot:
    baseUrl: ${baseUrl}
    auth: { accessToken: \${HUBSPOT_TOKEN} }
    fields: { probability: hs_deal_stage_probability }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
writeback: { enabled: false }
forecast: { probabilityUnit: fraction }
`,
    );
    writeFileSync(join(dir, 'plans', 'ae.yaml'), AE_QUARTERLY_PLAN);
    writeFileSync(join(dir, 'data', 'quotas.csv'), 'repId,period,amount\n101,2026-Q1,100000\n101,2026-Q2,100000\n');
    writeFileSync(join(dir, 'data', 'assignments.csv'), 'repId,planId,from,to\n101,ae,2026-01-01,\n');
    portal.owners = [{ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }];
    const deal = portal.putDeal.bind(portal);
    deal('1', '101', '50000', 'closedwon', '2026-02-10T15:00:00.000Z');
    // Open, in Appointment Scheduled (20 %): HubSpot's own deal probability.
    deal('2', '101', '12345', 'appointmentscheduled', '2026-02-11T15:00:00.000Z', {
      hs_deal_stage_probability: '0.2',
    });
    // Open, no probability: expected to pay nothing, with the reason.
    deal('3', '101', '10000', 'appointmentscheduled', '2026-02-12T15:00:00.000Z');
    process.env['HUBSPOT_TOKEN'] = TOKEN;
  });
  beforeEach(() => backend.truncateAll());
  afterAll(async () => {
    await portal.stop();
    delete process.env['HUBSPOT_TOKEN'];
    rmSync(root, { recursive: true, force: true });
  });

  it('weights each open deal’s estimate by hs_deal_stage_probability, read as a fraction', async () => {
    await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, asOf: '2026-03-31' });
    const rows = await backend.db
      .selectFrom('liability_forecast')
      .select(['deal_id', 'period', 'commission', 'probability', 'expected', 'reason'])
      .orderBy('deal_id')
      .execute();
    // 12,345 at 10 % = 1,234.50, × 0.2 = 246.90; deal 3's 1,000.00 has no weight.
    expect(
      rows.map((r) => [r.deal_id, r.period, Number(r.commission), r.probability && Number(r.probability)]),
    ).toEqual([
      ['2', '2026-Q1', 1234.5, 0.2],
      ['3', '2026-Q1', 1000, null],
    ]);
    expect(Number(rows[0]!.expected)).toBe(246.9);
    expect(rows[1]).toMatchObject({ expected: null, reason: 'no probability' });
    const view = await backend.db.selectFrom('commission_liability_forecast').selectAll().execute();
    expect(view).toHaveLength(1);
    expect(view[0]).toMatchObject({
      period: '2026-Q1',
      rep_id: '101',
      plan_id: 'ae',
      deals: 2,
      deals_without_probability: 1,
    });
    expect([Number(view[0]!.pipeline), Number(view[0]!.expected)]).toEqual([2234.5, 246.9]);
  });
});
