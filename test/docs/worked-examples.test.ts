/**
 * The worked examples of docs/: every figure a page states is computed here by Attain itself, so a
 * number in the docs that the engine disagrees with fails `npm test`.
 *
 * A page states figures in a fenced block whose info string is `payouts`, `attainment` or `rejects`
 * (the format is described in docs/README.md, "Worked examples"):
 *
 *     ```payouts
 *     $ cd docs/examples/rate-table
 *     $ attain calc --as-of 2026-03-31
 *     rep  plan      period   component   amount
 *     ann  marginal  2026-Q1  commission  6850.00
 *     ```
 *
 * The `$` lines run in a scratch copy of the example workspace (`attain …` through the CLI, `cp`
 * as a file copy). When the last command is `attain calc`, the rows are its `--json` result, in
 * its order; when it is `attain run`, they are what the reporting database holds afterwards. The
 * block must list every row, not some: a line the engine adds and the page leaves out fails too.
 * Columns are separated by two or more spaces; `-` is an absent value.
 *
 * A fenced block right after a line that is only a backticked path of an example and a colon
 * (`` `docs/examples/rate-table/plans/marginal.yaml`: ``) must be that file's content.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { runCli } from '../cli/run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = join(ROOT, 'docs');

type Row = Record<string, string | undefined>;
type Kind = 'payouts' | 'attainment' | 'rejects';

interface Block {
  page: string;
  line: number;
  info: string;
  lines: string[];
  /** The line before the fence (ignoring blank lines). */
  before: string;
}

interface Result {
  payouts: Row[];
  attainment: Row[];
  rejects: Row[];
  /** Whether the rows come from a run (the database), whose order is not the engine's. */
  fromRun: boolean;
}

/** Page column → result field. */
const COLUMNS: Record<string, string> = {
  rep: 'repId',
  plan: 'planId',
  period: 'period',
  component: 'component',
  amount: 'amount',
  measure: 'measure',
  credit: 'credit',
  quota: 'quota',
  attainment: 'attainment',
  source: 'source',
  record: 'recordId',
  reason: 'reason',
};

