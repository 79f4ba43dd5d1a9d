import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors.js';
import { parseTerritories } from '../../config/territories.js';
import { loadWorkspace } from '../../config/workspace.js';
import { makeWorkspace, minimalPlanYaml, removeWorkspace } from './fixtures.js';

const TREE = `territories:
  - id: na
    name: North America
    where: { country: [US, CA] }
  - id: na-east
    parent: na
    where: { region: [NY, NJ] }
  - id: ny-metro
    parent: na-east
    postalCodes: ['100', { from: '10400', to: '11999' }]
    accounts: [big-co]
`;

function problems(text: string): string[] {
  try {
    parseTerritories(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('territories.yaml', () => {
  it('reads the tree in file order; a single postal code is a range of one', () => {
    const { territories } = parseTerritories(TREE);
    expect(territories).toEqual([
      { id: 'na', name: 'North America', where: { country: ['US', 'CA'] } },
      { id: 'na-east', parent: 'na', where: { region: ['NY', 'NJ'] } },
      {
        id: 'ny-metro',
        parent: 'na-east',
        postalCodes: [
          { from: '100', to: '100' },
          { from: '10400', to: '11999' },
        ],
        accounts: ['big-co'],
      },
    ]);
  });

  it('names the line of a duplicate id, an unknown parent, a loop and an unknown key', () => {
    expect(
      problems(`territories:
  - id: a
    parent: c
  - id: b
    parent: a
  - id: c
    parent: b
  - id: a
  - id: d
    parent: nowhere
`),
    ).toEqual([
      'territories.yaml:3:13 territories[0].parent: parents loop: a → c → b → a',
      'territories.yaml:8:9 territories[3].id: duplicate territory id a (first at territory 1)',
      'territories.yaml:10:13 territories[4].parent: parent nowhere is not a territory',
    ]);
    expect(problems('territories:\n  - id: a\n    wher: { country: US }\n')).toEqual([
      'territories.yaml:3:5 territories[0].wher: unknown key (did you mean where?)',
    ]);
    expect(problems("territories:\n  - id: a\n    postalCodes: [{ from: '100', to: '99' }]\n")).toEqual([
      'territories.yaml:3:19 territories[0].postalCodes[0]: from 100 and to 99 must have the same length (they compare the first characters of a code)',
    ]);
  });
});

describe('a workspace with territories.yaml', () => {
  const created: string[] = [];
  afterEach(async () => {
    await Promise.all(created.splice(0).map(removeWorkspace));
  });

  it('loads it with the plans, and reports its problems with theirs', async () => {
    const files = { 'attain.yaml': 'source: { kind: csv }\n', 'plans/ae.yaml': minimalPlanYaml('ae') };
    const good = await makeWorkspace({ ...files, 'territories.yaml': TREE });
    const bad = await makeWorkspace({ ...files, 'territories.yaml': 'territories:\n  - id: x\n    parent: y\n' });
    const none = await makeWorkspace(files);
    created.push(good, bad, none);
    expect((await loadWorkspace(good, {})).territories?.territories.map((t) => t.id)).toEqual([
      'na',
      'na-east',
      'ny-metro',
    ]);
    expect((await loadWorkspace(none, {})).territories).toBeUndefined();
    await expect(loadWorkspace(bad, {})).rejects.toThrow(
      'territories.yaml:3:13 territories[0].parent: parent y is not a territory',
    );
  });
});
