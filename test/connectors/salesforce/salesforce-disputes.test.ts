/**
 * Disputes raised in Salesforce (docs/write-back.md#disputes), end to end through `attain run`
 * against the local org with the real jsforce: a rep fills the dispute fields of their own
 * Attain_Commission__c record; the next run reads it into the ledger and its write-back leaves those
 * fields as the rep wrote them; `attain disputes resolve` writes the settlement back; a rep who
 * reopens the record raises a new dispute; a dispute whose line disappears stays, marked so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakeOrg } from './fake-org.js';
import { twoRepWorkspace } from './two-rep-workspace.js';

let org: FakeOrg;
let dispose: () => void;
let dir: string;

const KEY = 'ae|005A|2026-01|commission';

interface ListedDispute {
  id: string;
  lineKey: string;
  status: string;
  reason: string;
  openedBy: string;
  source: string;
  externalId: string;
  lineAmount: string;
  resolution: string | null;
  adjustment: string | null;
  adjustmentPeriod: string | null;
  lineGone: boolean;
  history: { action: string; by: string; note: string | null }[];
}

async function disputes(): Promise<ListedDispute[]> {
  const listed = await runCli(['--workspace', dir, 'disputes', 'list', '--json']);
  expect(listed.err).toBe('');
  return JSON.parse(listed.out) as ListedDispute[];
}

async function run(): Promise<string> {
  const result = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return result.out;
}

beforeAll(async () => {
  org = await new FakeOrg({ pageSize: 2 }).start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  org.addUser({ Id: '005B', Name: 'Bo Rep' });
  org.putOpportunity({ Id: '006A', Name: 'Acme', OwnerId: '005A', Amount: 80000, CloseDate: '2026-01-20' });
  org.putOpportunity({ Id: '006B', Name: 'Bolt', OwnerId: '005B', Amount: 40000, CloseDate: '2026-02-10' });
  org.putOpportunity({ Id: '006C', Name: 'Cog', OwnerId: '005A', Amount: 30000, CloseDate: '2026-02-15' });

  ({ dir, dispose } = twoRepWorkspace(org.url, 'disputes'));
});

afterAll(async () => {
  await org.stop();
  dispose();
});

describe('disputes raised on Salesforce commission records', () => {
  it('reads a dispute a rep raised, never overwrites it, writes the settlement back, and reads a reopened one as new', async () => {
    await run();
    expect(await disputes()).toEqual([]);
    const record = org.commissions.get(KEY)!;
    expect(record).toMatchObject({ Amount__c: '4000.00' });

    // The rep raises a dispute on their record in Salesforce; meanwhile the deal grows.
    org.editCommission(KEY, { Dispute_Reason__c: 'Acme was 90,000, not 80,000', Dispute_Status__c: 'Open' });
    org.putOpportunity({ Id: '006A', Amount: 90000 });
    const upserts = org.upserted.length;
    await run();

    const [opened] = await disputes();
    expect(opened).toMatchObject({
      id: '1',
      lineKey: KEY,
      status: 'open',
      reason: 'Acme was 90,000, not 80,000',
      openedBy: '005A',
      source: 'salesforce',
      externalId: record.Id,
      lineGone: false,
    });
    // The changed line was written again, and the rep's dispute is as they wrote it.
    expect(org.upserted.slice(upserts).flat()).toContain(KEY);
    expect(org.commissions.get(KEY)).toMatchObject({
      Amount__c: '4500.00',
      Dispute_Reason__c: 'Acme was 90,000, not 80,000',
      Dispute_Status__c: 'Open',
    });
    expect(org.commissions.get(KEY)!['Dispute_Resolution__c']).toBeUndefined();

    // Re-read at the cursor (>=), nothing new: the same dispute, not a second one.
    await run();
    expect(await disputes()).toHaveLength(1);

    // The rep rewords it: the ledger's reason follows, with the change in its history.
    org.editCommission(KEY, { Dispute_Reason__c: 'Acme was 90,000; please recheck' });
    await run();
    const [reworded] = await disputes();
    expect(reworded!.reason).toBe('Acme was 90,000; please recheck');
    expect(reworded!.history.map((h) => h.action)).toEqual(['open', 'reason-changed']);

    const resolved = await runCli([
      '--workspace',
      dir,
      'disputes',
      'resolve',
      '1',
      '--note',
      'Amount corrected in Salesforce; goodwill for the delay',
      '--by',
      'ann',
      '--adjust',
      '25',
    ]);
    expect(resolved.code).toBe(0);
    await run();

    const settled = org.commissions.get(KEY)!;
    expect(settled['Dispute_Status__c']).toBe('Resolved');
    expect(settled['Dispute_Reason__c']).toBe('Acme was 90,000; please recheck');
    expect(String(settled['Dispute_Resolution__c'])).toMatch(
      /^Resolved by ann on \d{4}-\d{2}-\d{2}: Amount corrected in Salesforce; goodwill for the delay\. Adjustment 25\.00 USD, paid in 2026-\d{2}\.$/,
    );
    const [done] = await disputes();
    expect(done!.status).toBe('resolved');
    expect(done!.history.map((h) => h.action)).toContain('crm-written');

    // Written once: the next run sends nothing for it and opens nothing.
    const before = org.upserted.length;
    await run();
    expect(org.upserted.slice(before).flat()).not.toContain(KEY);
    expect(await disputes()).toHaveLength(1);

    // The rep reopens the record: a new dispute, with its own id in the ledger.
    org.editCommission(KEY, { Dispute_Status__c: 'Open', Dispute_Reason__c: 'The adjustment is too small' });
    await run();
    const all = await disputes();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({
      status: 'open',
      reason: 'The adjustment is too small',
      externalId: `${record.Id}:2`,
    });
    expect(org.commissions.get(KEY)!['Dispute_Status__c']).toBe('Open');
  }, 300_000);

  it('keeps a dispute whose line disappears, marked so', async () => {
    const key = 'ae|005B|2026-02|commission';
    org.editCommission(key, { Dispute_Reason__c: 'Bolt closed in March', Dispute_Status__c: 'Open' });
    await run();
    expect((await disputes()).find((d) => d.lineKey === key)).toMatchObject({ status: 'open', lineGone: false });

    // Bolt moves to March: the February line and its record are gone.
    org.putOpportunity({ Id: '006B', CloseDate: '2026-03-05' });
    await run();
    expect(org.commissions.has(key)).toBe(false);
    const gone = (await disputes()).find((d) => d.lineKey === key)!;
    expect(gone).toMatchObject({ status: 'open', lineGone: true, reason: 'Bolt closed in March' });
    expect(gone.history.map((h) => h.action)).toEqual(['open', 'line-gone']);
    const listed = await runCli(['--workspace', dir, 'disputes', 'list']);
    expect(listed.out).toContain('line gone since');
  }, 120_000);

  it('rejects a dispute on a record that is no commission line, and goes on', async () => {
    const rejects = (out: string) => Number(/"rejects":(\d+),"msg":"run succeeded"/.exec(out)?.[1] ?? 0);
    const before = rejects(await run());
    org.commissions.set('not a key', {
      Id: 'a00000000000000999',
      Attain_Key__c: 'not a key',
      OwnerId: '005A',
      Dispute_Status__c: 'Open',
      Dispute_Reason__c: 'made by hand',
      SystemModstamp: org.stamp(),
    });
    const count = (await disputes()).length;
    const out = await run();
    expect(await disputes()).toHaveLength(count);
    expect(rejects(out)).toBe(before + 1);
    expect(out).toContain('1 on records that are no commission line (rejects)');
  }, 60_000);
});
