/**
 * `attain diff` (docs/cli.md#attain-diff): the comparison equals two separate calculations, the
 * sides read from git revisions and plans folders, and bad input stops with exit 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { planDiff } from '../../jobs/plan-diff.js';
import { prepareCalculation } from '../../jobs/prepare-calculation.js';
import { ZERO, decimal, formatDecimal, type Decimal } from '../../src/domain/decimal.js';
import { calculate } from '../../src/domain/engine.js';
import { MARKDOWN_MARKER } from '../../src/cli/diff-command.js';
import { runCli, EXAMPLE } from '../cli/run-cli.js';
import {
  commitAll,
  git,
  planArb,
  planYaml,
  workspaceArb,
  writeWorkspace,
  type GeneratedWorkspace,
} from './plan-diff-workspace.js';

const roots: string[] = [];
function scratch(): string {
  const root = mkdtempSync(join(tmpdir(), 'attain-diff-test-'));
  roots.push(root);
  return root;
}
afterEach(() => {
  while (roots.length) rmSync(roots.pop()!, { recursive: true, force: true });
});

/** What `attain calc` computes for a workspace: total, per rep and plan, per payout period. */
async function calcTotals(dir: string) {
  const prepared = await prepareCalculation(dir);
  const result = calculate(prepared.input);
  let total = ZERO;
  const byRep = new Map<string, Decimal>();
  const byPeriod = new Map<string, Decimal>();
  for (const line of result.payouts) {
    const amount = decimal(line.amount);
    total += amount;
    const key = `${line.repId}/${line.planId}`;
    byRep.set(key, (byRep.get(key) ?? ZERO) + amount);
    byPeriod.set(line.period, (byPeriod.get(line.period) ?? ZERO) + amount);
  }
  return { total, byRep, byPeriod };
}

const format = (d: Decimal) => formatDecimal(d, 2);

