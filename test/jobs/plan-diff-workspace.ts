/** Generated CSV workspaces for `attain diff` tests, and a git repository to hold them. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

export interface RateTablePlan {
  id: string;
  payoutPeriod: 'month' | 'quarter';
  mode: 'marginal' | 'retroactive';
  rates: [string, string, string];
  gate?: string;
  cap?: string;
  bonusAt: string;
  bonus: string;
}

export interface GeneratedWorkspace {
  reps: { id: string; managerId?: string }[];
  deals: { id: string; ownerId: string; amount: string; closeDate: string; stage: 'won' | 'lost' }[];
  quotas: { repId: string; period: string; amount: string }[];
  /** Rep → plan id. */
  assignments: { repId: string; planId: string }[];
  plans: RateTablePlan[];
}

const rate = fc.integer({ min: 0, max: 150 }).map((n) => (n / 1000).toFixed(3));
const fraction = fc.integer({ min: 0, max: 150 }).map((n) => (n / 100).toFixed(2));

export const planArb = (id: string): fc.Arbitrary<RateTablePlan> =>
  fc.record(
    {
      id: fc.constant(id),
      payoutPeriod: fc.constantFrom('month' as const, 'quarter' as const),
      mode: fc.constantFrom('marginal' as const, 'retroactive' as const),
      rates: fc.tuple(rate, rate, rate),
      gate: fraction,
      cap: fc.integer({ min: 100, max: 20_000 }).map(String),
      bonusAt: fraction,
      bonus: fc.integer({ min: 0, max: 3000 }).map(String),
    },
    { requiredKeys: ['id', 'payoutPeriod', 'mode', 'rates', 'bonusAt', 'bonus'] },
  );

export const workspaceArb: fc.Arbitrary<GeneratedWorkspace> = fc
  .record({
    repCount: fc.integer({ min: 1, max: 5 }),
    managed: fc.boolean(),
    deals: fc.array(
      fc.record({
        owner: fc.nat(),
        cents: fc.integer({ min: -500_000, max: 20_000_000 }),
        day: fc.integer({ min: 0, max: 180 }),
        won: fc.boolean(),
      }),
      { maxLength: 25 },
    ),
    quotas: fc.array(fc.integer({ min: 1_000, max: 200_000 }), { minLength: 10, maxLength: 10 }),
    plans: fc.tuple(planArb('ae'), planArb('se')),
  })
  .map(({ repCount, managed, deals, quotas, plans }) => {
    const reps = Array.from({ length: repCount }, (_, i) => ({
      id: `r${i}`,
      ...(managed && i > 0 ? { managerId: 'r0' } : {}),
    }));
    return {
      reps,
      deals: deals.map((d, i) => ({
        id: `d${i}`,
        ownerId: reps[d.owner % repCount]!.id,
        amount: (d.cents / 100).toFixed(2),
        closeDate: new Date(Date.UTC(2026, 0, 1 + d.day)).toISOString().slice(0, 10),
        stage: d.won ? ('won' as const) : ('lost' as const),
      })),
      quotas: reps.flatMap((r, i) => [
        { repId: r.id, period: '2026-Q1', amount: String(quotas[(2 * i) % 10]) },
        { repId: r.id, period: '2026-Q2', amount: String(quotas[(2 * i + 1) % 10]) },
      ]),
      assignments: reps.map((r, i) => ({ repId: r.id, planId: i % 2 === 0 ? 'ae' : 'se' })),
      plans,
    };
  });

export function planYaml(p: RateTablePlan): string {
  return [
    `id: ${p.id}`,
    `name: Plan ${p.id}`,
    'currency: USD',
    'quotaPeriod: quarter',
    `payoutPeriod: ${p.payoutPeriod}`,
    'measures:',
    '  bookings: { credit: owner }',
    'components:',
    '  - id: commission',
    '    kind: rate-table',
    '    measure: bookings',
    '    basis: attainment',
    `    mode: ${p.mode}`,
    '    tiers:',
    `      - { from: 0, rate: ${p.rates[0]} }`,
    `      - { from: 1.0, rate: ${p.rates[1]} }`,
    `      - { from: 1.25, rate: ${p.rates[2]} }`,
    ...(p.gate === undefined ? [] : [`    gate: ${p.gate}`]),
    ...(p.cap === undefined ? [] : [`    cap: ${p.cap}`]),
    '  - id: bonus',
    '    kind: bonus',
    '    measure: bookings',
    `    attainmentAtLeast: ${p.bonusAt}`,
    `    amount: ${p.bonus}`,
    '',
  ].join('\n');
}

export const ATTAIN_YAML = [
  'source:',
  '  kind: csv',
  '  csv: { dir: data }',
  'calendar: { fiscalYearStartMonth: 1, tz: UTC }',
  'baseCurrency: USD',
  '',
].join('\n');

export function quotasCsv(quotas: GeneratedWorkspace['quotas']): string {
  return ['repId,period,amount', ...quotas.map((q) => `${q.repId},${q.period},${q.amount}`), ''].join('\n');
}

/** Writes the workspace into `dir` (attain.yaml, plans/, data/). */
export function writeWorkspace(dir: string, w: GeneratedWorkspace): void {
  mkdirSync(join(dir, 'plans'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'attain.yaml'), ATTAIN_YAML);
  for (const plan of w.plans) writeFileSync(join(dir, 'plans', `${plan.id}.yaml`), planYaml(plan));
  const csv = (header: string, rows: string[]) => [header, ...rows, ''].join('\n');
  writeFileSync(
    join(dir, 'data', 'reps.csv'),
    csv(
      'id,name,email,managerId',
      w.reps.map((r) => `${r.id},Rep ${r.id},${r.id}@example.com,${r.managerId ?? ''}`),
    ),
  );
  writeFileSync(
    join(dir, 'data', 'deals.csv'),
    csv(
      'id,name,ownerId,amount,currency,closeDate,stage',
      w.deals.map((d) => `${d.id},Deal ${d.id},${d.ownerId},${d.amount},USD,${d.closeDate},${d.stage}`),
    ),
  );
  writeFileSync(join(dir, 'data', 'quotas.csv'), quotasCsv(w.quotas));
  writeFileSync(
    join(dir, 'data', 'assignments.csv'),
    csv(
      'repId,planId,from,to',
      w.assignments.map((a) => `${a.repId},${a.planId},2026-01-01,`),
    ),
  );
}

/** Runs git in `cwd` with a fixed identity; returns its output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

/** `git init` in `root` and a first commit of everything in it. */
export function commitAll(root: string, message: string, init = false): void {
  if (init) git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '--allow-empty', '-m', message);
}
