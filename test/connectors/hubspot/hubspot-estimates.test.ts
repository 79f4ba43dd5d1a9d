/**
 * Estimates into HubSpot (docs/estimates.md#in-the-crm), end to end against the local portal with
 * the real @hubspot/api-client: `attain hubspot setup` creates the `attain_estimate` object beside
 * the commission object; `attain run` writes one record per open deal, rep and plan, owned by the
 * rep and associated to the deal; an unchanged run sends none; a deal that closes or is deleted
 * loses its record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakePortal } from './fake-portal.js';
import { twoOwnerWorkspace } from './two-owner-workspace.js';
import { AE_QUARTERLY_PLAN } from '../plans.js';

const TOKEN = 'pat-na1-estimates-token';

const portal = new FakePortal({ token: TOKEN });
let dispose: () => void = () => undefined;
let dir = '';

async function cli(...args: string[]): Promise<string> {
  const result = await runCli(['--workspace', dir, ...args]);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return result.out;
}

/** The deals an estimate record (by key) is associated with in the portal. */
function linkedDeals(key: string): string[] {
  const row = portal.estimates.get(key);
  return row ? [...(portal.dealAssociations.get(row.id) ?? [])] : [];
}

beforeAll(async () => {
  const baseUrl = await portal.start();
  portal.owners = [
    { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' },
    { id: '102', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor' },
  ];
  portal.putDeal('1', '101', '50000', 'closedwon', '2026-02-10T15:00:00.000Z');
  portal.putDeal('2', '101', '20000', 'appointmentscheduled', '2026-02-11T15:00:00.000Z');
  portal.putDeal('3', '102', '10000', 'appointmentscheduled', '2026-02-12T15:00:00.000Z');
  ({ dir, dispose } = twoOwnerWorkspace(baseUrl, 'estimates', AE_QUARTERLY_PLAN, TOKEN));
});

afterAll(async () => {
  await portal.stop();
  dispose();
});

describe('estimates in HubSpot', () => {
  it('writes rep-owned estimates associated to the deal, changed-only, and removes a closed deal’s', async () => {
    expect(await cli('hubspot', 'setup')).toBe(
      'Created the attain_commission object (2-123).\nCreated the attain_estimate object (2-124).\n',
    );
    expect(portal.estimateSchemaCreated).toBe(true);

    expect(await cli('run', '--as-of', '2026-03-31')).toContain('estimates: 2 sent, 0 unchanged, 0 removed');
    expect([...portal.estimates.keys()].sort()).toEqual(['2|101|ae', '3|102|ae']);
    // 10 % of each open deal, closing on the as-of date (its own close date has passed).
    expect(portal.estimates.get('2|101|ae')?.properties).toMatchObject({
      amount: '2000.00',
      currency: 'USD',
      plan: 'ae',
      close_date: '2026-03-31',
      hubspot_owner_id: '101',
    });
    expect(portal.estimates.get('3|102|ae')?.properties).toMatchObject({ amount: '1000.00', hubspot_owner_id: '102' });
    expect(linkedDeals('2|101|ae')).toEqual(['2']);
    expect(linkedDeals('3|102|ae')).toEqual(['3']);

    // Nothing changed: nothing sent.
    const sent = portal.estimateUpserts.length;
    expect(await cli('run', '--as-of', '2026-03-31')).toContain('estimates: 0 sent, 2 unchanged, 0 removed');
    expect(portal.estimateUpserts).toHaveLength(sent);

    // Deal 2 closes won: its estimate is archived; Ben's is not sent again.
    portal.touch('2', { dealstage: 'closedwon' }, new Date('2026-03-01T10:00:00Z'));
    expect(await cli('run', '--as-of', '2026-03-31')).toContain('estimates: 0 sent, 1 unchanged, 1 removed');
    expect(portal.estimates.get('2|101|ae')?.archived).toBe(true);
    expect(portal.estimates.get('3|102|ae')?.archived).toBe(false);
    expect(portal.estimateUpserts).toHaveLength(sent);

    // Deal 3 is deleted in HubSpot: its estimate goes too.
    portal.deals.get('3')!.archived = true;
    portal.deals.get('3')!.archivedAt = '2026-03-02T10:00:00Z';
    expect(await cli('run', '--as-of', '2026-03-31')).toContain('estimates: 0 sent, 0 unchanged, 1 removed');
    expect(portal.estimates.get('3|102|ae')?.archived).toBe(true);
  }, 240_000);
});
