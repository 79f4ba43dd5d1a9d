/**
 * The workspace the Salesforce write-back tests share (disputes, estimates, statements): reps 005A
 * and 005B on the monthly AE plan, a 100,000 quota each for 2026-Q1, synced from a fake org by
 * client credentials whose secret is in SF_TEST_CLIENT_SECRET.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AE_MONTHLY_PLAN } from '../plans.js';

export const SF_TEST_SECRET_VAR = 'SF_TEST_CLIENT_SECRET';

/** Writes the workspace in a fresh temporary folder and sets the secret; `dispose` undoes both. */
export function twoRepWorkspace(orgUrl: string, tag: string): { root: string; dir: string; dispose: () => void } {
  const root = mkdtempSync(join(tmpdir(), `attain-sf-${tag}-`));
  const dir = join(root, 'workspace');
  mkdirSync(join(dir, 'plans'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'plans', 'ae.yaml'), AE_MONTHLY_PLAN);
  writeFileSync(join(dir, 'data', 'quotas.csv'), 'repId,period,amount\n005A,2026-Q1,100000\n005B,2026-Q1,100000\n');
  writeFileSync(
    join(dir, 'data', 'assignments.csv'),
    'repId,planId,from,to\n005A,ae,2026-01-01,\n005B,ae,2026-01-01,\n',
  );
  writeFileSync(
    join(dir, 'attain.yaml'),
    `source:
  kind: salesforce
  salesforce:
    loginUrl: ${orgUrl}
    apiVersion: "62.0"
    auth: { flow: client-credentials, clientId: attain-client, clientSecret: \${${SF_TEST_SECRET_VAR}} }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
baseCurrency: USD
`,
  );
  process.env[SF_TEST_SECRET_VAR] = 'attain-secret';
  return {
    root,
    dir,
    dispose: () => {
      delete process.env[SF_TEST_SECRET_VAR];
      rmSync(root, { recursive: true, force: true });
    },
  };
}
