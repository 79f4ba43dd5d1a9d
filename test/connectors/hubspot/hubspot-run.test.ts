/**
 * End to end: `attain run` on a workspace with `source.kind: hubspot`, whose baseUrl is a local
 * portal (fake-portal.ts) the real @hubspot/api-client talks to. Deals and owners in, commission
 * records out; a second run after one deal changes sends exactly the changed records.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { FakePortal } from './fake-portal.js';

const TOKEN = 'pat-na1-e2e-secret-token';

const PLAN = `id: ae
name: Account Executive
currency: USD
quotaPeriod: quarter
payoutPeriod: quarter
measures:
  bookings: { credit: splits }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0, rate: 0.10 }
  - id: multi-year-spiff
    kind: per-deal
    measure: bookings
    where: { contractTermMonths: { gte: 24 } }
    amount: 500
`;

function workspace(baseUrl: string, extra = ''): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'attain-hubspot-'));
  const dir = join(root, 'ws');
  mkdirSync(join(dir, 'plans'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(
    join(dir, 'attain.yaml'),
    `source:
  kind: hubspot
  hubspot:
    baseUrl: ${baseUrl}
    auth: { accessToken: \${HUBSPOT_TOKEN} }
    fields: { contractTermMonths: contract_term${extra} }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
`,
  );
  writeFileSync(join(dir, 'plans', 'ae.yaml'), PLAN);
  writeFileSync(join(dir, 'data', 'quotas.csv'), 'repId,period,amount\n101,2026-Q1,100000\n102,2026-Q1,100000\n');
  writeFileSync(join(dir, 'data', 'assignments.csv'), 'repId,planId,from,to\n101,ae,2026-01-01,\n102,ae,2026-01-01,\n');
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function seed(portal: FakePortal): void {
  portal.owners = [
    { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' },
    { id: '102', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor' },
    { id: '103', email: 'cy@example.com', firstName: 'Cy', lastName: 'Old', archived: true },
  ];
  const deal = portal.putDeal.bind(portal);
  deal('1', '101', '50000', 'closedwon', '2026-02-10T15:00:00.000Z');
  deal('2', '102', '20000', 'closedwon', '2026-02-11T15:00:00.000Z', { contract_term: '36' });
  deal('3', '101', '10000', 'closedwon', '2026-02-12T15:00:00.000Z');
  deal('4', null, '999', 'closedwon', '2026-02-13T15:00:00.000Z');
  deal('5', '102', '5000', 'mystery-stage', '2026-02-14T15:00:00.000Z');
  deal('6', '101', 'twelve', 'closedwon', '2026-02-15T15:00:00.000Z');
  deal('7', '102', '7000', 'appointmentscheduled', '2026-02-16T15:00:00.000Z');
  // Deal 3 is split 60/40 between Ana and Ben in HubSpot.
  portal.splits.set('3', [
    { owner: '101', fraction: '0.6' },
    { owner: '102', fraction: '0.4' },
  ]);
}

/** The deals a commission record (by key) is associated with in the portal. */
function linkedDeals(portal: FakePortal, key: string): string[] {
  const row = portal.commissions.get(key);
  return row ? [...(portal.dealAssociations.get(row.id) ?? [])].sort() : [];
}

