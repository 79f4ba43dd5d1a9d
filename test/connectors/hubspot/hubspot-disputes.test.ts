/**
 * Disputes raised in HubSpot (docs/write-back.md#disputes), end to end through `attain run` against
 * the local portal with the real @hubspot/api-client: a rep fills the dispute properties of their
 * own `attain_commission` record; the next run reads it into the ledger and its write-back leaves
 * those properties as the rep wrote them; `attain disputes resolve` writes the settlement back; a
 * rep who reopens the record raises a new dispute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakePortal } from './fake-portal.js';
import { twoOwnerWorkspace } from './two-owner-workspace.js';

const TOKEN = 'pat-na1-disputes-token';
const KEY = 'ae|101|2026-Q1|commission';

const PLAN = `id: ae
name: Account Executive
currency: USD
quotaPeriod: quarter
payoutPeriod: quarter
measures:
  bookings: { credit: owner }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0, rate: 0.10 }
`;

interface ListedDispute {
  id: string;
  lineKey: string;
  status: string;
  reason: string;
  openedBy: string;
  source: string;
  externalId: string;
  history: { action: string }[];
}

const portal = new FakePortal({ token: TOKEN });
let dispose: () => void = () => undefined;
let dir: string;

async function disputes(): Promise<ListedDispute[]> {
  const listed = await runCli(['--workspace', dir, 'disputes', 'list', '--json']);
  expect(listed.err).toBe('');
  return JSON.parse(listed.out) as ListedDispute[];
}

async function run(): Promise<void> {
  const result = await runCli(['--workspace', dir, 'run']);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
}

beforeAll(async () => {
  const baseUrl = await portal.start();
  portal.owners = [
    { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' },
    { id: '102', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor' },
  ];
  portal.putDeal('1', '101', '50000', 'closedwon', '2026-02-10T15:00:00.000Z');
  portal.putDeal('2', '102', '20000', 'closedwon', '2026-02-11T15:00:00.000Z');
  ({ dir, dispose } = twoOwnerWorkspace(baseUrl, 'disputes', PLAN, TOKEN));
});

afterAll(async () => {
  await portal.stop();
  dispose();
});

describe('disputes raised on HubSpot commission records', () => {
  it('reads a dispute a rep raised, never overwrites it, writes the settlement back, and reads a reopened one as new', async () => {
    expect((await runCli(['hubspot', 'setup', '--workspace', dir])).code).toBe(0);
    await run();
    expect(portal.commissions.get(KEY)?.properties['amount']).toBe('5000.00');
    expect(await disputes()).toEqual([]);

    // Ana raises a dispute on her record in HubSpot; meanwhile deal 1 grows.
    portal.editCommission(KEY, { attain_dispute_reason: 'Deal 1 was 60,000', attain_dispute_status: 'open' });
    portal.touch('1', { amount: '60000' }, new Date('2026-03-01T10:00:00Z'));
    portal.upserts = [];
    await run();

    const [opened] = await disputes();
    expect(opened).toMatchObject({
      id: '1',
      lineKey: KEY,
      status: 'open',
      reason: 'Deal 1 was 60,000',
      openedBy: '101',
      source: 'hubspot',
      externalId: portal.commissions.get(KEY)!.id,
    });
    // Her record was written again, without a word about her dispute.
    expect(portal.upserts.map((u) => u.id)).toEqual([KEY]);
    expect(Object.keys(portal.upserts[0]!.properties).filter((p) => p.startsWith('attain_dispute'))).toEqual([]);
    expect(portal.commissions.get(KEY)?.properties).toMatchObject({
      amount: '6000.00',
      attain_dispute_reason: 'Deal 1 was 60,000',
      attain_dispute_status: 'open',
    });
    // The search asked for open disputes changed since the cursor, oldest first.
    expect(portal.log.filter((l) => l.path === '/crm/v3/objects/2-123/search').length).toBeGreaterThanOrEqual(2);

    const resolved = await runCli([
      '--workspace',
      dir,
      'disputes',
      'resolve',
      '1',
      '--note',
      'Right: the sync had not seen the new amount yet',
      '--by',
      'ann',
    ]);
    expect(resolved.code).toBe(0);
    portal.upserts = [];
    await run();
    expect(portal.upserts.map((u) => u.id)).toEqual([KEY]);
    expect(portal.commissions.get(KEY)?.properties).toMatchObject({
      attain_dispute_reason: 'Deal 1 was 60,000',
      attain_dispute_status: 'resolved',
      attain_dispute_resolution: expect.stringMatching(
        /^Resolved by ann on \d{4}-\d{2}-\d{2}: Right: the sync had not seen the new amount yet$/,
      ),
    });
    expect((await disputes())[0]!.history.map((h) => h.action)).toEqual(['open', 'resolve', 'crm-written']);

    // Written once: her record sent again for a new amount carries no dispute property any more.
    portal.touch('1', { amount: '61000' }, new Date('2026-03-02T10:00:00Z'));
    portal.upserts = [];
    await run();
    expect(portal.upserts.map((u) => u.id)).toEqual([KEY]);
    expect(Object.keys(portal.upserts[0]!.properties).filter((p) => p.startsWith('attain_dispute'))).toEqual([]);
    expect(portal.commissions.get(KEY)?.properties['attain_dispute_status']).toBe('resolved');

    // She reopens it: a new dispute.
    portal.editCommission(KEY, { attain_dispute_status: 'open', attain_dispute_reason: 'And deal 3?' });
    await run();
    const all = await disputes();
    expect(all.map((d) => [d.status, d.reason, d.externalId])).toEqual([
      ['resolved', 'Deal 1 was 60,000', portal.commissions.get(KEY)!.id],
      ['open', 'And deal 3?', `${portal.commissions.get(KEY)!.id}:2`],
    ]);
  }, 300_000);
});
