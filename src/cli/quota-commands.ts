/**
 * `attain quotas plan|check` and `attain capacity` (docs/quota-planning.md): parse the options,
 * call the planning use case, print the summary (or JSON).
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { loadWorkspace } from '../../config/workspace.js';
import { sourceOf } from '../../connectors/registry.js';
import { prepareCalculation, runDate, type PreparedCalculation } from '../../jobs/prepare-calculation.js';
import {
  capacityPlan,
  checkQuotaFile,
  planQuotaFile,
  type PlanningFlags,
  type QuotaPlanFlags,
} from '../../jobs/quota-plan.js';
import { formatDecimal, type Decimal } from '../domain/decimal.js';
import type { Capacity, QuotaSummary } from '../domain/quota-planning.js';
import { money, table } from './calc-output.js';
import type { CommandContext } from './command-context.js';
import { ExitCode } from './exit-codes.js';
import { printable } from './printable.js';
import { withDatabase } from './workspace-database.js';

const RAMP_HELP = 'share of a full quota by month since hire, e.g. 0,0.25,0.5,0.75,1 (default: no ramp)';
const PERIODS_HELP = "month, quarter or year (default: the plans' quotaPeriod)";

export function quotasCommand(ctx: CommandContext): Command {
  const command = new Command('quotas').description('plan and check quotas (docs/quota-planning.md)');
  command
    .command('plan')
    .description("spread a company target over the manager tree into next year's quotas.csv")
    .requiredOption('--year <year>', 'the fiscal year planned, e.g. 2027')
    .requiredOption('--target <amount>', 'the company target in base currency, e.g. 12000000')
    .option('--method <method>', "history (last year's bookings), equal or potential", 'history')
    .option('--overassign <factor>', 'each split among reports totals the quota × this, e.g. 1.10')
    .option('--ramp <list>', RAMP_HELP)
    .option('--seasonality <shape>', "history (last year's monthly bookings) or flat", 'history')
    .option('--periods <kind>', PERIODS_HELP)
    .requiredOption('--out <file>', 'the quotas file to write, e.g. planning/quotas-2027.csv')
    .option('--json', 'print the summary as JSON')
    .action(async (options: QuotaPlanFlags & { out: string; json?: boolean }) => {
      const prepared = await prepare(ctx.workspace());
      const outcome = await planQuotaFile(prepared, options, options.out);
      if (options.json) writeJson(ctx.out, { file: options.out, rows: outcome.rows, ...summaryJson(outcome.summary) });
      else {
        ctx.out.write(
          `${options.out}: ${outcome.rows} quota rows for ${outcome.plan.year} (${outcome.plan.periods.length} periods), ` +
            `method ${outcome.plan.method}, seasonality ${outcome.plan.seasonality}, over-assigned ×${formatDecimal(outcome.plan.overassign)}, ` +
            `ramp ${outcome.plan.ramp.map((r) => formatDecimal(r)).join(',')}\n`,
        );
        writeSummary(ctx.out, outcome.summary, outcome.currency, outcome.digits);
      }
      ctx.exit(ExitCode.ok);
    });
  command
    .command('check')
    .description('compare a quotas file with a target and the ramped capacity')
    .requiredOption('--year <year>', 'the fiscal year, e.g. 2027')
    .option('--target <amount>', 'the company target in base currency')
    .option('--file <file>', "the quotas file (default: the workspace's quotas.csv)")
    .option('--ramp <list>', RAMP_HELP)
    .option('--periods <kind>', PERIODS_HELP)
    .option('--json', 'print the summary and findings as JSON')
    .action(async (options: PlanningFlags & { target?: string; file?: string; json?: boolean }) => {
      const prepared = await prepare(ctx.workspace());
      const outcome = await checkQuotaFile(prepared, options);
      const ok =
        outcome.findings.length === 0 &&
        outcome.rejects.length === 0 &&
        (outcome.summary.coverage === undefined || outcome.summary.coverage >= 10n ** 10n);
      if (options.json) {
        writeJson(ctx.out, {
          file: options.file ?? outcome.file,
          ok,
          ...summaryJson(outcome.summary),
          findings: outcome.findings,
          rejects: outcome.rejects,
        });
      } else {
        ctx.out.write(`${options.file ?? outcome.file}: quotas for ${outcome.summary.year}\n`);
        writeSummary(ctx.out, outcome.summary, outcome.currency, outcome.digits);
        for (const r of outcome.rejects) ctx.out.write(printable(`  ${r.source}  ${r.recordId}: ${r.reason}`) + '\n');
        for (const f of outcome.findings) ctx.out.write(printable(`  ${f.repId}: ${f.reason}`) + '\n');
        ctx.out.write(
          ok
            ? 'No findings.\n'
            : `${outcome.findings.length + outcome.rejects.length} finding(s)` +
                (outcome.summary.coverage !== undefined && outcome.summary.coverage < 10n ** 10n
                  ? '; the quotas do not cover the target'
                  : '') +
                '\n',
        );
      }
      ctx.exit(ok ? ExitCode.ok : ExitCode.failed);
    });
  return command;
}

export function capacityCommand(ctx: CommandContext): Command {
  return new Command('capacity')
    .description('what the ramped headcount can book in a year, against a target, and the hires to close the gap')
    .requiredOption('--year <year>', 'the fiscal year, e.g. 2027')
    .requiredOption('--productivity <amount>', 'bookings of one fully ramped rep in a year, in base currency')
    .option('--target <amount>', 'the company target in base currency')
    .option('--ramp <list>', RAMP_HELP)
    .option('--hires-start <date>', 'when the hires to close the gap start (default: the first day of the year)')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        options: PlanningFlags & { productivity: string; target?: string; hiresStart?: string; json?: boolean },
      ) => {
        const prepared = await prepare(ctx.workspace());
        const today = runDate(prepared.workspace.config.calendar.tz);
        const capacity = await capacityPlan(prepared, { ...options, today });
        if (options.json) writeJson(ctx.out, capacityJson(capacity));
        else writeCapacity(ctx.out, capacity, today);
        ctx.exit(ExitCode.ok);
      },
    );
}

/** The workspace's data as a calculation reads it: the CSV files, or a CRM's synced records in the database. */
async function prepare(workspaceDir: string): Promise<PreparedCalculation> {
  const dir = resolve(workspaceDir);
  const workspace = await loadWorkspace(dir);
  if (!sourceOf(workspace.config).connect) return prepareCalculation(dir, { workspace });
  return withDatabase(workspace, ({ db }) => prepareCalculation(dir, { workspace, db }));
}