describe('attain run with a HubSpot source', () => {
  const portal = new FakePortal({ token: TOKEN });
  let baseUrl = '';
  beforeAll(async () => {
    baseUrl = await portal.start();
    seed(portal);
    process.env['HUBSPOT_TOKEN'] = TOKEN;
  });
  afterAll(async () => {
    await portal.stop();
    delete process.env['HUBSPOT_TOKEN'];
  });

  it('pulls, calculates and writes back; a second run sends only what changed', async () => {
    const ws = workspace(baseUrl);
    try {
      let result = await runCli(['hubspot', 'setup', '--workspace', ws.dir]);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(portal.schemaCreated).toBe(true);

      result = await runCli(['run', '--workspace', ws.dir]);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      const keys = [...portal.commissions.keys()].sort();
      // Ana: 50,000 + 60 % of 10,000 = 56,000 at 10 %; Ben: 20,000 + 4,000 = 24,000, and a spiff for deal 2 (36 months).
      expect(keys).toEqual([
        'ae|101|2026-Q1|commission',
        'ae|102|2026-Q1|commission',
        'ae|102|2026-Q1|multi-year-spiff',
      ]);
      expect(portal.commissions.get('ae|101|2026-Q1|commission')?.properties).toMatchObject({
        amount: '5600.00',
        hubspot_owner_id: '101',
        plan: 'ae',
        period: '2026-Q1',
      });
      expect(portal.commissions.get('ae|102|2026-Q1|commission')?.properties['amount']).toBe('2400.00');
      // The spiff pays on deal 2 alone: associated to it. Each commission line credits two deals: to none.
      expect(keys.map((key) => [key, linkedDeals(portal, key)])).toEqual([
        ['ae|101|2026-Q1|commission', []],
        ['ae|102|2026-Q1|commission', []],
        ['ae|102|2026-Q1|multi-year-spiff', ['2']],
      ]);
      // Deals without an owner, in an unknown stage or with an unparseable amount are rejects naming the HubSpot id.
      const calc = await runCli(['calc', '--json', '--workspace', ws.dir]);
      const rejects = (JSON.parse(calc.out) as { rejects: { source: string; recordId: string; reason: string }[] })
        .rejects;
      expect(rejects.filter((r) => r.source === 'hubspot deals').map((r) => [r.recordId, r.reason])).toEqual([
        ['4', 'no owner (hubspot_owner_id is empty)'],
        ['5', expect.stringContaining('unknown deal stage "mystery-stage"')],
        ['6', 'amount "twelve" (amount) is not a decimal number'],
      ]);

      // Deal 1 grows: only Ana's commission line changes.
      portal.upserts = [];
      portal.touch('1', { amount: '60000' }, new Date('2026-03-01T10:00:00Z'));
      result = await runCli(['run', '--workspace', ws.dir]);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(portal.upserts.map((u) => u.id)).toEqual(['ae|101|2026-Q1|commission']);
      expect(portal.upserts[0]?.properties['amount']).toBe('6600.00');

      // Deal 2 is deleted in HubSpot: Ben's lines shrink and the spiff record is archived.
      portal.upserts = [];
      portal.deals.get('2')!.archived = true;
      portal.deals.get('2')!.archivedAt = '2026-03-02T10:00:00Z';
      result = await runCli(['run', '--workspace', ws.dir]);
      expect(result.code).toBe(0);
      expect(portal.upserts.map((u) => u.id)).toEqual(['ae|102|2026-Q1|commission']);
      expect(portal.commissions.get('ae|102|2026-Q1|multi-year-spiff')?.archived).toBe(true);
      // Ben's commission now credits deal 3 alone: associated to it.
      expect(linkedDeals(portal, 'ae|102|2026-Q1|commission')).toEqual(['3']);
    } finally {
      ws.cleanup();
    }
  });

  it('a deal deleted in HubSpot between the sync and the write-back: the record is written, not linked, and the run succeeds', async () => {
    const own = new FakePortal({ token: TOKEN });
    const ws = workspace(await own.start());
    try {
      seed(own);
      expect((await runCli(['hubspot', 'setup', '--workspace', ws.dir])).code).toBe(0);
      // Deal 2 (the spiff's) is deleted as the write-back starts, after the sync read it.
      own.onUpsert = () => {
        own.deals.get('2')!.archived = true;
        own.deals.get('2')!.archivedAt = '2026-03-02T10:00:00Z';
      };
      const result = await runCli(['run', '--workspace', ws.dir]);
      expect(result.code).toBe(0);
      expect(result.out + result.err).toContain(
        '1 written but not associated to their deal (sent again next run): ae|102|2026-Q1|multi-year-spiff: not associated to deal 2',
      );
      expect(own.commissions.get('ae|102|2026-Q1|multi-year-spiff')?.archived).toBe(false);
      expect(linkedDeals(own, 'ae|102|2026-Q1|multi-year-spiff')).toEqual([]);

      // The next run's sync sees the deletion: the spiff line is gone, its record archived, and nothing is left incomplete.
      own.onUpsert = undefined;
      const next = await runCli(['run', '--workspace', ws.dir]);
      expect(next.code).toBe(0);
      expect(next.out + next.err).not.toContain('not associated');
      expect(own.commissions.get('ae|102|2026-Q1|multi-year-spiff')?.archived).toBe(true);
      expect(linkedDeals(own, 'ae|102|2026-Q1|commission')).toEqual(['3']);
    } finally {
      await own.stop();
      ws.cleanup();
    }
  });

  it('stops before storing anything when attain.yaml maps an unknown property', async () => {
    const ws = workspace(baseUrl, ', region: deal_regoin');
    try {
      const result = await runCli(['run', '--workspace', ws.dir]);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/source\.hubspot\.fields\.region: the portal has no deal property "deal_regoin"/);
    } finally {
      ws.cleanup();
    }
  });

  it('a wrong token exits 3 with the cause and never prints the token', async () => {
    const ws = workspace(baseUrl);
    process.env['HUBSPOT_TOKEN'] = 'pat-na1-wrong-token-value';
    try {
      const result = await runCli(['run', '--workspace', ws.dir]);
      expect(result.code).toBe(3);
      expect(result.err).toMatch(/refused the private app access token \(401/);
      expect(result.err).toMatch(/Authentication credentials not found/);
      expect(result.err + result.out).not.toContain('pat-na1-wrong-token-value');
    } finally {
      process.env['HUBSPOT_TOKEN'] = TOKEN;
      ws.cleanup();
    }
  });
});
