/**
 * Period approvals: who approved which lines of a payout period (of one plan, or of every plan)
 * and when, with the lines pinned as approved. A later run that changes one of them voids the
 * approval, recording what changed; the audit log gets each approval and each void.
 */
import { sql, type Kysely } from 'kysely';
import { recordAuditEvent } from './audit-log.js';
import type { Database } from './schema.js';

export interface Approval {
  id: string;
  period: string;
  /** Null: every plan with lines in the period. */
  planId: string | null;
  runId: string;
  linesHash: string;
  /** Key → `amount currency`, as approved. */
  lines: Record<string, string>;
  by: string;
  at: Date;
  note: string | null;
  forced: boolean;
  voidedAt: Date | null;
  voidedByRun: string | null;
  changes: { key: string; approved: string | null; now: string | null }[] | null;
}

export interface NewApproval {
  period: string;
  planId?: string;
  runId: string;
  linesHash: string;
  lines: Record<string, string>;
  by: string;
  note?: string;
  /** Approved although disputes on the period were open: which. */
  forcedOver?: string[];
}

/** Records an approval and its audit event; returns its id. */
export async function insertApproval(db: Kysely<Database>, a: NewApproval): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('period_approvals')
      .values({
        period: a.period,
        plan_id: a.planId ?? null,
        run_id: a.runId,
        lines_hash: a.linesHash,
        lines: JSON.stringify(a.lines),
        approved_by: a.by,
        note: a.note ?? null,
        forced: (a.forcedOver?.length ?? 0) > 0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, {
      action: 'approve',
      by: a.by,
      subject: a.planId === undefined ? a.period : `${a.period} ${a.planId}`,
      details: {
        run: a.runId,
        linesHash: a.linesHash,
        lines: Object.keys(a.lines).length,
        ...(a.note === undefined ? {} : { note: a.note }),
        ...(a.forcedOver?.length ? { forced: true, openDisputes: a.forcedOver } : {}),
      },
    });
    return String(id);
  });
}

/** Every approval, oldest first; `active` keeps those not voided. */
export async function listApprovals(db: Kysely<Database>, options: { active?: boolean } = {}): Promise<Approval[]> {
  let query = db.selectFrom('period_approvals').selectAll();
  if (options.active) query = query.where('voided_at', 'is', null);
  const rows = await query.orderBy('id').execute();
  return rows.map((r) => ({
    id: String(r.id),
    period: r.period,
    planId: r.plan_id,
    runId: r.run_id,
    linesHash: r.lines_hash,
    lines: r.lines,
    by: r.approved_by,
    at: r.approved_at,
    note: r.note,
    forced: r.forced,
    voidedAt: r.voided_at,
    voidedByRun: r.voided_by_run,
    changes: r.changes,
  }));
}

/** Voids an approval a run changed, once (a retried step finds it voided and does nothing). */
export async function voidApproval(
  db: Kysely<Database>,
  approval: Pick<Approval, 'id' | 'period' | 'planId'>,
  runId: string,
  changes: NonNullable<Approval['changes']>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const voided = await trx
      .updateTable('period_approvals')
      .set({ voided_at: sql<Date>`now()`, voided_by_run: runId, changes: JSON.stringify(changes) })
      .where('id', '=', approval.id)
      .where('voided_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!voided) return false;
    await recordAuditEvent(trx, {
      action: 'approval-void',
      by: 'attain run',
      subject: approval.planId === null ? approval.period : `${approval.period} ${approval.planId}`,
      details: { run: runId, approval: approval.id, changed: changes.length, changes: changes.slice(0, 100) },
      key: `${runId}|approval-void|${approval.id}`,
    });
    return true;
  });
}
