/**
 * `data/employees.csv` (optional): payroll's employee id of each rep, keyed by the rep's id in
 * the source (a HubSpot owner id, say), for sources whose records carry none. Columns `repId`
 * and `employeeId`; an id given here wins over one from reps.csv or the CRM.
 */
import { join } from 'node:path';
import { CsvSourceError, forEachCsvRecord, openCsvFile } from './csv-file.js';

export const EMPLOYEES_FILE = 'employees.csv';

/** The employee ids of `dir/employees.csv`, or undefined when there is no such file. */
export async function readEmployeeIds(dir: string): Promise<Map<string, string> | undefined> {
  const path = join(dir, EMPLOYEES_FILE);
  const file = await openCsvFile(path, true);
  if (!file) return undefined;
  const ids = new Map<string, string>();
  const firstLine = new Map<string, number>();
  let columns: { rep: number; employee: number } | undefined;
  await forEachCsvRecord(path, file, (cells, line) => {
    if (!columns) {
      const names = cells.map((c) => c.trim());
      const rep = names.indexOf('repId');
      const employee = names.indexOf('employeeId');
      if (rep === -1 || employee === -1)
        throw new CsvSourceError(`${path}:${line}: the header needs the columns repId and employeeId`, 'FILE_INVALID');
      columns = { rep, employee };
      return;
    }
    const repId = (cells[columns.rep] ?? '').trim();
    const employeeId = (cells[columns.employee] ?? '').trim();
    if (repId === '' || employeeId === '') return;
    const first = firstLine.get(repId);
    if (first !== undefined && ids.get(repId) !== employeeId)
      throw new CsvSourceError(
        `${path}:${line}: rep ${repId} has a second employee id (${employeeId}; ${ids.get(repId)} on line ${first})`,
        'FILE_INVALID',
      );
    ids.set(repId, employeeId);
    firstLine.set(repId, line);
  });
  return ids;
}
