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
