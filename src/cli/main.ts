/**
 * The `attain` command line (SPEC §4). Each command is a thin shell: load, call the pure core,
 * print. Every expected failure ends as one clear message and an exit status, never a stack.
 */
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/errors.js';
import { loadWorkspace } from '../../config/workspace.js';
import { ReplayError, replayRun } from '../../jobs/replay.js';
import { RunStepError, newRunId, runPipeline } from '../../jobs/run.js';
import { ConnectorError } from '../../connectors/source.js';
import {
  DatabaseConfigError,
  DatabaseUnavailableError,
  MigrationError,
  PeriodLockedError,
  RunInProgressError,
  lockPeriod,
  migrateToLatest,
  openDatabase,
  unlockPeriod,
  type AttainDb,
} from '../db/index.js';
import { CsvSourceError } from '../../connectors/csv/csv-file.js';
import { calculate } from '../domain/engine.js';
import { isIsoDate } from '../domain/model.js';
import { FiscalCalendar } from '../domain/periods.js';
import { filterByPeriod } from './period-filter.js';
import { prepareCalculation, type PreparedCalculation } from './calculation-inputs.js';
import { writeJson, writeTables } from './calc-output.js';
import { jsonProgress, terminalProgress, writeRunSummary } from './run-output.js';
import { stderrMeter } from './progress-meter.js';
import type { OnProgress } from '../domain/progress.js';
import { CliError, ExitCode } from './exit-codes.js';
import type { CommandContext } from './command-context.js';
import { salesforceCommand } from './salesforce-commands.js';
import { hubspotCommand } from './hubspot-commands.js';
import { QUEUE_ONLY, addQueueCommands, runOnQueue } from './queue-commands.js';

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
    .option('--json', 'print the result as JSON (SPEC §4)')
    .option('--as-of <date>', 'last day to calculate, YYYY-MM-DD (default: the latest close date of a won deal)')
    .option('--strict', 'exit 1 when any record was rejected')
    .action(async (options: { period?: string; json?: boolean; asOf?: string; strict?: boolean }) => {
      exitCode = await calc(program.opts<GlobalOptions>(), options, io.out, io.err);
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
    .option('--as-of <date>', 'last day to calculate, YYYY-MM-DD (default: the latest close date of a won deal)')
    .option('--strict', 'exit 1 when any record was rejected')
    .option('--in-process', "run here even when attain.yaml sets a queue (default: the queue's workers run it)")
    .action(async (options: { asOf?: string; strict?: boolean; inProcess?: boolean }) => {
      exitCode = await run(program.opts<GlobalOptions>(), options, io);
    });

  program
    .command('lock')
    .description('lock a payout period: its lines are never rewritten; later changes become adjustments')
    .argument('<period>', 'a payout period: 2026-01, 2026-Q1 or 2026')
    .option('--by <name>', 'who locks it (recorded in the ledger)', process.env['USER'] ?? 'attain')
    .action(async (period: string, options: { by: string }) => {
      exitCode = await lock(program.opts<GlobalOptions>(), period, options, io.out);
    });

  program
    .command('unlock')
    .description('unlock a payout period (needs --force: the next run may rewrite what was paid)')
    .argument('<period>', 'the locked period')
    .option('--force', 'yes, let the next run rewrite it')
    .option('--by <name>', 'who unlocks it (recorded in the ledger)', process.env['USER'] ?? 'attain')
    .action(async (period: string, options: { force?: boolean; by: string }) => {
      exitCode = await unlock(program.opts<GlobalOptions>(), period, options, io.out);
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
  addQueueCommands(program, io, (code) => (exitCode = code));

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
  if (options.asOf !== undefined && !isIsoDate(options.asOf)) {
    throw new CliError(`--as-of ${options.asOf}: expected a date YYYY-MM-DD`, ExitCode.usage);
  }
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
      (period ? ` · showing ${period.label}` : '');
    await writeTables(out, report, heading);
  }
  if (options.strict && rejects.length > 0) {
    err.write(`--strict: ${rejects.length} record${rejects.length === 1 ? ' was' : 's were'} rejected\n`);
    return ExitCode.failed;
  }
  return ExitCode.ok;
}

async function validate(global: GlobalOptions, options: { strict?: boolean }, out: Writable): Promise<number> {
  const dir = resolve(global.workspace);
  const prepared = await prepareFromWorkspace(dir);
  const computed = calculate(prepared.input);
  const rejects = prepared.allRejects(computed.rejects);
  out.write(
    `${dir}: attain.yaml and ${prepared.workspace.plans.length} plan${prepared.workspace.plans.length === 1 ? '' : 's'} are valid; ` +
      `${prepared.counts.reps} reps, ${prepared.counts.deals} deals, ${rejects.length} reject${rejects.length === 1 ? '' : 's'}\n`,
  );
  for (const r of rejects.slice(0, 50)) out.write(`  ${r.source}  ${r.recordId}: ${r.reason}\n`);
  if (rejects.length > 50) out.write(`  … and ${rejects.length - 50} more (attain calc --json lists them all)\n`);
  return options.strict && rejects.length > 0 ? ExitCode.failed : ExitCode.ok;
}

async function run(
  global: GlobalOptions,
  options: { asOf?: string; strict?: boolean; inProcess?: boolean },
  io: CliIo,
): Promise<number> {
  if (options.asOf !== undefined && !isIsoDate(options.asOf)) {
    throw new CliError(`--as-of ${options.asOf}: expected a date YYYY-MM-DD`, ExitCode.usage);
  }
  const dir = resolve(global.workspace);
  // SPEC §1: with a queue in attain.yaml the pipeline runs on it; without one, here.
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
      { totals: summary.totals, rejects: summary.rejects.length },
      'run succeeded',
    );
  return options.strict && summary.rejects.length > 0 ? ExitCode.failed : ExitCode.ok;
}

/**
 * The inputs of `calc` and `validate`: from the CSV files, or for a CRM source from the data last
 * synced into the reporting database (SPEC §4), which they only read.
 */
async function prepareFromWorkspace(
  dir: string,
  options: { asOf?: string; onProgress?: OnProgress } = {},
): Promise<PreparedCalculation> {
  const workspace = await loadWorkspace(dir);
  if (workspace.config.source.kind === 'csv') return prepareCalculation(dir, { ...options, workspace });
  return withDatabase({ workspace: dir }, ({ db }) => prepareCalculation(dir, { ...options, workspace, db }));
}

/** Opens the workspace's reporting database (migrated) for a short command. */
async function withDatabase<T>(
  global: GlobalOptions,
  fn: (db: AttainDb, calendar: FiscalCalendar) => Promise<T>,
): Promise<T> {
  const workspace = await loadWorkspace(resolve(global.workspace));
  const url = workspace.config.database?.url ?? process.env['DATABASE_URL'];
  const database = await openDatabase({ ...(url ? { url } : {}), dataDir: join(workspace.dir, '.attain') });
  try {
    await migrateToLatest(database.db);
    return await fn(database, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth));
  } finally {
    await database.close();
  }
}

