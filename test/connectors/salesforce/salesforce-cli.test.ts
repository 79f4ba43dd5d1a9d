/** `attain salesforce check | setup | login` against the local org, run in-process. */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMISSION_FIELDS, DISPUTE_FIELDS, LINK_FIELDS } from '../../../connectors/salesforce/commission-target.js';
import { runCli } from '../../cli/run-cli.js';
import { FakeOrg } from './fake-org.js';

let org: FakeOrg;
let bare: FakeOrg;
let root: string;

function workspaceFor(
  target: FakeOrg,
  name: string,
  extra = '',
  auth = 'auth: { flow: client-credentials, clientId: attain-client, clientSecret: ${SF_TEST_SECRET} }',
): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'attain.yaml'),
    `source:\n  kind: salesforce\n  salesforce:\n    loginUrl: ${target.url}\n    ${auth}\n${extra}`,
  );
  return dir;
}

beforeAll(async () => {
  org = await new FakeOrg({ apiLimit: 15_000 }).start();
  bare = await new FakeOrg({ commissionObject: false, splits: false }).start();
  root = mkdtempSync(join(tmpdir(), 'attain-sf-cli-'));
  process.env['SF_TEST_SECRET'] = 'attain-secret';
});

afterAll(async () => {
  delete process.env['SF_TEST_SECRET'];
  await org.stop();
  await bare.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('attain salesforce', () => {
  it('check: connects, reports API usage and the org, and says all is well', async () => {
    const result = await runCli(['--workspace', workspaceFor(org, 'ok'), 'salesforce', 'check']);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`Connected to ${org.url} (API 62.0, client-credentials flow)`);
    expect(result.out).toMatch(/API usage today: \d+ of 15000 .*a run stops after 3750 calls/);
    expect(result.out).toContain('Every mapped field exists and can be read; Attain_Commission__c is ready');
    // Single-currency org: said, with what to do about it.
    expect(result.out).toContain('multi-currency is off: every opportunity is taken as USD');
  });

  it('check: lists each problem with its fix and exits 2', async () => {
    // Opportunity.Account is a relationship (AccountId), Opportunity.Campaign is not one this org has.
    const dir = workspaceFor(bare, 'bad', '    fields: { amount: ARR__c, segment: Campaign.Name }\n');
    const result = await runCli(['--workspace', dir, 'salesforce', 'check']);
    expect(result.code).toBe(2);
    expect(result.out).toContain('✗ fields.amount: Opportunity.ARR__c does not exist or the user cannot read it');
    expect(result.out).toContain('fix: correct source.salesforce.fields.amount in attain.yaml');
    expect(result.out).toContain('✗ fields.segment: Opportunity has no relationship Campaign');
    expect(result.out).toContain('✗ Attain_Commission__c does not exist');
    expect(result.out).toContain('Opportunity splits: off');
  });

  it('check: an org without multi-currency whose user lacks permissions lists each problem with its fix', async () => {
    // Single currency; the user cannot read User (no object permission) and has no writer permission set.
    const restricted = await new FakeOrg({ multiCurrency: false, hidden: ['User'], commissionWritable: false }).start();
    try {
      const result = await runCli(['--workspace', workspaceFor(restricted, 'restricted'), 'salesforce', 'check']);
      expect(result.err).toBe('');
      expect(result.code).toBe(2);
      expect(result.out).toContain('Currencies: single currency USD; rates from data/fx.csv (the org has none)\n');
      expect(result.out).toContain(
        [
          '2 problems:',
          '  ✗ User is not visible to the integration user',
          '    fix: give the user "API Enabled" and read access to User',
          '  ✗ Attain_Commission__c: the integration user cannot create, edit and delete its records',
          '    fix: assign the Attain_Commission_Writer permission set to the integration user',
          'Note (not a problem):',
          '  • multi-currency is off: every opportunity is taken as USD',
          '    fix: enable multi-currency in Setup → Company Information if you sell in several currencies',
          '',
        ].join('\n'),
      );
      expect(result.out).not.toContain('Every mapped field exists');
      expect(result.out + result.err).not.toContain('attain-secret');
    } finally {
      await restricted.stop();
    }
  });

  it('setup: says what is missing, or that write-back is ready', async () => {
    const missing = await runCli(['--workspace', workspaceFor(bare, 'setup-bad'), 'salesforce', 'setup']);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('sf project deploy start --source-dir connectors/salesforce/metadata/force-app');
    const ready = await runCli(['--workspace', workspaceFor(org, 'setup-ok'), 'salesforce', 'setup']);
    expect(ready.out).toContain('write-back is ready');
    expect(ready.code).toBe(0);
    for (const piece of [
      'permission set Attain_Commission_Reader: assigned to 2 users',
      'permission set Attain_Commission_Writer: assigned to 1 user',
      'tab Attain_Commission__c',
      'list view My_Commissions',
      'list view This_Period',
      'list view Disputed',
      'compact layout Attain_Commission_Compact',
      'page layout (trace and dispute)',
      'Opportunity related list "Attain Commissions"',
      'report type Attain_Commissions_with_Reps_and_Opportunities',
      'report Attain_Commissions/Team_Commissions',
      'dashboard Attain_Commissions/Team_Commissions',
      'field Opportunity__c (lookup to Opportunity)',
      'field Dispute_Status__c',
      'object Attain_Statement__c (statements)',
      'object Attain_Estimate__c (estimates)',
      'Opportunity related list "Attain Estimates"',
    ])
      expect(ready.out).toContain(`✓ ${piece}`);
    expect(ready.out).not.toContain('✗');
  });

  it('setup: names each missing piece of the package with the command that deploys or assigns it', async () => {
    const partial = await new FakeOrg({
      missingPieces: [
        'reader',
        'tab',
        'list-views',
        'opportunity-related-list',
        'report-type',
        'dashboard',
        'dispute-fields',
        'statements',
        'estimates',
      ],
    }).start();
    try {
      const result = await runCli(['--workspace', workspaceFor(partial, 'setup-partial'), 'salesforce', 'setup']);
      expect(result.code).toBe(2);
      const deploy = 'sf project deploy start --source-dir connectors/salesforce/metadata/force-app';
      const problems = result.out.split('\n').filter((l) => l.includes('✗'));
      expect(problems).toEqual([
        '  ✗ Attain_Commission__c.Dispute_Reason__c (dispute) is missing or not visible',
        '  ✗ Attain_Commission__c.Dispute_Status__c (dispute) is missing or not visible',
        '  ✗ Attain_Commission__c.Dispute_Resolution__c (dispute) is missing or not visible',
        '  ✗ Attain_Statement__c (statements, for attain statements --to-crm) is missing or not visible',
        '  ✗ Attain_Estimate__c (estimates of open opportunities) is missing or not visible',
        '  ✗ permission set Attain_Commission_Reader is not in the org',
        '  ✗ the Attain_Commission__c tab is missing (or hidden from the integration user)',
        '  ✗ list view Attain_Commission__c.My_Commissions is missing',
        '  ✗ list view Attain_Commission__c.This_Period is missing',
        '  ✗ list view Attain_Commission__c.Disputed is missing',
        '  ✗ the Opportunity page layout has no "Attain Commissions" related list',
        '  ✗ the Opportunity page layout has no "Attain Estimates" related list',
        '  ✗ report type Attain_Commissions_with_Reps_and_Opportunities is missing',
        '  ✗ dashboard "Team commissions" (Attain_Commissions/Team_Commissions) is missing',
      ]);
      expect(result.out.split(deploy).length - 1).toBe(12);
      expect(result.out).toContain(
        'sf project deploy start --source-dir connectors/salesforce/metadata/opportunity-layout',
      );
      expect(result.out).toContain('✓ report Attain_Commissions/Team_Commissions');
    } finally {
      await partial.stop();
    }
  });

  it('setup: a reader permission set nobody holds says how to assign it', async () => {
    const unassigned = await new FakeOrg({ missingPieces: ['reader-assignments'] }).start();
    try {
      const result = await runCli(['--workspace', workspaceFor(unassigned, 'setup-unassigned'), 'salesforce', 'setup']);
      expect(result.code).toBe(2);
      expect(result.out).toContain('✗ permission set Attain_Commission_Reader is assigned to no one');
      expect(result.out).toContain('sf org assign permset --name Attain_Commission_Reader --on-behalf-of');
    } finally {
      await unassigned.stop();
    }
  });

  it('login: prints the authorize URL, then exchanges the code and names the env var', async () => {
    const dir = workspaceFor(
      org,
      'login',
      '',
      'auth: { flow: refresh-token, clientId: attain-client, clientSecret: ${SF_TEST_SECRET}, refreshToken: ${SF_TEST_RT} }',
    );
    const first = await runCli(['--workspace', dir, 'salesforce', 'login']);
    expect(first.code).toBe(0);
    expect(first.out).toContain(`${org.url}/services/oauth2/authorize?`);
    expect(first.out).toContain('response_type=code');
    const second = await runCli(['--workspace', dir, 'salesforce', 'login', '--code', 'aPrxCode']);
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(second.out).toContain('Store it as the environment variable SF_TEST_RT');
    expect(second.out).toContain('refresh-me');
  });
});

describe('the shipped metadata', () => {
  const objectDir = resolve(
    import.meta.dirname,
    '../../../connectors/salesforce/metadata/force-app/main/default/objects/Attain_Commission__c',
  );

  it('defines every field the write-back sets, with a unique external id', () => {
    const files = readdirSync(join(objectDir, 'fields')).map((f) => f.replace('.field-meta.xml', ''));
    expect(files.sort()).toEqual([...COMMISSION_FIELDS, ...LINK_FIELDS, ...DISPUTE_FIELDS].sort());
    const key = readFileSync(join(objectDir, 'fields', 'Attain_Key__c.field-meta.xml'), 'utf8');
    expect(key).toContain('<externalId>true</externalId>');
    expect(key).toContain('<unique>true</unique>');
    expect(readFileSync(join(objectDir, 'fields', 'Rep__c.field-meta.xml'), 'utf8')).toContain(
      '<referenceTo>User</referenceTo>',
    );
    expect(readFileSync(join(objectDir, 'Attain_Commission__c.object-meta.xml'), 'utf8')).toContain(
      '<sharingModel>Private</sharingModel>',
    );
  });
});
