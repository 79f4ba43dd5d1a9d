/**
 * `attain statements --to-crm` where the CRM cannot hold statements (docs/statements-and-payroll.md#statements-in-the-crm):
 * a HubSpot or csv workspace stops with a clear reason (exit 2) before anything is sent.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../config/workspace.js';
import { sendStatementsToCrm, statementHash } from '../../jobs/statements-to-crm.js';
import type { Statement } from '../../jobs/statements.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/index.js';
import { AE_MONTHLY_PLAN } from '../connectors/plans.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function workspace(source: string): string {
  const root = mkdtempSync(join(tmpdir(), 'attain-statements-crm-'));
  roots.push(root);
  mkdirSync(join(root, 'plans'));
  writeFileSync(join(root, 'plans', 'ae.yaml'), AE_MONTHLY_PLAN);
  writeFileSync(join(root, 'attain.yaml'), `${source}calendar: { fiscalYearStartMonth: 1, tz: UTC }\n`);
  return root;
}

const statement: Statement = {
  period: '2026-01',
  status: 'draft',
  rep: { id: '101', name: 'Ana' },
  plans: [],
  totals: [{ currency: 'USD', amount: '10.00' }],
  yearToDate: [{ currency: 'USD', amount: '10.00' }],
  yearToDateFrom: '2026-01',
  attainment: [],
  runs: [{ runId: 'run-1', inputsHash: 'abc' }],
};
// Nothing may reach the database: the refusal comes first.
const noDatabase = new Proxy({}, { get: () => () => expect.fail('the database was used') }) as Kysely<Database>;

describe('statements to a CRM that cannot hold them', () => {
  it('HubSpot: exit 2, saying why', async () => {
    const dir = workspace(
      'source:\n  kind: hubspot\n  hubspot:\n    baseUrl: http://127.0.0.1:9\n    auth: { accessToken: ${HS_TEST_TOKEN} }\n',
    );
    const env = { HS_TEST_TOKEN: 'pat-x' };
    const error = await sendStatementsToCrm(noDatabase, await loadWorkspace(dir, env), [statement], {
      by: 'ann',
      env,
      log: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 2 });
    expect(String(error)).toContain('hubspot cannot hold statements with the access Attain has');
  });

  it('a csv source: exit 2', async () => {
    const dir = workspace('source:\n  kind: csv\n  csv: { dir: data }\n');
    const error = await sendStatementsToCrm(noDatabase, await loadWorkspace(dir), [statement], {
      by: 'ann',
      env: {},
      log: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 2 });
    expect(String(error)).toContain('a csv source has no CRM to send statements to');
  });

  it('a new run of the same statement has the same hash; a changed amount does not', () => {
    const again = { ...statement, runs: [{ runId: 'run-2', inputsHash: 'def' }] };
    expect(statementHash(again)).toBe(statementHash(statement));
    expect(statementHash({ ...statement, totals: [{ currency: 'USD', amount: '10.01' }] })).not.toBe(
      statementHash(statement),
    );
  });
});
