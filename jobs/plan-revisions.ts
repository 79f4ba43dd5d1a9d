/**
 * The two sides of `attain diff` (docs/cli.md#attain-diff): a git revision of the repository that
 * holds the workspace, another plans folder, or the working tree. Each side's plans are read
 * through the workspace loader (config/workspace.ts), from a temporary copy of the side's
 * attain.yaml and plans/, so a side's plans mean exactly what they would mean in a run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { loadWorkspace, type Workspace } from '../config/workspace.js';
import type { Plan } from '../src/domain/plan.js';
import { DiffError } from '../src/domain/plan-diff.js';

export { DiffError };

/** What a side names: `{ kind: 'git', ref }`, `{ kind: 'dir', dir }` or the working tree. */
export type SideSpec = { kind: 'worktree' } | { kind: 'git'; ref: string } | { kind: 'dir'; dir: string };

/** The data files a side may change (in the source's CSV folder). */
export const SIDE_DATA_FILES = ['quotas.csv', 'assignments.csv'] as const;
export type SideDataFile = (typeof SIDE_DATA_FILES)[number];

export interface LoadedSide {
  /** How the side is named in the output: `HEAD`, `main~1`, `working tree`, the folder. */
  ref: string;
  plans: Plan[];
  /** Each data file's text as the side has it; undefined: the side has no such file. */
  files: Record<SideDataFile, string | undefined>;
}

/**
 * `--base`/`--head` as given: an existing folder is a plans folder (its `plans/` when it has one),
 * anything else a git revision. Undefined: the default.
 */
export async function sideSpec(given: string | undefined, fallback: SideSpec, cwd = process.cwd()): Promise<SideSpec> {
  if (given === undefined) return fallback;
  if (given === '')
    throw new DiffError('an empty revision or folder: expected a git revision (HEAD, main) or a plans folder');
  const folder = await stat(path.resolve(cwd, given)).catch(() => undefined);
  if (folder?.isDirectory()) return { kind: 'dir', dir: path.resolve(cwd, given) };
  return { kind: 'git', ref: given };
}

/** Reads one side: its plans (validated by the workspace loader) and its quotas and assignments files. */
export async function loadSide(workspace: Workspace, spec: SideSpec, env: NodeJS.ProcessEnv): Promise<LoadedSide> {
  const csvDir = path.resolve(workspace.dir, workspace.config.source.csv.dir);
  if (spec.kind === 'worktree') {
    return { ref: 'working tree', plans: workspace.plans, files: await readDataFiles(csvDir) };
  }
  if (spec.kind === 'dir') {
    const plansDir = (await isFolder(path.join(spec.dir, 'plans'))) ? path.join(spec.dir, 'plans') : spec.dir;
    const names = (await readdir(plansDir, { withFileTypes: true }))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name);
    if (names.length === 0) throw new DiffError(`${spec.dir}: no plans there (no *.yaml files in ${plansDir})`);
    const plans = await Promise.all(
      names.map(async (name) => ({ name, text: await readFile(path.join(plansDir, name), 'utf8') })),
    );
    const attainYaml = await readFile(path.join(workspace.dir, 'attain.yaml'), 'utf8');
    return {
      ref: spec.dir,
      plans: await loadPlans(attainYaml, plans, env, (file) => path.join(plansDir, file.slice('plans/'.length))),
      // A plans folder changes the plans only: the data files are the workspace's.
      files: await readDataFiles(csvDir),
    };
  }
  return loadRevision(workspace, spec.ref, csvDir, env);
}

