/**
 * Papaparse reads a file chunk by chunk only where it reads what csv-parse reads, and hands the
 * rest to csv-parse (csv-file.ts, connectors/csv/README.md#why-this-parser): whatever the file and
 * wherever its chunks are cut, the records, their lines and the error are csv-parse's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachCsvRecord, openCsvFile, type CsvReader } from '../../../connectors/csv/csv-file.js';

const root = mkdtempSync(join(tmpdir(), 'attain-csv-readers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

function file(content: string | Buffer): string {
  const dir = join(root, `f${files++}`);
  mkdirSync(dir);
  const path = join(dir, 'deals.csv');
  writeFileSync(path, content);
  return path;
}

/** Every record with its lines, or the error's message, as `reader` reads the file in chunks of `chunkBytes`. */
async function read(path: string, reader: CsvReader, chunkBytes = 1 << 20, maxRecordChars = 1_000_000) {
  const records: [string[], number, number][] = [];
  try {
    const handle = (await openCsvFile(path))!;
    await forEachCsvRecord(
      path,
      handle,
      (fields, line, lastLine) => records.push([fields, line, lastLine]),
      maxRecordChars,
      undefined,
      chunkBytes,
      reader,
    );
    return { records };
  } catch (error) {
    return { records, error: (error as Error).message };
  }
}

async function bothReaders(content: string | Buffer, chunkBytes?: number, maxRecordChars?: number) {
  const path = file(content);
  const papaparse = await read(path, 'papaparse', chunkBytes, maxRecordChars);
  const csvParse = await read(path, 'csv-parse', chunkBytes, maxRecordChars);
  expect(papaparse).toEqual(csvParse);
  return papaparse;
}

describe('papaparse where it agrees with csv-parse, csv-parse for the rest', () => {
  it('line breaks of every kind in one file each end a record, on their own lines', async () => {
    const { records } = await bothReaders('id,name\r\n1,a\n2,b\r3,c\r\n"4\r\nx",d\n5,e\n', 8);
    expect(records.map(([fields, line]) => [fields[0], line])).toEqual([
      ['id', 1],
      ['1', 2],
      ['2', 3],
      ['3', 4],
      ['4\r\nx', 5],
      ['5', 7],
    ]);
  });

  it('a CRLF file with line breaks inside quoted cells, as Excel writes it', async () => {
    const { records } = await bothReaders('\uFEFFid,notes\r\n1,"two\nlines"\r\n2,"27"" monitor"\r\n3,27" monitor\r\n');
    expect(records).toEqual([
      [['id', 'notes'], 1, 1],
      [['1', 'two\nlines'], 2, 3],
      [['2', '27" monitor'], 4, 4],
      [['3', '27" monitor'], 5, 5],
    ]);
  });

  it('a closing quote followed by more text is kept as written, and does not swallow the next records', async () => {
    const swallowed = await bothReaders('id,name\n1,"abc"def\n2,"x"\n');
    expect(swallowed.records.map(([fields]) => fields)).toEqual([
      ['id', 'name'],
      ['1', '"abc"def'],
      ['2', 'x'],
    ]);
    const spaced = await bothReaders('id,name\n2,"x"  ,y\n3,"z" \n');
    expect(spaced.records.map(([fields]) => fields)).toEqual([
      ['id', 'name'],
      ['2', '"x"  ', 'y'],
      ['3', '"z" '],
    ]);
  });

  it('an unclosed quote, a record over the limit, and bytes that are not UTF-8 give csv-parse errors', async () => {
    expect((await bothReaders('id,name\n1,a\n2,"b\n3,c\n', 4)).error).toContain('starts on line 3 is never closed');
    for (const record of [`2,"${'b'.repeat(100)}`, `2,"${'b'.repeat(100)}"\n3,c`]) {
      expect((await bothReaders(`id,name\n1,a\n${record}\n`, 16, 50)).error).toContain(
        'the record that starts on line 3 is longer than 50 characters',
      );
      expect((await bothReaders(`id,name\n1,a\n${record}\n`, undefined, 50)).error).toContain(
        'the record that starts on line 3 is longer than 50 characters',
      );
    }
    const latin1 = Buffer.concat([Buffer.from('id,name\n1,a\n2,Jos'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect((await bothReaders(latin1, 5)).error).toContain('not UTF-8 text (first seen on line 3)');
  });

  it('any file, read in chunks of any size, gives the same records, lines and error', async () => {
    const cell = fc.oneof(
      fc.constantFrom('', 'x', ' ', '1', '27" monitor', '"', '""', '"a"b', '"a"  ', '\u00e9', '\uFFFD'),
      fc.stringMatching(/^[a-z",\r\n ]{0,6}$/),
      fc.stringMatching(/^[a-z,\r\n "]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`),
    );
    const record = fc.array(cell, { maxLength: 5 }).map((cells) => cells.join(','));
    // Mostly one kind of line break per file, as files are; sometimes all kinds mixed.
    const lineBreak = fc.constantFrom('\n', '\r\n', '\r', undefined);
    const content = fc
      .tuple(
        fc.boolean(),
        lineBreak,
        fc.array(fc.tuple(record, fc.constantFrom('\n', '\r\n', '\r')), { maxLength: 12 }),
        fc.boolean(),
      )
      .map(([bom, kind, records, latin1]) => {
        const lines = records.map(([r, end]) => r + (kind ?? end)).join('');
        const text = `${bom ? '\uFEFF' : ''}id,name${kind ?? '\n'}${lines}`;
        // Latin-1 turns é into a byte that is not UTF-8.
        return Buffer.from(text, latin1 ? 'latin1' : 'utf8');
      });
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom(1_000_000, 30, 12),
        async (bytes, chunkBytes, maxRecordChars) => {
          await bothReaders(bytes, chunkBytes, maxRecordChars);
        },
      ),
      { seed: 20261206, numRuns: 400 },
    );
  });
});
