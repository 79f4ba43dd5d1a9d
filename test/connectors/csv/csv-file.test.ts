import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_PARSE_OPTIONS, CsvSourceError, readCsvRows, readCsvSource } from '../../../connectors/csv/csv-source.js';
import { csv, workspace } from './csv-workspace.js';

const UTC = { tz: 'UTC' };

/** The CsvSourceError that reading `dir` throws. */
async function failure(dir: string): Promise<CsvSourceError> {
  const error: unknown = await readCsvSource(dir, UTC).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CsvSourceError);
  return error as CsvSourceError;
}

describe('files that cannot be read', () => {
  it.each(['reps.csv', 'deals.csv', 'quotas.csv', 'assignments.csv'])(
    'a missing %s names its full path',
    async (file) => {
      const dir = await workspace({ [file]: null });
      const error = await failure(dir);
      expect(error.name).toBe('CsvSourceError');
      expect(error.code).toBe('FILE_UNREADABLE');
      expect(error.message).toBe(`cannot read ${resolve(dir, file)}: file not found`);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    },
  );

  it('a folder where a file should be', async () => {
    const dir = await workspace({ 'fx.csv': null });
    await mkdir(join(dir, 'fx.csv'));
    const error = await failure(dir);
    expect(error.message).toBe(`cannot read ${resolve(dir, 'fx.csv')}: it is a directory, not a file`);
  });

  it('a required column missing from the header', async () => {
    const dir = await workspace({ 'deals.csv': csv(['id,name,ownerId,amount,currency,stage', 'd1,A,r1,1,USD,won']) });
    const error = await failure(dir);
    expect(error.code).toBe('FILE_INVALID');
    expect(error.message).toBe(
      `${resolve(dir, 'deals.csv')}: the header has no column closeDate (it has id, name, ownerId, amount, currency, stage)`,
    );
  });

  it('several missing columns, one of them in the wrong letter case', async () => {
    const dir = await workspace({ 'fx.csv': csv(['Currency,from', 'EUR,2026-01-01']) });
    const error = await failure(dir);
    expect(error.message).toBe(
      `${resolve(dir, 'fx.csv')}: the header has no columns currency, rate (found Currency: column names are case-sensitive)`,
    );
  });

  it('a file separated by semicolons', async () => {
    const dir = await workspace({ 'quotas.csv': csv(['repId;period;amount', 'r1;2026;100']) });
    const error = await failure(dir);
    expect(error.message).toContain(`${resolve(dir, 'quotas.csv')}: the header has no columns repId, period, amount`);
    expect(error.message).toContain('semicolons; Attain reads comma-separated files');
  });

  it('a column named twice', async () => {
    const dir = await workspace({
      'deals.csv': csv(['id,name,ownerId,amount,currency,closeDate,stage,amount', 'd1,A,r1,1,USD,2026-01-15,won,2']),
    });
    const error = await failure(dir);
    expect(error.message).toBe(`${resolve(dir, 'deals.csv')}: the header has column amount twice (columns 4 and 8)`);
  });

  it('an empty required file; an empty optional one is no rows', async () => {
    const dir = await workspace({ 'reps.csv': '', 'fx.csv': '' });
    const error = await failure(dir);
    expect(error.message).toBe(
      `${resolve(dir, 'reps.csv')} is empty: it needs a header row with the columns id, name, email`,
    );
    const result = await readCsvSource(await workspace({ 'fx.csv': '\n' }), UTC);
    expect(result.data.fxRates).toEqual([]);
  });

  it('a quoted field that is never closed', async () => {
    const dir = await workspace({
      'deals.csv': csv([
        'id,name,ownerId,amount,currency,closeDate,stage',
        'd1,A,r1,1,USD,2026-01-15,won',
        'd2,"B,r1,1,USD,2026-01-15,won',
        'd3,C,r1,1,USD,2026-01-15,won',
      ]),
    });
    const error = await failure(dir);
    expect(error.code).toBe('FILE_INVALID');
    expect(error.message).toBe(
      `${resolve(dir, 'deals.csv')}: the quoted field that starts on line 3 is never closed (a stray " ?), ` +
        'so nothing from that line on can be read',
    );
  });

  it('a file that is not UTF-8', async () => {
    const latin1 = Buffer.from(
      csv(['id,name,email', 'r1,Ann,ann@example.com', 'r2,Jos\u00e9,jose@example.com']),
      'latin1',
    );
    const dir = await workspace({ 'reps.csv': latin1 });
    const error = await failure(dir);
    expect(error.message).toBe(
      `${resolve(dir, 'reps.csv')} is not UTF-8 text (first seen on line 3): save it as "CSV UTF-8" ` +
        '(Excel: File > Save As > CSV UTF-8)',
    );
  });
});

describe('readCsvRows', () => {
  it('counts the records after the header with the same parser', async () => {
    const dir = await workspace();
    const path = join(dir, 'big.csv');
    const rows = ['id,name'];
    for (let i = 0; i < 5000; i++) rows.push(i % 100 === 0 ? `${i},"multi\nline"` : `${i},name ${i}`);
    await writeFile(path, '\uFEFF' + csv(rows, '\r\n'));
    expect(await readCsvRows(path)).toBe(5000);
  });

  it('throws a CsvSourceError for a missing file', async () => {
    const path = join(await workspace(), 'nope.csv');
    await expect(readCsvRows(path)).rejects.toThrow(`cannot read ${path}: file not found`);
  });

  it('shares the parse options with the source', () => {
    expect(CSV_PARSE_OPTIONS).toMatchObject({ columns: false, bom: true, relax_column_count: true });
    expect(Object.isFrozen(CSV_PARSE_OPTIONS)).toBe(true);
  });
});