function fencedBlocks(page: string): Block[] {
  const text = readFileSync(join(DOCS, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  let before = '';
  for (let i = 0; i < text.length; i++) {
    const open = /^```(.*)$/.exec(text[i]!);
    if (!open) {
      if (text[i]!.trim() !== '') before = text[i]!;
      continue;
    }
    const start = i;
    const lines: string[] = [];
    for (i++; i < text.length && !text[i]!.startsWith('```'); i++) lines.push(text[i]!);
    blocks.push({ page, line: start + 1, info: open[1]!.trim(), lines, before });
    before = '';
  }
  return blocks;
}

const pages = readdirSync(DOCS).filter((name) => name.endsWith('.md'));
const blocks = pages.flatMap(fencedBlocks);
const figureBlocks = blocks.filter((b) => ['payouts', 'attainment', 'rejects'].includes(b.info));
const fileBlocks = blocks.filter((b) => /^`docs\/examples\/[^`]+`:$/.test(b.before.trim()));

const scratchRoots: string[] = [];
afterAll(() => {
  for (const root of scratchRoots) rmSync(root, { recursive: true, force: true });
});

/** Runs a block's commands once per distinct script (a page's payouts and attainment blocks share it). */
const results = new Map<string, Promise<Result>>();
function resultOf(script: string[]): Promise<Result> {
  const key = script.join('\n');
  let result = results.get(key);
  if (!result) results.set(key, (result = execute(script)));
  return result;
}

async function execute(script: string[]): Promise<Result> {
  const [cd, ...commands] = script;
  const example = /^cd (docs\/examples\/[\w-]+)$/.exec(cd ?? '')?.[1];
  if (!example) throw new Error(`the first command must be "cd docs/examples/<name>", not ${JSON.stringify(cd)}`);
  const root = mkdtempSync(join(tmpdir(), 'attain-docs-'));
  scratchRoots.push(root);
  const dir = join(root, 'workspace');
  cpSync(join(ROOT, example), dir, { recursive: true, filter: (source) => !source.includes('/.attain') });

  let last: Result | undefined;
  for (const command of commands) {
    const words = command.split(/\s+/);
    if (words[0] === 'cp' && words.length === 3) {
      copyFileSync(join(dir, words[1]!), join(dir, words[2]!));
      continue;
    }
    if (words[0] !== 'attain') throw new Error(`unknown command ${command}`);
    const args = [...words.slice(1), '--workspace', dir];
    if (words[1] === 'calc') args.push('--json');
    const { code, out, err } = await runCli(args);
    if (code !== 0) throw new Error(`${command} exited ${code}: ${err}`);
    if (words[1] === 'calc') last = { ...(JSON.parse(out) as Omit<Result, 'fromRun'>), fromRun: false };
    else if (words[1] === 'run') last = await stored(dir);
  }
  if (!last) throw new Error('the last command must be attain calc or attain run');
  return last;
}

/** What the reporting database holds after `attain run` (the embedded one, in the scratch workspace). */
async function stored(dir: string): Promise<Result> {
  const database = await openDatabase({ dataDir: join(dir, '.attain') });
  try {
    const { db } = database;
    const lastRun = await db.selectFrom('runs').select('id').orderBy('started_at', 'desc').limit(1).executeTakeFirst();
    const payouts = await db.selectFrom('payout_lines').selectAll().execute();
    const attainment = await db.selectFrom('attainment').selectAll().execute();
    const rejects = await db
      .selectFrom('rejects')
      .selectAll()
      .where('run_id', '=', lastRun?.id ?? '')
      .execute();
    return {
      payouts: payouts.map((p) => ({
        repId: p.rep_id,
        planId: p.plan_id,
        period: p.period,
        component: p.component,
        amount: p.amount,
      })),
      attainment: attainment.map((a) => ({
        repId: a.rep_id,
        planId: a.plan_id,
        period: a.period,
        measure: a.measure,
        credit: a.credit,
        quota: a.quota ?? undefined,
        attainment: a.attainment ?? undefined,
      })),
      rejects: rejects.map((r) => ({ source: r.source, recordId: r.record_id, reason: r.reason })),
      fromRun: true,
    };
  } finally {
    await database.close();
  }
}

function parseFigures(block: Block): { script: string[]; header: string[]; rows: string[][] } {
  const script = block.lines.filter((l) => l.startsWith('$ ')).map((l) => l.slice(2).trim());
  const table = block.lines.filter((l) => !l.startsWith('$ ') && l.trim() !== '').map((l) => l.trim().split(/\s{2,}/));
  const [header = [], ...rows] = table;
  for (const name of header) if (!COLUMNS[name]) throw new Error(`unknown column ${name}`);
  return { script, header, rows };
}

describe('the worked examples in docs/', () => {
  it('finds figure blocks and file blocks to check', () => {
    expect(figureBlocks.length).toBeGreaterThan(10);
    expect(fileBlocks.length).toBeGreaterThan(10);
  });

  for (const block of figureBlocks) {
    // `attain run` opens the embedded database a few times: slower than a calculation.
    const timeout = block.lines.some((l) => l.startsWith('$ attain run')) ? 180_000 : undefined;
    it(`${block.page}:${block.line} states the ${block.info} Attain computes`, { timeout }, async () => {
      const { script, header, rows } = parseFigures(block);
      const result = await resultOf(script);
      const kind = block.info as Kind;
      const project = (row: Row) => header.map((name) => row[COLUMNS[name]!] ?? '-');
      let actual = result[kind].map(project);
      let stated = rows;
      if (result.fromRun) {
        const text = (cells: string[]) => cells.join('  ');
        actual = actual.sort((a, b) => text(a).localeCompare(text(b)));
        stated = [...stated].sort((a, b) => text(a).localeCompare(text(b)));
      }
      expect(actual, `${block.page}:${block.line}: expected: the page, received: what Attain computes`).toEqual(stated);
    });
  }

  for (const block of fileBlocks) {
    const path = block.before.trim().slice(1, -2);
    it(`${block.page}:${block.line} shows ${path} as it is`, () => {
      const file = readFileSync(join(ROOT, path), 'utf8');
      expect(block.lines.join('\n') + '\n').toBe(file);
    });
  }
});
