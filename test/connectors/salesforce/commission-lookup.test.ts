/**
 * The write-back into the local org (fake-org.ts, real jsforce) through `writeBackChanges`: a line
 * that credits one opportunity is linked to it by Opportunity__c and carries its period dates; the
 * next run sends nothing; a changed deal sends the line again; a dispute a rep wrote on the record
 * is never overwritten, and is no part of the hash.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.js';
import type { WritebackTarget } from '../../../connectors/source.js';
import { readCommissionRecords, writeBackChanges } from '../../../jobs/write-back.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { replaceResults } from '../../../src/db/run-store.js';
import { FiscalCalendar } from '../../../src/domain/periods.js';
import { Trace } from '../../../src/domain/trace.js';
import { forEachBackend } from '../../db/backends.js';
import { attainmentRow, line } from '../../db/fixtures.js';
import { FakeOrg } from './fake-org.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const calendar = new FiscalCalendar(1);
const DEAL = '006R000000AbCdEIAV';
const OTHER = '006R000000AbCdFIAV';

let org: FakeOrg;
beforeAll(async () => {
  org = await new FakeOrg({ publicKey: keys.publicKey }).start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  for (const Id of [DEAL, OTHER])
    org.putOpportunity({ Id, Name: Id, OwnerId: '005A', Amount: 1000, CloseDate: '2026-01-10' });
});
afterAll(() => org.stop());

async function target(at: FakeOrg = org, logs: string[] = []): Promise<WritebackTarget> {
  const connector = createSalesforceConnector(
    {
      config: {
        loginUrl: at.url,
        apiVersion: '62.0',
        auth: {
          flow: 'jwt',
          clientId: 'attain-client',
          username: 'integration@acme.test',
          privateKey: keys.privateKey,
        },
        fields: {},
      },
      workspaceDir: '/nonexistent',
      env: {},
      log: (m) => logs.push(m),
    },
    { retry: { retries: 1, baseDelayMs: 1 } },
  );
  return connector.writeback();
}

forEachBackend((backend) => {
  beforeAll(() => migrateToLatest(backend.db));
  beforeEach(async () => {
    await backend.truncateAll();
    org.commissions.clear();
    org.upserted.length = 0;
  });

  const spiff = (amount: string, deals: string[]) => ({
    ...line('005A', '2026-01', 'spiff', amount),
    trace: Trace.stored('spiff', { perDeal: '500', deals: deals.map((deal) => ({ deal, pays: '500' })) }),
  });
  const store = (lines: ReturnType<typeof line>[]) =>
    replaceResults(backend.db, {
      runId: 'run-1',
      planId: 'ae',
      periods: ['2026-01', '2026-Q1'],
      lines,
      attainment: [attainmentRow('005A', '2026-Q1', '1000', '1000', '1')],
    });
  const run = async () =>
    writeBackChanges(backend.db, await target(), await readCommissionRecords(backend.db, calendar));
  const KEY = 'ae|005A|2026-01|spiff';

  it('links a line of one opportunity, sends nothing when nothing changed, and again when its deal changes', async () => {
    await store([spiff('500.00', [DEAL])]);
    expect(await run()).toMatchObject({ sent: 1, failed: [], incomplete: [] });
    expect(org.commissions.get(KEY)).toMatchObject({
      Opportunity__c: DEAL,
      Period_Start__c: '2026-01-01',
      Period_End__c: '2026-01-31',
      Amount__c: '500.00',
    });
    expect(await run()).toMatchObject({ sent: 0, unchanged: 1 });

    // Same amount, another deal: the lookup is part of the hash.
    await store([spiff('500.00', [OTHER])]);
    expect(await run()).toMatchObject({ sent: 1, unchanged: 0 });
    expect(org.commissions.get(KEY)?.['Opportunity__c']).toBe(OTHER);

    // Now it pays on two deals: no single opportunity, so the lookup is cleared.
    await store([spiff('500.00', [DEAL, OTHER])]);
    expect(await run()).toMatchObject({ sent: 1 });
    expect(org.commissions.get(KEY)?.['Opportunity__c']).toBeNull();
    expect(org.upserted).toHaveLength(3);
  });

  it('never overwrites a dispute a rep wrote, and a dispute alone sends nothing', async () => {
    await store([spiff('500.00', [DEAL])]);
    await run();
    // The rep raises a dispute on their record in Salesforce.
    const row = org.commissions.get(KEY)!;
    Object.assign(row, { Dispute_Reason__c: 'The Acme renewal is missing', Dispute_Status__c: 'Open' });
    expect(await run()).toMatchObject({ sent: 0, unchanged: 1 });

    // The amount changes: the record is sent again, and the dispute stays as the rep wrote it.
    await store([spiff('650.00', [DEAL])]);
    expect(await run()).toMatchObject({ sent: 1 });
    expect(org.commissions.get(KEY)).toMatchObject({
      Amount__c: '650.00',
      Dispute_Reason__c: 'The Acme renewal is missing',
      Dispute_Status__c: 'Open',
    });
  });

  it('writes a line whose opportunity was deleted without the lookup, and says so', async () => {
    const gone = '006R000000GoneXIAV';
    await store([spiff('500.00', [gone])]);
    const summary = await run();
    expect(summary.failed).toEqual([]);
    expect(summary.incomplete).toEqual([
      { key: KEY, error: `not linked to opportunity ${gone}: ENTITY_IS_DELETED: entity is deleted` },
    ]);
    expect(org.commissions.get(KEY)).toMatchObject({ Opportunity__c: null, Amount__c: '500.00' });
  });

  it('into an org whose package predates the period dates and the lookup: written without them, and said so', async () => {
    const old = await new FakeOrg({ publicKey: keys.publicKey, missingPieces: ['link-fields'] }).start();
    try {
      old.addUser({ Id: '005A', Name: 'Ada Rep' });
      old.putOpportunity({ Id: DEAL, Name: DEAL, OwnerId: '005A', Amount: 1000, CloseDate: '2026-01-10' });
      await store([spiff('500.00', [DEAL])]);
      const logs: string[] = [];
      const summary = await writeBackChanges(
        backend.db,
        await target(old, logs),
        await readCommissionRecords(backend.db, calendar),
      );
      expect(summary).toMatchObject({ sent: 1, failed: [] });
      expect(old.commissions.get(KEY)).toMatchObject({ Amount__c: '500.00' });
      expect(old.commissions.get(KEY)).not.toHaveProperty('Opportunity__c');
      expect(logs.join('\n')).toContain('has no Period_Start__c, Period_End__c, Opportunity__c');
    } finally {
      await old.stop();
    }
  });
});
