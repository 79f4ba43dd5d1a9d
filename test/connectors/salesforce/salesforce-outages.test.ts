/**
 * `attain run` against an org that answers 15 % of its data requests with Salesforce's own 503
 * SERVER_UNAVAILABLE body and 5 % with its 500 UNKNOWN_EXCEPTION body. jsforce names such an error
 * by its code and drops the status; the connector must still see a passing outage and retry (GET
 * queries and PATCH upserts alike), so two runs in a row succeed and write every record.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { AE_MONTHLY_PLAN } from '../plans.js';
import { FakeOrg } from './fake-org.js';

let org: FakeOrg;
let root: string;
let dir: string;

beforeAll(async () => {
  org = await new FakeOrg({
    pageSize: 2,
    multiCurrency: true,
    faults: { unavailable: 0.15, unknownException: 0.05, seed: 10 },
  }).start();
  for (const id of ['005A', '005B', '005C']) org.addUser({ Id: id, Name: `Rep ${id}` });
  org.rates.push({ Id: '04wE', IsoCode: 'EUR', StartDate: '2026-01-01', ConversionRate: 0.8 });
  for (let i = 0; i < 9; i++) {
    org.putOpportunity({
      Id: `006${i}`,
      Name: `Deal ${i}`,
      OwnerId: ['005A', '005B', '005C'][Math.floor(i / 3)],
      Amount: 10_000 + i * 1_000,
      CloseDate: `2026-0${1 + (i % 3)}-1${i}`,
      CurrencyIsoCode: i % 2 ? 'EUR' : 'USD',
    });
  }
  root = mkdtempSync(join(tmpdir(), 'attain-sf-outages-'));
  dir = join(root, 'workspace');
  mkdirSync(join(dir, 'plans'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'plans', 'ae.yaml'), AE_MONTHLY_PLAN);
  writeFileSync(
    join(dir, 'data', 'quotas.csv'),
    'repId,period,amount\n005A,2026-Q1,100000\n005B,2026-Q1,100000\n005C,2026-Q1,100000\n',
  );
  writeFileSync(
    join(dir, 'data', 'assignments.csv'),
    'repId,planId,from,to\n005A,ae,2026-01-01,\n005B,ae,2026-01-01,\n005C,ae,2026-01-01,\n',
  );
  writeFileSync(
    join(dir, 'attain.yaml'),
    `source:
  kind: salesforce
  salesforce:
    loginUrl: ${org.url}
    apiVersion: "62.0"
    auth: { flow: client-credentials, clientId: attain-client, clientSecret: \${SF_OUTAGE_CLIENT_SECRET} }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
baseCurrency: USD
`,
  );
  process.env['SF_OUTAGE_CLIENT_SECRET'] = 'attain-secret';
});

afterAll(async () => {
  delete process.env['SF_OUTAGE_CLIENT_SECRET'];
  await org.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('Salesforce outages (its own 503 and 500 bodies)', () => {
  it('two attain runs in a row succeed, retrying every request the org refused', { timeout: 120_000 }, async () => {
    const first = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(org.commissions.size).toBe(9);

    org.putOpportunity({ Id: '0060', Amount: 12_345 });
    const second = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(org.commissions.get('ae|005A|2026-01|commission')).toMatchObject({ Amount__c: '617.25' });

    // Seed 10 puts both kinds of outage on the runs' way, on reads and on an upsert. Each request draws
    // the next number, so runs that make another request (the estimate object's describe) need
    // another seed to keep an upsert among the faulted.
    expect(org.faulted.some((f) => f.status === 503)).toBe(true);
    expect(org.faulted.some((f) => f.status === 500)).toBe(true);
    expect(org.faulted.some((f) => f.method === 'PATCH')).toBe(true);
  });
});
