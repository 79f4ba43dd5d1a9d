/**
 * `attain statements PERIOD --to-crm` against the local org with the real jsforce
 * (docs/statements-and-payroll.md#statements-in-the-crm): each rep's PDF as a File on their
 * Attain_Statement__c record, owned by the rep; an unchanged statement is not uploaded again, a
 * changed one becomes a new version of the same File.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakeOrg } from './fake-org.js';
import { twoRepWorkspace } from './two-rep-workspace.js';

let org: FakeOrg;
let dispose: () => void;
let dir: string;

async function run(): Promise<void> {
  const result = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
}

async function toCrm(): Promise<string> {
  const result = await runCli(['--workspace', dir, 'statements', '2026-02', '--to-crm', '--by', 'ann']);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return result.out;
}

beforeAll(async () => {
  org = await new FakeOrg().start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  org.addUser({ Id: '005B', Name: 'Bo Rep' });
  org.putOpportunity({ Id: '006A', Name: 'Acme', OwnerId: '005A', Amount: 80000, CloseDate: '2026-02-20' });
  org.putOpportunity({ Id: '006B', Name: 'Bolt', OwnerId: '005B', Amount: 40000, CloseDate: '2026-02-10' });
  ({ dir, dispose } = twoRepWorkspace(org.url, 'statements'));
});

afterAll(async () => {
  await org.stop();
  dispose();
});

describe('statements in Salesforce', () => {
  it('puts each PDF on the rep-owned statement record, only when the statement changed', async () => {
    await run();
    expect(await toCrm()).toBe('2 statements for 2026-02 sent to salesforce-statements, 0 unchanged\n');

    const ada = org.statements.get('005A|2026-02')!;
    expect(ada).toMatchObject({
      Name: 'Statement 2026-02 - Ada Rep',
      OwnerId: '005A',
      Rep__c: '005A',
      Period__c: '2026-02',
      Status__c: 'draft',
      Totals__c: '4000.00 USD',
    });
    expect(org.contentVersions).toHaveLength(2);
    const [first] = org.contentVersions.filter((v) => v['FirstPublishLocationId'] === ada.Id);
    expect(first).toMatchObject({ PathOnClient: '2026-02-005A.pdf', Title: 'Statement 2026-02 - Ada Rep' });
    expect(first!.VersionData.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // Nothing changed: nothing is uploaded.
    expect(await toCrm()).toBe('0 statements for 2026-02 sent to salesforce-statements, 2 unchanged\n');
    expect(org.contentVersions).toHaveLength(2);

    // Acme grows: Ada's statement alone is sent, as a new version of the same File.
    org.putOpportunity({ Id: '006A', Amount: 90000 });
    await run();
    expect(await toCrm()).toBe('1 statement for 2026-02 sent to salesforce-statements, 1 unchanged\n');
    expect(org.contentVersions).toHaveLength(3);
    const latest = org.contentVersions[2]!;
    expect(latest.ContentDocumentId).toBe(first!.ContentDocumentId);
    expect(latest['FirstPublishLocationId']).toBe(ada.Id);
    expect(org.statements.get('005A|2026-02')!['Totals__c']).toBe('4500.00 USD');

    const audit = await runCli(['--workspace', dir, 'audit', '--json']);
    expect(audit.out).toContain('salesforce-statements');
  }, 240_000);

  it('needs somewhere to put them', async () => {
    const result = await runCli(['--workspace', dir, 'statements', '2026-02']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--out DIR, --to-crm, or both');
  }, 60_000);
});
