/**
 * `attain calc` and `validate` on data and plans a careless export or a hostile hand produces:
 * far-off dates, a far-off --as-of, deals after today, negative and 400-digit amounts, a rate of
 * 50, an unclosed quote. Each is a reject naming its line, or exit 2 naming the file, never a
 * crash; the limits are attain.yaml's `limits`.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDate } from '../../jobs/prepare-calculation.js';
import { runCli, scratchExamples } from './run-cli.js';

const scratch = scratchExamples();

/** Adds deals to the example's deals.csv; returns the line of the first one added. */
function addDeals(dir: string, ...rows: string[]): number {
  const file = join(dir, 'data', 'deals.csv');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n').length;
  appendFileSync(file, rows.map((row) => `${row}\n`).join(''));
  return lines + 1;
}
async function withToday<T>(today: string, work: () => Promise<T>): Promise<T> {
  const before = process.env['ATTAIN_TODAY'];
  process.env['ATTAIN_TODAY'] = today;
  try {
    return await work();
  } finally {
    process.env['ATTAIN_TODAY'] = before;
  }
}

describe('dates', () => {
  it('a deal dated 9999-12-01 is a reject naming its line; the window stays bounded', async () => {
    const dir = scratch();
    const line = addDeals(dir, 'o-far,Far future,r1,1000.00,USD,9999-12-01,won,New Business,12,');
    const { code, out, err } = await runCli(['calc', '--workspace', dir]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(
      `deals.csv:${line}  o-far: closeDate 9999-12-01 is more than 10 years after the as-of date 2026-06-30 (limits.yearsFromAsOf in attain.yaml)`,
    );
    expect(out).toContain('calculated through 2026-06-30');
  });

  it('--as-of 9999-12-31 is exit 2, saying how far from today it may be', async () => {
    const { code, err } = await runCli(['calc', '--workspace', scratch(), '--as-of', '9999-12-31']);
    expect(code).toBe(2);
    expect(err).toContain('--as-of 9999-12-31 is more than 10 years after today (2026-06-30)');
  });

  it('as-of defaults to today: a won deal after it is not yet due, counted and not paid, not a reject', async () => {
    const dir = scratch();
    const before = await runCli(['calc', '--workspace', dir]);
    addDeals(dir, 'o-next,Next year,r1,90000.00,USD,2026-07-15,won,New Business,36,');
    const { code, out } = await runCli(['calc', '--workspace', dir]);
    expect(code).toBe(0);
    expect(out).toContain('calculated through 2026-06-30 · 1 won deal closes after 2026-06-30: not yet due');
    expect(out).not.toContain('o-next');
    expect(out.split('\n').filter((l) => l.startsWith('Total'))).toEqual(
      before.out.split('\n').filter((l) => l.startsWith('Total')),
    );
    // On the day it is due, it is paid.
    const later = await withToday('2026-07-31', () => runCli(['calc', '--workspace', dir, '--period', '2026-07']));
    expect(later.out).toMatch(/Alice Martin \(r1\)\s+2026-07/);
  });

  it('"today" is the run date in the calendar time zone; ATTAIN_TODAY fixes it for tests', () => {
    const lateEvening = new Date('2026-12-07T03:30:00Z');
    expect(runDate('America/New_York', {}, lateEvening)).toBe('2026-12-06');
    expect(runDate('Europe/Berlin', {}, lateEvening)).toBe('2026-12-07');
    expect(runDate('UTC', { ATTAIN_TODAY: '2026-06-30' }, lateEvening)).toBe('2026-06-30');
    expect(() => runDate('UTC', { ATTAIN_TODAY: 'tomorrow' })).toThrow(
      'ATTAIN_TODAY=tomorrow: expected a date YYYY-MM-DD',
    );
  });
});

describe('amounts', () => {
  it('a negative amount and a 400-digit one are rejects naming their lines', async () => {
    const dir = scratch();
    const line = addDeals(
      dir,
      'o-neg,Refund,r1,-500.00,USD,2026-02-02,won,New Business,12,',
      `o-huge,Huge,r1,${'9'.repeat(400)},USD,2026-02-03,won,New Business,12,`,
    );
    const { code, out } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(0);
    expect(out).toContain(
      `deals.csv:${line}  o-neg: amount -500.00 is negative: a refund or credit note is not a deal (mark the paid deal lost to claw it back)`,
    );
    expect(out).toContain(
      `deals.csv:${line + 1}  o-huge: amount 99999999999999999999… (400 characters) is larger than 1000000000000000, the most allowed (limits.maxAmount in attain.yaml)`,
    );
  });

  it('limits.maxAmount in attain.yaml moves the bound', async () => {
    const dir = scratch();
    appendFileSync(join(dir, 'attain.yaml'), 'limits: { maxAmount: 40000 }\n');
    const { out } = await runCli(['validate', '--workspace', dir]);
    expect(out).toContain('o-1001: amount 48000.00 is larger than 40000, the most allowed');
  });
});

describe('plan rates', () => {
  const setRate = (dir: string, rate: string) => {
    const file = join(dir, 'plans', 'account-executive.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('{ from: 1.25, rate: 0.07 }', `{ from: 1.25, rate: ${rate} }`),
    );
  };

  it('a rate of 50 is exit 2 naming the file, line and key', async () => {
    const dir = scratch();
    setRate(dir, '50');
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toMatch(
      /^plans\/account-executive\.yaml:\d+:\d+ components\[0\]\.tiers\[2\]\.rate: rate 50 is above the highest rate allowed, 1 /m,
    );
  });

  it('is allowed when attain.yaml raises limits.maxRate', async () => {
    const dir = scratch();
    setRate(dir, '1.5');
    appendFileSync(join(dir, 'attain.yaml'), 'limits: { maxRate: 2 }\n');
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(err).toBe('');
    expect(code).toBe(0);
  });
});

describe('CSV records', () => {
  it('an unclosed quote stops the read at limits.csvRecordChars instead of buffering the rest of the file', async () => {
    const dir = scratch();
    const line = addDeals(dir, 'o-q,"Unclosed,r1,1.00,USD,2026-02-02,won,New Business,12,');
    addDeals(
      dir,
      ...Array.from({ length: 3000 }, (_, i) => `o-x${i},Row ${i},r1,1.00,USD,2026-02-02,won,New Business,12,`),
    );
    appendFileSync(join(dir, 'attain.yaml'), 'limits: { csvRecordChars: 10000 }\n');
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toContain(
      `the record that starts on line ${line} is longer than 10000 characters (limits.csvRecordChars`,
    );
  });
});
