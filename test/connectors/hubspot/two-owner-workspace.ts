/**
 * The workspace the HubSpot write-back tests share (disputes, estimates): owners 101 and 102 of a
 * fake portal on the plan given, a 100,000 quota each for 2026-Q1, the private-app token in
 * HUBSPOT_TOKEN.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes the workspace in a fresh temporary folder and sets the token; `dispose` undoes both. */
export function twoOwnerWorkspace(
  baseUrl: string,
  tag: string,
  plan: string,
  token: string,
): { dir: string; dispose: () => void } {
  const root = mkdtempSync(join(tmpdir(), `attain-hubspot-${tag}-`));
  const dir = join(root, 'ws');
  mkdirSync(join(dir, 'plans'), { recursive: true });
  mkdirSync(join(dir, 'data'));
  writeFileSync(
    join(dir, 'attain.yaml'),
    `source:
  kind: hubspot
  hubspot:
    baseUrl: ${baseUrl}
    auth: { accessToken: \${HUBSPOT_TOKEN} }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
`,
  );
  writeFileSync(join(dir, 'plans', 'ae.yaml'), plan);
  writeFileSync(join(dir, 'data', 'quotas.csv'), 'repId,period,amount\n101,2026-Q1,100000\n102,2026-Q1,100000\n');
  writeFileSync(join(dir, 'data', 'assignments.csv'), 'repId,planId,from,to\n101,ae,2026-01-01,\n102,ae,2026-01-01,\n');
  process.env['HUBSPOT_TOKEN'] = token;
  return {
    dir,
    dispose: () => {
      delete process.env['HUBSPOT_TOKEN'];
      rmSync(root, { recursive: true, force: true });
    },
  };
}
