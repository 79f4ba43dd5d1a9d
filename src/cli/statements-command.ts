/**
 * `attain statements PERIOD [--rep ID] [--format pdf|html] --out DIR`: one statement per rep with
 * payout lines in the period (docs/statements-and-payroll.md says what is on it).
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { buildStatements, writeStatements, type StatementFormat } from '../../jobs/statements.js';
import type { CommandContext } from './command-context.js';
import { ExitCode } from './exit-codes.js';
import { actor } from './pay-cycle-commands.js';
import { withDatabase } from './workspace-database.js';

interface StatementsOptions {
  by?: string;
  rep?: string;
  format: StatementFormat;
  out: string;
}

export function statementsCommand(ctx: CommandContext): Command {
  return new Command('statements')
    .description("write each rep's commission statement for a period (PDF or HTML)")
    .argument('<period>', 'a period: 2026-01, 2026-Q1 or 2026 (a quarter holds its months)')
    .option('--rep <id>', "only this rep's statement")
    .addOption(new Option('--format <format>', 'pdf or html').choices(['pdf', 'html']).default('pdf'))
    .requiredOption('--out <dir>', 'the folder to write the statements into (created if missing)')
    .option('--by <name>', 'who issues them (default: ATTAIN_USER, else the OS user); recorded in the audit log')
    .action(async (period: string, options: StatementsOptions) => ctx.exit(await statements(ctx, period, options)));
}

async function statements(ctx: CommandContext, period: string, options: StatementsOptions): Promise<number> {
  return withDatabase({ workspace: ctx.workspace() }, async ({ db }, calendar, workspace) => {
    const built = await buildStatements(db, {
      calendar,
      plans: workspace.plans,
      period,
      ...(options.rep === undefined ? {} : { repId: options.rep }),
    });
    const outDir = resolve(options.out);
    const files = await writeStatements(db, built, { format: options.format, outDir, by: actor(options.by) });
    const status = built[0]?.status ?? 'draft';
    ctx.out.write(
      `${files.length} statement${files.length === 1 ? '' : 's'} for ${period} (${status}) written to ${outDir}\n`,
    );
    return ExitCode.ok;
  });
}
