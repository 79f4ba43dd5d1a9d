/**
 * `attain amortization [--as-of DATE] [--json]`: each contract's capitalised commission, what is
 * amortised to date and what remains (docs/accounting.md).
 */
import { Command } from 'commander';
import type { AmortizationReport } from '../../jobs/accounting.js';
import { runDate } from '../../jobs/prepare-calculation.js';
import type { CommandContext } from './command-context.js';
import { ExitCode } from './exit-codes.js';
import { printable } from './printable.js';
import { withDatabase } from './workspace-database.js';

export function amortizationCommand(ctx: CommandContext): Command {
  return new Command('amortization')
    .description('capitalised commissions per deal and rep: capitalised, amortised to date, remaining')
    .option('--as-of <date>', 'count through the month of this date (default: today)')
    .option('--json', 'print the contracts, their schedules and the rejects as JSON')
    .action(async (options: { asOf?: string; json?: boolean }) =>
      ctx.exit(
        await withDatabase({ workspace: ctx.workspace() }, async ({ db }, calendar, workspace) => {
          const { amortizationReport } = await import('../../jobs/accounting.js');
          const report = await amortizationReport(db, {
            calendar,
            accounting: workspace.config.accounting,
            asOf: options.asOf ?? runDate(workspace.config.calendar.tz),
          });
          ctx.out.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : text(report));
          return ExitCode.ok;
        }),
      ),
    );
}

function text(report: AmortizationReport): string {
  const out: string[] = [`Capitalised commissions through ${report.through} (as of ${report.asOf})`, ''];
  const header = ['rep', 'deal', 'term', 'start', 'capitalised', 'amortised', 'remaining', ''];
  const rows = report.contracts.map((c) => [
    printable(c.repId),
    printable(c.dealId),
    String(c.termMonths),
    c.start,
    c.capitalized,
    c.amortized,
    c.remaining,
    `${c.currency}${c.clawedBack ? `  clawed back ${c.clawedBack}, ${c.reversed} reversed` : ''}`,
  ]);
  if (rows.length === 0) out.push('no capitalised commissions');
  else {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const right = new Set([2, 4, 5, 6]);
    for (const row of [header, ...rows])
      out.push(
        row
          .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      );
  }
  out.push('');
  for (const t of report.totals)
    out.push(
      `total ${t.currency}: capitalised ${t.capitalized}, amortised ${t.amortized}, reversed by clawbacks ${t.reversed}, remaining ${t.remaining}`,
    );
  if (report.expensed.length > 0) {
    out.push('', 'expensed when incurred:');
    for (const e of report.expensed) out.push(`  ${e.amount} ${e.currency}  ${e.reason}`);
  }
  if (report.rejects.length > 0) {
    out.push('', `rejected for accounting (${report.rejects.length}; their commission is expensed):`);
    for (const r of report.rejects)
      out.push(`  ${printable(r.dealId)} ${printable(r.dealName)}: ${printable(r.reason)}`);
  }
  return `${out.join('\n')}\n`;
}
