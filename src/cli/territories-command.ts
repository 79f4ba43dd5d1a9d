/**
 * `attain territories [--as-of DATE] [--json]` (docs/cli.md#attain-territories): each territory
 * with its accounts, open pipeline, trailing-twelve-month bookings, reps and balance; accounts no
 * territory takes; accounts whose CRM owner does not hold their territory.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadWorkspace } from '../../config/workspace.js';
import { sourceOf } from '../../connectors/registry.js';
import { territoriesAsOf } from '../../jobs/territories.js';
import type { TerritoryReport } from '../domain/territories.js';
import { money } from '../domain/trace-words.js';
import type { CommandContext } from './command-context.js';
import { checkAsOf, ExitCode } from './exit-codes.js';
import { printable } from './printable.js';
import { withDatabase } from './workspace-database.js';

export function territoriesCommand(ctx: CommandContext): Command {
  return new Command('territories')
    .description('the territory map: accounts, pipeline, bookings, reps and balance per territory')
    .option('--as-of <date>', 'the day reps are looked up on and bookings end, YYYY-MM-DD (default: today)')
    .option('--json', 'print the map as JSON')
    .action(async (options: { asOf?: string; json?: boolean }) => {
      checkAsOf(options.asOf);
      const workspace = await loadWorkspace(resolve(ctx.workspace()));
      const asOf = options.asOf === undefined ? {} : { asOf: options.asOf };
      const report = sourceOf(workspace.config).connect
        ? await withDatabase(workspace, ({ db }) => territoriesAsOf({ workspace, db, ...asOf }))
        : await territoriesAsOf({ workspace, ...asOf });
      ctx.out.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      ctx.exit(ExitCode.ok);
    });
}

/** The report as aligned tables, for a terminal. */
export function formatReport(report: TerritoryReport): string {
  const lines: string[] = [
    `Territories as of ${report.asOf} (amounts in ${report.baseCurrency}; balance 1.00 = the mean of open pipeline + T12M bookings)`,
    '',
  ];
  const header = ['territory', 'parent', 'accounts', 'open pipeline', 'T12M bookings', 'balance', 'reps'];
  const rows = report.territories.map((t) => [
    t.id,
    t.parent ?? '',
    String(t.accounts),
    money(t.openPipeline),
    money(t.bookingsT12M),
    t.balance ?? '-',
    t.reps.map((r) => `${r.repId} (${r.role} ${r.percent} %)`).join(', ') || '(none)',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 5]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  lines.push(line(header), ...rows.map(line), '');
  lines.push(
    report.unassigned.length === 0
      ? 'Every account is in a territory.'
      : `${report.unassigned.length} account${report.unassigned.length === 1 ? '' : 's'} in no territory: ${report.unassigned.join(', ')}`,
  );
  if (report.ownerMismatches.length === 0) lines.push('Every account owner holds their account’s territory.');
  else {
    lines.push(
      `${report.ownerMismatches.length} account owner${report.ownerMismatches.length === 1 ? ' does' : 's do'} not hold the account’s territory:`,
    );
    for (const m of report.ownerMismatches) {
      lines.push(
        `  ${m.accountId}: owner ${m.ownerId}, territory ${m.territoryId} held by ${m.territoryReps.join(', ') || 'no one'}`,
      );
    }
  }
  return `${lines.map((l) => printable(l)).join('\n')}\n`;
}
