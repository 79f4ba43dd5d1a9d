/**
 * Statements per second on the bench org (target: 20 PDFs/s): after a run of the org into
 * PostgreSQL, every rep's statement of one month is built from the stored lines, and a sample of
 * them rendered to PDF (and to HTML) and written to disk. The figure charges the sample its share
 * of building all of them: sample ÷ (render time + build time × sample ÷ statements).
 *
 * Alone: `node dist/test/bench/bench-statements.js` (BENCH_REPS, BENCH_DEALS for a smaller org,
 * BENCH_STATEMENTS for the sample size, default 300). In `npm run bench` it runs on the database
 * of the whole-run figure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadWorkspace } from '../../config/workspace.js';
import { runPipeline } from '../../jobs/run.js';
import { buildStatements, renderStatement, statementFileName } from '../../jobs/statements.js';
import type { AttainDb } from '../../src/db/index.js';
import { listPayoutPeriods } from '../../src/db/statement-store.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { withSchema } from './bench-db.js';
import { ensureOrg } from './synthetic-org.js';

export interface StatementFigures {
  statementsPerSec: number;
  htmlStatementsPerSec: number;
  statements: number;
  sample: number;
  buildSeconds: number;
  averagePdfKb: number;
}

export async function benchStatements(
  database: AttainDb,
  workspaceDir: string,
  log: (line: string) => void,
): Promise<StatementFigures> {
  const workspace = await loadWorkspace(workspaceDir);
  const calendar = new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth);
  const months = (await listPayoutPeriods(database.db)).filter((p) => /^\d{4}-\d{2}$/.test(p));
  // A month in the middle of the data: a quarter under way, a year to date to sum.
  const period = months[Math.floor(months.length / 2)]!;
  let started = process.hrtime.bigint();
  const statements = await buildStatements(database.db, { calendar, plans: workspace.plans, period });
  const buildSeconds = seconds(started);
  const sample = statements.slice(0, Number(process.env['BENCH_STATEMENTS'] ?? 300));
  log(
    `statements ${period}: ${statements.length.toLocaleString('en')} built from the stored lines in ${buildSeconds.toFixed(2)} s`,
  );

  const out = mkdtempSync(join(tmpdir(), 'attain-bench-statements-'));
  try {
    let bytes = 0;
    started = process.hrtime.bigint();
    for (const statement of sample) {
      const pdf = await renderStatement(statement, 'pdf');
      bytes += pdf.length;
      writeFileSync(join(out, statementFileName(statement, 'pdf')), pdf);
    }
    const pdfSeconds = seconds(started);
    started = process.hrtime.bigint();
    for (const statement of sample)
      writeFileSync(join(out, statementFileName(statement, 'html')), await renderStatement(statement, 'html'));
    const htmlSeconds = seconds(started);
    const buildShare = (buildSeconds * sample.length) / Math.max(1, statements.length);
    const figures: StatementFigures = {
      statementsPerSec: Number((sample.length / (pdfSeconds + buildShare)).toFixed(1)),
      htmlStatementsPerSec: Number((sample.length / (htmlSeconds + buildShare)).toFixed(1)),
      statements: statements.length,
      sample: sample.length,
      buildSeconds: Number(buildSeconds.toFixed(2)),
      averagePdfKb: Math.round(bytes / Math.max(1, sample.length) / 1024),
    };
    log(
      `statements: ${sample.length} PDFs in ${pdfSeconds.toFixed(2)} s (${figures.averagePdfKb} KB each), ` +
        `${figures.statementsPerSec} PDFs/s with their share of building; HTML ${figures.htmlStatementsPerSec}/s`,
    );
    return figures;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Alone: the bench org, run into a fresh PostgreSQL schema, then the statements. */
async function standalone(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const reps = Number(process.env['BENCH_REPS'] ?? 10_000);
  const deals = Number(process.env['BENCH_DEALS'] ?? 1_000_000);
  const org = await ensureOrg(join(resolve(here, '../../..'), '.bench'), { reps, deals, seed: 42 });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`Attain statements bench · ${reps.toLocaleString('en')} reps, ${deals.toLocaleString('en')} deals · ${org.dir}`);
  const figures = await withSchema(async (database) => {
    const started = process.hrtime.bigint();
    await runPipeline({ workspaceDir: org.dir, trigger: 'bench', database });
    log(`attain run against PostgreSQL: ${seconds(started).toFixed(1)} s`);
    return benchStatements(database, org.dir, log);
  });
  log(JSON.stringify(figures));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await standalone();
