/**
 * The `attain` command line (docs/cli.md). Each command is a thin shell: load, call the pure core,
 * print. Every expected failure ends as one clear message and an exit status, never a stack.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { loadWorkspace } from '../../config/workspace.js';
import { sourceOf } from '../../connectors/registry.js';
import { replayRun } from '../../jobs/replay.js';
import { newRunId, runPipeline } from '../../jobs/run.js';
import { calculate } from '../domain/engine.js';
import { estimate } from '../domain/estimate.js';
import { estimateJson, writeEstimateTables } from './estimate-output.js';
import { AttainError } from '../domain/errors.js';
import { FiscalCalendar } from '../domain/periods.js';
import { filterByPeriod } from './period-filter.js';
import { prepareCalculation, type PreparedCalculation } from '../../jobs/prepare-calculation.js';
import { writeJson, writeTables } from './calc-output.js';
import { writeTimelines } from './plan-timeline-output.js';
import { jsonProgress, terminalProgress, writeRunSummary } from './run-output.js';
import { stderrMeter } from './progress-meter.js';
import type { OnProgress } from '../domain/progress.js';
import { checkAsOf, CliError, ExitCode } from './exit-codes.js';
import { printable, printableLines } from './printable.js';
import type { CommandContext } from './command-context.js';
import { salesforceCommand } from './salesforce-commands.js';
import { hubspotCommand } from './hubspot-commands.js';
import { QUEUE_ONLY, addQueueCommands, runOnQueue } from './queue-commands.js';
import { addPayCycleCommands } from './pay-cycle-commands.js';
import { withDatabase } from './workspace-database.js';
import { statementsCommand } from './statements-command.js';
import { exportCommand } from './export-command.js';
import { amortizationCommand } from './amortization-command.js';
import { reportCommand } from './report-command.js';
import { diffCommand } from './diff-command.js';
import { planCommand } from './plan-commands.js';
import { capacityCommand, quotasCommand } from './quota-commands.js';
import { territoriesCommand } from './territories-command.js';

interface GlobalOptions {
  workspace: string;
}

export interface CliIo {
  out: Writable;
  err: Writable;
}

export async function main(argv: string[], io: CliIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command('attain')
    .description('Sales commissions from comp plans as code: every cent explainable.')
    .option('-w, --workspace <dir>', 'the workspace folder (attain.yaml, plans/, data/)', '.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .showHelpAfterError('(attain --help lists the commands)');

  program
    .command('calc')
    .description('calculate payouts and attainment, writing nothing')
    .option('--period <period>', 'only show this period: 2026, 2026-Q1 or 2026-01')
    .option('--json', 'print the result as JSON')
    .option('--as-of <date>', 'last day to calculate, YYYY-MM-DD (default: today in calendar.tz)')
    .option('--strict', 'exit 1 when any record was rejected')
    .action(async (options: { period?: string; json?: boolean; asOf?: string; strict?: boolean }) => {
      exitCode = await calc(program.opts<GlobalOptions>(), options, io.out, io.err);
    });

  program
    .command('estimate')
    .description('what each open deal would pay each rep if it closed won, writing nothing')
    .option('--deal <id>', 'only this open deal')
    .option('--json', 'print the estimates as JSON')
    .option('--as-of <date>', 'the as-of date, YYYY-MM-DD (default: today in calendar.tz)')
    .action(async (options: { deal?: string; json?: boolean; asOf?: string }) => {
      exitCode = await estimateCommand(program.opts<GlobalOptions>(), options, io.out, io.err);
    });

  program
    .command('validate')
    .description('check attain.yaml, plans and data without writing anything')
    .option('--strict', 'exit 1 when any record would be rejected')
    .action(async (options: { strict?: boolean }) => {
      exitCode = await validate(program.opts<GlobalOptions>(), options, io.out);
    });

  program
    .command('run')
    .description('the main job: sync, calculate every open period, write the reporting database (and the CRM)')
    .option('--as-of <date>', 'last day to calculate, YYYY-MM-DD (default: today in calendar.tz)')
    .option('--strict', 'exit 1 when any record was rejected')
    .option('--in-process', "run here even when attain.yaml sets a queue (default: the queue's workers run it)")
    .action(async (options: { asOf?: string; strict?: boolean; inProcess?: boolean }) => {
      exitCode = await run(program.opts<GlobalOptions>(), options, io);
    });

  program
    .command('replay')
    .description('recompute a past run from its stored inputs and check its result hash')
    .argument('<run-id>', 'the run, e.g. run-20261126T020000Z-k3x9q1')
    .action(async (runId: string) => {
      exitCode = await replay(program.opts<GlobalOptions>(), runId, io.out);
    });

  const context: CommandContext = {
    workspace: () => program.opts<GlobalOptions>().workspace,
    out: io.out,
    exit: (code) => (exitCode = code),
  };
  program.addCommand(salesforceCommand(context));
  program.addCommand(hubspotCommand(context));
  program.addCommand(statementsCommand(context));
  program.addCommand(exportCommand(context));
  program.addCommand(amortizationCommand(context));
  program.addCommand(reportCommand(context).copyInheritedSettings(program));
  program.addCommand(diffCommand(context).copyInheritedSettings(program));
  program.addCommand(planCommand(context));
  program.addCommand(quotasCommand(context));
  program.addCommand(capacityCommand(context));
  program.addCommand(territoriesCommand(context));
  addQueueCommands(program, io, (code) => (exitCode = code));
  addPayCycleCommands(program, context);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return report(error, io.err);
  }
}

async function calc(
  global: GlobalOptions,
  options: { period?: string; json?: boolean; asOf?: string; strict?: boolean },
  out: Writable,
  err: Writable,
): Promise<number> {
  checkAsOf(options.asOf);
  const dir = resolve(global.workspace);
  const meter = stderrMeter(err, 'calc');
  const prepared = await prepareFromWorkspace(dir, {
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    onProgress: meter.update,
  });
  const calendar = new FiscalCalendar(prepared.input.calendar.fiscalYearStartMonth);
  const period = options.period === undefined ? undefined : calendar.parse(options.period);
  if (options.period !== undefined && !period) {
    throw new CliError(
      `--period ${options.period}: expected a period such as 2026, 2026-Q1 or 2026-01`,
      ExitCode.usage,
    );
  }

  const computed = calculate(prepared.input, { onProgress: meter.update });
  meter.clear();
  const rejects = prepared.allRejects(computed.rejects);
  const result = filterByPeriod({ ...computed, rejects }, period, calendar);
  const report = {
    result,
    plans: prepared.workspace.plans,
    reps: prepared.input.data.reps,
    baseCurrency: prepared.input.baseCurrency,
    calendar,
  };
  if (options.json) await writeJson(out, report);
  else {
    const heading =
      `Attain · ${dir}\n` +
      `${prepared.workspace.plans.length} plans, ${prepared.counts.reps} reps, ${prepared.counts.deals} deals` +
      (computed.asOf ? ` · calculated through ${computed.asOf}` : '') +
      notYetDue(prepared) +
      (period ? ` · showing ${period.label}` : '');
    await writeTables(out, report, heading);
  }
  if (options.strict && rejects.length > 0) {
    err.write(`--strict: ${rejects.length} record${rejects.length === 1 ? ' was' : 's were'} rejected\n`);
    return ExitCode.failed;
  }
  return ExitCode.ok;
}

async function estimateCommand(
  global: GlobalOptions,
  options: { deal?: string; json?: boolean; asOf?: string },
  out: Writable,
  err: Writable,
): Promise<number> {
  checkAsOf(options.asOf);
  const dir = resolve(global.workspace);
  const prepared = await prepareFromWorkspace(dir, options.asOf === undefined ? {} : { asOf: options.asOf });
  const { deal } = options;
  if (deal !== undefined) {
    const found = prepared.input.data.deals.find((d) => d.id === deal);
    if (!found) throw new CliError(`--deal ${deal}: no such deal in the data`, ExitCode.usage);
    if (found.stage !== 'open' || found.deleted)
      err.write(
        printable(`${deal} is ${found.deleted ? 'deleted' : found.stage}: only an open deal has estimates`) + '\n',
      );
  }
  // Every trace is printed with --json: rendered at once, in each deal's one evaluation.
  const result = estimate(prepared.input, {
    ...(deal === undefined ? {} : { deals: (id: string) => id === deal }),
    traces: options.json ? 'text' : 'lazy',
  });
  const report = {
    result,
    plans: prepared.workspace.plans,
    reps: prepared.input.data.reps,
    baseCurrency: prepared.input.baseCurrency,
  };
  if (options.json) out.write(estimateJson(report));
  else writeEstimateTables(out, report, `Attain · ${dir}`);
  return ExitCode.ok;
}

async function validate(global: GlobalOptions, options: { strict?: boolean }, out: Writable): Promise<number> {
  const dir = resolve(global.workspace);
  const prepared = await prepareFromWorkspace(dir);
  const computed = calculate(prepared.input);
  const rejects = prepared.allRejects(computed.rejects);
  out.write(
    `${dir}: attain.yaml and ${prepared.workspace.plans.length} plan${prepared.workspace.plans.length === 1 ? '' : 's'} are valid; ` +
      `${prepared.counts.reps} reps, ${prepared.counts.deals} deals, ${rejects.length} reject${rejects.length === 1 ? '' : 's'}${notYetDue(prepared)}\n`,
  );
  const { workspace } = prepared;
  writeTimelines(
    out,
    workspace.plans,
    workspace.planFiles,
    new FiscalCalendar(prepared.input.calendar.fiscalYearStartMonth),
  );
  for (const r of rejects.slice(0, 50)) out.write(printable(`  ${r.source}  ${r.recordId}: ${r.reason}`) + '\n');
  if (rejects.length > 50) out.write(`  … and ${rejects.length - 50} more (attain calc --json lists them all)\n`);
  return options.strict && rejects.length > 0 ? ExitCode.failed : ExitCode.ok;
}

async function run(
  global: GlobalOptions,
  options: { asOf?: string; strict?: boolean; inProcess?: boolean },
  io: CliIo,
): Promise<number> {
  checkAsOf(options.asOf);
  const dir = resolve(global.workspace);
  // With a queue in attain.yaml the pipeline runs on it; without one, here.
  if (!options.inProcess && (await loadWorkspace(dir, process.env, QUEUE_ONLY)).config.queue?.redisUrl !== undefined)
    return runOnQueue(dir, options, io);
  const terminal = (io.out as Partial<NodeJS.WriteStream>).isTTY === true;
  const runId = newRunId();
  const progress = terminal ? terminalProgress(io.out) : jsonProgress(io.out, runId);
  if (terminal) io.out.write(`Attain run ${runId} · ${dir}\n`);
  const summary = await runPipeline({
    workspaceDir: dir,
    trigger: 'cli',
    runId,
    progress,
    ...(options.asOf ? { asOf: options.asOf } : {}),
  });
  if (terminal) writeRunSummary(io.out, summary);
  else
    (progress as ReturnType<typeof jsonProgress>).logger.info(
      { totals: summary.totals, rejects: summary.rejects },
      'run succeeded',
    );
  return options.strict && summary.rejects > 0 ? ExitCode.failed : ExitCode.ok;
}

/** ` · 3 won deals close after 2026-12-06: not yet due`, or nothing. */
function notYetDue(prepared: PreparedCalculation): string {
  const n = prepared.counts.notYetDue;
  if (n === 0) return '';
  return ` · ${n} won deal${n === 1 ? ' closes' : 's close'} after ${prepared.input.asOf}: not yet due`;
}

