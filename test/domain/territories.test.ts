import { describe, expect, it } from 'vitest';
import type { Account, Territory, TerritoryAssignment } from '../../src/domain/model.js';
import { decimal, formatDecimal } from '../../src/domain/decimal.js';
import { dayOf } from '../../src/domain/periods.js';
import {
  checkTerritoryAssignments,
  checkTerritoryTree,
  TerritoryMap,
  TerritoryReps,
  repTerritoryPotential,
  territoryPotential,
  unknownRuleFields,
} from '../../src/domain/territories.js';
import { deal, emptyData } from './builders.js';

function account(id: string, fields: Partial<Account> = {}): Account {
  return { id, name: id.toUpperCase(), fields: {}, deleted: false, ...fields };
}

/** na → na-east → ny-metro, na → na-west; emea catches everything outside North America with a tier-1 flag. */
const TREE: Territory[] = [
  { id: 'na', where: { country: ['US', 'CA'] } },
  { id: 'na-east', parent: 'na', where: { region: ['NY', 'NJ', 'MA'] } },
  { id: 'ny-metro', parent: 'na-east', postalCodes: [{ from: '100', to: '119' }] },
  { id: 'na-west', parent: 'na', where: { region: ['CA', 'WA'] } },
  { id: 'na-enterprise', parent: 'na', where: { employees: { gte: '5000' } } },
  { id: 'named', accounts: ['big-co'] },
];

describe('territory matching', () => {
  const map = new TerritoryMap(TREE);
  const of = (a: Account) => map.territoryOf(a);

  it('takes the deepest territory whose rules and whose parents rules hold', () => {
    // US + NY + 10001: na, na-east and ny-metro all match; ny-metro (depth 2) wins.
    expect(of(account('a1', { country: 'US', region: 'NY', postalCode: '10001' }))).toBe('ny-metro');
    // US + NY + 14604 (Rochester): outside 100–119, so na-east.
    expect(of(account('a2', { country: 'US', region: 'NY', postalCode: '14604' }))).toBe('na-east');
    // ZIP+4 compares on its first three characters: 11201-1234 is in 100–119.
    expect(of(account('a3', { country: 'US', region: 'NY', postalCode: '11201-1234' }))).toBe('ny-metro');
    // A postal code in range but outside the parent's rules (NJ is na-east, TX is not): na only.
    expect(of(account('a4', { country: 'US', region: 'TX', postalCode: '10001' }))).toBe('na');
  });

  it('breaks a tie between equally deep territories by file order', () => {
    // WA with 9,000 employees matches na-west and na-enterprise (both depth 1): na-west is first in the file.
    expect(of(account('a5', { country: 'US', region: 'WA', employees: '9000' }))).toBe('na-west');
    // TX with 9,000 employees: only na-enterprise at depth 1.
    expect(of(account('a6', { country: 'US', region: 'TX', employees: '9000' }))).toBe('na-enterprise');
  });

  it('puts a named account in its territory whatever the rules say', () => {
    // big-co is in NY with a NY postal code, but `named` names it.
    expect(of(account('big-co', { country: 'US', region: 'NY', postalCode: '10001' }))).toBe('named');
  });

  it('leaves an account no territory takes unassigned', () => {
    // DE is not in na; `named` has no rules but only its named account.
    expect(of(account('a7', { country: 'DE' }))).toBeUndefined();
  });

  it('compares numbers as numbers and reads extra fields', () => {
    const tiers = new TerritoryMap([{ id: 'smb', where: { employees: { lt: '200' }, segment: 'commercial' } }]);
    expect(tiers.territoryOf(account('s1', { employees: '150.0', fields: { segment: 'commercial' } }))).toBe('smb');
    // 1,000 is not below 200 even though "1000" < "200" as text.
    expect(tiers.territoryOf(account('s2', { employees: '1000', fields: { segment: 'commercial' } }))).toBeUndefined();
  });
});

