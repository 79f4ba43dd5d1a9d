/**
 * The pay cycle's use cases: approving a period, locking it (paid), disputes on payout lines and
 * their adjustments, the state of every period, and what a run must check when it finishes
 * (approvals it voided, plan files changed since the previous run). The commands in
 * src/cli/pay-cycle-commands.ts call these; so do the run's steps.
 *
 * Bad input (an unknown period, line or dispute, approving with no run, resolving a closed
 * dispute) is a PayCycleInputError, raised before anything is written.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  disputeAdjustments,
  exportedPeriods,
  findLine,
  insertApproval,
  lastSucceededRun,
  linesOfPeriod,
  listApprovals,
  listDisputes,
  listLocks,
  lockPeriod,
  openDispute,
  periodPlanTotals,
  pinAdjustmentPeriod,
  planVersionsSincePrevious,
  recordAuditEvent,
  resolveDispute,
  runStatuses,
  unlockPeriod,
  voidApproval,
  type Approval,
  type Database,
  type Dispute,
  type PeriodLockInfo,
} from '../src/db/index.js';
import { minorUnitDigits } from '../src/domain/currency.js';
import { ZERO, formatDecimal, parseDecimal, type Decimal } from '../src/domain/decimal.js';
import type { CalculationInput, ManualAdjustment } from '../src/domain/engine.js';
import { LockSet } from '../src/domain/locks.js';
import {
  changedLines,
  firstOpenPeriod,
  fingerprintOf,
  lineKey,
  parseLineKey,
  periodState,
  type LineChange,
  type LineFingerprint,
  type PeriodState,
} from '../src/domain/pay-cycle.js';
import { PayCycleInputError } from './pay-cycle-error.js';
import { FiscalCalendar, type Period } from '../src/domain/periods.js';

export { PayCycleInputError };

// ---- Approvals ----

export interface ApproveRequest {
  period: string;
  planId?: string;
  by: string;
  note?: string;
  /** Approve although disputes on the period are open (recorded). */
  force?: boolean;
}

export interface ApproveOutcome {
  period: string;
  planId?: string;
  /** False when the same lines were already approved (nothing recorded). */
  approved: boolean;
  lines: number;
  linesHash: string;
  runId: string;
  forcedOver: string[];
  by: string;
}

export async function approvePeriod(
  db: Kysely<Database>,
  calendar: FiscalCalendar,
  request: ApproveRequest,
): Promise<ApproveOutcome> {
  const period = parsePeriod(calendar, request.period);
  const run = await lastSucceededRun(db);
  if (!run) throw new PayCycleInputError(`cannot approve ${period.label}: no run has succeeded yet (attain run first)`);
  const of = request.planId === undefined ? '' : ` of plan ${request.planId}`;
  const lines = await linesOfPeriod(db, period.label, request.planId);
  if (lines.length === 0)
    throw new PayCycleInputError(
      `cannot approve ${period.label}${of}: the latest run (${run.id}) has no payout lines in it` +
        (request.planId === undefined ? '' : ` (attain periods lists the plans and periods)`),
    );
  const runIds = [...new Set(lines.map((l) => l.runId))];
  const statuses = await runStatuses(db, runIds);
  const unfinished = runIds.filter((id) => statuses.get(id) !== 'succeeded');
  if (unfinished.length > 0)
    throw new PayCycleInputError(
      `cannot approve ${period.label}${of}: some of its lines come from run ${unfinished.join(', ')}, which did not succeed; run again first`,
    );
  const fingerprint = fingerprintOf(lines);
  const hash = fingerprintHash(fingerprint);
  const outcome = {
    period: period.label,
    ...(request.planId === undefined ? {} : { planId: request.planId }),
    lines: lines.length,
    linesHash: hash,
    runId: run.id,
    by: request.by,
  };
  const active = (await listApprovals(db, { active: true })).find(
    (a) => a.period === period.label && a.planId === (request.planId ?? null),
  );
  if (active) {
    if (active.linesHash === hash) return { ...outcome, approved: false, forcedOver: [] };
    // An approval whose lines no longer match is voided by the run that changed them; not here.
    throw new PayCycleInputError(
      `${period.label}${of} is already approved (by ${active.by}, ${active.at.toISOString()}) and its lines differ: run again, which voids it, then approve`,
    );
  }
  const open = await listDisputes(db, {
    period: period.label,
    status: 'open',
    ...(request.planId === undefined ? {} : { planId: request.planId }),
  });
  if (open.length > 0 && !request.force)
    throw new PayCycleInputError(
      `cannot approve ${period.label}${of}: ${open.length} dispute${open.length === 1 ? ' is' : 's are'} open on it ` +
        `(${open.map((d) => `#${d.id} ${d.lineKey}`).join(', ')}); resolve ${open.length === 1 ? 'it' : 'them'} or approve with --force (recorded)`,
    );
  const forcedOver = open.map((d) => d.id);
  await insertApproval(db, {
    period: period.label,
    ...(request.planId === undefined ? {} : { planId: request.planId }),
    runId: run.id,
    linesHash: hash,
    lines: fingerprint,
    by: request.by,
    ...(request.note === undefined ? {} : { note: request.note }),
    forcedOver,
  });
  return { ...outcome, approved: true, forcedOver };
}

