/**
 * `attain export gl` and `attain amortization` as a user types them, on a copy of the demo company
 * in its embedded database: a bad accounts key exits 2 naming it, an unpaid period exits 2 and
 * writes nothing, a paid one writes a balanced journal.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AmortizationReport } from '../../jobs/accounting.js';
import { runCli } from './run-cli.js';

const DEMO = resolve(import.meta.dirname, '../../examples/demo');
let root = '';
let dir = '';
const attain = (...args: string[]) => runCli(['--workspace', dir, ...args]);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attain-accounting-cli-'));
  dir = join(root, 'demo');
  cpSync(DEMO, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('names an unknown key of accounting.accounts with its line, and writes nothing', async () => {
  const config = join(dir, 'attain.yaml');
  const text = readFileSync(config, 'utf8');
  writeFileSync(config, text.replace('    commissionExpense:', '    commisionExpense:'));
  try {
    const out = join(root, 'gl.csv');
    const { code, err } = await attain('export', 'gl', '2026-01', '--format', 'csv', '--out', out);
    expect(code).toBe(2);
    expect(err).toMatch(
      /^attain\.yaml:\d+:\d+ accounting\.accounts\.commisionExpense: unknown key \(did you mean commissionExpense\?\)/,
    );
    expect(existsSync(out)).toBe(false);
    expect((await attain('amortization')).code).toBe(2);
  } finally {
    writeFileSync(config, text);
  }
});

it('exports the journal of a paid month only, and lists the contracts', { timeout: 180_000 }, async () => {
  expect((await attain('run', '--as-of', '2026-12-31')).code).toBe(0);
  const file = join(root, 'out.csv');
  const unpaid = await attain('export', 'gl', '2026-01', '--format', 'csv', '--out', file);
  expect(unpaid).toMatchObject({ code: 2, err: expect.stringContaining('not yet: 2026-01. Lock them') });
  expect(existsSync(file)).toBe(false);

  expect((await attain('approve', '2026-01', '--by', 'ann')).code).toBe(0);
  expect((await attain('lock', '2026-01', '--by', 'ann')).code).toBe(0);
  const paid = await attain('export', 'gl', '2026-01', '--format', 'csv', '--out', file);
  expect(paid.code).toBe(0);
  const [, debit, credit] = /3 entries, \d+ lines, debits ([\d.]+) = credits ([\d.]+) USD; sha256 [0-9a-f]{64}/.exec(
    paid.out,
  )!;
  expect(debit).toBe(credit);
  expect(readFileSync(file, 'utf8')).toMatch(
    /^entry,date,period,kind,account,debit,credit,currency,repId,dealId,memo\n/,
  );

  const listed = await attain('amortization', '--as-of', '2026-03-31');
  expect(listed.code).toBe(0);
  expect(listed.out).toMatch(/^Capitalised commissions through 2026-03 \(as of 2026-03-31\)\n/);
  expect(listed.out).toMatch(/\nrep +deal +term +start +capitalised +amortised +remaining\n/);
  expect(listed.out).toMatch(
    /\ntotal USD: capitalised [\d.]+, amortised [\d.]+, reversed by clawbacks 0\.00, remaining [\d.]+\n/,
  );
  const json = await attain('amortization', '--as-of', '2026-03-31', '--json');
  const report = JSON.parse(json.out) as AmortizationReport;
  expect(report.through).toBe('2026-03');
  expect(report.contracts.length).toBeGreaterThan(0);
  expect(listed.out).toContain(
    `capitalised ${report.totals[0]!.capitalized}, amortised ${report.totals[0]!.amortized}`,
  );
});
