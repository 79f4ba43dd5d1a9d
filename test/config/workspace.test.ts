import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors.js';
import { loadWorkspace } from '../../config/workspace.js';
import { makeWorkspace, minimalPlanYaml, positionOf, removeWorkspace, SPEC_PLAN, SPEC_PLAN_YAML } from './fixtures.js';

const CSV_CONFIG = 'source: { kind: csv }\n';

const created: string[] = [];
async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await makeWorkspace(files);
  created.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(created.splice(0).map(removeWorkspace));
});

/** The ConfigError `loadWorkspace` throws, as the lines an admin reads. */
async function loadProblems(dir: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const error = await loadWorkspace(dir, env).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  expect(error.name).toBe('ConfigError');
  expect(error.format()).toBe(error.message);
  return error.message.split('\n');
}

describe('loadWorkspace', () => {
  it('reads attain.yaml and the plans, sorted by file name', async () => {
    const dir = await workspace({
      'attain.yaml': 'source:\n  kind: csv\n  csv: { dir: inputs }\ncalendar: { tz: ${ZONE} }\n',
      'plans/b-ae.yaml': SPEC_PLAN_YAML,
      'plans/a-se.yml': minimalPlanYaml('se-fy26'),
      'plans/README.md': 'not a plan',
    });
    const loaded = await loadWorkspace(dir, { ZONE: 'Europe/Paris' });
    expect(loaded.dir).toBe(path.resolve(dir));
    expect(loaded.config.source).toStrictEqual({ kind: 'csv', csv: { dir: 'inputs' } });
    expect(loaded.config.calendar).toStrictEqual({ fiscalYearStartMonth: 1, tz: 'Europe/Paris' });
    expect(loaded.plans.map((plan) => plan.id)).toEqual(['se-fy26', 'ae-fy26']);
    expect(loaded.plans[1]).toStrictEqual(SPEC_PLAN);
    expect(loaded.planFiles).toStrictEqual({ 'se-fy26': 'plans/a-se.yml', 'ae-fy26': 'plans/b-ae.yaml' });
  });

  it('names the missing attain.yaml and its path', async () => {
    const dir = await workspace({ 'plans/ae.yaml': SPEC_PLAN_YAML });
    expect(await loadProblems(dir)).toEqual([
      `attain.yaml: cannot read ${path.join(dir, 'attain.yaml')}: no such file or folder`,
    ]);
  });

  it('names a missing plans folder, and a workspace with no plans', async () => {
    const withoutFolder = await workspace({ 'attain.yaml': CSV_CONFIG });
    expect(await loadProblems(withoutFolder)).toEqual([
      `plans/: cannot read folder ${path.join(withoutFolder, 'plans')}: no such file or folder`,
    ]);
    const empty = await workspace({ 'attain.yaml': CSV_CONFIG });
    await mkdir(path.join(empty, 'plans'));
    expect(await loadProblems(empty)).toEqual(['plans/: no plans: add one as plans/<plan-id>.yaml']);
  });

  it('says so when the folder is not there at all', async () => {
    const dir = path.join(await workspace({}), 'nowhere');
    expect(await loadProblems(dir)).toEqual([`${dir}: not a workspace: ${dir} is not a folder`]);
  });

  it('reports a plan id used twice at the second file, naming the first', async () => {
    const second = minimalPlanYaml('ae-fy26');
    const dir = await workspace({
      'attain.yaml': CSV_CONFIG,
      'plans/ae.yaml': SPEC_PLAN_YAML,
      'plans/ae-copy.yaml': second,
    });
    // Sorted by name, ae-copy.yaml comes first, so ae.yaml is the duplicate.
    expect(await loadProblems(dir)).toEqual([
      `plans/ae.yaml:${positionOf(SPEC_PLAN_YAML, 'ae-fy26')} id: plan id ae-fy26 is already used by plans/ae-copy.yaml`,
    ]);
  });

  it('reports the problems of every file together', async () => {
    const config = 'source: { kind: csv }\ndatabase: { url: ${DATABASE_URL} }\n';
    const badPlan = SPEC_PLAN_YAML.replace('rate: 0.06', 'rate: six');
    const se = minimalPlanYaml('se').replace('quotaPeriod: quarter', 'quotaPeriod: quarter\npayoutPeriod: year');
    const dir = await workspace({
      'attain.yaml': config,
      'plans/ae.yaml': badPlan,
      'plans/se.yaml': se,
      'plans/z.yaml': 'id: [broken\n',
    });
    expect(await loadProblems(dir)).toEqual([
      `attain.yaml:${positionOf(config, '${DATABASE_URL}')} database.url: environment variable DATABASE_URL is not set`,
      `plans/ae.yaml:${positionOf(badPlan, 'six')} components[0].tiers[1].rate: expected a number`,
      `plans/se.yaml:${positionOf(se, 'year')} payoutPeriod: a year is longer than the quarter quota period: payoutPeriod must divide quotaPeriod`,
      'plans/z.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('carries each issue as data too, for tools', async () => {
    const dir = await workspace({
      'attain.yaml': 'source: { kind: csv }\nwriteback: { enabled: maybe }\n',
      'plans/ae.yaml': SPEC_PLAN_YAML,
    });
    const error = await loadWorkspace(dir, {}).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { file: 'attain.yaml', line: 2, column: 23, path: 'writeback.enabled', message: 'expected true or false' },
    ]);
  });
});