/** sha256 of an approval's lines, in key order. */
export function fingerprintHash(fingerprint: LineFingerprint): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(fingerprint).sort()) hash.update(`${key} ${fingerprint[key]}\n`);
  return hash.digest('hex');
}

// ---- Locks (paid) ----

export interface LockRequest {
  period: string;
  by: string;
  /** Lock although some lines in it are not approved (recorded). */
  force?: boolean;
  note?: string;
}

export interface LockOutcome {
  period: string;
  locked: boolean;
  /** `period plan` pairs locked without an approval (with --force). */
  unapproved: string[];
}

/**
 * Locks a payout period (paid). Every plan with lines in it (for a quarter or year, in the months
 * inside too) must be approved, unless forced.
 */
export async function lockApprovedPeriod(
  db: Kysely<Database>,
  calendar: FiscalCalendar,
  request: LockRequest,
): Promise<LockOutcome> {
  const period = parsePeriod(calendar, request.period);
  if ((await listLocks(db)).some((l) => l.period === period.label))
    return { period: period.label, locked: false, unapproved: [] };
  const within = new LockSet([period.label], calendar);
  const active = (await listApprovals(db, { active: true })).filter((a) => within.isLabelLocked(a.period));
  const approved = approvedTest(active);
  const unapproved = [
    ...new Set(
      (await periodPlanTotals(db))
        .filter((t) => within.isLabelLocked(t.period) && !approved(t.period, t.planId))
        .map((t) => `${t.period} ${t.planId}`),
    ),
  ];
  // A run that failed after storing its results changed lines without voiding their approval.
  for (const a of active) {
    const changes = changedLines(a.lines, fingerprintOf(await linesOfPeriod(db, a.period, a.planId ?? undefined)));
    if (changes.length > 0)
      unapproved.push(
        `${a.period}${a.planId ? ` ${a.planId}` : ''} (${changes.length} lines changed since its approval)`,
      );
  }
  if (unapproved.length > 0 && !request.force)
    throw new PayCycleInputError(
      `cannot lock ${period.label}: not approved: ${unapproved.join(', ')}; ` +
        `attain approve PERIOD [--plan ID] first, or lock with --force (recorded)`,
    );
  const locked = await lockPeriod(db, period.label, request.by, request.note);
  if (locked)
    await recordAuditEvent(db, {
      action: 'lock',
      by: request.by,
      subject: period.label,
      details: {
        ...(request.note === undefined ? {} : { note: request.note }),
        ...(unapproved.length > 0 ? { forced: true, unapproved } : {}),
      },
    });
  return { period: period.label, locked, unapproved };
}

