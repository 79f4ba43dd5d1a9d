/**
 * A small workspace with accounts, territories and territory credit (docs/territories.md), for the
 * CLI tests. Its figures are worked by hand in test/cli/territories.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

export const TERRITORY_FILES: Readonly<Record<string, string>> = {
  'attain.yaml':
    'source: { kind: csv, csv: { dir: data } }\ncalendar: { fiscalYearStartMonth: 1, tz: UTC }\nbaseCurrency: USD\n',
  'plans/ae.yaml': `id: ae
name: Territory AE
currency: USD
quotaPeriod: quarter
measures:
  bookings: { credit: territory }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: amount
    mode: marginal
    tiers: [{ from: 0, rate: 0.1 }]
`,
  'territories.yaml': `territories:
  - id: na
    name: North America
    where: { country: [US, CA] }
  - id: na-east
    parent: na
    where: { region: [NY, NJ, MA] }
  - id: ny-metro
    parent: na-east
    postalCodes: [{ from: '100', to: '119' }]
  - id: na-west
    parent: na
    where: { region: [CA, WA] }
`,
  'data/reps.csv': `id,name,email,managerId
vp,Vera,vp@example.com,
east1,Eli,eli@example.com,vp
east2,Ema,ema@example.com,vp
west1,Wes,wes@example.com,vp
se1,Sol,sol@example.com,
`,
  'data/accounts.csv': `id,name,ownerId,country,region,postalCode,industry,employees,segment
acme,Acme,east1,US,NY,10001,Retail,800,mid
globex,Globex,east2,US,NJ,07030,Energy,12000,enterprise
initech,Initech,west1,US,CA,94105,Software,300,mid
hooli,Hooli,east1,US,CA,94043,Software,20000,enterprise
umbrella,Umbrella,east1,DE,BE,10115,Pharma,5000,enterprise
`,
  'data/territory-assignments.csv': `repId,territoryId,role,percent,from,to
east1,ny-metro,owner,100,2026-01-01,
east2,na-east,owner,100,2026-01-01,
west1,na-west,owner,100,2026-01-01,
se1,ny-metro,overlay,50,2026-01-01,
`,
  'data/deals.csv': `id,name,ownerId,amount,currency,closeDate,stage,accountId
d1,Acme platform,east1,10000,USD,2026-02-10,won,acme
d2,Globex grid,east2,20000,USD,2026-03-05,won,globex
d3,Initech seats,west1,5000,USD,2026-01-20,won,initech
d4,Hooli pilot,west1,8000,USD,2026-09-01,open,hooli
d5,Acme expansion,east1,3000,USD,2026-07-15,open,acme
d6,Umbrella EU,east1,4000,USD,2026-02-01,won,umbrella
d7,Acme old,east1,1000,USD,2025-05-01,won,acme
`,
  'data/quotas.csv': 'repId,period,amount\n',
  'data/assignments.csv': `repId,planId,from
vp,ae,2025-01-01
east1,ae,2025-01-01
east2,ae,2025-01-01
west1,ae,2025-01-01
se1,ae,2025-01-01
`,
};

/** For a test file: `make(overrides)` writes the workspace (a file given as null is left out); removed after each test. */
export function territoryWorkspaces(): (overrides?: Record<string, string | null>) => string {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });
  return (overrides = {}) => {
    const root = mkdtempSync(join(tmpdir(), 'attain-territories-'));
    roots.push(root);
    for (const [name, text] of Object.entries({ ...TERRITORY_FILES, ...overrides })) {
      if (text === null) continue;
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return root;
  };
}
