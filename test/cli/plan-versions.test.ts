/**
 * Dated plan versions through the command line (docs/plans.md#changing-a-plan-mid-year): a version
 * from July leaves January–June exactly as the plan without it paid them, pays the rest by its
 * own keys and names itself in their traces; `attain validate` shows the timeline; a bad version
 * stops every command with exit 2.
 */
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { runCli } from './run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const scratch: string[] = [];
afterEach(() => {
  while (scratch.length) rmSync(scratch.pop()!, { recursive: true, force: true });
});

function copyOf(workspace: string): string {
  const root = mkdtempSync(join(tmpdir(), 'attain-versions-'));
  scratch.push(root);
  const dir = join(root, 'workspace');
  cpSync(join(ROOT, workspace), dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
  return dir;
}

/** The plan file without its `versions:` (everything from that line on). */
function dropVersions(file: string): void {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.slice(0, text.indexOf('versions:')));
}

interface Line {
  repId: string;
  planId: string;
  period: string;
  component: string;
  amount: string;
  trace: Record<string, unknown>;
}
interface CalcJson {
  payouts: Line[];
  attainment: { period: string }[];
}

async function calcJson(dir: string, asOf: string): Promise<{ text: string; json: CalcJson }> {
  const { code, out, err } = await runCli(['calc', '--workspace', dir, '--json', '--as-of', asOf]);
  expect(err).toBe('');
  expect(code).toBe(0);
  return { text: out, json: JSON.parse(out) as CalcJson };
}

const firstHalf = (period: string) => period < '2026-07' || period === '2026-Q1' || period === '2026-Q2';

