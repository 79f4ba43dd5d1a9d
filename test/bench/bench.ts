/**
 * `npm run bench`: the synthetic org (10,000 reps, 1,000,000 deals of which 100,000 open, 20 % split,
 * 3 currencies, 3 plans), measured three ways. It prints figures; it asserts nothing.
 *
 *   engine   calculate() with the data already in memory (deals/s), best of 3 after a warm-up; and
 *            the same on an input prepared once (enginePreparedDealsPerSec), as a queued run's
 *            worker calculates every plan and shard of a run, with what preparing it took
 *   estimates estimate() of every open deal on the same input (open deals/s, and × attain calc), and
 *            the same with every estimate's trace rendered to JSON text (estimatesRenderedSeconds)
 *   calc     the whole `attain calc` from the CSVs, as a child process (wall time, peak RSS)
 *   diff     the whole `attain diff` from the CSVs with every plan changed (two calculations of
 *            one prepared input), as a child process: diffSeconds, and its ratio to calc
 *   parse    the same CSVs through the same parser, nothing else, as a child process
 *   baseline the same CSVs loaded into PostgreSQL with COPY and the marginal AE plan's commission
 *            computed in SQL (bench-postgres-baseline.ts), its total checked against Attain's
 *
 * The last line is one JSON object with the headline figures, and under `targets` each target of
 * the speed work with its figure (null when this run did not measure it) and whether it is met.
 *
 * Knobs: BENCH_REPS and BENCH_DEALS size the org (a smaller one runs in a minute), BENCH_OPEN_DEALS
 * how many of its deals are open (default 100,000, at most a tenth);
 * BENCH_ENGINE_RUNS timed engine runs (default 3); BENCH_DB_LINES and BENCH_PGLITE_LINES payout
 * lines to write into PostgreSQL and PGlite; and
 * BENCH_SKIP_BASELINE, BENCH_SKIP_DB, BENCH_SKIP_HUBSPOT, BENCH_SKIP_SALESFORCE, BENCH_SKIP_QUEUE,
 * BENCH_SKIP_QUOTAS.
 * BENCH_SKIP_TERRITORIES; BENCH_ACCOUNTS accounts for the territory assignment (bench-territories.ts).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorkspace } from '../../config/workspace.js';
import { readCsvSource } from '../../connectors/csv/csv-source.js';
import { formatDecimal, parseDecimal, ZERO } from '../../src/domain/decimal.js';
import { calculate, prepareInput } from '../../src/domain/engine.js';
import { estimate } from '../../src/domain/estimate.js';
import { normalize } from '../../src/domain/normalize.js';
import { benchPayoutWrites, benchRun } from './bench-db.js';
import { benchStatements, type StatementFigures } from './bench-statements.js';
import { postgresBaseline, type BaselineFigures } from './bench-postgres-baseline.js';
import { benchSalesforce } from './bench-salesforce.js';
import { benchHubspot, type HubspotBenchFigures } from './bench-hubspot.js';
import { benchQueue } from './bench-queue.js';
import { benchTerritories, type TerritoryBenchFigures } from './bench-territories.js';
import { ensureOrg } from './synthetic-org.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const REPS = Number(process.env['BENCH_REPS'] ?? 10_000);
const DEALS = Number(process.env['BENCH_DEALS'] ?? 1_000_000);
const ENGINE_RUNS = Math.max(1, Number(process.env['BENCH_ENGINE_RUNS'] ?? 3));
/** Open deals in the org, whose estimates are timed: 100,000 of the million, a tenth of a smaller org. */
const OPEN_DEALS = Number(process.env['BENCH_OPEN_DEALS'] ?? Math.min(100_000, Math.floor(DEALS / 10)));
/** The plan and component the PostgreSQL baseline computes. */
const BASELINE_PLAN = 'ae-marginal';
const BASELINE_COMPONENT = 'commission';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs a node script as a child process; returns wall seconds and peak RSS (MB). */
async function timeChild(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; peakRssMb: number; stdout: string }> {
  const scratch = mkdtempSync(join(tmpdir(), 'attain-bench-'));
  const rssFile = join(scratch, 'rss');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', join(here, 'report-rss.js'), ...args], {
    env: { ...env, ATTAIN_BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (stdout.length < 4096) stdout += chunk.toString();
  });
  const code = await new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stdout.slice(0, 500)}`);
  const peakRssMb = Number(readFileSync(rssFile, 'utf8'));
  rmSync(scratch, { recursive: true, force: true });
  return { seconds, peakRssMb, stdout: bytes > 4096 ? `${stdout}… (${bytes} bytes)` : stdout };
}

async function main(): Promise<void> {
  log(
    `Attain benchmark · node ${process.version} · ${REPS.toLocaleString('en')} reps, ${DEALS.toLocaleString('en')} deals`,
  );
  const org = await ensureOrg(join(root, '.bench'), { reps: REPS, deals: DEALS, seed: 42, openDeals: OPEN_DEALS });
  log(
    `org: ${org.dir} (${(org.bytes / 1e6).toFixed(1)} MB, ${org.splits.toLocaleString('en')} split rows${org.reused ? ', reused' : ''})`,
  );

  const workspace = await loadWorkspace(org.dir);
  // Whole-command timings in fresh processes, parse-only first, and the PostgreSQL baseline, before
  // anything runs in this process: after the in-process runs below, with their gigabytes of heap
  // in this parent, the same children ran half as slow again (attain calc 10.1 s against 6.3 s
  // from a shell, parse only 1.4 s against 0.9 s, on an otherwise idle machine).
  const parse = await timeChild([join(here, 'parse-only.js'), org.dir]);
  log(`parse only: ${parse.seconds.toFixed(2)} s, peak RSS ${parse.peakRssMb} MB (${parse.stdout.trim()} rows)`);
  const calc = await timeChild([join(root, 'bin/attain.js'), 'calc', '--workspace', org.dir]);
  const calcVsParseRatio = ratio(calc.seconds, parse.seconds);
  log(`attain calc: ${calc.seconds.toFixed(2)} s, peak RSS ${calc.peakRssMb} MB (${calcVsParseRatio}× parse only)`);
  const diff = await benchDiff(org.dir);
  const diffVsCalcRatio = ratio(diff.seconds, calc.seconds);
  log(
    `attain diff (every plan's first tier rate raised): ${diff.seconds.toFixed(2)} s, peak RSS ${diff.peakRssMb} MB (${diffVsCalcRatio}× attain calc)`,
  );
  // The in-house alternative: COPY the CSVs into PostgreSQL and compute one plan in SQL. Its
  // total is checked against the engine's below.
  let baseline: BaselineFigures | undefined;
  if (!process.env['BENCH_SKIP_BASELINE']) {
    try {
      baseline = await postgresBaseline(org.dir, {
        planId: BASELINE_PLAN,
        baseCurrency: workspace.config.baseCurrency,
      });
      log(
        `postgres baseline (COPY + SQL, ${BASELINE_PLAN} ${BASELINE_COMPONENT}): ${baseline.seconds.toFixed(2)} s ` +
          `(load ${baseline.loadSeconds.toFixed(2)} s, query ${baseline.querySeconds.toFixed(2)} s, ${baseline.rows.toLocaleString('en')} rep-quarters); ` +
          `attain calc is ${ratio(calc.seconds, baseline.seconds)}× it`,
      );
    } catch (error) {
      log(`postgres baseline: skipped (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  // The reporting database: bulk writes, then a whole run, in this process before it holds the
  // engine's data (a run in a process holding gigabytes of another's heap is slower, as a child
  // process is; `attain run` starts fresh). BENCH_SKIP_DB=1 skips both.
  let dbWriteRowsPerSec: number | undefined;
  let pgliteWriteRowsPerSec: number | undefined;
  let runSteps: Record<string, number> | undefined;
  let statements: StatementFigures | undefined;
  let reportSeconds: number | undefined;
  if (!process.env['BENCH_SKIP_DB']) {
    dbWriteRowsPerSec = await benchPayoutWrites(Number(process.env['BENCH_DB_LINES'] ?? 1_000_000), log);
    pgliteWriteRowsPerSec = await benchPayoutWrites(
      Number(process.env['BENCH_PGLITE_LINES'] ?? 200_000),
      log,
      'pglite',
    );
    const run = await benchRun(org.dir, log, async (database) => {
      statements = await benchStatements(database, org.dir, log);
    });
    runSteps = run?.steps;
    reportSeconds = run?.reportSeconds;
  }

  // Engine throughput: data in memory, as the engine receives it.
  const source = await readCsvSource(join(org.dir, 'data'), { tz: workspace.config.calendar.tz });
  const normalized = normalize(source.data, { baseCurrency: workspace.config.baseCurrency, locate: source.locate });
  const input = {
    calendar: workspace.config.calendar,
    baseCurrency: workspace.config.baseCurrency,
    plans: workspace.plans,
    data: normalized.data,
  };
  const runs: number[] = [];
  let lines = 0;
  let attainTotal = ZERO;
  for (let i = 0; i <= ENGINE_RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = calculate(input);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    lines = result.payouts.length;
    if (i === 0) {
      for (const line of result.payouts) {
        if (line.planId === BASELINE_PLAN && line.component === BASELINE_COMPONENT)
          attainTotal += parseDecimal(line.amount)!;
      }
    }
    if (i > 0) runs.push(seconds); // the first run warms the JIT up
    log(
      `engine run ${i + 1}: ${seconds.toFixed(3)} s (${result.payouts.length.toLocaleString('en')} payout lines, ${result.rejects.length} rejects)${i === 0 ? ' [warm-up]' : ''}`,
    );
  }
  const engineSeconds = Math.min(...runs);
  const engineDealsPerSec = Math.round(normalized.data.deals.length / engineSeconds);
  log(
    `engine: ${engineDealsPerSec.toLocaleString('en')} deals/s (best of ${runs.length}: ${engineSeconds.toFixed(3)} s, ${lines.toLocaleString('en')} lines)`,
  );
  // The same on an input prepared once (prepareInput: the deals in columns, as a queued run's
  // worker keeps them for every plan and shard of a run), and what preparing it costs.
  const prepareStarted = process.hrtime.bigint();
  const prepared = prepareInput(input);
  const prepareSeconds = Number(process.hrtime.bigint() - prepareStarted) / 1e9;
  const preparedRuns: number[] = [];
  for (let i = 0; i <= ENGINE_RUNS; i++) {
    const started = process.hrtime.bigint();
    calculate(input, { prepared });
    if (i > 0) preparedRuns.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  const enginePreparedDealsPerSec = Math.round(normalized.data.deals.length / Math.min(...preparedRuns));
  log(
    `engine on a prepared input: ${enginePreparedDealsPerSec.toLocaleString('en')} deals/s (best of ${preparedRuns.length}: ${Math.min(...preparedRuns).toFixed(3)} s; preparing it once: ${prepareSeconds.toFixed(3)} s)`,
  );

  // Estimates of every open deal (docs/estimates.md), on the same input, best of as many runs.
  // Their traces are rendered when read, as the engine's are; estimatesRenderedSeconds is the
  // same with every trace rendered to JSON text at once, as the run's store and `attain estimate
  // --json` ask for them.
  const estimateRuns: number[] = [];
  const renderedRuns: number[] = [];
  const openDeals = normalized.data.deals.filter((d) => d.stage === 'open' && !d.deleted).length;
  for (let i = 0; i <= ENGINE_RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = estimate(input);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const again = process.hrtime.bigint();
    let traceBytes = 0;
    for (const e of estimate(input, { traces: 'text' }).estimates) traceBytes += e.trace.text().length;
    const rendered = Number(process.hrtime.bigint() - again) / 1e9;
    if (i > 0) estimateRuns.push(seconds);
    if (i > 0) renderedRuns.push(rendered);
    log(
      `estimates run ${i + 1}: ${seconds.toFixed(3)} s (${result.estimates.length.toLocaleString('en')} estimates of ${openDeals.toLocaleString('en')} open deals); ` +
        `${rendered.toFixed(3)} s with every trace rendered (${(traceBytes / 1e6).toFixed(1)} MB of JSON)${i === 0 ? ' [warm-up]' : ''}`,
    );
  }
  const estimatesSeconds = Math.min(...estimateRuns);
  const estimatesRenderedSeconds = Math.min(...renderedRuns);
  const estimatesPerSec = Math.round(openDeals / estimatesSeconds);
  log(
    `estimates: ${estimatesPerSec.toLocaleString('en')} open deals/s (best of ${estimateRuns.length}: ${estimatesSeconds.toFixed(3)} s; ${ratio(estimatesSeconds, engineSeconds)}× the engine)`,
  );

  const estimatesVsCalcRatio = ratio(estimatesSeconds, calc.seconds);
  log(
    `estimates of every open deal: ${estimatesVsCalcRatio}× attain calc; with every trace rendered ${ratio(estimatesRenderedSeconds, calc.seconds)}×`,
  );

  let baselineTotalMatches: boolean | undefined;
  if (baseline !== undefined) {
    baselineTotalMatches = parseDecimal(baseline.total) === attainTotal;
    log(
      `  payout total of ${BASELINE_PLAN} ${BASELINE_COMPONENT}: PostgreSQL ${baseline.total}, Attain ${formatDecimal(attainTotal)}: ${baselineTotalMatches ? 'equal to the cent' : 'DIFFERENT'}`,
    );
  }
  const calcVsPostgresRatio = baseline === undefined ? undefined : ratio(calc.seconds, baseline.seconds);

  // Territory assignment: BENCH_ACCOUNTS accounts (default 100,000) and every deal's territory. BENCH_SKIP_TERRITORIES=1 skips it.
  const territories: TerritoryBenchFigures | undefined = process.env['BENCH_SKIP_TERRITORIES']
    ? undefined
    : benchTerritories(normalized.data, log);
  // The HubSpot pull under its rate limit. BENCH_SKIP_HUBSPOT=1 skips it.
  const hubspot: HubspotBenchFigures | undefined = process.env['BENCH_SKIP_HUBSPOT']
    ? undefined
    : await benchHubspot(log);

  // The Salesforce connector against a local org. BENCH_SKIP_SALESFORCE=1 skips it.
  const salesforce = process.env['BENCH_SKIP_SALESFORCE'] ? undefined : await benchSalesforce(log);

  // Next year's quota plan from this year's bookings (docs/quota-planning.md), the whole command
  // in a fresh process like calc. BENCH_SKIP_QUOTAS=1 skips it.
  let quotaPlan: { seconds: number; peakRssMb: number } | undefined;
  if (!process.env['BENCH_SKIP_QUOTAS']) {
    const scratch = mkdtempSync(join(tmpdir(), 'attain-bench-quotas-'));
    try {
      quotaPlan = await timeChild([
        join(root, 'bin/attain.js'),
        'quotas',
        'plan',
        '--workspace',
        org.dir,
        '--year',
        '2027',
        '--target',
        '1000000000',
        '--overassign',
        '1.1',
        '--ramp',
        '0,0.25,0.5,0.75,1',
        '--out',
        join(scratch, 'quotas.csv'),
      ]);
      log(`attain quotas plan 2027: ${quotaPlan.seconds.toFixed(2)} s, peak RSS ${quotaPlan.peakRssMb} MB`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  // The queue: in process vs one and two worker processes. BENCH_SKIP_QUEUE=1 skips it.
  const queue = process.env['BENCH_SKIP_QUEUE'] ? undefined : await benchQueue(org.dir, log);

  log(
    JSON.stringify({
      engineDealsPerSec,
      enginePreparedDealsPerSec,
      enginePrepareSeconds: Number(prepareSeconds.toFixed(3)),
      calcSeconds: Number(calc.seconds.toFixed(2)),
      parseSeconds: Number(parse.seconds.toFixed(2)),
      calcVsParseRatio,
      diffSeconds: Number(diff.seconds.toFixed(2)),
      diffVsCalcRatio,
      openDeals,
      estimatesPerSec,
      estimatesSeconds: Number(estimatesSeconds.toFixed(3)),
      estimatesRenderedSeconds: Number(estimatesRenderedSeconds.toFixed(3)),
      estimatesVsCalcRatio,
      ...(baseline === undefined
        ? {}
        : {
            postgresBaselineSeconds: Number(baseline.seconds.toFixed(2)),
            calcVsPostgresRatio,
            postgresBaselineTotalMatches: baselineTotalMatches,
          }),
      peakRssMb: calc.peakRssMb,
      ...(dbWriteRowsPerSec === undefined ? {} : { dbWriteRowsPerSec }),
      ...(pgliteWriteRowsPerSec === undefined ? {} : { pgliteWriteRowsPerSec }),
      ...(runSteps === undefined ? {} : { runSecondsByStep: runSteps }),
      ...(statements === undefined ? {} : { statementsPerSec: statements.statementsPerSec }),
      ...(reportSeconds === undefined ? {} : { reportSeconds }),
      ...(salesforce === undefined ? {} : { salesforce }),
      ...(hubspot === undefined
        ? {}
        : { hubspotRateShare: hubspot.rateShare, hubspot429sSurfaced: hubspot.surfaced429 }),
      ...(queue === undefined ? {} : { queue }),
      ...(quotaPlan === undefined ? {} : { quotaPlanSeconds: Number(quotaPlan.seconds.toFixed(2)) }),
      ...(territories === undefined ? {} : { territoryAssignSeconds: territories.territoryAssignSeconds }),
      targets: {
        engineDealsPerSec: target(engineDealsPerSec, '>=', 1_000_000),
        calcVsParseRatio: target(calcVsParseRatio, '<=', 1.5),
        diffVsCalcRatio: target(diffVsCalcRatio, '<=', 2.2),
        // Without open deals there is nothing to estimate: not measured.
        estimatesVsCalcRatio: target(OPEN_DEALS > 0 ? estimatesVsCalcRatio : undefined, '<=', 1.0),
        calcVsPostgresRatio: target(calcVsPostgresRatio, '<=', 1.5),
        dbWriteRowsPerSec: target(dbWriteRowsPerSec, '>=', 100_000),
        runSeconds: target(runSteps?.['total'], '<=', 30),
        queueSerialFraction: target(queue?.serialFraction, '<=', 0.15),
        queueCpuSecondsVsInProcess: target(queue?.cpuSecondsVsInProcess, '<=', 1.15),
        peakRssMb: target(calc.peakRssMb, '<=', 2048),
      },
    }),
  );
}

/**
 * `attain diff --json` of the org's plans against a copy with each plan's first tier rate raised
 * by 0.005: no plan is the same on both sides, so both are calculated in full. The source as read
 * now (no reporting database: DATABASE_URL unset, none under the org's .attain/).
 */
async function benchDiff(dir: string): Promise<{ seconds: number; peakRssMb: number }> {
  const proposal = mkdtempSync(join(tmpdir(), 'attain-bench-diff-'));
  try {
    cpSync(join(dir, 'plans'), proposal, { recursive: true });
    for (const name of readdirSync(proposal)) {
      const file = join(proposal, name);
      const text = readFileSync(file, 'utf8');
      const raised = text.replace(
        /(from: 0,\s+rate: )([\d.]+)/,
        (_all, head: string, rate: string) => `${head}${(Number(rate) + 0.005).toFixed(3)}`,
      );
      if (raised === text) throw new Error(`bench diff: ${name} has no first tier to raise`);
      writeFileSync(file, raised);
    }
    const env = { ...process.env };
    delete env['DATABASE_URL'];
    const diff = await timeChild(
      [
        join(root, 'bin/attain.js'),
        'diff',
        '--workspace',
        dir,
        '--base',
        join(dir, 'plans'),
        '--head',
        proposal,
        '--json',
      ],
      env,
    );
    return { seconds: diff.seconds, peakRssMb: diff.peakRssMb };
  } finally {
    rmSync(proposal, { recursive: true, force: true });
  }
}

function ratio(a: number, b: number): number {
  return Number((a / b).toFixed(2));
}

/** A figure beside its target; `met` is null when the figure was not measured. */
function target(
  value: number | undefined,
  op: '>=' | '<=',
  goal: number,
): { value: number | null; target: string; met: boolean | null } {
  if (value === undefined) return { value: null, target: `${op} ${goal}`, met: null };
  return { value, target: `${op} ${goal}`, met: op === '>=' ? value >= goal : value <= goal };
}

await main();
