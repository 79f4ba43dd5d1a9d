/**
 * A workspace (docs/workspace.md): attain.yaml and plans/*.yaml, read and validated once, at start. Every
 * problem in every file is collected into one ConfigError.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { RESERVED_COMPONENT_IDS, componentIdsOf, type Plan } from '../src/domain/plan.js';
import { DEFAULT_LIMITS, parseAttainConfig, type AttainConfig, type ParseOptions } from './attain-schema.js';
import { ConfigError, sortByPosition, type ConfigIssue } from './errors.js';
import { parsePlan } from './plan-schema.js';
import { loadTerritories, type TerritoriesFile } from './territories.js';
import { isMapping } from './validate.js';
import { parseYaml } from './yaml-source.js';

export interface Workspace {
  /** Absolute. */
  dir: string;
  config: AttainConfig;
  /** In the order of their file names. */
  plans: Plan[];
  /** Plan id → its file, relative to `dir`: `plans/ae.yaml`. */
  planFiles: Record<string, string>;
  /** territories.yaml (docs/territories.md), when the workspace has one. */
  territories?: TerritoriesFile;
}

const CONFIG_FILE = 'attain.yaml';
const PLANS_DIR = 'plans';

/** Reads and validates the workspace in `dir`; throws a ConfigError listing every problem. */
export async function loadWorkspace(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
  options: ParseOptions = {},
): Promise<Workspace> {
  const root = path.resolve(dir);
  const folder = await stat(root).catch(() => undefined);
  if (!folder?.isDirectory()) {
    throw new ConfigError([{ file: dir, path: '', message: `not a workspace: ${root} is not a folder` }]);
  }

  const issues: ConfigIssue[] = [];
  let config: AttainConfig | undefined;
  const configText = await readText(root, CONFIG_FILE, issues);
  if (configText !== undefined) {
    const parsed = parseAttainConfig(configText, env, CONFIG_FILE, options);
    config = parsed.config;
    issues.push(...parsed.issues);
  }

  const plans: Plan[] = [];
  const planFiles: Record<string, string> = {};
  const firstFileOfId = new Map<string, string>();
  const planNames = await listPlanFiles(root, issues);
  for (const name of planNames ?? []) {
    const file = `${PLANS_DIR}/${name}`;
    const text = await readText(root, file, issues);
    if (text === undefined) continue;
    const {
      plan,
      source,
      issues: planIssues,
    } = parsePlan(text, file, {
      maxRate: (config?.limits ?? DEFAULT_LIMITS).maxRate,
      fiscalYearStartMonth: config?.calendar.fiscalYearStartMonth ?? 1,
    });

    // By the id as written, so a duplicate is found even in a plan with other problems.
    const id = isMapping(source?.value) ? source.value.id : undefined;
    const first = typeof id === 'string' ? firstFileOfId.get(id) : undefined;
    if (first !== undefined) {
      const message = `plan id ${String(id)} is already used by ${first}`;
      issues.push(...sortByPosition([...planIssues, { file, ...source?.locate(['id']), path: 'id', message }]));
      continue;
    }
    issues.push(...planIssues);
    if (typeof id === 'string' && id !== '') firstFileOfId.set(id, file);
    if (plan) {
      plans.push(plan);
      planFiles[plan.id] = file;
    }
  }
  if (planNames?.length === 0) {
    issues.push({ file: `${PLANS_DIR}/`, path: '', message: 'no plans: add one as plans/<plan-id>.yaml' });
  }

  if (config?.payroll && configText !== undefined) issues.push(...checkEarningCodes(configText, config, plans));
  let territories: TerritoriesFile | undefined;
  try {
    territories = await loadTerritories(root);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length > 0 || !config) throw new ConfigError(issues);
  return { dir: root, config, plans, planFiles, ...(territories ? { territories } : {}) };
}

/** `payroll.earningCodes` keys that are neither `default`, `draw`, `adjustment` nor a component of some plan. */
function checkEarningCodes(text: string, config: AttainConfig, plans: readonly Plan[]): ConfigIssue[] {
  const components = new Set(plans.flatMap(componentIdsOf));
  const known = new Set<string>(['default', ...RESERVED_COMPONENT_IDS, ...components]);
  const unknown = Object.keys(config.payroll?.earningCodes ?? {}).filter((key) => !known.has(key));
  if (unknown.length === 0) return [];
  const { source } = parseYaml(text, CONFIG_FILE);
  return unknown.map((key) => ({
    file: CONFIG_FILE,
    ...source?.locate(['payroll', 'earningCodes', key], 'key'),
    path: `payroll.earningCodes.${key}`,
    message: `no plan has a component ${key}: expected default, draw, adjustment or a component id (${[...components].sort().join(', ')})`,
  }));
}
/** The YAML files in plans/, sorted by name; undefined (and an issue) when the folder cannot be read. */
async function listPlanFiles(root: string, issues: ConfigIssue[]): Promise<string[] | undefined> {
  const folder = path.join(root, PLANS_DIR);
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    return (
      entries
        // A symbolic link counts: a plan shared between workspaces may be linked in.
        .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && /\.ya?ml$/.test(entry.name))
        .filter((entry) => !entry.name.startsWith('.'))
        .map((entry) => entry.name)
        .sort()
    );
  } catch (error) {
    issues.push({
      file: `${PLANS_DIR}/`,
      path: '',
      message: `cannot read folder ${folder}: ${describeFsError(error)}`,
    });
    return undefined;
  }
}

/**
 * attain.yaml and a plan are read whole and parsed with every position kept (many times the text
 * in memory): past this size a file is not a plan but a mistake, or an attack.
 */
export const MAX_YAML_BYTES = 1 << 20;

async function readText(root: string, file: string, issues: ConfigIssue[]): Promise<string | undefined> {
  const absolute = path.join(root, file);
  try {
    const { size } = await stat(absolute);
    if (size > MAX_YAML_BYTES) {
      issues.push({ file, path: '', message: `the file is ${size} bytes; a YAML file here may hold at most 1 MB` });
      return undefined;
    }
    return await readFile(absolute, 'utf8');
  } catch (error) {
    issues.push({ file, path: '', message: `cannot read ${absolute}: ${describeFsError(error)}` });
    return undefined;
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'ENOTDIR') return 'it is a file, not a folder';
  return error instanceof Error ? error.message : String(error);
}
