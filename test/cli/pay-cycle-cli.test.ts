/**
 * `attain statements` and `attain export payroll` as a user types them, on a copy of the demo
 * company in its embedded database: bad input exits 2 with the reason and writes nothing.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const DEMO = resolve(import.meta.dirname, '../../examples/demo');
let root = '';
let dir = '';
const attain = (...args: string[]) => runCli(['--workspace', dir, ...args]);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attain-pay-cli-'));
  dir = join(root, 'demo');
  cpSync(DEMO, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('names an unknown earning code in attain.yaml with its line, before opening anything', async () => {
  const config = join(dir, 'attain.yaml');
  const text = readFileSync(config, 'utf8');
  writeFileSync(config, text.replace('presidents-club: BONUS', 'presidents-club: BONUS, spiff: SPF'));
  try {
    const { code, err } = await attain('export', 'payroll', '2026-01', '--format', 'csv');
    expect(code).toBe(2);
    expect(err).toMatch(/^attain\.yaml:\d+:\d+ payroll\.earningCodes\.spiff: no plan has a component spiff/);
  } finally {
    writeFileSync(config, text);
  }
});

it('exports only a paid period, and writes statements', { timeout: 180_000 }, async () => {
  expect((await attain('run')).code).toBe(0);
  const file = join(root, 'out', 'payroll.csv');
  const unpaid = await attain('export', 'payroll', '2026-01', '--format', 'csv', '--out', file);
  expect(unpaid).toMatchObject({ code: 2, err: expect.stringContaining('2026-01 is not paid yet') });
  expect(existsSync(file)).toBe(false);

  const statements = join(root, 'statements');
  const unknown = await attain('statements', '2099-01', '--out', statements);
  expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('2099-01: no payout lines') });
  expect(existsSync(statements)).toBe(false);

  expect((await attain('approve', '2026-01', '--by', 'ann')).code).toBe(0);
  expect((await attain('lock', '2026-01', '--by', 'ann')).code).toBe(0);
  const paid = await attain('export', 'payroll', '2026-01', '--format', 'adp-wfn', '--out', join(root, 'PRDMOEPI.csv'));
  expect(paid.code).toBe(0);
  expect(paid.out).toMatch(/PRDMOEPI\.csv: \d+ rows, [\d.]+ USD; sha256 [0-9a-f]{64}/);

  const one = await attain('statements', '2026-01', '--rep', 'east-01', '--format', 'html', '--out', statements);
  expect(one).toMatchObject({ code: 0, out: expect.stringContaining('1 statement for 2026-01 (paid)') });
  expect(readFileSync(join(statements, '2026-01-east-01.html'), 'utf8')).toContain('Ben Brandt');
});

it(
  'takes employee ids from data/employees.csv where the reps carry none (a HubSpot workspace)',
  { timeout: 180_000 },
  async () => {
    // Runs after the test above: January is paid. Two reps lose their payroll id in the stored reps.
    const reps = join(dir, 'data', 'reps.csv');
    const text = readFileSync(reps, 'utf8');
    const [header, ...rows] = text.trimEnd().split('\n');
    const column = header!.split(',').indexOf('employeeId');
    const blank = (row: string) => {
      const cells = row.split(',');
      if (cells[0] === 'east-01' || cells[0] === 'east-02') cells[column] = '';
      return cells.join(',');
    };
    writeFileSync(reps, `${[header, ...rows.map(blank)].join('\n')}\n`);
    expect((await attain('run')).code).toBe(0);
    const file = join(root, 'employees-test.csv');
    const missing = await attain('export', 'payroll', '2026-01', '--format', 'csv', '--out', file);
    expect(missing).toMatchObject({
      code: 2,
      err: expect.stringMatching(/no employee id: east-01 \(.+\), east-02 \(/),
    });
    expect(existsSync(file)).toBe(false);

    writeFileSync(join(dir, 'data', 'employees.csv'), 'repId,employeeId\neast-01,E-9001\neast-02,E-9002\n');
    const given = await attain('export', 'payroll', '2026-01', '--format', 'csv', '--out', file);
    expect(given.code).toBe(0);
    const exported = readFileSync(file, 'utf8');
    expect(exported).toMatch(/^E-9001,east-01,/m);
    expect(exported).toMatch(/^E-9002,east-02,/m);

    writeFileSync(join(dir, 'data', 'employees.csv'), 'repId,employeeId\neast-01,E-9001\neast-01,E-1\n');
    const twice = await attain('export', 'payroll', '2026-01', '--format', 'csv', '--out', file);
    expect(twice).toMatchObject({
      code: 2,
      err: expect.stringMatching(/employees\.csv:3: rep east-01 has a second employee id/),
    });
  },
);
