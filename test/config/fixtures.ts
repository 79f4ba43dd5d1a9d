/** Shared inputs for the config tests: the full example plan of docs/plans.md and temporary workspaces. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Plan } from '../../src/domain/plan.js';

/** The example plan, comments and all. */
export const SPEC_PLAN_YAML = `id: ae-fy26
name: Account Executive FY26
currency: USD                 # payouts are in this currency; deals are converted into it
quotaPeriod: quarter          # month | quarter | year
payoutPeriod: month           # optional, default = quotaPeriod; must divide quotaPeriod
measures:
  bookings:
    credit: splits            # owner | splits (revenue and overlay splits; the owner where a deal has none)
    where: { type: [New Business, Upsell] }   # optional filter on deal fields
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment         # attainment (tier bounds are fractions of quota) | amount (bounds in plan currency)
    mode: marginal            # marginal: each slice at its own tier's rate | retroactive: all credit at the rate of the tier reached
    tiers:
      - { from: 0,    rate: 0.05 }
      - { from: 1.0,  rate: 0.06 }
      - { from: 1.25, rate: 0.07 }
    gate: 0.5                 # optional: nothing is paid while attainment < gate
    cap: 50000                # optional: most this component pays in one quota period
  - id: multi-year-spiff
    kind: per-deal
    measure: bookings
    where: { contractTermMonths: { gte: 24 } }
    amount: 500               # or rate: 0.01 (of the credited amount)
  - id: club-bonus
    kind: bonus
    measure: bookings
    attainmentAtLeast: 1.0
    amount: 2000              # paid once per quota period, in the payout period in which it is reached
  - id: team-override
    kind: override            # pays a manager on the credit of everyone below them in the hierarchy
    measure: bookings
    rate: 0.02
draw: { amount: 1000, recoverable: true }   # optional, per payout period
clawback: { windowDays: 90 }                # optional
`;

export const SPEC_PLAN: Plan = {
  id: 'ae-fy26',
  name: 'Account Executive FY26',
  currency: 'USD',
  quotaPeriod: 'quarter',
  payoutPeriod: 'month',
  measures: {
    bookings: { credit: 'splits', where: { type: ['New Business', 'Upsell'] }, rollup: true },
  },
  components: [
    {
      id: 'commission',
      kind: 'rate-table',
      measure: 'bookings',
      basis: 'attainment',
      mode: 'marginal',
      tiers: [
        { from: '0', rate: '0.05' },
        { from: '1.0', rate: '0.06' },
        { from: '1.25', rate: '0.07' },
      ],
      gate: '0.5',
      cap: '50000',
    },
    {
      id: 'multi-year-spiff',
      kind: 'per-deal',
      measure: 'bookings',
      where: { contractTermMonths: { gte: '24' } },
      amount: '500',
    },
    { id: 'club-bonus', kind: 'bonus', measure: 'bookings', attainmentAtLeast: '1.0', amount: '2000' },
    { id: 'team-override', kind: 'override', measure: 'bookings', rate: '0.02' },
  ],
  draw: { amount: '1000', recoverable: true },
  clawback: { windowDays: 90 },
};

/** A small valid plan with the given id. */
export function minimalPlanYaml(id: string): string {
  return `id: ${id}
name: Plan ${id}
currency: USD
quotaPeriod: quarter
measures:
  bookings: { credit: owner }
components:
  - { id: commission, kind: override, measure: bookings, rate: 0.01 }
`;
}

/** `line:column` (1-based) of the first occurrence of `needle`, plus `offset` characters into it. */
export function positionOf(text: string, needle: string, offset = 0): string {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`not in the text: ${needle}`);
  const at = index + offset;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return `${line}:${column}`;
}

/** Writes `files` (relative path → text) into a fresh folder under the system's temp dir. */
export async function makeWorkspace(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'attain-config-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

export async function removeWorkspace(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
