/**
 * `attain statements PERIOD [--rep ID] [--format pdf|html] --out DIR [--to-crm]`: one statement per
 * rep with payout lines in the period (docs/statements-and-payroll.md says what is on it); with
 * `--to-crm`, each PDF also onto the rep's statement record in the CRM, changed ones only.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
// The statements' HTML and PDF libraries are imported when the command runs (docs/cli.md).
import type { StatementFormat } from '../../jobs/statements.js';
import type { CommandContext } from './command-context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { actor } from './pay-cycle-commands.js';
import { withDatabase } from './workspace-database.js';

interface StatementsOptions {
  by?: string;
  rep?: string;
  format: StatementFormat;
  out?: string;
  toCrm?: boolean;
}

export function statementsCommand(ctx: CommandContext): Command {
  return new Command('statements')
    .description("write each rep's commission statement for a period (PDF or HTML)")
    .argument('<period>', 'a period: 2026-01, 2026-Q1 or 2026 (a quarter holds its months)')
    .option('--rep <id>', "only this rep's statement")
    .addOption(new Option('--format <format>', 'pdf or html').choices(['pdf', 'html']).default('pdf'))
    .option('--out <dir>', 'the folder to write the statements into (created if missing)')
    .option('--to-crm', "also put each PDF on the rep's statement record in the CRM (changed ones only)")
    .option('--by <name>', 'who issues them (default: ATTAIN_USER, else the OS user); recorded in the audit log')
    .action(async (period: string, options: StatementsOptions) => ctx.exit(await statements(ctx, period, options)));
}

async function statements(ctx: CommandContext, period: string, options: StatementsOptions): Promise<number> {
  if (options.out === undefined && !options.toCrm)
    throw new CliError('attain statements: say where they go: --out DIR, --to-crm, or both', ExitCode.usage);
  return withDatabase({ workspace: ctx.workspace() }, async ({ db }, calendar, workspace) => {
    const { buildStatements, writeStatements } = await import('../../jobs/statements.js');
    const built = await buildStatements(db, {
      calendar,
      plans: workspace.plans,
      period,
      ...(options.rep === undefined ? {} : { repId: options.rep }),
    });
    const status = built[0]?.status ?? 'draft';
    const plural = (n: number) => `${n} statement${n === 1 ? '' : 's'}`;
    if (options.out !== undefined) {
      const outDir = resolve(options.out);
      const files = await writeStatements(db, built, { format: options.format, outDir, by: actor(options.by) });
      ctx.out.write(`${plural(files.length)} for ${period} (${status}) written to ${outDir}\n`);
    }
    if (!options.toCrm) return ExitCode.ok;
    const { sendStatementsToCrm } = await import('../../jobs/statements-to-crm.js');
    const sent = await sendStatementsToCrm(db, workspace, built, {
      by: actor(options.by),
      env: process.env,
      // The connector's progress lines (API usage and such) are for a run's log, not this command.
      log: () => undefined,
    });
    ctx.out.write(
      `${plural(sent.sent)} for ${period} sent to ${sent.target}, ${sent.unchanged} unchanged` +
        (sent.failed.length > 0
          ? `, ${sent.failed.length} refused (sent again next time): ${sent.failed
              .slice(0, 3)
              .map((f) => `${f.key}: ${f.error}`)
              .join('; ')}`
          : '') +
        '\n',
    );
    return sent.failed.length > 0 ? ExitCode.failed : ExitCode.ok;
  });
}