describe('territories.yaml checks', () => {
  it('finds duplicate ids, unknown parents, loops and an account named twice', () => {
    const issues = checkTerritoryTree([
      { id: 'a', parent: 'c' },
      { id: 'b', parent: 'a' },
      { id: 'c', parent: 'b', accounts: ['x'] },
      { id: 'a' },
      { id: 'd', parent: 'nowhere', accounts: ['x'] },
    ]);
    expect(issues).toEqual([
      { index: 3, path: ['id'], message: 'duplicate territory id a (first at territory 1)' },
      { index: 4, path: ['parent'], message: 'parent nowhere is not a territory' },
      { index: 0, path: ['parent'], message: 'parents loop: a → c → b → a' },
      { index: 4, path: ['accounts', 0], message: 'account x is already named by c' },
    ]);
  });

  it('names a rule on a field no account has', () => {
    const issues = unknownRuleFields(
      [{ id: 't', where: { country: 'US', segment: 'smb', tier: '1' } }],
      [account('a', { fields: { segment: 'smb' } })],
    );
    expect(issues).toEqual([
      {
        index: 0,
        path: ['where', 'tier'],
        message:
          'unknown account field tier: expected id, name, ownerId, country, region, postalCode, industry, employees, annualRevenue or a field accounts have (segment)',
      },
    ]);
  });
});

describe('territory assignments', () => {
  const a = (
    repId: string,
    role: 'owner' | 'overlay',
    percent: string,
    from: string,
    to?: string,
  ): TerritoryAssignment => ({ repId, territoryId: 't', role, percent, from, ...(to ? { to } : {}) });

  it('allows owners up to 100 % at any time, overlays on top', () => {
    const list = [
      a('r1', 'owner', '60', '2026-01-01', '2026-06-30'),
      a('r2', 'owner', '40', '2026-01-01'),
      // r3 takes over r1's 60 % from July: never more than 100 together.
      a('r3', 'owner', '60', '2026-07-01'),
      a('r4', 'overlay', '100', '2026-01-01'),
    ];
    expect(checkTerritoryAssignments(list, new Set(['t']), new Set(['r1', 'r2', 'r3', 'r4']))).toEqual([]);
  });

  it('refuses owners above 100 % overlapping in time, unknown territories and reps', () => {
    const lines = new Map<object, string>();
    const list = [
      a('r1', 'owner', '60', '2026-01-01', '2026-06-30'),
      a('r2', 'owner', '40', '2026-01-01'),
      // From June 1, r3's 60 % overlaps r1's last month: 160 %.
      a('r3', 'owner', '60', '2026-06-01'),
      { ...a('r1', 'owner', '10', '2026-01-01'), territoryId: 'nowhere' },
      a('ghost', 'overlay', '10', '2026-01-01'),
    ];
    list.forEach((x, i) => lines.set(x, `territory-assignments.csv:${i + 2}`));
    const issues = checkTerritoryAssignments(list, new Set(['t']), new Set(['r1', 'r2', 'r3']), (r) => lines.get(r));
    expect(issues).toEqual([
      {
        where: 'territory-assignments.csv:5',
        message: 'rep r1 is assigned to unknown territory nowhere',
      },
      {
        where: 'territory-assignments.csv:6',
        message: 'assignment of unknown rep ghost to territory t',
      },
      {
        where: 'territory-assignments.csv:4',
        message:
          'owners of territory t hold 160 % on 2026-06-01, more than 100 (r1 60 % at territory-assignments.csv:2, r2 40 % at territory-assignments.csv:3, r3 60 % at territory-assignments.csv:4)',
      },
    ]);
  });

  it('says who holds a territory on a day', () => {
    const reps = new TerritoryReps([
      a('r1', 'owner', '60', '2026-01-01', '2026-06-30'),
      a('r4', 'overlay', '25', '2026-01-01'),
      a('r2', 'owner', '40', '2026-01-01'),
    ]);
    expect(reps.on('t', dayOf('2026-06-30')).map((h) => `${h.repId}:${h.role}`)).toEqual([
      'r1:owner',
      'r2:owner',
      'r4:overlay',
    ]);
    expect(reps.on('t', dayOf('2026-07-01')).map((h) => h.repId)).toEqual(['r2', 'r4']);
    expect(reps.on('elsewhere', dayOf('2026-07-01'))).toEqual([]);
  });
});

