/**
 * A data file read in byte ranges (csv-ranges.ts, readCsvRange) and put together gives exactly what
 * one read of the whole file gives: the same records, the same line of each, the same rejects in
 * the same order, the same error. Ranges never start inside a quoted field.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCsvPart, encodeCsvPart } from '../../../connectors/csv/csv-part-codec.js';
import { planCsvRanges } from '../../../connectors/csv/csv-ranges.js';
import { readCsvRange, readCsvSource, type CsvPart } from '../../../connectors/csv/csv-source.js';

const root = mkdtempSync(join(tmpdir(), 'attain-csv-ranges-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const TZ = 'UTC';
const HEADER = 'id,name,ownerId,amount,currency,closeDate,stage';

function workspace(deals: string | Buffer): string {
  const dir = join(root, `w${dirs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'deals.csv'), deals);
  return dir;
}

/** The file read whole, and read in ranges of `rangeBytes` and put together: records, lines (via locate), rejects. */
async function bothWays(dir: string, rangeBytes: number) {
  const outcome = async (parts?: Map<string, CsvPart[]>) => {
    try {
      const read = await readCsvSource(dir, { tz: TZ, only: ['deals.csv'], ...(parts && { parts }) });
      return { deals: read.data.deals, at: read.data.deals.map((d) => read.locate(d)), rejects: read.rejects };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const ranges = await planCsvRanges(join(dir, 'deals.csv'), rangeBytes);
  const parts = await Promise.all(ranges.map((r) => readCsvRange(dir, 'deals.csv', r, { tz: TZ })));
  // As the sync step gets them from another worker: encoded, stored (run_input_parts) and decoded.
  const stored = await Promise.all(parts.map(async (p) => (await decodeCsvPart(await encodeCsvPart(p, {}))).part));
  const ranged = await outcome(new Map([['deals.csv', parts]]));
  expect(await outcome(new Map([['deals.csv', stored]]))).toEqual(ranged);
  return { whole: await outcome(), ranged, ranges };
}

const row = (i: number, extra = '') => `d${i},Deal ${i}${extra},r1,100.00,USD,2026-03-0${(i % 9) + 1},won`;

describe('ranges of a data file', () => {
  it('start on a record, carry its line, and cover the file', async () => {
    const text = [HEADER, row(1), row(2), `d3,"two\nlines",r1,1,USD,2026-01-01,won`, row(4), ''].join('\n');
    const dir = workspace(text);
    const ranges = await planCsvRanges(join(dir, 'deals.csv'), 20);
    expect(ranges[0]).toEqual({ start: 0, end: ranges[1]!.start, line: 1 });
    expect(ranges.at(-1)!.end).toBe(Buffer.byteLength(text));
    for (const r of ranges) {
      // Every range starts just after a line break that ends a record, on the line it says.
      if (r.start > 0) expect(text[r.start - 1]).toBe('\n');
      expect(text.slice(0, r.start).split('\n').length).toBe(r.line);
    }
    // Never inside the quoted field, whose line break is part of a value.
    const quoted = text.indexOf('"two\n') + 5;
    expect(ranges.map((r) => r.start)).not.toContain(quoted);
  });

  it('a file no longer than the range size, or one whose quote never closes, is one range', async () => {
    const small = workspace(`${HEADER}\n${row(1)}\n`);
    expect(await planCsvRanges(join(small, 'deals.csv'), 1000)).toEqual([
      { start: 0, end: HEADER.length + row(1).length + 2, line: 1 },
    ]);
    const unclosed = workspace(`${HEADER}\n${row(1)}\nd2,"never closed,r1\n${row(3)}\n${row(4)}\n`);
    expect(await planCsvRanges(join(unclosed, 'deals.csv'), 10)).toHaveLength(1);
    const { whole, ranged } = await bothWays(unclosed, 10);
    expect(ranged).toEqual(whole);
    expect(whole).toHaveProperty('error', expect.stringContaining('line 3 is never closed'));
  });

  it('rejects in later ranges name their lines, after quoted line breaks, CRLF and a BOM', async () => {
    const lines = [
      HEADER,
      row(1),
      `d2,"a ""quoted"", name\r\nover\rthree lines",r1,1,USD,2026-01-01,won`,
      '',
      row(3),
      'd4,bad amount,r1,12x,USD,2026-01-01,won',
      row(5),
      `d6,"x",r1,1,USD,2026-13-01,won`,
      row(7, ' 27" monitor'),
      'd8,short row',
    ];
    const dir = workspace(`\uFEFF${lines.join('\r\n')}\r\n`);
    for (const size of [8, 30, 64, 100]) {
      const { whole, ranged, ranges } = await bothWays(dir, size);
      expect(ranges.length).toBeGreaterThan(1);
      expect(ranged).toEqual(whole);
    }
    const { ranged } = await bothWays(dir, 30);
    expect(ranged).toMatchObject({
      rejects: [
        { source: 'deals.csv:8', recordId: 'd4' },
        { source: 'deals.csv:10', recordId: 'd6' },
        { source: 'deals.csv:12', recordId: 'd8' },
      ],
    });
    expect((ranged as { at: string[] }).at).toEqual([
      'deals.csv:2',
      'deals.csv:3',
      'deals.csv:7',
      'deals.csv:9',
      'deals.csv:11',
    ]);
  });

  it('a deal id repeated in another range is rejected naming the first line, as a whole read does', async () => {
    const dir = workspace([HEADER, row(1), row(2), row(3), row(4), row(1), row(2), ''].join('\n'));
    const { whole, ranged, ranges } = await bothWays(dir, 60);
    expect(ranges.length).toBeGreaterThan(2);
    expect(ranged).toEqual(whole);
    expect(ranged).toMatchObject({
      rejects: [
        { source: 'deals.csv:6', reason: 'duplicate deal id d1 (first on line 2)' },
        { source: 'deals.csv:7', reason: 'duplicate deal id d2 (first on line 3)' },
      ],
    });
  });

  it('an error in a later range is the one a whole read gives', async () => {
    const dir = workspace(
      Buffer.concat([
        Buffer.from(`${HEADER}\n${row(1)}\n${row(2)}\n${row(3)}\nd4,`),
        Buffer.from([0xff]),
        Buffer.from(`,r1,1,USD,2026-01-01,won\n${row(5)}\n`),
      ]),
    );
    const { whole, ranged } = await bothWays(dir, 40);
    expect(ranged).toEqual(whole);
    expect(whole).toHaveProperty('error', expect.stringContaining('first seen on line 5'));
  });

  it('any file, cut at any size, reads the same in ranges as whole', async () => {
    const cell = fc.oneof(
      fc.constantFrom('', 'x', ' ', 'USD', '1', '2026-01-01', 'won', 'r1'),
      fc.stringMatching(/^[a-z",\r\n ]{0,6}$/),
      fc.stringMatching(/^[a-z,\r\n "]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`),
    );
    const record = fc.array(cell, { minLength: 0, maxLength: 8 }).map((cells) => cells.join(','));
    const file = fc.tuple(
      fc.boolean(),
      fc.array(fc.tuple(record, fc.constantFrom('\n', '\r\n', '\r')), { maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 40 }), async ([bom, records], size) => {
        const text = `${bom ? '\uFEFF' : ''}${HEADER}\n${records.map(([r, end]) => r + end).join('')}`;
        const { whole, ranged } = await bothWays(workspace(text), size);
        expect(ranged).toEqual(whole);
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });
});