export async function unlockRecorded(
  db: Kysely<Database>,
  request: { period: string; by: string; note?: string },
): Promise<boolean> {
  const unlocked = await unlockPeriod(db, request.period, {
    force: true,
    by: request.by,
    ...(request.note === undefined ? {} : { note: request.note }),
  });
  if (unlocked)
    await recordAuditEvent(db, {
      action: 'unlock',
      by: request.by,
      subject: request.period,
      details: { forced: true, ...(request.note === undefined ? {} : { note: request.note }) },
    });
  return unlocked;
}

// ---- Disputes ----

export interface OpenDisputeRequest {
  lineKey: string;
  reason: string;
  by: string;
  /** Where it was raised (a CRM import) and its id there; importing again finds the same dispute. */
  source?: string;
  externalId?: string;
}

export async function openLineDispute(
  db: Kysely<Database>,
  request: OpenDisputeRequest,
): Promise<{ id: string; created: boolean; lineKey: string; amount: string; currency: string }> {
  const parts = parseLineKey(request.lineKey);
  if (!parts)
    throw new PayCycleInputError(
      `${request.lineKey}: a line key is plan|rep|period|component (as in the CRM's commission records)`,
    );
  if (request.reason.trim() === '') throw new PayCycleInputError('a dispute needs a reason (--reason)');
  const line = await findLine(db, parts);
  if (!line) throw new PayCycleInputError(`${request.lineKey}: no such payout line in the latest results`);
  const opened = await openDispute(db, {
    lineKey: lineKey(parts),
    ...parts,
    lineAmount: line.amount,
    currency: line.currency,
    reason: request.reason,
    by: request.by,
    ...(request.source === undefined ? {} : { source: request.source }),
    ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
  });
  return { ...opened, lineKey: lineKey(parts), amount: line.amount, currency: line.currency };
}

export interface ResolveDisputeRequest {
  id: string;
  note: string;
  by: string;
  /** A decimal in the line's currency: paid (or recovered, negative) by the next run. */
  adjust?: string;
}

export async function resolveLineDispute(db: Kysely<Database>, request: ResolveDisputeRequest): Promise<Dispute> {
  if (!/^\d+$/.test(request.id)) throw new PayCycleInputError(`${request.id}: a dispute id is a number`);
  const [dispute] = await listDisputes(db, { id: request.id });
  if (!dispute) throw new PayCycleInputError(`dispute ${request.id}: no such dispute (attain disputes list)`);
  if (dispute.status !== 'open')
    throw new PayCycleInputError(
      `dispute ${request.id} is already resolved (by ${dispute.resolvedBy}, ${dispute.resolvedAt?.toISOString()}): ${dispute.resolution}`,
    );
  if (request.note.trim() === '') throw new PayCycleInputError('resolving a dispute needs a note (--note)');
  let adjustment: string | undefined;
  if (request.adjust !== undefined) {
    const digits = minorUnitDigits(dispute.currency);
    const amount = parseDecimal(request.adjust);
    const pattern = new RegExp(`^-?\\d+(\\.\\d{1,${digits}})?$`);
    if (amount === undefined || !pattern.test(request.adjust))
      throw new PayCycleInputError(
        `--adjust ${request.adjust}: expected an amount in ${dispute.currency} with at most ${digits} decimals, e.g. 250.00 or -80`,
      );
    if (amount === ZERO) throw new PayCycleInputError('--adjust 0 pays nothing: leave --adjust out');
    adjustment = formatDecimal(amount as Decimal, digits);
  }
  const resolved = await resolveDispute(db, request.id, {
    by: request.by,
    note: request.note,
    ...(adjustment === undefined ? {} : { adjustment }),
  });
  // Another resolver got there between the read and the write.
  if (!resolved) throw new PayCycleInputError(`dispute ${request.id} is already resolved`);
  return (await listDisputes(db, { id: request.id }))[0]!;
}

/**
 * The engine input's manual adjustments: every resolved dispute with an adjustment, each paid in
 * the period chosen the first time a run saw it (the first period of its plan from the disputed
 * line's on that is neither locked nor approved), and kept there after.
 */
