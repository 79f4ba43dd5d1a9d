/**
 * Estimates into Salesforce (docs/estimates.md#in-the-crm), end to end: `attain run` against the
 * local org with the real jsforce writes one Attain_Estimate__c per open opportunity and rep, owned
 * by the rep and linked to the opportunity; an unchanged second run sends none; an opportunity that
 * closes (or is deleted) loses its estimate record, and the others are not sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakeOrg } from './fake-org.js';
import { twoRepWorkspace } from './two-rep-workspace.js';

const WON = '006R000000AbCdAIAV';
const OPEN_ADA = '006R000000AbCdBIAV';
const OPEN_BO = '006R000000AbCdCIAV';
const OPEN = { StageName: 'Negotiation', IsWon: false, IsClosed: false };

let org: FakeOrg;
let dispose: () => void;
let dir: string;

async function run(): Promise<string> {
  const result = await runCli(['--workspace', dir, 'run', '--as-of', '2026-03-31']);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return result.out;
}

beforeAll(async () => {
  org = await new FakeOrg().start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  org.addUser({ Id: '005B', Name: 'Bo Rep' });
  org.putOpportunity({ Id: WON, Name: 'Acme', OwnerId: '005A', Amount: 80000, CloseDate: '2026-02-20' });
  org.putOpportunity({ Id: OPEN_ADA, Name: 'Bolt', OwnerId: '005A', Amount: 40000, CloseDate: '2026-03-20', ...OPEN });
  org.putOpportunity({ Id: OPEN_BO, Name: 'Cog', OwnerId: '005B', Amount: 10000, CloseDate: '2026-03-25', ...OPEN });
  ({ dir, dispose } = twoRepWorkspace(org.url, 'estimates'));
});

afterAll(async () => {
  await org.stop();
  dispose();
});

describe('estimates in Salesforce', () => {
  it('writes rep-owned estimates linked to the opportunity, changed-only, and removes a closed deal’s', async () => {
    const first = await run();
    expect(first).toContain('estimates: 2 sent, 0 unchanged, 0 removed');
    expect([...org.estimates.keys()].sort()).toEqual([`${OPEN_ADA}|005A|ae`, `${OPEN_BO}|005B|ae`]);
    const ada = org.estimates.get(`${OPEN_ADA}|005A|ae`)!;
    // Ada has 80,000 of 100,000 won this quarter: 40,000 more is 20,000 at 5 % and 20,000 at 8 %.
    expect(ada).toMatchObject({
      OwnerId: '005A',
      Rep__c: '005A',
      Opportunity__c: OPEN_ADA,
      Plan__c: 'ae',
      // Its close date (20 March) has passed by the as-of date: it is estimated as closing on that.
      Close_Date__c: '2026-03-31',
    });
    expect(Number(ada['Amount__c'])).toBe(2600);
    expect(Number(org.estimates.get(`${OPEN_BO}|005B|ae`)!['Amount__c'])).toBe(500);
    expect(JSON.parse(String(ada['Trace__c']))).toMatchObject({ closeDate: '2026-03-31' });

    // Nothing changed: nothing sent.
    const calls = org.estimatesUpserted.length;
    expect(await run()).toContain('estimates: 0 sent, 2 unchanged, 0 removed');
    expect(org.estimatesUpserted).toHaveLength(calls);

    // Bolt closes won: its estimate goes; Bo's is not sent again.
    org.putOpportunity({ Id: OPEN_ADA, StageName: 'Closed Won', IsWon: true, IsClosed: true });
    expect(await run()).toContain('estimates: 0 sent, 1 unchanged, 1 removed');
    expect([...org.estimates.keys()]).toEqual([`${OPEN_BO}|005B|ae`]);
    expect(org.estimatesUpserted).toHaveLength(calls);

    // Cog is deleted: its estimate goes too.
    org.deleteOpportunity(OPEN_BO);
    expect(await run()).toContain('estimates: 0 sent, 0 unchanged, 1 removed');
    expect(org.estimates.size).toBe(0);
  }, 240_000);
});