async function lock(global: GlobalOptions, label: string, options: { by: string }, out: Writable): Promise<number> {
  return withDatabase(global, async ({ db }, calendar) => {
    const period = calendar.parse(label);
    if (!period)
      throw new CliError(`${label}: expected a payout period such as 2026-01, 2026-Q1 or 2026`, ExitCode.usage);
    const locked = await lockPeriod(db, period.label, options.by);
    out.write(
      locked
        ? `${period.label} locked: its payout lines will not be rewritten; later changes become adjustments\n`
        : `${period.label} was already locked\n`,
    );
    return ExitCode.ok;
  });
}

async function unlock(
  global: GlobalOptions,
  label: string,
  options: { force?: boolean; by: string },
  out: Writable,
): Promise<number> {
  if (!options.force)
    throw new CliError(
      `unlocking ${label} lets the next run rewrite what was paid: add --force if that is what you want`,
      ExitCode.usage,
    );
  return withDatabase(global, async ({ db }) => {
    const unlocked = await unlockPeriod(db, label, { force: true, by: options.by });
    out.write(unlocked ? `${label} unlocked (recorded in the lock ledger)\n` : `${label} was not locked\n`);
    return ExitCode.ok;
  });
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
  if (
    error instanceof ConfigError ||
    error instanceof CsvSourceError ||
    error instanceof DatabaseConfigError ||
    error instanceof ReplayError
  ) {
    err.write(`${error.message}\n`);
    return ExitCode.usage;
  }
  if (error instanceof DatabaseUnavailableError) {
    err.write(`${error.message}\n`);
    return ExitCode.unavailable;
  }
  if (error instanceof RunInProgressError || error instanceof PeriodLockedError || error instanceof MigrationError) {
    err.write(`${error.message}\n`);
    return ExitCode.failed;
  }
  if (error instanceof CliError || error instanceof ConnectorError) {
    err.write(`${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof RunStepError) {
    err.write(`${error.message}\n`);
    return ExitCode.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  err.write(`attain: unexpected error: ${message}\n`);
  if (process.env['ATTAIN_DEBUG'] && error instanceof Error) err.write(`${error.stack}\n`);
  return ExitCode.failed;
}