export async function withDisputeAdjustments(
  db: Kysely<Database>,
  runId: string,
  input: CalculationInput,
): Promise<CalculationInput> {
  const disputes = await disputeAdjustments(db);
  if (disputes.length === 0) return input;
  const calendar = new FiscalCalendar(input.calendar.fiscalYearStartMonth);
  const locks = new LockSet(input.locked?.periods ?? [], calendar);
  const approved = approvedTest(await listApprovals(db, { active: true }));
  const plans = new Map(input.plans.map((p) => [p.id, p]));
  const adjustments: ManualAdjustment[] = [];
  for (const d of disputes) {
    const plan = plans.get(d.planId);
    const from = calendar.parse(d.period);
    // A plan no longer in the workspace has no period to pay in: the dispute keeps its adjustment, unpaid.
    if (!plan || !from) continue;
    const period =
      d.adjustmentPeriod ??
      (await pinAdjustmentPeriod(
        db,
        d.id,
        firstOpenPeriod(calendar, plan.payoutPeriod, from, locks, (label) => approved(label, plan.id)).label,
        runId,
      ));
    adjustments.push({
      repId: d.repId,
      planId: d.planId,
      period,
      amount: d.adjustment!,
      currency: d.currency,
      trace: {
        reason: `dispute ${d.id} resolved with an adjustment`,
        dispute: d.id,
        line: d.lineKey,
        disputed: d.reason,
        resolvedBy: d.resolvedBy,
        resolution: d.resolution,
      },
    });
  }
  return adjustments.length === 0 ? input : { ...input, adjustments };
}

// ---- After a run ----

export interface VoidedApproval {
  period: string;
  planId: string | null;
  approvedBy: string;
  changes: LineChange[];
}

/**
 * Voids every approval whose lines this run changed (locked periods are never rewritten, so only
 * unlocked ones are compared), and records in the audit log each plan whose file changed since
 * the previous successful run. Idempotent: a retried report step voids nothing twice.
 */
export async function checkAfterRun(
  db: Kysely<Database>,
  runId: string,
  fiscalYearStartMonth: number,
): Promise<VoidedApproval[]> {
  await recordPlanChanges(db, runId);
  const calendar = new FiscalCalendar(fiscalYearStartMonth);
  const locks = new LockSet(
    (await listLocks(db)).map((l) => l.period),
    calendar,
  );
  const voided: VoidedApproval[] = [];
  for (const approval of await listApprovals(db, { active: true })) {
    if (locks.isLabelLocked(approval.period)) continue;
    const now = fingerprintOf(await linesOfPeriod(db, approval.period, approval.planId ?? undefined));
    const changes = changedLines(approval.lines, now);
    if (changes.length === 0) continue;
    await voidApproval(db, approval, runId, changes);
    voided.push({ period: approval.period, planId: approval.planId, approvedBy: approval.by, changes });
  }
  return voided;
}

async function recordPlanChanges(db: Kysely<Database>, runId: string): Promise<void> {
  const { current, previous } = await planVersionsSincePrevious(db, runId);
  if (!current || !previous) return;
  const ids = [...new Set([...Object.keys(previous.plan_versions), ...Object.keys(current.plan_versions)])].sort();
  for (const planId of ids) {
    const before = previous.plan_versions[planId];
    const after = current.plan_versions[planId];
    if (before === after) continue;
    await recordAuditEvent(db, {
      action: before === undefined ? 'plan-added' : after === undefined ? 'plan-removed' : 'plan-changed',
      by: 'attain run',
      subject: planId,
      details: { run: runId, previousRun: previous.id, ...(before ? { before } : {}), ...(after ? { after } : {}) },
      key: `${runId}|plan|${planId}`,
    });
  }
}

// ---- Period states ----

