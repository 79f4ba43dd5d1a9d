/**
 * territories.yaml (docs/territories.md#territoriesyaml) → `Territory[]`, in file order. Strict like
 * the plans: an unknown key is an error. The tree is checked here (duplicate ids, unknown parents,
 * cycles, an account named twice, postal ranges); whether a rule names a field accounts have is
 * checked once the accounts are read (`locateTerritoryIssue` names the line then).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Territory } from '../src/domain/model.js';
import { checkTerritoryTree, type TerritoryIssue } from '../src/domain/territories.js';
import { ConfigError, formatPath, sortByPosition, type ConfigIssue } from './errors.js';
import { where } from './plan-schema.js';
import { identifier, text } from './scalars.js';
import { validate } from './validate.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

export const TERRITORIES_FILE = 'territories.yaml';

/** `'100'` (codes starting 100) or `{ from: '10000', to: '11999' }`. */
const postalRange = z.union([
  text.transform((code) => ({ from: code, to: code })),
  z.strictObject({ from: text, to: text }),
]);

const territory = z.strictObject({
  id: identifier,
  name: text.optional(),
  parent: identifier.optional(),
  where: where.optional(),
  postalCodes: z.array(postalRange).min(1).optional(),
  accounts: z.array(text).min(1).optional(),
});

const territoriesSchema = z.strictObject({ territories: z.array(territory) });

export interface TerritoriesFile {
  territories: Territory[];
  /** Where territory `index`'s key `path` was written, for an issue found later. */
  locate(issue: TerritoryIssue): ConfigIssue;
}

/** Reads `dir/territories.yaml`; undefined when there is none. Throws a ConfigError listing every problem. */
export async function loadTerritories(dir: string): Promise<TerritoriesFile | undefined> {
  const file = path.join(dir, TERRITORIES_FILE);
  const info = await stat(file).catch(() => undefined);
  if (!info) return undefined;
  if (info.size > 1 << 22) {
    throw new ConfigError([
      { file: TERRITORIES_FILE, path: '', message: `the file is ${info.size} bytes; territories.yaml may hold 4 MB` },
    ]);
  }
  return parseTerritories(await readFile(file, 'utf8'));
}

export function parseTerritories(textOfFile: string, file = TERRITORIES_FILE): TerritoriesFile {
  const { source, issues } = parseYaml(textOfFile, file);
  if (!source) throw new ConfigError(issues);
  const result = validate(source, territoriesSchema);
  if (!result.value) throw new ConfigError(sortByPosition([...issues, ...result.issues]));
  const territories = result.value.territories.map((t) => {
    const out: Territory = { id: t.id };
    if (t.name !== undefined) out.name = t.name;
    if (t.parent !== undefined) out.parent = t.parent;
    if (t.where !== undefined) out.where = t.where;
    if (t.postalCodes !== undefined) out.postalCodes = t.postalCodes;
    if (t.accounts !== undefined) out.accounts = t.accounts;
    return out;
  });
  const locate = (issue: TerritoryIssue) => locateIssue(source, issue);
  const treeIssues = checkTerritoryTree(territories).map(locate);
  if (treeIssues.length > 0) throw new ConfigError(sortByPosition(treeIssues));
  return { territories, locate };
}

function locateIssue(source: YamlSource, issue: TerritoryIssue): ConfigIssue {
  const at = ['territories', issue.index, ...issue.path];
  // A rule's field is named by its key; anything else by its value.
  const part = issue.path[0] === 'where' ? 'key' : 'value';
  return { file: source.file, ...source.locate(at, part), path: formatPath(at), message: issue.message };
}
