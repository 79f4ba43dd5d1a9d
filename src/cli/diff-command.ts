/**
 * `attain diff [--base REF|DIR] [--head REF|DIR] [--period FROM..TO] [--json | --markdown]`
 * (docs/cli.md#attain-diff): what a plan change costs and whom it moves. Prints the comparison as
 * tables, as JSON, or as a pull-request comment in Markdown.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { planDiff, type PlanDiffOutcome } from '../../jobs/plan-diff.js';
import { BANDS, type Band, type Crossing, type PlanDiff } from '../domain/plan-diff.js';
import { money } from './calc-output.js';
import type { CommandContext } from './command-context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { printable } from './printable.js';

interface DiffOptions {
  base?: string;
  head?: string;
  period?: string;
  json?: boolean;
  markdown?: boolean;
}

/** Reps listed in the tables and the comment (JSON lists them all). */
export const REPS_SHOWN = 20;
/** Crossings listed in the tables and the comment. */
export const CROSSINGS_SHOWN = 30;
/** The first line of the Markdown comment: a CI job finds its earlier comment by it and edits it. */
export const MARKDOWN_MARKER = '<!-- attain-diff -->';

export function diffCommand(context: CommandContext): Command {
  return new Command('diff')
    .description('what a plan change costs: recalculate under two versions of plans/ and compare')
    .option('--base <ref|dir>', 'a git revision or a plans folder (default: HEAD)')
    .option('--head <ref|dir>', 'a git revision or a plans folder (default: the working tree)')
    .option('--period <from..to>', 'only payout periods inside FROM..TO, e.g. 2026-01..2026-06 or 2026-Q3')
    .option('--json', 'print the comparison as JSON (every rep)')
    .option('--markdown', 'print the comparison as a pull-request comment')
    .action(async (options: DiffOptions) => {
      if (options.json && options.markdown) throw new CliError('--json and --markdown: choose one', ExitCode.usage);
      const outcome = await planDiff(resolve(context.workspace()), {
        ...(options.base === undefined ? {} : { base: options.base }),
        ...(options.head === undefined ? {} : { head: options.head }),
        ...(options.period === undefined ? {} : { period: options.period }),
      });
      if (options.json) context.out.write(`${JSON.stringify(outcome.diff, null, 2)}\n`);
      else if (options.markdown) context.out.write(markdown(outcome, options.period));
      else writeText(context.out, outcome, options.period);
      context.exit(ExitCode.ok);
    });
}

/** `+1,250.00`, `-80.00`, `0.00`. */
function signed(amount: string): string {
  return amount.startsWith('-') || /^0(\.0*)?$/.test(amount) ? money(amount) : `+${money(amount)}`;
}

function percentChange(base: string, delta: string): string {
  const b = Number(base);
  if (b === 0) return Number(delta) === 0 ? '' : ' (new cost)';
  const percent = (Number(delta) / b) * 100;
  return ` (${percent >= 0 ? '+' : ''}${percent.toFixed(1)} %)`;
}

const BAND_LABELS: Record<Band, string> = {
  '0-50': '0–50 %',
  '50-75': '50–75 %',
  '75-100': '75–100 %',
  '100-125': '100–125 %',
  '125+': '≥ 125 %',
};

function crossingText(c: Crossing): string {
  const was = (on: boolean) =>
    c.kind === 'gate'
      ? on
        ? 'gate met'
        : 'below the gate'
      : c.kind === 'bonus'
        ? on
          ? 'bonus reached'
          : 'bonus not reached'
        : on
          ? 'capped'
          : 'under the cap';
  return `${was(c.base)} → ${was(c.head)}`;
}

function scope(outcome: PlanDiffOutcome, period: string | undefined): string {
  return (
    `inputs: ${outcome.inputs}` +
    (outcome.asOf ? `, calculated through ${outcome.asOf}` : '') +
    (period ? `; payout periods ${period}` : '')
  );
}

