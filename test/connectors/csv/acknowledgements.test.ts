/** data/acknowledgements.csv: rows checked for their form, each bad one named by file and line. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readAcknowledgements } from '../../../connectors/csv/acknowledgements.js';

const dir = mkdtempSync(join(tmpdir(), 'attain-acks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (text: string) => {
  const path = join(dir, 'acknowledgements.csv');
  writeFileSync(path, text);
  return path;
};

it('reads the columns in any order, with a BOM, quotes and blank lines', async () => {
  const path = file(
    '\uFEFFdate,planHash,repId,planId\r\n2026-01-05,"bf4b6d64d7ec",vp,manager-2026\r\n\r\n2026-01-06,aaaaaaaaaaaa,"west, mgr",m\r\n',
  );
  expect(await readAcknowledgements(path)).toEqual({
    rows: [
      { repId: 'vp', planId: 'manager-2026', planHash: 'bf4b6d64d7ec', date: '2026-01-05', line: 2 },
      { repId: 'west, mgr', planId: 'm', planHash: 'aaaaaaaaaaaa', date: '2026-01-06', line: 4 },
    ],
    problems: [],
  });
});

it('names every bad row by its line, and a header without a column', async () => {
  const path = file(
    'repId,planId,planHash,date\n,p,aaaaaaaaaaaa,2026-01-01\nr,p,AAAA,2026-01-01\nr,p,aaaaaaaaaaaa,2026-02-30\nr,p,aaaaaaaaaaaa,2026-02-28\n',
  );
  expect((await readAcknowledgements(path)).problems).toEqual([
    'acknowledgements.csv:2: repId empty',
    'acknowledgements.csv:3: planHash AAAA: expected the 12 hex digits a plan document prints',
    'acknowledgements.csv:4: date 2026-02-30: expected a date YYYY-MM-DD',
  ]);
  await expect(readAcknowledgements(file('repId,planId,date\n'))).rejects.toThrow(
    'acknowledgements.csv:1: the header needs the columns planHash',
  );
  await expect(readAcknowledgements(join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
});