async function loadRevision(
  workspace: Workspace,
  ref: string,
  csvDir: string,
  env: NodeJS.ProcessEnv,
): Promise<LoadedSide> {
  const git = await gitAt(workspace.dir);
  const commit = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).catch(
    () => undefined,
  );
  if (commit === undefined) throw new DiffError(`${ref}: no such revision in the git repository of ${workspace.dir}`);
  const prefix = (await git(['rev-parse', '--show-prefix'])).trim();
  const top = (await git(['rev-parse', '--show-toplevel'])).trim();

  const plansTree = await listTree(git, commit.trim(), `${prefix}plans`);
  if (!plansTree) throw new DiffError(`${ref}: the workspace has no plans/ folder at this revision (${prefix}plans)`);
  const plans: { name: string; text: string }[] = [];
  for (const entry of plansTree) {
    if (!/\.ya?ml$/.test(entry.name) || entry.name.startsWith('.')) continue;
    if (entry.mode === '120000')
      throw new DiffError(
        `${ref}:${prefix}plans/${entry.name} is a symbolic link, which diff does not follow: compare a plans folder instead`,
      );
    if (entry.type !== 'blob') continue;
    plans.push({ name: entry.name, text: await git(['cat-file', 'blob', entry.object]) });
  }
  if (plans.length === 0) throw new DiffError(`${ref}: no plans in ${prefix}plans/ at this revision`);

  const workspaceTree = await listTree(git, commit.trim(), prefix.replace(/\/$/, '') || '.');
  const attainYaml = workspaceTree?.find((e) => e.name === 'attain.yaml' && e.type === 'blob');
  const configText = attainYaml
    ? await git(['cat-file', 'blob', attainYaml.object])
    : await readFile(path.join(workspace.dir, 'attain.yaml'), 'utf8');

  // The data folder as the revision has it, when it lies inside the repository.
  const relative = path
    .relative(top, await realpath(csvDir).catch(() => csvDir))
    .split(path.sep)
    .join('/');
  let files: LoadedSide['files'];
  if (relative.startsWith('..') || path.isAbsolute(relative)) files = await readDataFiles(csvDir);
  else {
    const tree = (await listTree(git, commit.trim(), relative === '' ? '.' : relative)) ?? [];
    files = { 'quotas.csv': undefined, 'assignments.csv': undefined };
    for (const name of SIDE_DATA_FILES) {
      const entry = tree.find((e) => e.name === name && e.type === 'blob');
      if (entry) files[name] = await git(['cat-file', 'blob', entry.object]);
    }
  }
  return { ref, plans: await loadPlans(configText, plans, env, (file) => `${ref}:${prefix}${file}`), files };
}

/** The plans as the workspace loader reads them, from a temporary workspace; issues name `rename(file)`. */
async function loadPlans(
  configText: string,
  plans: readonly { name: string; text: string }[],
  env: NodeJS.ProcessEnv,
  rename: (file: string) => string,
): Promise<Plan[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'attain-diff-'));
  try {
    await writeFile(path.join(dir, 'attain.yaml'), configText);
    await mkdir(path.join(dir, 'plans'));
    for (const { name, text } of plans) await writeFile(path.join(dir, 'plans', name), text);
    return (await loadWorkspace(dir, env)).plans;
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(
        error.issues.map((i) => (i.file.startsWith('plans/') ? { ...i, file: rename(i.file) } : i)),
      );
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readDataFiles(csvDir: string): Promise<LoadedSide['files']> {
  const read = (name: string) => readFile(path.join(csvDir, name), 'utf8').catch(() => undefined);
  return { 'quotas.csv': await read('quotas.csv'), 'assignments.csv': await read('assignments.csv') };
}

async function isFolder(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

type Git = (args: string[]) => Promise<string>;

/** Runs git in `dir`; DiffError when git is missing or `dir` is not in a git repository. */
async function gitAt(dir: string): Promise<Git> {
  const git: Git = (args) =>
    new Promise((resolve, reject) => {
      execFile('git', args, { cwd: dir, maxBuffer: 1 << 28, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve(stdout);
      });
    });
  try {
    await git(['rev-parse', '--git-dir']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new DiffError(
        'git is not installed (or not on PATH): a --base or --head that is not a folder names a git revision; install git or compare plans folders',
      );
    throw new DiffError(
      `${dir} is not in a git repository: --base and --head name git revisions only there; compare plans folders instead`,
    );
  }
  return git;
}

interface TreeEntry {
  mode: string;
  type: string;
  object: string;
  name: string;
}

/** The entries of a folder at a commit; undefined when the commit has no such folder. */
async function listTree(git: Git, commit: string, folder: string): Promise<TreeEntry[] | undefined> {
  const spec = folder === '.' ? `${commit}^{tree}` : `${commit}:${folder}`;
  let out: string;
  try {
    out = await git(['ls-tree', '--full-tree', '-z', spec]);
  } catch {
    return undefined;
  }
  return out
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, object] = line.slice(0, tab).split(' ') as [string, string, string];
      return { mode, type, object, name: line.slice(tab + 1) };
    });
}
