/**
 * `attain plan doc|ack|acks|import-acks` (docs/plan-documents.md): a plan as the document a rep
 * reads, and reps' acknowledgements of its exact version. Each parses its arguments, calls a use
 * case in jobs/ and prints; bad input exits 2 with the reason, and nothing is written.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadWorkspace } from '../../config/workspace.js';
import { acknowledgePlan, importAcknowledgements, missingAcknowledgements } from '../../jobs/plan-acknowledgements.js';
import {
  DEFAULT_EXAMPLE_QUOTA,
  buildPlanDocument,
  writePlanDocument,
  type PlanDocumentFormat,
} from '../../jobs/plan-document.js';
import { runDate } from '../../jobs/prepare-calculation.js';
import type { CommandContext } from './command-context.js';
import { ExitCode } from './exit-codes.js';
import { actor } from './pay-cycle-commands.js';
import { printable } from './printable.js';
import { withDatabase } from './workspace-database.js';

const BY = [
  '--by <name>',
  'who records it (default: ATTAIN_USER, else the OS user); recorded in the audit log',
] as const;

export function planCommand(ctx: CommandContext): Command {
  const command = new Command('plan').description("a plan's document, and reps' acknowledgements of its version");
  const workspace = () => loadWorkspace(resolve(ctx.workspace()));
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      ctx.exit(await fn(...args));

  command
    .command('doc')
    .description('write the plan in plain language, its payout curve and worked examples computed by the engine')
    .argument('<plan-id>', 'the plan, e.g. ae-2026')
    .addOption(new Option('--format <format>', 'pdf or html').choices(['pdf', 'html']).default('pdf'))
    .requiredOption('--out <file>', 'the file to write')
    .option('--period <period>', "the quota period of the examples (default: today's)")
    .option('--quota <amount>', "the example rep's quota, in plan currency", DEFAULT_EXAMPLE_QUOTA)
    .action(
      act(
        async (
          planId: string,
          options: { format: PlanDocumentFormat; out: string; period?: string; quota: string },
        ) => {
          const ws = await workspace();
          const document = await buildPlanDocument(ws, {
            planId,
            today: runDate(ws.config.calendar.tz),
            quota: options.quota,
            ...(options.period === undefined ? {} : { period: options.period }),
          });
          const written = await writePlanDocument(document, options.format, resolve(options.out));
          ctx.out.write(
            `${written.path}: plan ${document.planId}, version ${document.hash} (${written.bytes} bytes)\n`,
          );
          return ExitCode.ok;
        },
      ),
    );

  command
    .command('ack')
    .description('record that a rep accepted this exact version of the plan')
    .argument('<plan-id>', 'the plan')
    .requiredOption('--rep <id>', 'the rep who accepted it')
    .requiredOption('--hash <hash>', "the version the rep accepted, as printed on the plan's document")
    .option(...BY)
    .action(
      act(async (planId: string, options: { rep: string; hash: string; by?: string }) =>
        withDatabase({ workspace: ctx.workspace() }, async ({ db }, _calendar, ws) => {
          const outcome = await acknowledgePlan(db, ws, {
            planId,
            repId: options.rep,
            hash: options.hash,
            by: actor(options.by),
            today: runDate(ws.config.calendar.tz),
          });
          ctx.out.write(
            printable(
              outcome.recorded
                ? `${outcome.repId} acknowledged plan ${outcome.planId} version ${outcome.hash}`
                : `${outcome.repId} had already acknowledged plan ${outcome.planId} version ${outcome.hash}: nothing recorded`,
            ) + '\n',
          );
          if (outcome.unassigned)
            ctx.out.write(
              printable(`  note: ${outcome.repId} has no assignment to ${outcome.planId} in assignments.csv`) + '\n',
            );
          return ExitCode.ok;
        }),
      ),
    );

  command
    .command('acks')
    .description('list the reps whose assigned plan version is not acknowledged')
    .option('--plan <id>', 'only this plan')
    .option('--json', 'print the list as JSON')
    .action(
      act(async (options: { plan?: string; json?: boolean }) =>
        withDatabase({ workspace: ctx.workspace() }, async ({ db }, _calendar, ws) => {
          const today = runDate(ws.config.calendar.tz);
          const { missing, rejects } = await missingAcknowledgements(db, ws, {
            today,
            ...(options.plan === undefined ? {} : { planId: options.plan }),
          });
          if (options.json) {
            ctx.out.write(`${JSON.stringify({ today, missing }, null, 2)}\n`);
            return ExitCode.ok;
          }
          if (missing.length === 0) ctx.out.write('every assigned rep has acknowledged their plan version\n');
          else {
            ctx.out.write(
              `${missing.length} assignment${missing.length === 1 ? '' : 's'} without an acknowledgement of the current version:\n`,
            );
            const rows = [
              ['rep', 'plan', 'assigned', 'version', 'last acknowledged'],
              ...missing.map((m) => [
                m.repId,
                m.planId,
                `${m.from}..${m.to ?? ''}`,
                m.hash,
                m.lastAcknowledged ? `${m.lastAcknowledged.hash} on ${m.lastAcknowledged.date}` : '-',
              ]),
            ];
            const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
            for (const row of rows)
              ctx.out.write(
                printable(
                  row
                    .map((cell, i) => cell.padEnd(widths[i]!))
                    .join('  ')
                    .trimEnd(),
                ) + '\n',
              );
          }
          for (const r of rejects) ctx.out.write(printable(`  ${r.source}  ${r.recordId}: ${r.reason}`) + '\n');
          return ExitCode.ok;
        }),
      ),
    );

  command
    .command('import-acks')
    .description('import acknowledgements from data/acknowledgements.csv (repId, planId, planHash, date)')
    .argument('[file]', 'another CSV file with the same columns')
    .option(...BY)
    .action(
      act(async (file: string | undefined, options: { by?: string }) =>
        withDatabase({ workspace: ctx.workspace() }, async ({ db }, _calendar, ws) => {
          const outcome = await importAcknowledgements(db, ws, {
            by: actor(options.by),
            ...(file === undefined ? {} : { file: resolve(file) }),
          });
          ctx.out.write(
            `${outcome.file}: ${outcome.rows} row${outcome.rows === 1 ? '' : 's'}, ${outcome.recorded} new acknowledgement${outcome.recorded === 1 ? '' : 's'} recorded\n`,
          );
          return ExitCode.ok;
        }),
      ),
    );
  return command;
}
