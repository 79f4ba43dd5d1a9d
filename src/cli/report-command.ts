/**
 * `attain report [--period FROM..TO] [--manager ID] --out DIR`: the performance and commissions
 * report as a self-contained HTML page (docs/report.md), from the reporting database.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import type { CommandContext } from './command-context.js';
import { withDatabase } from './workspace-database.js';

interface ReportOptions {
  period?: string;
  manager?: string;
  out: string;
}

export function reportCommand(context: CommandContext): Command {
  return new Command('report')
    .description('write the performance and commissions report (one HTML page, opens from disk) into --out')
    .option('--period <from..to>', 'payout and quota periods overlapping FROM..TO, e.g. 2026-01..2026-06 or 2026-Q1')
    .option('--manager <id>', "only this manager's tree: the manager and everyone below them")
    .requiredOption('--out <dir>', 'the folder to write index.html into')
    .action(async (options: ReportOptions) => {
      context.exit(await report(resolve(context.workspace()), options, context));
    });
}

async function report(dir: string, options: ReportOptions, context: CommandContext): Promise<number> {
  return withDatabase({ workspace: dir }, async (database, _calendar, workspace) => {
    // The report's charts and page libraries load when the command runs, not with every command.
    const { buildReport } = await import('../../jobs/analytics-report.js');
    const { writeReport } = await import('../../jobs/report-html.js');
    const data = await buildReport(database, {
      plans: workspace.plans,
      fiscalYearStartMonth: workspace.config.calendar.fiscalYearStartMonth,
      baseCurrency: workspace.config.baseCurrency,
      ...(workspace.config.accounting === undefined ? {} : { accounting: workspace.config.accounting }),
      ...(options.period === undefined ? {} : { period: options.period }),
      ...(options.manager === undefined ? {} : { managerId: options.manager }),
    });
    const file = await writeReport(resolve(options.out), data);
    context.out.write(`report written: ${file} (run ${data.generatedFor.runId}, ${data.generatedFor.period})\n`);
    return ExitCode.ok;
  });
}
