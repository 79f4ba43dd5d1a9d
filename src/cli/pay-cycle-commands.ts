/**
 * Closing a month: `attain periods`, `approve`, `lock`, `unlock`, `disputes open|list|resolve`
 * and `audit`. Each parses its arguments, calls a use case in jobs/pay-cycle.ts and prints; bad
 * input exits 2 with the reason, and nothing is written. Who acted: `--by`, else `ATTAIN_USER`,
 * else the operating system's user.
 */
import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import {
  approvePeriod,
  listPeriodStates,
  lockApprovedPeriod,
  openLineDispute,
  resolveLineDispute,
  unlockRecorded,
  type PeriodRow,
} from '../../jobs/pay-cycle.js';
import type { Kysely } from 'kysely';
import {
  disputeEvents,
  listApprovals,
  listAuditEvents,
  listDisputes,
  type Database,
  type Dispute,
} from '../db/index.js';
import { isIsoDate } from '../domain/model.js';
import { money } from './calc-output.js';
import type { CommandContext } from './command-context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { withDatabase } from './workspace-database.js';

/** Who is acting: `--by`, else ATTAIN_USER, else the OS user. */
export function actor(by: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = by ?? env['ATTAIN_USER'] ?? safeUserName();
  if (!name || name.trim() === '')
    throw new CliError('who is acting? give --by NAME or set ATTAIN_USER', ExitCode.usage);
  return name.trim();
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

const BY = ['--by <name>', 'who does it (default: ATTAIN_USER, else the OS user); recorded in the audit log'] as const;

export function addPayCycleCommands(program: Command, context: CommandContext): void {
  const global = () => ({ workspace: context.workspace() });
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      context.exit(await fn(...args));

  program
    .command('periods')
    .description('each payout period per plan: open, approved, paid (locked) or exported, with who and when')
    .option('--plan <id>', 'only this plan')
    .option('--json', 'print the periods as JSON')
    .action(
      act(async (options: { plan?: string; json?: boolean }) =>
        withDatabase(global(), async ({ db }, calendar) => {
          const rows = (await listPeriodStates(db, calendar)).filter(
            (r) => options.plan === undefined || r.planId === options.plan,
          );
          if (options.json) context.out.write(`${JSON.stringify(rows, null, 2)}\n`);
          else writePeriods(context.out, rows);
          return ExitCode.ok;
        }),
      ),
    );

  program
    .command('approve')
    .description("approve a payout period's lines as the latest successful run computed them")
    .argument('<period>', 'a payout period: 2026-01, 2026-Q1 or 2026')
    .option('--plan <id>', 'only this plan (default: every plan with lines in the period)')
    .option(...BY)
    .option('--note <text>', 'why, or what was checked')
    .option('--force', 'approve although disputes on the period are open (recorded)')
    .action(
      act(async (period: string, options: { plan?: string; by?: string; note?: string; force?: boolean }) => {
        const by = actor(options.by);
        return withDatabase(global(), async ({ db }, calendar) => {
          const outcome = await approvePeriod(db, calendar, {
            period,
            by,
            ...(options.plan === undefined ? {} : { planId: options.plan }),
            ...(options.note === undefined ? {} : { note: options.note }),
            ...(options.force ? { force: true } : {}),
          });
          const what = `${outcome.period}${outcome.planId ? ` ${outcome.planId}` : ''}`;
          context.out.write(
            outcome.approved
              ? `${what} approved by ${by}: ${outcome.lines} payout lines of run ${outcome.runId} (hash ${outcome.linesHash.slice(0, 12)}…)` +
                  (outcome.forcedOver.length
                    ? `, over open dispute${outcome.forcedOver.length === 1 ? '' : 's'} ${outcome.forcedOver.map((id) => `#${id}`).join(', ')} (--force, recorded)`
                    : '') +
                  '\n'
              : `${what} was already approved with these same lines\n`,
          );
          return ExitCode.ok;
        });
      }),
    );

  program
    .command('lock')
    .description(
      'lock an approved payout period (paid): its lines are never rewritten; later changes become adjustments',
    )
    .argument('<period>', 'a payout period: 2026-01, 2026-Q1 or 2026')
    .option(...BY)
    .option('--note <text>', 'e.g. the payroll batch')
    .option('--force', 'lock although some of its lines are not approved (recorded)')
    .action(
      act(async (period: string, options: { by?: string; note?: string; force?: boolean }) => {
        const by = actor(options.by);
        return withDatabase(global(), async ({ db }, calendar) => {
          const outcome = await lockApprovedPeriod(db, calendar, {
            period,
            by,
            ...(options.note === undefined ? {} : { note: options.note }),
            ...(options.force ? { force: true } : {}),
          });
          context.out.write(
            outcome.locked
              ? `${outcome.period} locked: its payout lines will not be rewritten; later changes become adjustments` +
                  (outcome.unapproved.length
                    ? ` (not approved, locked with --force: ${outcome.unapproved.join(', ')})`
                    : '') +
                  '\n'
              : `${outcome.period} was already locked\n`,
          );
          return ExitCode.ok;
        });
      }),
    );

  program
    .command('unlock')
    .description('unlock a payout period (needs --force: the next run may rewrite what was paid)')
    .argument('<period>', 'the locked period')
    .option('--force', 'yes, let the next run rewrite it')
    .option(...BY)
    .option('--note <text>', 'why')
    .action(
      act(async (period: string, options: { force?: boolean; by?: string; note?: string }) => {
        if (!options.force)
          throw new CliError(
            `unlocking ${period} lets the next run rewrite what was paid: add --force if that is what you want`,
            ExitCode.usage,
          );
        const by = actor(options.by);
        return withDatabase(global(), async ({ db }) => {
          const unlocked = await unlockRecorded(db, {
            period,
            by,
            ...(options.note === undefined ? {} : { note: options.note }),
          });
          context.out.write(
            unlocked ? `${period} unlocked (recorded in the audit log)\n` : `${period} was not locked\n`,
          );
          return ExitCode.ok;
        });
      }),
    );

  const disputes = program.command('disputes').description('disputes on payout lines: open, list, resolve');
  disputes
    .command('open')
    .description('dispute a payout line')
    .argument('<line-key>', 'plan|rep|period|component, as in the CRM commission record (quote it)')
    .requiredOption('--reason <text>', 'what is wrong')
    .option(...BY)
    .action(
      act(async (key: string, options: { reason: string; by?: string }) => {
        const by = actor(options.by);
        return withDatabase(global(), async ({ db }) => {
          const opened = await openLineDispute(db, { lineKey: key, reason: options.reason, by });
          context.out.write(
            `dispute #${opened.id} opened on ${opened.lineKey} (${money(opened.amount)} ${opened.currency}); ` +
              `the period cannot be approved while it is open\n`,
          );
          return ExitCode.ok;
        });
      }),
    );
  disputes
    .command('list')
    .description('disputes with their history, oldest first')
    .option('--period <period>', 'only disputes on lines of this payout period')
    .option('--status <status>', 'open or resolved')
    .option('--json', 'print them as JSON')
    .action(
      act(async (options: { period?: string; status?: string; json?: boolean }) => {
        if (options.status !== undefined && options.status !== 'open' && options.status !== 'resolved')
          throw new CliError(`--status ${options.status}: expected open or resolved`, ExitCode.usage);
        return withDatabase(global(), async ({ db }, calendar) => {
          if (options.period !== undefined && !calendar.parse(options.period))
            throw new CliError(
              `--period ${options.period}: expected a payout period such as 2026-01, 2026-Q1 or 2026`,
              ExitCode.usage,
            );
          const found = await listDisputes(db, {
            ...(options.period === undefined ? {} : { period: options.period }),
            ...(options.status === undefined ? {} : { status: options.status as 'open' | 'resolved' }),
          });
          const events = await disputeEvents(
            db,
            found.map((d) => d.id),
          );
          if (options.json) {
            const withHistory = found.map((d) => ({
              ...d,
              lineGone: d.currentAmount === null,
              history: events.filter((e) => e.disputeId === d.id),
            }));
            context.out.write(`${JSON.stringify(withHistory, null, 2)}\n`);
          } else writeDisputes(context.out, found, events);
          return ExitCode.ok;
        });
      }),
    );
  disputes
    .command('resolve')
    .description('resolve a dispute, with an adjustment the next run pays in the first open period')
    .argument('<id>', 'the dispute number')
    .requiredOption('--note <text>', 'the decision')
    .option(...BY)
    .option('--adjust <amount>', "an amount in the line's currency to pay (negative: to recover)")
    .action(
      act(async (id: string, options: { note: string; by?: string; adjust?: string }) => {
        const by = actor(options.by);
        return withDatabase(global(), async ({ db }) => {
          const d = await resolveLineDispute(db, {
            id: id.replace(/^#/, ''),
            note: options.note,
            by,
            ...(options.adjust === undefined ? {} : { adjust: options.adjust }),
          });
          context.out.write(
            `dispute #${d.id} on ${d.lineKey} resolved by ${by}` +
              (d.adjustment
                ? `; adjustment ${money(d.adjustment)} ${d.currency} is paid by the next run, as an adjustment line of ${d.planId} for ${d.repId} in the first open period from ${d.period} on`
                : '') +
              '\n',
          );
          return ExitCode.ok;
        });
      }),
    );

  program
    .command('audit')
    .description('the audit log: locks, approvals, disputes, plan changes, exports; oldest first')
    .option('--since <date>', 'from this day (YYYY-MM-DD, UTC) or moment (ISO 8601)')
    .option('--json', 'print the events as JSON')
    .action(
      act(async (options: { since?: string; json?: boolean }) => {
        const since = options.since === undefined ? undefined : parseSince(options.since);
        return withDatabase(global(), async ({ db }) => {
          const events = await listAuditEvents(db, since ? { since } : {});
          if (options.json) context.out.write(`${JSON.stringify(events, null, 2)}\n`);
          else if (events.length === 0)
            context.out.write('no audit events' + (since ? ` since ${options.since}` : '') + '\n');
          else
            for (const e of events)
              context.out.write(
                `${e.at.toISOString()}  ${e.by.padEnd(12)} ${e.action.padEnd(15)} ${e.subject}` +
                  (Object.keys(e.details).length ? `  ${JSON.stringify(e.details)}` : '') +
                  '\n',
              );
          return ExitCode.ok;
        });
      }),
    );
}

function parseSince(text: string): Date {
  const at = isIsoDate(text)
    ? new Date(`${text}T00:00:00Z`)
    : /^\d{4}-\d{2}-\d{2}T/.test(text)
      ? new Date(text)
      : undefined;
  if (!at || Number.isNaN(at.getTime()))
    throw new CliError(`--since ${text}: expected a date YYYY-MM-DD or an ISO 8601 time`, ExitCode.usage);
  return at;
}

const when = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

function writePeriods(out: Writable, rows: PeriodRow[]): void {
  if (rows.length === 0) {
    out.write('no payout periods yet: attain run first\n');
    return;
  }
  let plan: string | undefined;
  for (const r of rows) {
    if (r.planId !== plan) out.write(`${(plan = r.planId)}\n`);
    const totals = r.totals.map((t) => `${money(t.amount).padStart(14)} ${t.currency}`).join(', ');
    const who = [
      r.approval &&
        `approved by ${r.approval.by} ${when(r.approval.at)}${r.approval.forced ? ' (forced over open disputes)' : ''}`,
      r.lock &&
        `locked by ${r.lock.lockedBy} ${when(r.lock.lockedAt)}${r.lock.period !== r.period ? ` (${r.lock.period})` : ''}`,
      r.exported && `exported by ${r.exported.by} ${when(r.exported.at)}`,
    ].filter(Boolean);
    out.write(
      `  ${r.period.padEnd(8)} ${r.state.padEnd(9)} ${String(r.lines).padStart(5)} lines ${totals}` +
        (who.length ? `  ${who.join(' · ')}` : '') +
        '\n',
    );
    if (r.openDisputes > 0) out.write(`           ${r.openDisputes} dispute${r.openDisputes === 1 ? '' : 's'} open\n`);
    if (r.voided) {
      const changes = r.voided.changes ?? [];
      out.write(
        `           changed after approval: approved by ${r.voided.by} ${when(r.voided.at)}, void since run ${r.voided.voidedByRun} changed ${changes.length} line${changes.length === 1 ? '' : 's'}\n`,
      );
      for (const c of changes.slice(0, 5))
        out.write(`             ${c.key}: ${c.approved ?? '(none)'} → ${c.now ?? '(gone)'}\n`);
      if (changes.length > 5) out.write(`             … and ${changes.length - 5} more (--json lists them)\n`);
    }
  }
}

/** For `attain status`: the approvals these runs voided, with the lines that changed. */
export async function writeVoidedApprovals(
  out: Writable,
  db: Kysely<Database>,
  runIds: readonly string[],
): Promise<void> {
  const voided = (await listApprovals(db)).filter((a) => a.voidedByRun !== null && runIds.includes(a.voidedByRun));
  if (voided.length === 0) return;
  out.write('Approvals voided by these runs (numbers changed after approval; approve again once checked):\n');
  for (const a of voided) {
    const changes = a.changes ?? [];
    out.write(
      `  ${a.period}${a.planId ? ` ${a.planId}` : ''}, approved by ${a.by} ${when(a.at)}: run ${a.voidedByRun} changed ${changes.length} line${changes.length === 1 ? '' : 's'}\n`,
    );
    for (const c of changes.slice(0, 3)) out.write(`    ${c.key}: ${c.approved ?? '(none)'} → ${c.now ?? '(gone)'}\n`);
    if (changes.length > 3) out.write(`    … and ${changes.length - 3} more (attain periods --json)\n`);
  }
}

function writeDisputes(
  out: Writable,
  disputes: Dispute[],
  events: { disputeId: string; action: string; by: string; note: string | null; at: Date }[],
): void {
  if (disputes.length === 0) {
    out.write('no disputes\n');
    return;
  }
  for (const d of disputes) {
    out.write(
      `#${d.id.padEnd(4)} ${d.status.padEnd(8)} ${d.lineKey}  ${money(d.lineAmount)} ${d.currency} when opened` +
        (d.currentAmount === null
          ? ', line gone since (the latest run has no such line)'
          : d.currentAmount !== d.lineAmount
            ? `, ${money(d.currentAmount)} now`
            : '') +
        '\n',
    );
    if (d.source !== 'cli')
      out.write(`      raised in ${d.source}${d.externalId ? ` (record ${d.externalId.split(':')[0]})` : ''}\n`);
    if (d.adjustment)
      out.write(
        `      adjustment ${money(d.adjustment)} ${d.currency}: ${d.adjustmentPeriod ? `paid in ${d.adjustmentPeriod}` : 'paid by the next run'}\n`,
      );
    for (const e of events.filter((x) => x.disputeId === d.id))
      out.write(`      ${when(e.at)}  ${e.action.padEnd(17)} ${e.by}${e.note ? `: ${e.note}` : ''}\n`);
  }
}