export interface PeriodRow {
  period: string;
  planId: string;
  state: PeriodState;
  lines: number;
  totals: { currency: string; amount: string }[];
  approval?: Pick<Approval, 'by' | 'at' | 'note' | 'forced'>;
  lock?: PeriodLockInfo;
  exported?: { by: string; at: Date };
  /** The last approval a run voided, when nothing has been approved since. */
  voided?: Pick<Approval, 'by' | 'at' | 'voidedAt' | 'voidedByRun' | 'changes'>;
  openDisputes: number;
}

/** Every payout period with lines, per plan: its state, who moved it there and when. */
export async function listPeriodStates(db: Kysely<Database>, calendar: FiscalCalendar): Promise<PeriodRow[]> {
  const locks = await listLocks(db);
  const lockSet = new LockSet(
    locks.map((l) => l.period),
    calendar,
  );
  const approvals = await listApprovals(db);
  const active = approvals.filter((a) => a.voidedAt === null);
  const exported = await exportedPeriods(db);
  const open = await listDisputes(db, { status: 'open' });
  const rows = new Map<string, PeriodRow>();
  for (const t of await periodPlanTotals(db)) {
    const key = `${t.planId}\u0000${t.period}`;
    let row = rows.get(key);
    if (!row) {
      const approval = active.find((a) => a.period === t.period && (a.planId === null || a.planId === t.planId));
      const lock = lockSet.isLabelLocked(t.period) ? lockOf(locks, t.period, calendar) : undefined;
      const exportedAt = exportOf(exported, t.period, calendar);
      const lastVoided = approval
        ? undefined
        : approvals
            .filter((a) => a.voidedAt !== null && a.period === t.period && (a.planId === null || a.planId === t.planId))
            .at(-1);
      row = {
        period: t.period,
        planId: t.planId,
        state: periodState({ exported: exportedAt !== undefined, locked: lock !== undefined, approved: !!approval }),
        lines: 0,
        totals: [],
        ...(approval ? { approval } : {}),
        ...(lock ? { lock } : {}),
        ...(exportedAt ? { exported: exportedAt } : {}),
        ...(lastVoided ? { voided: lastVoided } : {}),
        openDisputes: open.filter((d) => d.period === t.period && d.planId === t.planId).length,
      };
      rows.set(key, row);
    }
    row.lines += t.lines;
    row.totals.push({
      currency: t.currency,
      amount: formatDecimal(parseDecimal(t.total)!, minorUnitDigits(t.currency)),
    });
  }
  return [...rows.values()].sort(
    (a, b) =>
      (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0) ||
      (calendar.parse(a.period)?.endDay ?? 0) - (calendar.parse(b.period)?.endDay ?? 0),
  );
}

function exportOf(
  exported: Map<string, { by: string; at: Date }>,
  label: string,
  calendar: FiscalCalendar,
): { by: string; at: Date } | undefined {
  // Exported by itself, or within an exported quarter or year.
  const period = calendar.parse(label);
  if (!period) return exported.get(label);
  for (const [exportedLabel, who] of exported) {
    const outer = calendar.parse(exportedLabel);
    if (outer && outer.startDay <= period.startDay && period.endDay <= outer.endDay) return who;
  }
  return undefined;
}

function lockOf(locks: PeriodLockInfo[], label: string, calendar: FiscalCalendar): PeriodLockInfo | undefined {
  // The lock itself, or the enclosing quarter's or year's that covers it.
  return locks.find((l) => new LockSet([l.period], calendar).isLabelLocked(label));
}

/** Whether `period` of `planId` has an approval in force (of the plan, or of every plan). */
function approvedTest(active: readonly Approval[]): (period: string, planId: string) => boolean {
  const keys = new Set(active.map((a) => `${a.period}\u0000${a.planId ?? ''}`));
  return (period, planId) => keys.has(`${period}\u0000`) || keys.has(`${period}\u0000${planId}`);
}

function parsePeriod(calendar: FiscalCalendar, label: string): Period {
  const period = calendar.parse(label);
  if (!period) throw new PayCycleInputError(`${label}: expected a payout period such as 2026-01, 2026-Q1 or 2026`);
  return period;
}