function writeText(out: Writable, outcome: PlanDiffOutcome, period: string | undefined): void {
  const d = outcome.diff;
  const lines: string[] = [];
  lines.push(printable(`attain diff · ${d.base.ref} → ${d.head.ref} · ${scope(outcome, period)}`));
  lines.push('');
  lines.push(
    `Total: ${money(d.base.total)} → ${money(d.head.total)} ${d.currency}, ${signed(d.delta)}${percentChange(d.base.total, d.delta)}`,
  );
  lines.push('', 'By plan');
  lines.push(
    ...table(
      ['plan', 'base', 'head', 'change'],
      d.byPlan.map((p) => [printable(p.planId), money(p.base), money(p.head), signed(p.delta)]),
    ),
  );
  lines.push('', 'By payout period');
  lines.push(
    ...table(
      ['period', 'base', 'head', 'change'],
      d.byPeriod.map((p) => [p.period, money(p.base), money(p.head), signed(p.delta)]),
    ),
  );
  const changedReps = d.byRep.filter((r) => r.base !== r.head);
  lines.push('', `By rep: ${changedReps.length} of ${d.byRep.length} change (largest first; --json lists every rep)`);
  if (changedReps.length > 0)
    lines.push(
      ...table(
        ['rep', 'plan', 'base', 'head', 'change'],
        changedReps
          .slice(0, REPS_SHOWN)
          .map((r) => [printable(r.repId), printable(r.planId), money(r.base), money(r.head), signed(r.delta)]),
      ),
    );
  if (changedReps.length > REPS_SHOWN) lines.push(`  … and ${changedReps.length - REPS_SHOWN} more`);
  lines.push('', 'Attainment (rep quota periods per band)');
  lines.push(
    ...table(
      ['band', 'base', 'head'],
      BANDS.map((b) => [BAND_LABELS[b], String(d.bands[b].base), String(d.bands[b].head)]),
    ),
  );
  lines.push('', `Crossing a gate, bonus threshold or cap: ${d.crossings.length === 0 ? 'none' : d.crossings.length}`);
  if (d.crossings.length > 0)
    lines.push(
      ...table(
        ['rep', 'plan', 'quota period', 'component', 'change'],
        d.crossings
          .slice(0, CROSSINGS_SHOWN)
          .map((c) => [printable(c.repId), printable(c.planId), c.period, printable(c.component), crossingText(c)]),
      ),
    );
  if (d.crossings.length > CROSSINGS_SHOWN) lines.push(`  … and ${d.crossings.length - CROSSINGS_SHOWN} more`);
  out.write(`${lines.join('\n')}\n`);
}

/** Left-aligns text columns (the non-numeric ones) and right-aligns amounts. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h) => h.length);
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, cell.length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[+-]?[\d,]+(\.\d+)?$/.test(r[i]!)));
  const render = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

/** A Markdown table cell: no line breaks, pipes escaped, no HTML. */
function cell(text: string): string {
  return printable(text)
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'");
}

function mdTable(header: string[], rows: string[][], right: number[]): string {
  const align = header.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The pull-request comment. */
export function markdown(outcome: PlanDiffOutcome, period: string | undefined): string {
  const d: PlanDiff = outcome.diff;
  const parts: string[] = [MARKDOWN_MARKER];
  parts.push(`### Plan change: ${signed(d.delta)} ${d.currency}${percentChange(d.base.total, d.delta)}`);
  parts.push(`\`attain diff\` of \`${cell(d.base.ref)}\` → \`${cell(d.head.ref)}\` · ${cell(scope(outcome, period))}`);
  parts.push(
    mdTable(
      ['', `base (${cell(d.base.ref)})`, `head (${cell(d.head.ref)})`, 'change'],
      [['**Total**', money(d.base.total), money(d.head.total), `**${signed(d.delta)}**`]].concat(
        d.byPlan.map((p) => [`plan \`${cell(p.planId)}\``, money(p.base), money(p.head), signed(p.delta)]),
      ),
      [1, 2, 3],
    ),
  );
  const changedReps = d.byRep.filter((r) => r.base !== r.head);
  parts.push(
    `**Reps whose pay changes: ${changedReps.length}** of ${d.byRep.length}` +
      (changedReps.length > REPS_SHOWN ? ` (the ${REPS_SHOWN} largest changes; \`attain diff --json\` lists all)` : ''),
  );
  if (changedReps.length > 0)
    parts.push(
      mdTable(
        ['rep', 'plan', 'base', 'head', 'change'],
        changedReps
          .slice(0, REPS_SHOWN)
          .map((r) => [cell(r.repId), cell(r.planId), money(r.base), money(r.head), signed(r.delta)]),
        [2, 3, 4],
      ),
    );
  parts.push(
    `**Crossing a gate, bonus threshold or cap: ${d.crossings.length === 0 ? 'none' : d.crossings.length}**` +
      (d.crossings.length > CROSSINGS_SHOWN ? ` (the first ${CROSSINGS_SHOWN})` : ''),
  );
  if (d.crossings.length > 0)
    parts.push(
      mdTable(
        ['rep', 'plan', 'quota period', 'component', 'change'],
        d.crossings
          .slice(0, CROSSINGS_SHOWN)
          .map((c) => [cell(c.repId), cell(c.planId), c.period, cell(c.component), crossingText(c)]),
        [],
      ),
    );
  parts.push(
    '<details><summary>Attainment distribution and cost by payout period</summary>\n\n' +
      mdTable(
        ['attainment band', 'base', 'head'],
        BANDS.map((b) => [BAND_LABELS[b], String(d.bands[b].base), String(d.bands[b].head)]),
        [1, 2],
      ) +
      '\n\n' +
      mdTable(
        ['payout period', 'base', 'head', 'change'],
        d.byPeriod.map((p) => [p.period, money(p.base), money(p.head), signed(p.delta)]),
        [1, 2, 3],
      ) +
      '\n\n</details>',
  );
  return `${parts.join('\n\n')}\n`;
}