describe('attain diff equals two separate calculations', () => {
  it('total, per rep and per period, on generated workspaces (base: a git revision; head: the working tree)', async () => {
    await fc.assert(
      fc.asyncProperty(
        workspaceArb,
        fc.tuple(planArb('ae'), fc.option(planArb('se'), { nil: undefined })),
        fc.boolean(),
        async (baseWorkspace, [headAe, headSe], quotasChange) => {
          const root = scratch();
          const repo = join(root, 'repo');
          const dir = join(repo, 'comp');
          writeWorkspace(dir, baseWorkspace);
          commitAll(repo, 'base plans', true);
          const headWorkspace: GeneratedWorkspace = {
            ...baseWorkspace,
            plans: [headAe, headSe ?? baseWorkspace.plans[1]!],
            quotas: quotasChange
              ? baseWorkspace.quotas.map((q) => ({ ...q, amount: String(Number(q.amount) * 2) }))
              : baseWorkspace.quotas,
          };
          writeWorkspace(dir, headWorkspace);

          // The two separate calculations, each in a workspace of its own.
          const baseDir = join(root, 'base');
          const headDir = join(root, 'head');
          writeWorkspace(baseDir, baseWorkspace);
          writeWorkspace(headDir, headWorkspace);
          const before = await calcTotals(baseDir);
          const after = await calcTotals(headDir);

          const { diff } = await planDiff(dir, { cwd: root });
          expect(diff.base.total).toBe(format(before.total));
          expect(diff.head.total).toBe(format(after.total));
          expect(diff.delta).toBe(format(after.total - before.total));
          for (const [side, totals] of [
            ['base', before],
            ['head', after],
          ] as const) {
            const byRep = new Map(diff.byRep.map((r) => [`${r.repId}/${r.planId}`, r[side]]));
            for (const [key, amount] of totals.byRep) expect(byRep.get(key), `${side} ${key}`).toBe(format(amount));
            for (const [key, amount] of byRep)
              expect(amount, `${side} ${key}`).toBe(format(totals.byRep.get(key) ?? ZERO));
            const byPeriod = new Map(diff.byPeriod.map((p) => [p.period, p[side]]));
            for (const [period, amount] of totals.byPeriod) expect(byPeriod.get(period)).toBe(format(amount));
            for (const [period, amount] of byPeriod) expect(amount).toBe(format(totals.byPeriod.get(period) ?? ZERO));
          }
          // The rows add up to the totals, to the cent.
          const sum = (side: 'base' | 'head' | 'delta') =>
            format(diff.byRep.reduce((s, r) => s + decimal(r[side]), ZERO));
          expect(sum('base')).toBe(diff.base.total);
          expect(sum('head')).toBe(diff.head.total);
          expect(sum('delta')).toBe(diff.delta);
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});

/** A repository holding the example workspace in `comp/`, committed once. */
function exampleRepo(): { repo: string; dir: string } {
  const repo = join(scratch(), 'repo');
  const dir = join(repo, 'comp');
  cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
  commitAll(repo, 'plans as they are', true);
  return { repo, dir };
}

const AE = 'plans/account-executive.yaml';

function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

describe('attain diff: the sides', () => {
  it('compares HEAD with the working tree by default, and two revisions with --base and --head', async () => {
    const { repo, dir } = exampleRepo();
    edit(dir, AE, 'rate: 0.06 }', 'rate: 0.08 }');

    const worktree = await runCli(['-w', dir, 'diff', '--json']);
    expect(worktree.err).toBe('');
    expect(worktree.code).toBe(0);
    const diff = JSON.parse(worktree.out) as Record<string, unknown>;
    expect(Object.keys(diff)).toEqual([
      'currency',
      'base',
      'head',
      'delta',
      'byPlan',
      'byPeriod',
      'byRep',
      'bands',
      'crossings',
    ]);
    expect(diff).toMatchObject({ currency: 'USD', base: { ref: 'HEAD' }, head: { ref: 'working tree' } });
    expect(Number(diff['delta'])).toBeGreaterThan(0);
    expect(diff['byPlan']).toContainEqual({
      planId: 'mgr-fy26',
      base: expect.any(String),
      head: expect.any(String),
      delta: '0.00',
    });

    commitAll(repo, 'raise the AE accelerator');
    const revisions = await runCli(['-w', dir, 'diff', '--base', 'HEAD~1', '--head', 'HEAD', '--json']);
    expect(revisions.code).toBe(0);
    expect(JSON.parse(revisions.out)).toEqual({
      ...diff,
      base: { ...(diff['base'] as object), ref: 'HEAD~1' },
      head: { ...(diff['head'] as object), ref: 'HEAD' },
    });

    // Nothing changed between HEAD and the working tree now.
    const none = await runCli(['-w', dir, 'diff', '--json']);
    expect(JSON.parse(none.out)).toMatchObject({ delta: '0.00', crossings: [] });
  });

  it('uses each side’s quotas.csv when the sides differ there', async () => {
    const { dir } = exampleRepo();
    const quotas = readFileSync(join(dir, 'data/quotas.csv'), 'utf8');
    // Halving r1's Q1 quota doubles its attainment: the tiers and the club bonus pay more.
    edit(dir, 'data/quotas.csv', 'r1,2026-Q1,120000', 'r1,2026-Q1,60000');
    const { diff } = await planDiff(dir);
    expect(diff.byRep[0]).toMatchObject({ repId: 'r1', planId: 'ae-fy26' });
    expect(Number(diff.byRep[0]!.delta)).toBeGreaterThan(0);
    expect(diff.crossings).toContainEqual(
      expect.objectContaining({ repId: 'r1', period: '2026-Q1', component: 'club-bonus', base: false, head: true }),
    );
    writeFileSync(join(dir, 'data/quotas.csv'), quotas);
    expect((await planDiff(dir)).diff.delta).toBe('0.00');
  });

  it('compares with another plans folder (DIR), and keeps to --period', async () => {
    const { dir } = exampleRepo();
    const other = join(scratch(), 'proposal');
    cpSync(join(dir, 'plans'), other, { recursive: true });
    edit(other, 'account-executive.yaml', 'amount: 500', 'amount: 900');
    const { diff } = await planDiff(dir, { base: dir, head: other });
    expect(diff.head.ref).toBe(other);
    expect(Number(diff.delta)).toBeGreaterThan(0);

    const q2 = await planDiff(dir, { base: dir, head: other, period: '2026-04..2026-06' });
    for (const p of q2.diff.byPeriod) expect(['2026-04', '2026-05', '2026-06', '2026-Q2']).toContain(p.period);
    const q1 = await planDiff(dir, { base: dir, head: other, period: '2026-Q1' });
    expect(decimal(q1.diff.delta) + decimal(q2.diff.delta)).toBe(decimal(diff.delta));
  });

  it('prints a pull-request comment with --markdown', async () => {
    const { dir } = exampleRepo();
    edit(dir, AE, 'attainmentAtLeast: 1.0', 'attainmentAtLeast: 0.9');
    const { code, out } = await runCli(['-w', dir, 'diff', '--markdown']);
    expect(code).toBe(0);
    expect(out.startsWith('<!-- attain-diff -->\n')).toBe(true);
    expect(out).toContain('### Plan change: +');
    expect(out).toContain('| rep | plan | base | head | change |');
    expect(out).toMatch(/\| r1 \| ae-fy26 \| 2026-Q1 \| club-bonus \| bonus not reached → bonus reached \|/);
  });

  it('recalculates the latest run’s stored inputs when there is one, not the source as read now', async () => {
    const { dir } = exampleRepo();
    expect((await runCli(['-w', dir, 'run', '--in-process'])).code).toBe(0);
    const stored = await planDiff(dir);
    expect(stored.inputs).toMatch(/^run run-/);
    // The source changes after the run: diff still prices the run's inputs.
    const deals = readFileSync(join(dir, 'data/deals.csv'), 'utf8').split('\n');
    writeFileSync(join(dir, 'data/deals.csv'), `${deals.slice(0, 2).join('\n')}\n`);
    const fromSource = await calcTotals(dir);
    edit(dir, AE, 'rate: 0.06 }', 'rate: 0.08 }');
    const after = await planDiff(dir);
    expect(after.inputs).toBe(stored.inputs);
    expect(after.diff.base.total).toBe(stored.diff.base.total);
    expect(format(fromSource.total)).not.toBe(stored.diff.base.total);
    expect(Number(after.diff.delta)).toBeGreaterThan(0);
  }, 60_000);
});

describe('attain diff: bad input exits 2 with the reason', () => {
  it('a revision that does not exist', async () => {
    const { dir } = exampleRepo();
    const { code, err } = await runCli(['-w', dir, 'diff', '--base', 'no-such-branch']);
    expect(code).toBe(2);
    expect(err).toContain('no-such-branch: no such revision in the git repository of');
  });

  it('a revision where the workspace has no plans', async () => {
    const { repo, dir } = exampleRepo();
    rmSync(join(dir, 'plans'), { recursive: true });
    commitAll(repo, 'plans removed');
    mkdirSync(join(dir, 'plans'));
    cpSync(EXAMPLE + '/plans', join(dir, 'plans'), { recursive: true });
    const { code, err } = await runCli(['-w', dir, 'diff']);
    expect(code).toBe(2);
    expect(err).toContain('HEAD: the workspace has no plans/ folder at this revision (comp/plans)');
  });

  it('a folder without plans', async () => {
    const { dir } = exampleRepo();
    const empty = join(scratch(), 'empty');
    mkdirSync(empty);
    const { code, err } = await runCli(['-w', dir, 'diff', '--head', empty]);
    expect(code).toBe(2);
    expect(err).toContain(`${empty}: no plans there`);
  });

  it('a plan that is invalid at the revision names the revision, file and line', async () => {
    const { repo, dir } = exampleRepo();
    edit(dir, AE, 'mode: marginal', 'mode: sideways');
    commitAll(repo, 'a broken plan');
    edit(dir, AE, 'mode: sideways', 'mode: marginal');
    const { code, err } = await runCli(['-w', dir, 'diff']);
    expect(code).toBe(2);
    expect(err).toMatch(/^HEAD:comp\/plans\/account-executive\.yaml:\d+:\d+ components\[0\]\.mode/m);
  });

  it('a head that drops a plan reps are still assigned to', async () => {
    const { dir } = exampleRepo();
    rmSync(join(dir, 'plans/sales-manager.yaml'));
    const other = join(scratch(), 'plans');
    cpSync(EXAMPLE + '/plans', other, { recursive: true });
    rmSync(join(other, 'sales-manager.yaml'));
    const { code, err } = await runCli(['-w', dir, 'diff', '--base', EXAMPLE + '/plans', '--head', other]);
    expect(code).toBe(2);
    expect(err).toMatch(/assigned to unknown plan mgr-fy26/);
  });

  it('a workspace outside git, with a revision', async () => {
    const dir = join(scratch(), 'ws');
    cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
    const { code, err } = await runCli(['-w', dir, 'diff']);
    expect(code).toBe(2);
    expect(err).toContain('is not in a git repository');
  });

  it('a workspace that has never been read', async () => {
    const root = scratch();
    const dir = join(root, 'ws');
    writeWorkspace(dir, { reps: [], deals: [], quotas: [], assignments: [], plans: [] });
    writeFileSync(
      join(dir, 'plans/ae.yaml'),
      planYaml({
        id: 'ae',
        payoutPeriod: 'month',
        mode: 'marginal',
        rates: ['0.1', '0.1', '0.1'],
        bonusAt: '1',
        bonus: '0',
      }),
    );
    commitAll(root, 'empty', true);
    const { code, err } = await runCli(['-w', dir, 'diff']);
    expect(code).toBe(2);
    expect(err).toContain('has never been read');
  });

  it('a --period that is not a period, and --json with --markdown', async () => {
    const { dir } = exampleRepo();
    const period = await runCli(['-w', dir, 'diff', '--period', '2026-13..2026-Q2']);
    expect(period.code).toBe(2);
    expect(period.err).toContain('--period 2026-13..2026-Q2: expected a period');
    const both = await runCli(['-w', dir, 'diff', '--json', '--markdown']);
    expect(both.code).toBe(2);
  });

  it('git that is not installed', async () => {
    const { dir } = exampleRepo();
    const path = process.env['PATH'];
    process.env['PATH'] = join(scratch(), 'no-git-here');
    try {
      const { code, err } = await runCli(['-w', dir, 'diff', '--base', 'HEAD']);
      expect(code).toBe(2);
      expect(err).toContain('git is not installed');
    } finally {
      process.env['PATH'] = path;
    }
  });
});

describe('the CI recipe (examples/ci)', () => {
  const WORKFLOW = resolve(import.meta.dirname, '../../examples/ci/attain-diff.yml');
  interface Step {
    name?: string;
    run?: string;
    uses?: string;
    with?: Record<string, string>;
  }
  const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as {
    on: { pull_request: { paths: string[] } };
    jobs: { diff: { steps: Step[] } };
  };
  const steps = workflow.jobs.diff.steps;

  it('runs on pull requests touching plans/, validates, and posts the Markdown comment it finds again by its marker', () => {
    expect(workflow.on.pull_request.paths).toContain('plans/**');
    const runs = steps.map((s) => s.run ?? '');
    const validate = runs.findIndex((r) => /attain\.js validate\b/.test(r));
    const diff = runs.findIndex((r) => /attain\.js diff\b.*\\\n.*--markdown/s.test(r));
    expect(validate).toBeGreaterThanOrEqual(0);
    expect(diff).toBeGreaterThan(validate);
    const post = steps.findIndex((s) => s.uses?.startsWith('actions/github-script@'));
    expect(post).toBeGreaterThan(diff);
    expect(steps[post]!.with!['script']).toContain(`'${MARKDOWN_MARKER}'`);
    expect(steps.find((s) => s.with?.['fetch-depth'] !== undefined)?.with?.['fetch-depth']).toBe(0);
  });

  it('its diff command works on a pull request checkout: the base branch from origin, HEAD the merge', async () => {
    const run = steps.map((s) => s.run ?? '').find((r) => /attain\.js diff\b/.test(r))!;
    const args =
      /attain\.js diff --workspace "workspace\/\$WORKSPACE" \\\n\s+--base "origin\/\$BASE_REF" --head HEAD --markdown/.exec(
        run,
      );
    expect(args, run).not.toBeNull();

    const { repo } = exampleRepo();
    const root = scratch();
    const checkout = join(root, 'workspace');
    git(root, 'clone', '-q', repo, checkout);
    edit(join(checkout, 'comp'), AE, 'attainmentAtLeast: 1.0', 'attainmentAtLeast: 0.9');
    commitAll(checkout, 'the pull request, merged');
    const { code, out, err } = await runCli([
      'diff',
      '--workspace',
      join(checkout, 'comp'),
      '--base',
      'origin/main',
      '--head',
      'HEAD',
      '--markdown',
    ]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe(MARKDOWN_MARKER);
    expect(out).toContain('`origin/main` → `HEAD`');
    expect(out).toContain('| r1 | ae-fy26 | 2026-Q1 | club-bonus | bonus not reached → bonus reached |');
  });
});
