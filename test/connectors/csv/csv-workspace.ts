/** Temporary CSV workspaces for the CSV source tests, and the schema check every test applies. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import type { CsvSourceResult } from '../../../connectors/csv/csv-source.js';
import {
  assignmentSchema,
  dealSchema,
  fxRateSchema,
  quotaSchema,
  repSchema,
  splitSchema,
} from '../../../src/domain/model.js';

/** The smallest valid set of required files: one rep, no deals, quotas or assignments. */
export const MINIMAL_FILES: Readonly<Record<string, string>> = {
  'reps.csv': 'id,name,email\nr1,Ann,ann@example.com\n',
  'deals.csv': 'id,name,ownerId,amount,currency,closeDate,stage\n',
  'quotas.csv': 'repId,period,amount\n',
  'assignments.csv': 'repId,planId,from\n',
};

const created: string[] = [];

afterEach(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A fresh folder under the OS temp dir holding MINIMAL_FILES overridden by `files`; a file given
 * as `null` is left out. Removed after the test.
 */
export async function workspace(files: Record<string, string | Buffer | null> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attain-csv-'));
  created.push(dir);
  const all: Record<string, string | Buffer | null> = { ...MINIMAL_FILES, ...files };
  await Promise.all(
    Object.entries(all).flatMap(([name, content]) => (content === null ? [] : [writeFile(join(dir, name), content)])),
  );
  return dir;
}

/** Asserts that every record produced is exactly what the canonical schema accepts. */
export function expectCanonical(result: CsvSourceResult): void {
  const { data } = result;
  const checks = [
    [repSchema, data.reps],
    [dealSchema, data.deals],
    [splitSchema, data.splits],
    [quotaSchema, data.quotas],
    [assignmentSchema, data.assignments],
    [fxRateSchema, data.fxRates],
  ] as const;
  for (const [schema, records] of checks) {
    for (const record of records) {
      const parsed = schema.strict().safeParse(record);
      expect(parsed.error?.issues, JSON.stringify(record)).toBeUndefined();
    }
  }
}

/** The rows of a file, header first, joined with `eol`. */
export function csv(rows: readonly string[], eol = '\n'): string {
  return rows.join(eol) + eol;
}
