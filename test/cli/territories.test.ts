/** `attain territories` and `credit: territory` end to end, on a workspace worked by hand (territory-workspace.ts). */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { TERRITORY_FILES, territoryWorkspaces } from './territory-workspace.js';

const make = territoryWorkspaces();

describe('attain territories', () => {
  it('--json: each territory with its accounts, pipeline, T12M bookings, reps and balance', async () => {
    const { code, out, err } = await runCli(['territories', '--workspace', make(), '--as-of', '2026-06-30', '--json']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(out);
    // ny-metro: acme (10001 in 100–119): open d5 3,000; won d1 10,000 (d7 of 2025-05-01 is older than 12 months).
    // na-east: globex (07030 is outside ny-metro's codes). na-west: initech and hooli; open d4 8,000, won d3 5,000.
    // Potentials 0, 20,000, 13,000, 13,000: mean 11,500; balances 0.00, 1.74, 1.13, 1.13.
    expect(report.territories).toEqual([
      {
        id: 'na',
        name: 'North America',
        accounts: 0,
        openPipeline: '0.00',
        bookingsT12M: '0.00',
        reps: [],
        balance: '0.00',
      },
      {
        id: 'na-east',
        parent: 'na',
        accounts: 1,
        openPipeline: '0.00',
        bookingsT12M: '20000.00',
        reps: [{ repId: 'east2', role: 'owner', percent: '100' }],
        balance: '1.74',
      },
      {
        id: 'ny-metro',
        parent: 'na-east',
        accounts: 1,
        openPipeline: '3000.00',
        bookingsT12M: '10000.00',
        reps: [
          { repId: 'east1', role: 'owner', percent: '100' },
          { repId: 'se1', role: 'overlay', percent: '50' },
        ],
        balance: '1.13',
      },
      {
        id: 'na-west',
        parent: 'na',
        accounts: 2,
        openPipeline: '8000.00',
        bookingsT12M: '5000.00',
        reps: [{ repId: 'west1', role: 'owner', percent: '100' }],
        balance: '1.13',
      },
    ]);
    expect(report.unassigned).toEqual(['umbrella']);
    // hooli is in na-west (CA), held by west1; its CRM owner is east1.
    expect(report.ownerMismatches).toEqual([
      { accountId: 'hooli', ownerId: 'east1', territoryId: 'na-west', territoryReps: ['west1'] },
    ]);
    expect(report.accounts).toContainEqual({
      accountId: 'acme',
      name: 'Acme',
      territoryId: 'ny-metro',
      ownerId: 'east1',
    });
  });

  it('prints a table, the unassigned accounts and the owner mismatches', async () => {
    const { code, out } = await runCli(['territories', '--workspace', make(), '--as-of', '2026-06-30']);
    expect(code).toBe(0);
    expect(out).toMatch(
      /ny-metro\s+na-east\s+1\s+3,000\.00\s+10,000\.00\s+1\.13\s+east1 \(owner 100 %\), se1 \(overlay 50 %\)/,
    );
    expect(out).toContain('1 account in no territory: umbrella');
    expect(out).toContain('hooli: owner east1, territory na-west held by west1');
  });

  it('says so when the workspace has no territories.yaml', async () => {
    const { code, err } = await runCli([
      'territories',
      '--workspace',
      make({
        'territories.yaml': null,
        'plans/ae.yaml': TERRITORY_FILES['plans/ae.yaml']!.replace('credit: territory', 'credit: owner'),
        'data/territory-assignments.csv': null,
      }),
    ]);
    expect(code).toBe(2);
    expect(err).toContain('no territories.yaml');
  });
});

describe('credit: territory in attain calc', () => {
  it('credits the territory reps on the close date, overlays on top, rolled up to the manager', async () => {
    const { code, out } = await runCli(['calc', '--workspace', make(), '--as-of', '2026-06-30', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as {
      payouts: {
        repId: string;
        period: string;
        amount: string;
        trace: { deals?: { deal: string; territory?: string }[] };
      }[];
    };
    // 10 % of: east1 d1 10,000; se1 50 % of d1 = 5,000; east2 d2 20,000; west1 d3 5,000;
    // vp: everyone below (d1, d2, d3: 35,000). d6 (umbrella, no territory) credits no one.
    const byRep = Object.fromEntries(result.payouts.map((p) => [`${p.repId}/${p.period}`, p.amount]));
    expect(byRep).toEqual({
      'east1/2026-Q1': '1000.00',
      'se1/2026-Q1': '500.00',
      'east2/2026-Q1': '2000.00',
      'west1/2026-Q1': '500.00',
      'vp/2026-Q1': '3500.00',
    });
    const se1 = result.payouts.find((p) => p.repId === 'se1')!;
    expect(se1.trace.deals).toEqual([expect.objectContaining({ deal: 'd1', territory: 'ny-metro', percent: '50' })]);
  });
});

describe('bad territory input: exit 2, naming the file and line', () => {
  it.each([
    [
      'a rule on a field no account has',
      { 'territories.yaml': TERRITORY_FILES['territories.yaml']!.replace('region: [CA, WA]', 'regoin: [CA, WA]') },
      'territories.yaml:13:14 territories[3].where.regoin: unknown account field regoin',
    ],
    [
      'a cycle',
      {
        'territories.yaml': TERRITORY_FILES['territories.yaml']!.replace(
          '    where: { country: [US, CA] }',
          '    parent: ny-metro',
        ),
      },
      'parents loop: na → ny-metro → na-east → na',
    ],
    [
      'a duplicate id',
      { 'territories.yaml': TERRITORY_FILES['territories.yaml']!.replace('id: na-west', 'id: na-east') },
      'territories.yaml:11:9 territories[3].id: duplicate territory id na-east (first at territory 2)',
    ],
    [
      'owners above 100 % at once',
      {
        'data/territory-assignments.csv': `${TERRITORY_FILES['data/territory-assignments.csv']}west1,ny-metro,owner,20,2026-03-01,2026-03-31\n`,
      },
      'territory-assignments.csv:6 owners of territory ny-metro hold 120 % on 2026-03-01, more than 100',
    ],
    [
      'an unknown territory',
      {
        'data/territory-assignments.csv': `${TERRITORY_FILES['data/territory-assignments.csv']}west1,nowhere,owner,20,2026-03-01,\n`,
      },
      'territory-assignments.csv:6 rep west1 is assigned to unknown territory nowhere',
    ],
  ])('%s', async (_what, overrides, message) => {
    const { code, out, err } = await runCli(['calc', '--workspace', make(overrides), '--as-of', '2026-06-30']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
  });
});