describe('territory potential', () => {
  it('sums open pipeline and trailing-twelve-month bookings per territory in the base currency', () => {
    const data = {
      ...emptyData(),
      fxRates: [{ currency: 'EUR', from: '2025-01-01', rate: '0.5' }],
      accounts: [account('a1', { country: 'US' }), account('a2', { country: 'US' }), account('a3', { country: 'DE' })],
      territories: [
        { id: 'us', where: { country: 'US' } },
        { id: 'empty', where: { country: 'FR' } },
      ],
      deals: [
        // Open 1,000.10 USD + open 500 EUR (= 1,000 USD at 0.5 EUR per USD): pipeline 2,000.10.
        deal({ ownerId: 'r1', amount: '1000.10', closeDate: '2026-09-30', stage: 'open', accountId: 'a1' }),
        deal({
          ownerId: 'r1',
          amount: '500',
          currency: 'EUR',
          closeDate: '2026-08-01',
          stage: 'open',
          accountId: 'a2',
        }),
        // Won 2025-07-01 (inside the 12 months to 2026-06-30) counts; 2025-06-30 does not; lost never.
        deal({ ownerId: 'r1', amount: '300', closeDate: '2025-07-01', accountId: 'a1' }),
        deal({ ownerId: 'r1', amount: '700', closeDate: '2025-06-30', accountId: 'a1' }),
        deal({ ownerId: 'r1', amount: '900', closeDate: '2026-03-01', stage: 'lost', accountId: 'a2' }),
        // a3 (DE) is in no territory.
        deal({ ownerId: 'r1', amount: '5000', closeDate: '2026-03-01', accountId: 'a3' }),
      ],
    };
    const rows = territoryPotential(data, 'USD', '2026-06-30');
    expect(rows.map((r) => [r.territoryId, r.accounts, String(r.openPipeline), String(r.bookingsT12M)])).toEqual([
      ['us', 2, String(2000_1000000000n), String(300_0000000000n)],
      ['empty', 0, '0', '0'],
    ]);
    expect(rows[0]!.potential).toBe(2300_1000000000n);
  });
});

describe('territory potential per rep', () => {
  it('shares each territory among its owners by percent on the day; overlays and ended holders get none', () => {
    const potentials = [
      {
        territoryId: 'east',
        accounts: 3,
        openPipeline: decimal('600'),
        bookingsT12M: decimal('400'),
        potential: decimal('1000'),
      },
      {
        territoryId: 'west',
        accounts: 1,
        openPipeline: decimal('0'),
        bookingsT12M: decimal('250'),
        potential: decimal('250'),
      },
    ];
    const byRep = repTerritoryPotential(
      potentials,
      [
        { repId: 'r1', territoryId: 'east', role: 'owner', percent: '60', from: '2026-01-01' },
        { repId: 'r2', territoryId: 'east', role: 'owner', percent: '40', from: '2026-01-01' },
        { repId: 'r3', territoryId: 'east', role: 'overlay', percent: '25', from: '2026-01-01' },
        { repId: 'r1', territoryId: 'west', role: 'owner', percent: '100', from: '2026-01-01', to: '2026-12-31' },
        { repId: 'r4', territoryId: 'west', role: 'owner', percent: '100', from: '2027-01-01' },
      ],
      dayOf('2027-01-01'),
    );
    expect(Object.fromEntries([...byRep].map(([rep, amount]) => [rep, formatDecimal(amount, 2)]))).toEqual({
      r1: '600.00',
      r2: '400.00',
      r4: '250.00',
    });
  });
});
