/**
 * Territory assignment at scale (docs/territories.md): BENCH_ACCOUNTS accounts (default 100,000)
 * carved by a territory tree of regions, states and postal ranges plus named accounts, and the
 * territory of every deal of the synthetic org through its account. `territoryAssignSeconds` is
 * the wall time of compiling the rules, assigning every account and resolving every deal.
 */
import type { Account, CanonicalData, Territory } from '../../src/domain/model.js';
import { dealTerritories } from '../../src/domain/territories.js';
import { Rng } from './synthetic-org.js';

const STATES: Record<string, string[]> = {
  west: ['CA', 'WA', 'OR', 'NV', 'AZ', 'UT', 'CO', 'ID'],
  central: ['TX', 'IL', 'MN', 'MO', 'OH', 'MI', 'WI', 'IN'],
  east: ['NY', 'NJ', 'MA', 'PA', 'CT', 'VA', 'NC', 'GA'],
};
const COUNTRIES = ['DE', 'FR', 'GB', 'NL', 'ES', 'IT', 'SE', 'PL'];
const INDUSTRIES = ['Retail', 'Energy', 'Software', 'Manufacturing', 'Finance', 'Health'];

/** na → 3 regions → 24 states → 2 postal bands each, enterprise overlays per region, EMEA by country, named accounts. */
function territoryTree(accounts: number): Territory[] {
  const tree: Territory[] = [{ id: 'na', where: { country: 'US' } }];
  for (const [region, states] of Object.entries(STATES)) {
    tree.push({ id: `na-${region}`, parent: 'na', where: { region: states } });
    tree.push({ id: `na-${region}-enterprise`, parent: `na-${region}`, where: { employees: { gte: '5000' } } });
    for (const state of states) {
      tree.push({ id: `${state.toLowerCase()}`, parent: `na-${region}`, where: { region: state } });
      tree.push({
        id: `${state.toLowerCase()}-low`,
        parent: state.toLowerCase(),
        postalCodes: [{ from: '0', to: '4' }],
      });
      tree.push({
        id: `${state.toLowerCase()}-high`,
        parent: state.toLowerCase(),
        postalCodes: [{ from: '5', to: '9' }],
      });
    }
  }
  tree.push({ id: 'emea', where: { country: COUNTRIES } });
  for (const country of COUNTRIES)
    tree.push({ id: `emea-${country.toLowerCase()}`, parent: 'emea', where: { country } });
  const named = Array.from({ length: 200 }, (_, i) => `acc-${String((i * 499) % accounts).padStart(6, '0')}`);
  tree.push({ id: 'strategic', accounts: [...new Set(named)] });
  return tree;
}

function syntheticAccounts(count: number, reps: readonly string[]): Account[] {
  const rng = new Rng(7);
  const pick = <T>(list: readonly T[]): T => list[rng.u32() % list.length]!;
  const states = Object.values(STATES).flat();
  return Array.from({ length: count }, (_, i): Account => {
    const american = rng.u32() % 10 < 7;
    return {
      id: `acc-${String(i).padStart(6, '0')}`,
      name: `Account ${i}`,
      ownerId: pick(reps),
      country: american ? 'US' : pick(COUNTRIES),
      region: american ? pick(states) : 'X',
      postalCode: String(rng.u32() % 100000).padStart(5, '0'),
      industry: pick(INDUSTRIES),
      employees: String(rng.u32() % 20000),
      fields: {},
      deleted: false,
    };
  });
}

export interface TerritoryBenchFigures {
  territoryAssignSeconds: number;
  accounts: number;
  territories: number;
  dealsResolved: number;
}

export function benchTerritories(data: CanonicalData, log: (line: string) => void): TerritoryBenchFigures {
  const count = Number(process.env['BENCH_ACCOUNTS'] ?? 100_000);
  const accounts = syntheticAccounts(
    count,
    data.reps.map((r) => r.id),
  );
  const territories = territoryTree(count);
  // Every deal gets an account, round robin (the data was read for this bench; nothing else reads it after).
  data.deals.forEach((deal, i) => (deal.accountId = accounts[i % count]!.id));
  const withAccounts: CanonicalData = { ...data, accounts, territories };
  const started = process.hrtime.bigint();
  const territoryOf = dealTerritories(withAccounts);
  let resolved = 0;
  for (const deal of data.deals) if (territoryOf(deal) !== undefined) resolved++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(
    `territories: ${count.toLocaleString('en')} accounts into ${territories.length} territories, ${data.deals.length.toLocaleString('en')} deals resolved (${resolved.toLocaleString('en')} in a territory) in ${seconds.toFixed(3)} s`,
  );
  return {
    territoryAssignSeconds: Number(seconds.toFixed(3)),
    accounts: count,
    territories: territories.length,
    dealsResolved: resolved,
  };
}