/**
 * The inputs of `calc` and `validate`: from the CSV files, or for a CRM source from the data last
 * synced into the reporting database, which they only read.
 */
async function prepareFromWorkspace(
  dir: string,
  options: { asOf?: string; onProgress?: OnProgress } = {},
): Promise<PreparedCalculation> {
  const workspace = await loadWorkspace(dir);
  // A source read from files only needs no database; a CRM's synced records are in it.
  if (!sourceOf(workspace.config).connect) return prepareCalculation(dir, { ...options, workspace });
  return withDatabase(workspace, ({ db }) => prepareCalculation(dir, { ...options, workspace, db }));
}

async function replay(global: GlobalOptions, runId: string, out: Writable): Promise<number> {
  return withDatabase(global, async (database) => {
    const outcome = await replayRun(database, runId);
    const lines = `${outcome.lines} payout line${outcome.lines === 1 ? '' : 's'}`;
    if (outcome.matches) {
      out.write(
        `${runId} replayed: ${lines}, result hash ${outcome.replayedHash.slice(0, 12)}… matches the stored one\n`,
      );
      return ExitCode.ok;
    }
    out.write(
      `${runId} replayed: ${lines}, result hash ${outcome.replayedHash.slice(0, 12)}… differs from the stored ${outcome.storedHash.slice(0, 12)}…\n` +
        `  the same inputs now give a different result: the engine or the meaning of the plans changed since the run\n`,
    );
    return ExitCode.failed;
  });
}

function report(error: unknown, err: Writable): number {
  if (error instanceof CommanderError) {
    // Help and version are successes; anything else is bad usage (commander already printed why).
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof AttainError) {
    err.write(`${printableLines(error.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  err.write(`attain: unexpected error: ${printableLines(message)}\n`);
  if (process.env['ATTAIN_DEBUG'] && error instanceof Error) err.write(`${error.stack}\n`);
  return ExitCode.failed;
}
