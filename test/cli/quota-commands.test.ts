/**
 * `attain quotas plan|check` and `attain capacity` end to end on the demo company
 * (docs/quota-planning.md): the committed 2027 plan is what the documented command writes, it
 * loads through the CSV connector without rejects and `attain calc` runs with it, and bad input
 * stops with exit 2 and nothing written.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCsvSource, readQuotasFile } from '../../connectors/csv/csv-source.js';
import { decimal, formatDecimal } from '../../src/domain/decimal.js';
import { DEMO, copyDemo } from '../report/demo-report.js';
import { runCli } from './run-cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function scratchDemo(): string {
  const { dir, cleanup } = copyDemo();
  cleanups.push(cleanup);
  return dir;
}

/** The command docs/quota-planning.md shows, which wrote examples/demo/planning/quotas-2027.csv. */
const DEMO_PLAN = [
  'quotas',
  'plan',
  '--year',
  '2027',
  '--target',
  '32000000',
  '--overassign',
  '1.10',
  '--ramp',
  '0,0.25,0.5,0.75,1',
  '--out',
];

describe('attain quotas plan', () => {
  it('writes the committed demo plan, and a summary of it', async () => {
    const dir = scratchDemo();
    const out = join(dir, 'planning', 'new-2027.csv');
    const { code, out: printed, err } = await runCli(['--workspace', dir, ...DEMO_PLAN, out]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(DEMO, 'planning', 'quotas-2027.csv'), 'utf8'));
    expect(printed).toContain('Target            32,000,000.00 USD');
    expect(printed).toContain('Coverage          121.0 % of target');
    expect(printed).toMatch(/Sam Okafor \(vp\)\s+32,000,000.00\s+35,200,000.00\s+46\s+46.00/);
  });

  it('--json prints the summary, and the per-team sums match the file', async () => {
    const dir = scratchDemo();
    const out = join(dir, 'q.csv');
    const { code, out: printed } = await runCli([
      '--workspace',
      dir,
      ...DEMO_PLAN,
      out,
      '--method',
      'equal',
      '--seasonality',
      'flat',
      '--json',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(printed) as {
      target: string;
      carriersTotal: string;
      coverage: string;
      carriers: number;
      teams: { managerId: string; quota: string; reportsTotal: string }[];
    };
    expect(summary.target).toBe('32000000');
    expect(summary.carriers).toBe(46);
    const { quotas, rejects } = await readQuotasFile(out, { tz: 'America/New_York' });
    expect(rejects).toEqual([]);
    const annual = new Map<string, bigint>();
    for (const q of quotas) annual.set(q.repId, (annual.get(q.repId) ?? 0n) + decimal(q.amount));
    expect(formatDecimal(annual.get('vp')!)).toBe('32000000');
    const westMgr = summary.teams.find((t) => t.managerId === 'west-mgr')!;
    expect(formatDecimal(annual.get('west-mgr')!)).toBe(westMgr.quota);
    // Equal shares, flat: 16 of 46 reps under west-mgr, over-assigned twice.
    const west = [...annual].filter(([id]) => /^west-\d+$/.test(id)).reduce((s, [, a]) => s + a, 0n);
    expect(formatDecimal(west)).toBe(westMgr.reportsTotal);
  });

  it('is a drop-in quotas.csv: it loads through the CSV source without rejects and attain calc uses it', async () => {
    const dir = scratchDemo();
    const plan = readFileSync(join(DEMO, 'planning', 'quotas-2027.csv'), 'utf8');
    // Next year's rows after this year's, as a workspace keeps them.
    const quotasCsv = join(dir, 'data', 'quotas.csv');
    writeFileSync(quotasCsv, readFileSync(quotasCsv, 'utf8') + plan.split('\n').slice(1).join('\n'));
    const source = await readCsvSource(join(dir, 'data'), { tz: 'America/New_York' });
    expect(source.rejects.filter((r) => r.source.startsWith('quotas.csv'))).toEqual([]);
    expect(source.data.quotas.filter((q) => q.period.startsWith('2027'))).toHaveLength(200);

    const { code, out } = await runCli(['calc', '--workspace', dir, '--as-of', '2027-03-31', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as {
      attainment: { repId: string; period: string; quota?: string }[];
      rejects: { recordId: string; reason: string }[];
    };
    const planned = plan
      .split('\n')
      .find((line) => line.startsWith('west-01,2027-Q1,'))!
      .split(',')[2]!;
    expect(result.attainment).toContainEqual(
      expect.objectContaining({ repId: 'west-01', period: '2027-Q1', quota: formatDecimal(decimal(planned)) }),
    );
    expect(result.rejects.filter((r) => /quota/.test(r.reason) && r.recordId.includes('2027'))).toEqual([]);
  });

  it.each([
    [['--target', '0'], '--target 0: expected a positive amount'],
    [['--target', '-5'], '--target -5: expected a positive amount'],
    [['--target', '1,000'], '--target 1,000: expected a positive amount'],
    [['--target', '100', '--ramp', '0,0.5'], '--ramp 0,0.5: the last value must be 1'],
    [['--target', '100', '--ramp', '0,abc,1'], '--ramp 0,abc,1: value 2 ("abc") is not a decimal'],
    [['--target', '100', '--overassign', '0.9'], '--overassign 0.9: expected a factor from 1 to 10'],
    [['--target', '100', '--method', 'random'], '--method random: expected one of history, equal, potential'],
    [['--target', '100', '--year', '0027'], '--year 0027: expected a fiscal year such as 2027'],
    [['--target', '100', '--periods', 'week'], '--periods week: expected one of month, quarter, year'],
  ])('%j: exit 2 with the flag, nothing written', async (flags, message) => {
    const dir = scratchDemo();
    const out = join(dir, 'q.csv');
    const { code, err } = await runCli([
      '--workspace',
      dir,
      'quotas',
      'plan',
      '--year',
      '2027',
      ...flags,
      '--out',
      out,
    ]);
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('--method potential shares by the territories each rep owns; without territories.yaml, exit 2', async () => {
    const dir = scratchDemo();
    const out = join(dir, 'q.csv');
    const plan = (extra: string[] = []) =>
      runCli(['--workspace', dir, 'quotas', 'plan', '--year', '2027', '--target', '1000000', ...extra, '--out', out]);
    const { code, out: printed, err } = await plan(['--method', 'potential', '--json']);
    expect([code, err]).toEqual([0, '']);
    const summary = JSON.parse(printed) as { target: string; sumOfRepQuotas?: string };
    expect(summary.target).toMatch(/^1000000(\.0+)?$/);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);

    rmSync(join(dir, 'territories.yaml'));
    rmSync(join(dir, 'data', 'territory-assignments.csv'));
    rmSync(out);
    const refused = await plan(['--method', 'potential']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--method potential needs territories.yaml');
    expect(existsSync(out)).toBe(false);
  });

  it('a manager chain that loops or leads to an unknown rep: exit 2 naming the rows, nothing written', async () => {
    const dir = scratchDemo();
    const repsCsv = join(dir, 'data', 'reps.csv');
    const lines = readFileSync(repsCsv, 'utf8').split('\n');
    // vp (line 2) reports to west-01, who reports to west-mgr, who reports to vp; east-01 to nobody known.
    lines[1] = lines[1]!.replace('demo.example,,', 'demo.example,west-01,');
    lines[20] = lines[20]!.replace(',east-mgr,', ',east-boss,');
    writeFileSync(repsCsv, lines.join('\n'));
    const out = join(dir, 'q.csv');
    const { code, err } = await runCli(['--workspace', dir, ...DEMO_PLAN, out]);
    expect(code).toBe(2);
    expect(err).toContain('the manager tree of 2027 cannot be followed; nothing was written');
    expect(err).toContain('reps.csv:21  east-01: managerId east-boss is not a known rep');
    expect(err.indexOf('reps.csv:2 ')).toBeLessThan(err.indexOf('reps.csv:21 '));
    expect(err).toContain('reps.csv:2  vp: manager chain loops (vp → west-01 → west-mgr → vp)');
    expect(existsSync(out)).toBe(false);
  });
});

describe('a planned hire', () => {
  it('is ramped from the hire date in the plan, counted as planned in capacity, and checked against the ramp', async () => {
    const dir = scratchDemo();
    // Hired 2027-04-01 into west: April 0, May 0.5, June on 1.
    const repsCsv = join(dir, 'data', 'reps.csv');
    writeFileSync(
      repsCsv,
      readFileSync(repsCsv, 'utf8') + 'west-17,New Hire,new.hire@demo.example,west-mgr,true,2027-04-01,000199\n',
    );
    const out = join(dir, 'q.csv');
    const plan = await runCli([
      '--workspace',
      dir,
      ...DEMO_PLAN.slice(0, -2),
      '0,0.5,1',
      '--out',
      out,
      '--method',
      'equal',
      '--seasonality',
      'flat',
      '--periods',
      'month',
      '--json',
    ]);
    expect(plan.code).toBe(0);
    const summary = JSON.parse(plan.out) as { carriers: number; rampedHeadcount: string; byPeriod: unknown[] };
    expect(summary.carriers).toBe(47);
    // 46 full years and (0 + 0.5 + 7) / 12 months.
    expect(summary.rampedHeadcount).toBe('46.625');
    expect(summary.byPeriod).toHaveLength(12);
    const { quotas } = await readQuotasFile(out, { tz: 'America/New_York' });
    const hire = quotas.filter((q) => q.repId === 'west-17');
    expect(hire.map((q) => q.period)).toEqual([
      '2027-04',
      '2027-05',
      '2027-06',
      '2027-07',
      '2027-08',
      '2027-09',
      '2027-10',
      '2027-11',
      '2027-12',
    ]);
    expect(hire[0]!.amount).toBe('0.00');
    // May is half of June.
    expect(decimal(hire[1]!.amount) * 2n - decimal(hire[2]!.amount)).toBeLessThanOrEqual(decimal('0.01'));
    const westOne = quotas.find((q) => q.repId === 'west-01' && q.period === '2027-06')!;
    expect(hire[2]!.amount).toBe(westOne.amount);

    const capacity = await runCli([
      '--workspace',
      dir,
      'capacity',
      '--year',
      '2027',
      '--productivity',
      '600000',
      '--ramp',
      '0,0.5,1',
      '--json',
    ]);
    const c = JSON.parse(capacity.out) as { planned: { headcount: number; rampedHeadcount: string; bookings: string } };
    // Hired after today (ATTAIN_TODAY 2026-06-30): west-15 and emea-15 (August 2026, ramped by 2027) and the new hire.
    expect(c.planned).toEqual({ headcount: 3, rampedHeadcount: '2.625', bookings: '1575000' });

    // A full quota for the hire's first months is flagged.
    const quotasCsv = join(dir, 'full.csv');
    writeFileSync(quotasCsv, readFileSync(out, 'utf8').replace(/^west-17,2027-05,.*$/m, 'west-17,2027-05,200000.00'));
    const check = await runCli([
      '--workspace',
      dir,
      'quotas',
      'check',
      '--year',
      '2027',
      '--periods',
      'month',
      '--ramp',
      '0,0.5,1',
      '--file',
      quotasCsv,
    ]);
    expect(check.code).toBe(1);
    expect(check.out).toContain('west-17: quota 200000 in 2027-05 while ramped to 0.50 of a full period');
  });
});

describe('attain quotas check', () => {
  it('the demo plan covers its target with no findings: exit 0', async () => {
    const file = join(DEMO, 'planning', 'quotas-2027.csv');
    const { code, out } = await runCli([
      '--workspace',
      DEMO,
      'quotas',
      'check',
      '--year',
      '2027',
      '--target',
      '32000000',
      '--file',
      file,
      '--ramp',
      '0,0.25,0.5,0.75,1',
    ]);
    expect(code).toBe(0);
    expect(out).toContain('Coverage          121.0 % of target');
    expect(out).toContain('No findings.');
  });

  it('the workspace quotas.csv has nothing for 2027: every rep is a finding, and the target is not covered: exit 1', async () => {
    const { code, out } = await runCli([
      '--workspace',
      DEMO,
      'quotas',
      'check',
      '--year',
      '2027',
      '--target',
      '1000',
      '--json',
    ]);
    expect(code).toBe(1);
    const result = JSON.parse(out) as { ok: boolean; coverage: string; findings: { repId: string; reason: string }[] };
    expect(result.ok).toBe(false);
    expect(result.coverage).toBe('0');
    expect(result.findings).toContainEqual({ repId: 'west-01', reason: 'carries no quota in 2027' });
  });
});

describe('attain capacity', () => {
  it('prints what the ramped headcount books against the target and the hires to close the gap', async () => {
    const { code, out } = await runCli([
      '--workspace',
      DEMO,
      'capacity',
      '--year',
      '2027',
      '--productivity',
      '600000',
      '--target',
      '32000000',
      '--ramp',
      '0,0.25,0.5,0.75,1',
      '--json',
    ]);
    expect(code).toBe(0);
    const c = JSON.parse(out) as Record<string, unknown>;
    // 46 reps, all ramped by 2027: 27,600,000; a hire from January carries (0 + .25 + .5 + .75 + 8) / 12.
    expect(c['bookings']).toBe('27600000');
    expect(c['gap']).toBe('4400000');
    expect(c['perHire']).toEqual({ start: '2027-01-01', rampedHeadcount: '0.7916666667', bookings: '475000' });
    expect(c['hiresNeeded']).toBe(10);
  });

  it('--hires-start after the year: exit 2', async () => {
    const { code, err } = await runCli([
      '--workspace',
      DEMO,
      'capacity',
      '--year',
      '2027',
      '--productivity',
      '1',
      '--hires-start',
      '2028-02-01',
    ]);
    expect(code).toBe(2);
    expect(err).toContain('--hires-start 2028-02-01');
  });
});
