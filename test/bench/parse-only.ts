/** Parses every CSV of a workspace with the CSV source's own parser and options, and nothing else. */
import { join } from 'node:path';
import { CSV_SOURCE_FILES, readCsvRows } from '../../connectors/csv/csv-source.js';

const dataDir = join(process.argv[2] ?? '.', 'data');
let rows = 0;
for (const { file, optional } of CSV_SOURCE_FILES) {
  try {
    rows += await readCsvRows(join(dataDir, file));
  } catch (error) {
    if (!optional) throw error;
  }
}
process.stdout.write(`${rows}\n`);
