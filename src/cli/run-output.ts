/**
 * What `attain run` shows: on a terminal, a line per step with its counts and time, then a short
 * summary; otherwise JSON lines (pino), one per step, with the run id on each.
 */
import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { RunProgress, RunSummary } from '../../jobs/run.js';
import { money } from './calc-output.js';
import { printable, printableLines } from './printable.js';
import { logMeter, terminalMeter } from './progress-meter.js';

export function terminalProgress(out: Writable, meter = terminalMeter(out)): RunProgress {
  // The steps started and not done, in order: one run beside the next (the store) may end while
  // another shows its "…" line, which is shown again below the finished step's line.
  const running: string[] = [];
  const show = (name: string) => out.write(`  ${name.padEnd(11)} …\r`);
  return {
    step: (name) => {
      running.push(name);
      show(name);
    },
    done: (name, detail, seconds) => {
      meter.clear();
      const index = running.indexOf(name);
      if (index >= 0) running.splice(index, 1);
      out.write(`\r\x1b[2K  ✓ ${name.padEnd(10)} ${detail} (${seconds.toFixed(1)} s)\n`);
      const current = running.at(-1);
      if (current) show(current);
    },
    // Clears the step's "…" (or progress) line first.
    log: (message) => out.write(`\r\x1b[2K    ${printableLines(message)}\n`),
    advance: meter.update,
  };
}

export function jsonProgress(out: Writable, runId: string): RunProgress & { logger: Logger } {
  const logger = pino({ base: { app: 'attain', runId }, timestamp: pino.stdTimeFunctions.isoTime }, out);
  return {
    logger,
    step: (name) => logger.info({ step: name }, `${name} started`),
    done: (name, detail, seconds) =>
      logger.info({ step: name, seconds: Number(seconds.toFixed(3)) }, `${name}: ${detail}`),
    log: (message) => logger.info(message),
    advance: logMeter(logger).update,
  };
}

export function writeRunSummary(out: Writable, summary: RunSummary): void {
  const lines = [
    '',
    `Run ${summary.runId} succeeded${summary.asOf ? `, calculated through ${summary.asOf}` : ''}.`,
    `  ${summary.reps} reps, ${summary.deals} deals, ${summary.lines} payout lines written` +
      (summary.lockedPeriods.length ? ` (locked, left as paid: ${summary.lockedPeriods.join(', ')})` : ''),
    ...payoutTotals(summary),
    ...voidedApprovals(summary),
    summary.rejects === 0 || !summary.rejectSample[0]
      ? '  rejects: none'
      : `  rejects: ${summary.rejects} record${summary.rejects === 1 ? '' : 's'} not used, e.g. ${printable(`${summary.rejectSample[0].source} ${summary.rejectSample[0].recordId}: ${summary.rejectSample[0].reason}`)}`,
    ...(summary.writeback
      ? [
          `  written back to the CRM: ${summary.writeback.sent} records sent, ${summary.writeback.unchanged} unchanged, ${summary.writeback.removed} removed`,
        ]
      : []),
    ...(summary.syncStoppedEarly
      ? [`  sync stopped early: ${summary.syncStoppedEarly} (the next run resumes where this one stopped)`]
      : []),
    `  results: ${summary.database}`,
    '    tables payout_lines (with traces), attainment, rejects, runs; views payouts_by_rep_period, attainment_by_rep_period, leaderboard',
    '',
  ];
  out.write(lines.join('\n'));
}

/**
 * Totals per plan, then per period: a monthly plan's months and a quarterly plan's quarters each
 * add up to their plan's total, where one column of every period would not.
 */
function payoutTotals(summary: RunSummary): string[] {
  if (!summary.planTotals)
    return [
      '  payouts per period:',
      ...summary.totals.map((t) => `    ${t.period.padEnd(8)} ${money(t.amount).padStart(16)} ${t.currency}`),
    ];
  const lines = ['  payouts per plan and period:'];
  let plan: string | undefined;
  for (const t of summary.planTotals) {
    if (t.planId !== plan) lines.push(`    ${(plan = t.planId)}`);
    lines.push(`      ${t.period.padEnd(8)} ${money(t.amount).padStart(16)} ${t.currency}`);
  }
  return lines;
}

function voidedApprovals(summary: RunSummary): string[] {
  return (summary.approvalsVoided ?? []).flatMap((v) => [
    `  approval of ${v.period}${v.planId ? ` ${v.planId}` : ''} (by ${v.approvedBy}) is void: this run changed ${v.changes.length} approved line${v.changes.length === 1 ? '' : 's'}`,
    ...v.changes.slice(0, 5).map((c) => `    ${c.key}: ${c.approved ?? '(none)'} → ${c.now ?? '(gone)'}`),
    ...(v.changes.length > 5 ? [`    … and ${v.changes.length - 5} more (attain periods)`] : []),
  ]);
}
