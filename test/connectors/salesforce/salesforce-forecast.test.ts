/**
 * The liability forecast from a Salesforce source (docs/report.md#liability-forecast): attain.yaml
 * maps Opportunity's standard Probability field into the deal's fields, read as a percent, the
 * default unit. Probability is a `percent` field, "Percentage of estimated confidence in closing the
 * opportunity" (Object Reference, Opportunity:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm),
 * which the REST API returns as a number (`20.0`). The real jsforce talks to the local fake org; the
 * run stores the forecast on PGlite and PostgreSQL.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runPipeline } from '../../../jobs/run.js';
import { migrateToLatest } from '../../../src/db/index.js';
import { forEachBackend } from '../../db/backends.js';
import { AE_MONTHLY_PLAN } from '../plans.js';
import { FakeOrg } from './fake-org.js';

forEachBackend((backend) => {
  let org: FakeOrg;
  let root = '';
  let dir = '';
  beforeAll(async () => {
    await migrateToLatest(backend.db);
    org = await new FakeOrg({ extraOpportunityFields: { Probability: 'percent' } }).start();
    org.addUser({ Id: '005A', Name: 'Ada Rep' });
    org.putOpportunity({ Id: '006A', Name: 'Acme', OwnerId: '005A', Amount: 80000, CloseDate: '2026-01-20' });
    const open = { StageName: 'Prospecting', IsWon: false, IsClosed: false, OwnerId: '005A' };
    // 30,000 more at 5 % (Ada stays below quota) = 1,500.00 in March; × 20 % = 300.00.
    org.putOpportunity({ ...open, Id: '006B', Name: 'Bolt', Amount: 30000, CloseDate: '2026-03-10', Probability: 20 });
    // 2,345.50 × 5 % = 117.275, the line rounded half-even to 117.28; × 12.5 % = 14.66.
    org.putOpportunity({
      ...open,
      Id: '006C',
      Name: 'Cog',
      Amount: 2345.5,
      CloseDate: '2026-03-12',
      Probability: 12.5,
    });
    org.putOpportunity({ ...open, Id: '006D', Name: 'Dyn', Amount: 1000, CloseDate: '2026-03-14', Probability: null });
    root = mkdtempSync(join(tmpdir(), 'attain-sf-forecast-'));
    dir = join(root, 'workspace');
    mkdirSync(join(dir, 'plans'), { recursive: true });
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'plans', 'ae.yaml'), AE_MONTHLY_PLAN);
    writeFileSync(join(dir, 'data', 'quotas.csv'), 'repId,period,amount\n005A,2026-Q1,200000\n');
    writeFileSync(join(dir, 'data', 'assignments.csv'), 'repId,planId,from,to\n005A,ae,2026-01-01,\n');
    writeFileSync(
      join(dir, 'attain.yaml'),
      `source:
  kind: salesforce
  salesforce:
    loginUrl: ${org.url}
    apiVersion: "62.0"
    auth: { flow: client-credentials, clientId: attain-client, clientSecret: \${SF_TEST_CLIENT_SECRET} }
    fields: { probability: Probability }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
baseCurrency: USD
writeback: { enabled: false }
`,
    );
    process.env['SF_TEST_CLIENT_SECRET'] = 'attain-secret';
  });
  beforeEach(() => backend.truncateAll());
  afterAll(async () => {
    delete process.env['SF_TEST_CLIENT_SECRET'];
    await org.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('weights each open opportunity’s estimate by its Probability, a percent', async () => {
    await runPipeline({ workspaceDir: dir, trigger: 'test', database: backend.database, asOf: '2026-03-31' });
    const rows = await backend.db
      .selectFrom('liability_forecast')
      .select(['deal_id', 'period', 'commission', 'probability', 'expected', 'reason'])
      .orderBy('deal_id')
      .execute();
    expect(
      rows.map((r) => [
        r.deal_id,
        r.period,
        Number(r.commission),
        r.probability === null ? null : Number(r.probability),
        r.expected === null ? null : Number(r.expected),
        r.reason,
      ]),
    ).toEqual([
      ['006B', '2026-03', 1500, 0.2, 300, null],
      ['006C', '2026-03', 117.28, 0.125, 14.66, null],
      ['006D', '2026-03', 50, null, null, 'no probability'],
    ]);
    const [view] = await backend.db.selectFrom('commission_liability_forecast').selectAll().execute();
    expect(view).toMatchObject({ period: '2026-03', rep_id: '005A', rep_name: 'Ada Rep', deals: 3 });
    expect([Number(view!.pipeline), Number(view!.expected)]).toEqual([1667.28, 314.66]);
  });
});