describe('a version effective from July', () => {
  it('leaves January–June byte-identical to the plan without it, and pays July on by its own keys', async () => {
    const versioned = copyOf('docs/examples/plan-versions');
    const plain = copyOf('docs/examples/plan-versions');
    dropVersions(join(plain, 'plans/ae.yaml'));

    // Calculated through June, the two plans print the same bytes.
    expect((await calcJson(versioned, '2026-06-30')).text).toBe((await calcJson(plain, '2026-06-30')).text);

    const after = (await calcJson(versioned, '2026-09-30')).json;
    const before = (await calcJson(plain, '2026-09-30')).json;
    const text = (rows: unknown[]) => rows.map((row) => JSON.stringify(row));
    const h1 = (json: CalcJson) => json.payouts.filter((l) => firstHalf(l.period));
    expect(text(h1(after))).toEqual(text(h1(before)));
    expect(h1(after)).toHaveLength(2);
    for (const line of h1(after)) expect(line.trace).not.toHaveProperty('planVersion');
    expect(text(after.attainment.filter((a) => firstHalf(a.period)))).toEqual(
      text(before.attainment.filter((a) => firstHalf(a.period))),
    );

    // The hand-worked July change (docs/plans.md): 2026-Q3, quota 100,000.
    const h2 = (json: CalcJson) =>
      json.payouts.filter((l) => !firstHalf(l.period)).map((l) => [l.period, l.component, l.amount]);
    // Before: August 70,000 × 0.05 = 3,500; September 100,000 × 0.05 + 20,000 × 0.08 = 6,600, less 3,500.
    expect(h2(before)).toEqual([
      ['2026-08', 'commission', '3500.00'],
      ['2026-09', 'commission', '3100.00'],
    ]);
    // After: August 70,000 × 0.06 = 4,200; September 100,000 × 0.06 + 20,000 × 0.10 = 8,000, less
    // 4,200; and d4's 36-month term earns the new spiff.
    expect(h2(after)).toEqual([
      ['2026-08', 'commission', '4200.00'],
      ['2026-09', 'commission', '3800.00'],
      ['2026-09', 'multi-year-spiff', '500.00'],
    ]);
    const september = after.payouts.find((l) => l.period === '2026-09' && l.component === 'commission')!;
    expect(september.trace).toMatchObject({
      dueToDate: '8000',
      paidEarlier: '4200',
      planVersion: { effective: '2026-07-01', hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
    });
    // The rest of the trace is what the plan without versions would say of the same numbers.
    expect(Object.keys(september.trace).at(-1)).toBe('planVersion');
  });

  it('on the demo company (splits, managers, draws, euros, a year of deals): January–June unchanged', async () => {
    const versioned = copyOf('examples/demo');
    const plain = copyOf('examples/demo');
    // Every plan gets a version from July that changes its components and, for the managers, its measures.
    appendFileSync(
      join(versioned, 'plans/account-executive.yaml'),
      [
        'versions:',
        '  - effective: 2026-07-01',
        '    components:',
        '      - id: commission',
        '        kind: rate-table',
        '        measure: bookings',
        '        basis: attainment',
        '        mode: retroactive',
        '        tiers: [{ from: 0, rate: 0.07 }, { from: 1.0, rate: 0.1 }]',
        '      - { id: h2-spiff, kind: per-deal, measure: bookings, rate: 0.01 }',
        '',
      ].join('\n'),
    );
    appendFileSync(
      join(versioned, 'plans/sales-manager.yaml'),
      [
        'versions:',
        '  - effective: 2026-07-01',
        '    name: Sales Manager 2026 H2',
        '    measures:',
        '      team: { credit: splits, where: { type: New Business } }',
        '',
      ].join('\n'),
    );
    const after = (await calcJson(versioned, '2026-12-31')).json;
    const before = (await calcJson(plain, '2026-12-31')).json;
    const text = (rows: unknown[]) => rows.map((row) => JSON.stringify(row));
    const h1 = (rows: { period: string }[]) => text(rows.filter((r) => firstHalf(r.period)));
    expect(h1(after.payouts).length).toBeGreaterThan(100);
    expect(h1(after.payouts)).toEqual(h1(before.payouts));
    expect(h1(after.attainment)).toEqual(h1(before.attainment));
    // And the second half did change, every line of a component naming the version that paid it.
    const h2 = (rows: Line[]) => rows.filter((r) => !firstHalf(r.period));
    expect(text(h2(after.payouts))).not.toEqual(text(h2(before.payouts)));
    expect(h2(after.payouts).some((l) => l.component === 'h2-spiff')).toBe(true);
    for (const line of h2(after.payouts)) {
      if (line.component === 'draw' || line.component === 'adjustment') continue;
      expect(line.trace['planVersion'], `${line.repId} ${line.period} ${line.component}`).toMatchObject({
        effective: '2026-07-01',
      });
    }
  });
});

describe('attain run', () => {
  it(
    'stores in payout_lines the trace naming the version that paid each line, and replays',
    { timeout: 120_000 },
    async () => {
      const dir = copyOf('docs/examples/plan-versions');
      const { code, err } = await runCli(['run', '--in-process', '--as-of', '2026-09-30', '--workspace', dir]);
      expect(err).toBe('');
      expect(code).toBe(0);
      const database = await openDatabase({ dataDir: join(dir, '.attain') });
      let runId: string;
      try {
        const lines = await database.db
          .selectFrom('payout_lines')
          .select(['period', 'component', 'amount', 'trace'])
          .orderBy('period')
          .orderBy('component')
          .execute();
        const version = (trace: Record<string, unknown>) =>
          (trace['planVersion'] as { effective?: string } | undefined)?.effective ?? '-';
        expect(lines.map((l) => [l.period, l.component, l.amount, version(l.trace)])).toEqual([
          ['2026-02', 'commission', '3000.00', '-'],
          ['2026-05', 'commission', '6600.00', '-'],
          ['2026-08', 'commission', '4200.00', '2026-07-01'],
          ['2026-09', 'commission', '3800.00', '2026-07-01'],
          ['2026-09', 'multi-year-spiff', '500.00', '2026-07-01'],
        ]);
        runId = (await database.db.selectFrom('runs').select('id').executeTakeFirstOrThrow()).id;
      } finally {
        await database.close();
      }
      // The stored input holds the versions: the run replays to its own result hash.
      const replay = await runCli(['replay', runId, '--workspace', dir]);
      expect(replay.out).toContain('matches the stored one');
      expect(replay.code).toBe(0);
    },
  );
});

describe('attain validate', () => {
  it("prints each versioned plan's timeline: version, effective date, quota periods, content hash", async () => {
    const dir = copyOf('docs/examples/plan-versions');
    const { code, out } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(0);
    const hash = (await calcJson(dir, '2026-09-30')).json.payouts.find((l) => l.period === '2026-09')!.trace[
      'planVersion'
    ] as { hash: string };
    expect(out).toMatch(
      new RegExp(
        String.raw`ae \(plans/ae\.yaml\): 2 versions\n` +
          String.raw` {2}version +effective +quota periods +content hash\n` +
          String.raw` {2}1 +- +through 2026-Q2 +[0-9a-f]{12}\n` +
          String.raw` {2}2 +2026-07-01 +2026-Q3 on +${hash.hash.slice(0, 12)}\n`,
      ),
    );
  });

  it('prints no timeline for plans without versions', async () => {
    const dir = copyOf('docs/examples/plan-versions');
    dropVersions(join(dir, 'plans/ae.yaml'));
    const { code, out } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(0);
    expect(out).not.toContain('content hash');
  });
});

describe('a bad version', () => {
  it('stops calc, validate and run with exit 2 and file:line, writing nothing', async () => {
    const dir = copyOf('docs/examples/plan-versions');
    const file = join(dir, 'plans/ae.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('effective: 2026-07-01', 'effective: 2026-08-01'));
    const line =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('2026-08-01')) + 1;
    const message =
      `plans/ae.yaml:${line}:16 versions[0].effective: 2026-08-01 is inside the quota period 2026-Q3 ` +
      '(2026-07-01 to 2026-09-30): a version takes effect on the first day of a quota period: 2026-07-01 or 2026-10-01\n';
    for (const command of [['calc'], ['validate'], ['run', '--in-process']]) {
      const { code, out, err } = await runCli([...command, '--workspace', dir]);
      expect({ code, out, err }).toEqual({ code: 2, out: '', err: message });
    }
    expect(existsSync(join(dir, '.attain'))).toBe(false);
  });
});
