/**
 * A part read in a byte range comes out of its stored form (csv-part-codec.ts) exactly as it went
 * in: the same records with their keys in the same order (the stored engine input, and its hash,
 * is their JSON), the same lines, rejects, duplicate keys and error, whatever the values hold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCsvPart, encodeCsvPart } from '../../../connectors/csv/csv-part-codec.js';
import { planCsvRanges } from '../../../connectors/csv/csv-ranges.js';
import { readCsvRange, type CsvPart } from '../../../connectors/csv/csv-source.js';

const dir = mkdtempSync(join(tmpdir(), 'attain-csv-part-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function roundTrip(part: CsvPart, head: unknown = { range: { start: 0, end: 1, line: 1 } }) {
  const decoded = await decodeCsvPart(await encodeCsvPart(part, head));
  expect(decoded.head).toStrictEqual(head);
  return decoded.part;
}

/** The same part: equal values, and the same JSON (keys in the same order, nothing dropped or added). */
function expectSame(decoded: CsvPart, part: CsvPart): void {
  expect(decoded).toStrictEqual(part);
  expect(JSON.stringify(decoded)).toBe(JSON.stringify(part));
  for (const record of decoded.records) expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
}

describe('a stored csv part', () => {
  it('keeps the records, lines, rejects and duplicate keys of a range read from a file with awkward values', async () => {
    const rows = [
      'id,name,ownerId,amount,currency,closeDate,stage,type,lastModified,accountId,region,tier',
      // Empty optional cells: no type, no lastModified, no accountId, no extra fields.
      'd1,Plain,r1,100.00,USD,2026-03-01,won,,,,,',
      // Quotes, a comma and a line break inside a quoted name, unicode of every width.
      'd2,"Ünïcödé, ""quoted""\nacross lines 🚀 日本 עברית",r2,1.5,EUR,2026-03-02,open,Renewal,2026-03-02T10:00:00Z,a1,EMEA,',
      'd3, spaced name ,r1,0,USD,2026-03-03,lost,New Business,,a2,,Gold',
      // A duplicate deal id within the range: rejected, naming the first line.
      'd1,Again,r1,5,USD,2026-03-04,won,,,,,',
      // Unusable rows: rejected, their keys claimed all the same.
      'd4,Bad amount,r1,12abc,USD,2026-03-05,won,,,,,',
      'd5,Has a NUL \u0000 here,r1,1,USD,2026-03-06,won,,,,,',
      'd\u00006,NUL in the id,r1,1,USD,2026-03-07,won,,,,,',
      'd7,Too few fields',
      ...Array.from(
        { length: 300 },
        (_, i) =>
          `x${i},Deal ${i},r${i % 7},${i}.25,${i % 3 ? 'USD' : 'GBP'},2026-04-0${(i % 9) + 1},won,${i % 2 ? 'Upsell' : ''},,,${i % 5 ? 'AMER' : ''},`,
      ),
    ];
    writeFileSync(join(dir, 'deals.csv'), `${rows.join('\n')}\n`);
    const ranges = await planCsvRanges(join(dir, 'deals.csv'), 2000);
    expect(ranges.length).toBeGreaterThan(2);
    for (const range of ranges) {
      const part = await readCsvRange(dir, 'deals.csv', range, { tz: 'UTC' });
      expectSame(await roundTrip(part, { range, size: 1, mtimeMs: 2.5 }), part);
    }
    const first = await readCsvRange(dir, 'deals.csv', ranges[0]!, { tz: 'UTC' });
    // What makes the first range worth checking: all of it is there.
    expect(first.rejects.map((r) => r.reason)).toEqual([
      'duplicate deal id d1 (first on line 2)',
      expect.stringContaining('amount'),
      'name holds a NUL character (U+0000), which cannot be stored',
      'id holds a NUL character (U+0000), which cannot be stored',
      'row has 2 fields, header has 12',
    ]);
    expect(first.keys).toContain('d\u00006');
    expect(first.records[1]).toMatchObject({
      name: 'Ünïcödé, "quoted"\nacross lines 🚀 日本 עברית',
      fields: { region: 'EMEA' },
    });
  });

  it('keeps keys in their order and values JSON keeps, whatever they are', async () => {
    const proto = JSON.parse('{"__proto__": "own", "a": "1"}') as object;
    const part: CsvPart = {
      records: [
        { id: 'r1', '7': 'an index-like key', name: '', active: true, fields: { n: 1, z: null, list: ['x'] } },
        { id: 'r2', '7': 'x', name: 'lone \ud800 surrogate', active: false, fields: {} },
        proto,
        { id: '', only: '' },
        { id: 'r5', name: 'no 7', active: true, fields: { deep: { deeper: 'yes' } } },
      ],
      lines: [3, 9, 10, 70000, 70001],
      rejects: [{ source: 'deals.csv:4', recordId: 'line 4', reason: 'why' }],
      keys: ['r1', 'r2', 'with\u0000nul', ''],
    };
    const decoded = await roundTrip(part);
    expectSame(decoded, part);
    expect(Object.getOwnPropertyNames(decoded.records[2])).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(decoded.records[2])).toBe(Object.prototype);
    // The same when every record has that key.
    const alike: CsvPart = { records: [proto, { ...proto }], lines: [2, 3], rejects: [], keys: [] };
    expectSame(await roundTrip(alike), alike);
  });

  it('leaves out keys whose value is undefined, as JSON did', async () => {
    const part = { records: [{ a: 'x', b: undefined, c: 'y' }], lines: [2], rejects: [], keys: [] };
    const decoded = await roundTrip(part);
    expect(JSON.stringify(decoded.records)).toBe('[{"a":"x","c":"y"}]');
    expect(Object.keys(decoded.records[0]!)).toEqual(['a', 'c']);
  });

  it('keeps an empty part, an error, lines that do not increase, and hundreds of key orders', async () => {
    const empty: CsvPart = { records: [], lines: [], rejects: [], keys: [] };
    expectSame(await roundTrip(empty), empty);
    const failed: CsvPart = { ...empty, error: { message: 'deals.csv is not UTF-8', code: 'FILE_INVALID' } };
    expectSame(await roundTrip(failed), failed);
    const shapes: CsvPart = {
      records: Array.from({ length: 600 }, (_, i) => ({ [`k${i % 300}`]: `v${i}`, id: `d${i}` })),
      lines: Array.from({ length: 600 }, (_, i) => (i === 5 ? 1 : i + 2)),
      rejects: [],
      keys: Array.from({ length: 600 }, () => 'same'),
    };
    expectSame(await roundTrip(shapes), shapes);
  });

  it('keeps any records of strings, booleans and nested fields', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom('', 'USD', 'r1', '\u0000', '2026-01-01'),
      fc.boolean(),
    );
    const record = fc.dictionary(
      fc.constantFrom('id', 'name', 'ownerId', 'stage', '0', 'type'),
      fc.oneof(value, fc.dictionary(fc.string({ maxLength: 3 }), value, { maxKeys: 3, noNullPrototype: true })),
      { maxKeys: 6, noNullPrototype: true },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 40 }),
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }),
        async (records, keys) => {
          const part: CsvPart = { records, lines: records.map((_, i) => i * 2 + 1), rejects: [], keys };
          expectSame(await roundTrip(part), part);
        },
      ),
      { seed: 20261206, numRuns: 300 },
    );
  });
});
