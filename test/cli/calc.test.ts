/** `attain calc` and `attain validate` end to end on the example workspace and broken copies of it. */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLE, copyExample, runCli } from './run-cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function scratch(): string {
  const { dir, cleanup } = copyExample();
  cleanups.push(cleanup);
  return dir;
}

describe('attain calc on the example workspace', () => {
  it('prints a table per plan with totals and the rejects, and exits 0', async () => {
    const { code, out, err } = await runCli(['calc', '--workspace', EXAMPLE]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Account Executive FY26 (ae-fy26)');
    expect(out).toContain('Sales Manager FY26 (mgr-fy26)');
    // Alice, January: Acme 48,000 (New Business) × 5 % = 2,400.00 plus the 36-month spiff 500.00
    expect(out).toMatch(/Alice Martin \(r1\)\s+2026-01\s+2026-Q1 94\.2 %\s+2,400\.00\s+500\.00\s+–\s+–\s+2,900\.00/);
    expect(out).toContain('Total payouts: 60,932.50 USD');
    expect(out).toContain('Rejects: 4 records not used');
    expect(out).toContain('deals.csv:16  o-1015: owner r9 is not a known rep');
  });

  it('--json prints the documented object, byte-identical from run to run', async () => {
    const first = await runCli(['calc', '--workspace', EXAMPLE, '--json']);
    const second = await runCli(['calc', '--workspace', EXAMPLE, '--json']);
    expect(first.code).toBe(0);
    expect(second.out).toBe(first.out);
    const result = JSON.parse(first.out) as {
      currency: string;
      payouts: {
        repId: string;
        planId: string;
        period: string;
        component: string;
        amount: string;
        trace: Record<string, unknown>;
      }[];
      attainment: Record<string, string>[];
      rejects: { source: string; recordId: string; reason: string }[];
    };
    expect(Object.keys(result)).toEqual(['currency', 'payouts', 'attainment', 'rejects']);
    expect(result.currency).toBe('USD');
    expect(Object.keys(result.payouts[0]!)).toEqual(['repId', 'planId', 'period', 'component', 'amount', 'trace']);
    const total = result.payouts.reduce((sum, p) => sum + Math.round(Number(p.amount) * 100), 0);
    expect(total).toBe(6093250);
    expect(result.attainment).toContainEqual({
      repId: 'r1',
      planId: 'ae-fy26',
      period: '2026-Q1',
      measure: 'bookings',
      credit: '113000',
      quota: '120000',
      attainment: '0.9416666667',
    });
    expect(result.rejects.map((r) => r.recordId)).toEqual(['o-1014', 'o-1015', 'o-1016', 'o-1017']);
    // Every line explains itself.
    for (const line of result.payouts) expect(Object.keys(line.trace).length).toBeGreaterThan(0);
  });

  it('--period shows only the lines inside it', async () => {
    const { code, out } = await runCli(['calc', '--workspace', EXAMPLE, '--json', '--period', '2026-Q2']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as { payouts: { period: string }[]; attainment: { period: string }[] };
    expect(new Set(result.payouts.map((p) => p.period))).toEqual(new Set(['2026-04', '2026-05', '2026-06', '2026-Q2']));
    expect(new Set(result.attainment.map((a) => a.period))).toEqual(new Set(['2026-Q2']));
  });

  it('--strict exits 1 when records were rejected', async () => {
    const { code, err } = await runCli(['calc', '--workspace', EXAMPLE, '--strict']);
    expect(code).toBe(1);
    expect(err).toContain('--strict: 4 records were rejected');
  });

  it('validate checks everything and writes nothing', async () => {
    const { code, out } = await runCli(['validate', '--workspace', EXAMPLE]);
    expect(code).toBe(0);
    expect(out).toContain('attain.yaml and 2 plans are valid; 8 reps, 15 deals, 4 rejects');
  });
});

describe('bad input', () => {
  it('a deals file with 1,000 malformed rows among good ones: every bad row rejected, the rest computed', async () => {
    const dir = scratch();
    const rows: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const good = i % 2 === 0;
      const amount = good ? '1000.00' : ['12,5', 'abc', '', '1e5'][i % 4 === 1 ? 0 : 1 + (i % 3)]!;
      rows.push(
        `x-${i},Generated ${i},r1,${good ? amount : `"${amount}"`},USD,2026-02-1${i % 10},won,New Business,12,`,
      );
    }
    appendFileSync(join(dir, 'data/deals.csv'), rows.join('\n') + '\n');
    const { code, out } = await runCli(['calc', '--workspace', dir, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as {
      rejects: { recordId: string }[];
      attainment: { repId: string; period: string; credit: string }[];
    };
    expect(result.rejects.filter((r) => r.recordId.startsWith('x-'))).toHaveLength(1000);
    // Alice's Q1 credit grows by the 1,000 good rows × 1,000.
    const alice = result.attainment.find((a) => a.repId === 'r1' && a.period === '2026-Q1')!;
    expect(alice.credit).toBe(String(113000 + 1000 * 1000));
    expect((await runCli(['calc', '--workspace', dir, '--strict'])).code).toBe(1);
  });

  it('an invalid plan stops with exit 2 naming file, line, column and key', async () => {
    const dir = scratch();
    const file = join(dir, 'plans/account-executive.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ from: 1.0,  rate: 0.06 }', '{ from: 1.0,  rate: six }'));
    const { code, err, out } = await runCli(['calc', '--workspace', dir]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('plans/account-executive.yaml:18:29 components[0].tiers[1].rate: expected a number');
  });

  it('a plan with an unknown measure stops with exit 2', async () => {
    const dir = scratch();
    const file = join(dir, 'plans/sales-manager.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'measure: team-bookings\n    rate: 0.005',
        'measure: team-booking\n    rate: 0.005',
      ),
    );
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toMatch(/plans\/sales-manager\.yaml:\d+:\d+ components\[1\]\.measure: .*team-booking/);
  });

  it('a rep assigned to an unknown plan, or twice to one plan at once, stops with exit 2 and the place', async () => {
    const dir = scratch();
    appendFileSync(join(dir, 'data/assignments.csv'), 'r2,ae-fy27,2026-01-01,\nr1,ae-fy26,2026-03-01,2026-03-31\n');
    const { code, err } = await runCli(['calc', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toContain('assignments.csv:10 rep r2 is assigned to unknown plan ae-fy27');
    expect(err).toContain('assignments.csv:11 assignments of r1 to plan ae-fy26 overlap');
  });

  it('a missing workspace file: exit 2 with the path', async () => {
    const dir = scratch();
    rmSync(join(dir, 'data/quotas.csv'));
    const { code, err } = await runCli(['calc', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toContain(join(dir, 'data/quotas.csv'));
  });

  it('bad usage: exit 2', async () => {
    expect((await runCli(['calc', '--workspace', EXAMPLE, '--period', 'Q1'])).code).toBe(2);
    expect((await runCli(['calc', '--workspace', EXAMPLE, '--as-of', '2026-02-30'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });
});