function writeSummary(out: Writable, summary: QuotaSummary, currency: string, digits: number): void {
  const m = (d: Decimal) => money(d, digits);
  out.write(
    (summary.target === undefined ? '' : `Target            ${m(summary.target)} ${currency}\n`) +
      `Sum of quotas     ${m(summary.carriersTotal)} ${currency} (${summary.carriers} reps carrying a quota)\n` +
      (summary.coverage === undefined
        ? ''
        : `Coverage          ${formatDecimal(summary.coverage * 100n, 1)} % of target\n`) +
      `Ramped headcount  ${formatDecimal(summary.rampedHeadcount, 2)} full-quota rep-years\n`,
  );
  out.write('\nBy period\n');
  out.write(
    table(
      ['period', 'quotas'],
      summary.byPeriod.map((p) => [p.period, m(p.amount)]),
      1,
    ),
  );
  if (summary.teams.length > 0) {
    out.write('\nBy team\n');
    out.write(
      table(
        ['manager', 'quota', 'reports total', 'reps', 'ramped'],
        summary.teams.map((t) => [
          printable(`${t.name} (${t.managerId})`),
          m(t.quota),
          m(t.reportsTotal),
          String(t.carriers),
          formatDecimal(t.rampedHeadcount, 2),
        ]),
        1,
      ),
    );
  }
}

function writeCapacity(out: Writable, c: Capacity & { currency: string; digits: number }, today: string): void {
  const m = (d: Decimal) => `${money(d, c.digits)} ${c.currency}`;
  const group = (name: string, g: Capacity['current']) =>
    `${name}${String(g.headcount).padStart(4)} reps, ${formatDecimal(g.rampedHeadcount, 2)} ramped → ${m(g.bookings)}\n`;
  out.write(
    `Capacity ${c.year} at ${m(c.productivity)} per fully ramped rep-year\n` +
      group(`  on board by ${today} `, c.current) +
      group(`  hired after ${today}  `, c.planned) +
      `  can book            ${m(c.bookings)}\n`,
  );
  if (c.target !== undefined && c.gap !== undefined) {
    out.write(`  target              ${m(c.target)}\n`);
    if (c.gap <= 0n) out.write(`  covered, with ${m(-c.gap)} to spare\n`);
    else {
      out.write(
        `  gap                 ${m(c.gap)}\n` +
          `  one hire from ${c.perHire.start} carries ${formatDecimal(c.perHire.rampedHeadcount, 2)} ramped → ${m(c.perHire.bookings)}\n` +
          (c.hiresNeeded === undefined
            ? `  a hire from ${c.perHire.start} books nothing in ${c.year}: start hires earlier (--hires-start)\n`
            : `  hires needed        ${c.hiresNeeded}\n`),
      );
    }
  }
}

/** Decimals as exact strings (`1234.5`), for --json. */
function decimals(value: unknown): unknown {
  if (typeof value === 'bigint') return formatDecimal(value);
  if (Array.isArray(value)) return value.map(decimals);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decimals(v)]));
  }
  return value;
}

function summaryJson(summary: QuotaSummary): Record<string, unknown> {
  return decimals(summary) as Record<string, unknown>;
}

function capacityJson(c: Capacity & { currency: string }): unknown {
  return decimals(c);
}

function writeJson(out: Writable, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
