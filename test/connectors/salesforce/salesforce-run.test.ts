/**
 * End to end: `attain run` on a workspace with `source.kind: salesforce` whose loginUrl points to
 * the local org. Data in (users, opportunities, splits, dated rates), commission records out; a
 * second run after one deal changes sends exactly the records whose values changed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakeOrg } from './fake-org.js';
import { AE_MONTHLY_PLAN } from '../plans.js';

let org: FakeOrg;
let root: string;
let dir: string;

function workspace(fields = ''): void {
  writeFileSync(
    join(dir, 'attain.yaml'),
    `source:
  kind: salesforce
  salesforce:
    loginUrl: ${org.url}
    apiVersion: "62.0"
    auth: { flow: client-credentials, clientId: attain-client, clientSecret: \${SF_TEST_CLIENT_SECRET} }
${fields}calendar: { fiscalYearStartMonth: 1, tz: UTC }
baseCurrency: USD
`,
  );
}

beforeAll(async () => {
  org = await new FakeOrg({ pageSize: 2, multiCurrency: true }).start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  org.addUser({ Id: '005B', Name: 'Bo Rep' });
  org.rates.push({ Id: '04wE', IsoCode: 'EUR', StartDate: '2026-01-01', ConversionRate: 0.8 });
  org.putOpportunity({
    Id: '006A',
    Name: 'Acme',
    OwnerId: '005A',
    Amount: 80000,
    CloseDate: '2026-01-20',
    CurrencyIsoCode: 'USD',
  });
  org.putOpportunity({
    Id: '006B',
    Name: 'Bolt',
    OwnerId: '005B',
    Amount: 40000,
    CloseDate: '2026-02-10',
    CurrencyIsoCode: 'EUR',
  });
  org.putOpportunity({
    Id: '006C',
    Name: 'Cog',
    OwnerId: '005A',
    Amount: 30000,
    CloseDate: '2026-02-15',
    CurrencyIsoCode: 'USD',
  });
  org.putOpportunity({
    Id: '006N',
    Name: 'No amount',
    OwnerId: '005A',
    Amount: null,
    CloseDate: '2026-02-11',
    CurrencyIsoCode: 'USD',
  });
  org.putOpportunity({
    Id: '006U',
    Name: 'Stranger',
    OwnerId: '005Z',
    Amount: 1000,
    CloseDate: '2026-02-11',
    CurrencyIsoCode: 'USD',
  });
  org.putSplit({ Id: '0SpC1', OpportunityId: '006C', SplitOwnerId: '005A', SplitPercentage: 50, revenue: true });
  org.putSplit({ Id: '0SpC2', OpportunityId: '006C', SplitOwnerId: '005B', SplitPercentage: 50, revenue: true });

  root = mkdtempSync(join(tmpdir(), 'attain-sf-run-'));
  dir = join(root, 'workspace');
  mkdirSync(join(dir, 'plans'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'plans', 'ae.yaml'), AE_MONTHLY_PLAN);
  writeFileSync(join(dir, 'data', 'quotas.csv'), 'repId,period,amount\n005A,2026-Q1,100000\n005B,2026-Q1,100000\n');
  writeFileSync(
    join(dir, 'data', 'assignments.csv'),
    'repId,planId,from,to\n005A,ae,2026-01-01,\n005B,ae,2026-01-01,\n',
  );
  workspace();
  process.env['SF_TEST_CLIENT_SECRET'] = 'attain-secret';
});

afterAll(async () => {
  delete process.env['SF_TEST_CLIENT_SECRET'];
  await org.stop();
  rmSync(root, { recursive: true, force: true });
});

const snapshot = () => new Map([...org.commissions].map(([key, row]) => [key, JSON.stringify(row)]));

describe('attain run with a Salesforce source', () => {
  it('pulls, calculates and writes commission records back; a second run sends only what changed', async () => {
    const first = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);

    // Ada: 80,000 in January and 15,000 (her half of Cog) in February, at 5 % below quota.
    expect(org.commissions.get('ae|005A|2026-01|commission')).toMatchObject({
      Amount__c: '4000.00',
      OwnerId: '005A',
      Rep__c: '005A',
      Attainment__c: '95',
      Plan__c: 'ae',
    });
    expect(org.commissions.get('ae|005A|2026-02|commission')).toMatchObject({ Amount__c: '750.00' });
    // Bo: 40,000 EUR at 0.8 EUR per USD = 50,000 USD, plus 15,000: 65,000 × 5 %.
    expect(org.commissions.get('ae|005B|2026-02|commission')).toMatchObject({ Amount__c: '3250.00' });
    expect(JSON.parse(String(org.commissions.get('ae|005B|2026-02|commission')!['Trace__c']))).toBeTypeOf('object');
    // The rejects name the Salesforce Id: no amount here, an owner who is no rep downstream.
    expect(first.out).toContain('"rejects":2');

    const before = snapshot();
    const calls = org.upserted.length;
    org.putOpportunity({ Id: '006B', Amount: 48000 });
    const second = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
    expect(second.code).toBe(0);

    const after = snapshot();
    const changed = [...after.keys()].filter((key) => before.get(key) !== after.get(key)).sort();
    const sent = org.upserted.slice(calls).flat().sort();
    expect(changed).toEqual(['ae|005B|2026-02|commission']);
    expect(sent).toEqual(changed);
    expect(org.commissions.get('ae|005B|2026-02|commission')).toMatchObject({ Amount__c: '3750.00' });
  });

  it('catches an unknown mapped field before anything is written (exit 2)', async () => {
    const upserts = org.upserted.length;
    workspace('    fields: { amount: ARR__c }\n');
    try {
      const result = await runCli(['--workspace', dir, 'run']);
      expect(result.code).toBe(2);
      expect(result.err).toContain('fields.amount: Opportunity.ARR__c does not exist');
      expect(org.upserted.length).toBe(upserts);
    } finally {
      workspace();
    }
  });

  it('a wrong credential exits 3 with the cause and without the secret', async () => {
    process.env['SF_TEST_CLIENT_SECRET'] = 'not-the-secret-xyz';
    try {
      const result = await runCli(['--workspace', dir, 'run']);
      expect(result.code).toBe(3);
      expect(result.err).toContain('invalid_client');
      expect(result.err + result.out).not.toContain('not-the-secret-xyz');
    } finally {
      process.env['SF_TEST_CLIENT_SECRET'] = 'attain-secret';
    }
  });
});
