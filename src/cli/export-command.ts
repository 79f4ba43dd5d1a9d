/**
 * `attain export payroll PERIOD --format csv|adp-wfn [--out FILE] [--draft]`: the period's payouts
 * as a file payroll imports (docs/statements-and-payroll.md); `attain export gl PERIOD --format csv`:
 * the period's commission journal entries (docs/accounting.md).
 */
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
// The exports' CSV writer loads when an export runs, not with every command.
import type { PayrollFormat } from '../../jobs/payroll-export.js';
import type { CommandContext } from './command-context.js';
import { ExitCode } from './exit-codes.js';
import { printable } from './printable.js';
import { actor } from './pay-cycle-commands.js';
import { withDatabase } from './workspace-database.js';
import { readEmployeeIds } from '../../connectors/csv/employee-ids.js';

interface PayrollOptions {
  format: PayrollFormat;
  out?: string;
  draft?: boolean;
  by?: string;
}

export function exportCommand(ctx: CommandContext): Command {
  const command = new Command('export').description('export results for other systems');
  command
    .command('payroll')
    .description('write a paid period as a payroll import file (csv, or ADP Workforce Now paydata)')
    .argument('<period>', 'a paid (locked) period: 2026-01, 2026-Q1 or 2026')
    .addOption(new Option('--format <format>', 'csv or adp-wfn').choices(['csv', 'adp-wfn']).makeOptionMandatory())
    .option('--out <file>', 'the file to write (default: PR<companyCode>EPI.csv or payroll-<period>.csv, here)')
    .option('--draft', 'export a period that is not paid yet; the file name says DRAFT')
    .option('--by <name>', 'who exports it (default: ATTAIN_USER, else the OS user); recorded in the audit log')
    .action(async (period: string, options: PayrollOptions) => ctx.exit(await payroll(ctx, period, options)));
  command
    .command('gl')
    .description(
      'write the journal entries of a paid period: commissions capitalised, amortised, expensed, clawed back',
    )
    .argument('<period>', 'a paid (locked) period: 2026-01, 2026-Q1 or 2026')
    .addOption(new Option('--format <format>', 'csv').choices(['csv']).makeOptionMandatory())
    .option('--out <file>', 'the file to write (default: gl-<period>.csv, here)')
    .option('--draft', 'export before every period up to its end is paid; the file name says DRAFT')
    .action(async (period: string, options: GlOptions) => ctx.exit(await gl(ctx, period, options)));
  return command;
}

interface GlOptions {
  format: 'csv';
  out?: string;
  draft?: boolean;
}

async function gl(ctx: CommandContext, period: string, options: GlOptions): Promise<number> {
  return withDatabase({ workspace: ctx.workspace() }, async ({ db }, calendar, workspace) => {
    const { exportGl } = await import('../../jobs/accounting.js');
    const file = await exportGl(db, {
      calendar,
      accounting: workspace.config.accounting,
      period,
      draft: options.draft === true,
      path: (name) => resolve(options.out ?? name),
    });
    const totals = Object.entries(file.totals)
      .map(([currency, t]) => `debits ${t.debit} = credits ${t.credit} ${currency}`)
      .join(', ');
    ctx.out.write(
      `${file.path}: ${file.entries} entr${file.entries === 1 ? 'y' : 'ies'}, ${file.rows} line${file.rows === 1 ? '' : 's'}` +
        `${totals ? `, ${totals}` : ''}${options.draft ? ' (DRAFT)' : ''}; sha256 ${file.sha256}\n`,
    );
    for (const reject of file.rejects)
      ctx.out.write(`  rejected for accounting, expensed: ${printable(reject.dealId)}: ${printable(reject.reason)}\n`);
    return ExitCode.ok;
  });
}

async function payroll(ctx: CommandContext, period: string, options: PayrollOptions): Promise<number> {
  return withDatabase({ workspace: ctx.workspace() }, async ({ db }, calendar, workspace) => {
    const employeeIds = await readEmployeeIds(join(workspace.dir, workspace.config.source.csv.dir));
    const { exportPayroll } = await import('../../jobs/payroll-export.js');
    const file = await exportPayroll(db, {
      ...(employeeIds ? { employeeIds } : {}),
      calendar,
      payroll: workspace.config.payroll,
      period,
      format: options.format,
      draft: options.draft === true,
      by: actor(options.by),
      path: (name) => resolve(options.out ?? name),
    });
    const totals = Object.entries(file.totals)
      .map(([currency, amount]) => `${amount} ${currency}`)
      .join(', ');
    ctx.out.write(
      `${file.path}: ${file.rows} row${file.rows === 1 ? '' : 's'}, ${totals}${options.draft ? ' (DRAFT)' : ''}; sha256 ${file.sha256}\n`,
    );
    return ExitCode.ok;
  });
}
