/**
 * Disputes on payout lines ("this line is wrong"): the dispute, its history (`dispute_events`)
 * and its entry in the audit log, written together. A dispute is keyed to its line by plan, rep,
 * period and component; it outlives the line (a later run may remove it) and says so when read.
 * One raised in a CRM is imported with its `source` and `externalId`, so importing it again finds
 * the same dispute.
 */
import { sql, type Kysely } from 'kysely';
import { recordAuditEvent } from './audit-log.js';
import type { Database } from './schema.js';

export interface NewDispute {
  lineKey: string;
  planId: string;
  repId: string;
  period: string;
  component: string;
  /** The line's amount and currency as the dispute is opened. */
  lineAmount: string;
  currency: string;
  reason: string;
  by: string;
  /** `cli` (default) or the CRM it was raised in. */
  source?: string;
  externalId?: string;
}

export interface Dispute {
  id: string;
  lineKey: string;
  planId: string;
  repId: string;
  period: string;
  component: string;
  status: 'open' | 'resolved';
  reason: string;
  openedBy: string;
  openedAt: Date;
  source: string;
  externalId: string | null;
  lineAmount: string;
  currency: string;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  resolution: string | null;
  adjustment: string | null;
  adjustmentPeriod: string | null;
  /** The line's amount now; null when the line no longer exists. */
  currentAmount: string | null;
}

export interface DisputeEvent {
  disputeId: string;
  action: string;
  by: string;
  note: string | null;
  at: Date;
}

/** Opens a dispute; with a source and external id already known, returns that one (`created: false`). */
export async function openDispute(db: Kysely<Database>, d: NewDispute): Promise<{ id: string; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    if (d.externalId !== undefined) {
      const known = await trx
        .selectFrom('disputes')
        .select('id')
        .where('source', '=', d.source ?? 'cli')
        .where('external_id', '=', d.externalId)
        .executeTakeFirst();
      if (known) return { id: String(known.id), created: false };
    }
    const { id } = await trx
      .insertInto('disputes')
      .values({
        line_key: d.lineKey,
        plan_id: d.planId,
        rep_id: d.repId,
        period: d.period,
        component: d.component,
        status: 'open',
        reason: d.reason,
        opened_by: d.by,
        source: d.source ?? 'cli',
        external_id: d.externalId ?? null,
        line_amount: d.lineAmount,
        currency: d.currency,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('dispute_events')
      .values({ dispute_id: id, action: 'open', actor: d.by, note: d.reason })
      .execute();
    await recordAuditEvent(trx, {
      action: 'dispute-open',
      by: d.by,
      subject: `dispute ${id}`,
      details: {
        line: d.lineKey,
        reason: d.reason,
        amount: d.lineAmount,
        currency: d.currency,
        ...(d.source && d.source !== 'cli' ? { source: d.source, externalId: d.externalId } : {}),
      },
    });
    return { id: String(id), created: true };
  });
}

/**
 * Resolves an open dispute, with an optional adjustment (paid by the next run); returns false,
 * writing nothing, when the dispute is not open.
 */
export async function resolveDispute(
  db: Kysely<Database>,
  id: string,
  r: { by: string; note: string; adjustment?: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('disputes')
      .set({
        status: 'resolved',
        resolved_by: r.by,
        resolved_at: sql<Date>`now()`,
        resolution: r.note,
        adjustment: r.adjustment ?? null,
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .returning(['line_key', 'currency'])
      .executeTakeFirst();
    if (!updated) return false;
    await trx
      .insertInto('dispute_events')
      .values({ dispute_id: id, action: 'resolve', actor: r.by, note: r.note })
      .execute();
    await recordAuditEvent(trx, {
      action: 'dispute-resolve',
      by: r.by,
      subject: `dispute ${id}`,
      details: {
        line: updated.line_key,
        note: r.note,
        ...(r.adjustment === undefined ? {} : { adjustment: r.adjustment, currency: updated.currency }),
      },
    });
    return true;
  });
}

/** Disputes, oldest first, each with its line's amount now (null when the line is gone). */
export async function listDisputes(
  db: Kysely<Database>,
  filter: {
    period?: string;
    planId?: string;
    status?: 'open' | 'resolved';
    id?: string;
    source?: string;
    lineKeys?: readonly string[];
  } = {},
): Promise<Dispute[]> {
  let query = db
    .selectFrom('disputes as d')
    .leftJoin('payout_lines as l', (join) =>
      join
        .onRef('l.plan_id', '=', 'd.plan_id')
        .onRef('l.rep_id', '=', 'd.rep_id')
        .onRef('l.period', '=', 'd.period')
        .onRef('l.component', '=', 'd.component'),
    )
    .selectAll('d')
    .select('l.amount as current_amount');
  if (filter.period !== undefined) query = query.where('d.period', '=', filter.period);
  if (filter.planId !== undefined) query = query.where('d.plan_id', '=', filter.planId);
  if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
  if (filter.id !== undefined) query = query.where('d.id', '=', filter.id);
  if (filter.source !== undefined) query = query.where('d.source', '=', filter.source);
  if (filter.lineKeys !== undefined) {
    if (filter.lineKeys.length === 0) return [];
    query = query.where('d.line_key', '=', (eb) => eb.fn.any(eb.val([...filter.lineKeys!])));
  }
  const rows = await query.orderBy('d.id').execute();
  return rows.map((r) => ({
    id: String(r.id),
    lineKey: r.line_key,
    planId: r.plan_id,
    repId: r.rep_id,
    period: r.period,
    component: r.component,
    status: r.status,
    reason: r.reason,
    openedBy: r.opened_by,
    openedAt: r.opened_at,
    source: r.source,
    externalId: r.external_id,
    lineAmount: r.line_amount,
    currency: r.currency,
    resolvedBy: r.resolved_by,
    resolvedAt: r.resolved_at,
    resolution: r.resolution,
    adjustment: r.adjustment,
    adjustmentPeriod: r.adjustment_period,
    currentAmount: r.current_amount,
  }));
}

/** The history of these disputes, oldest first. */
export async function disputeEvents(db: Kysely<Database>, ids: readonly string[]): Promise<DisputeEvent[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('dispute_events')
    .selectAll()
    .where('dispute_id', '=', (eb) => eb.fn.any(eb.val([...ids])))
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ disputeId: String(r.dispute_id), action: r.action, by: r.actor, note: r.note, at: r.at }));
}

/** Resolved disputes with an adjustment: what the runs pay. */
export async function disputeAdjustments(db: Kysely<Database>): Promise<Dispute[]> {
  return (await listDisputes(db, { status: 'resolved' })).filter((d) => d.adjustment !== null);
}

/**
 * Records the payout period a dispute's adjustment is paid in, once: the first run after the
 * resolution chooses it, later runs keep it. Returns the period in force.
 */
export async function pinAdjustmentPeriod(
  db: Kysely<Database>,
  id: string,
  period: string,
  runId: string,
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const pinned = await trx
      .updateTable('disputes')
      .set({ adjustment_period: period, adjustment_run_id: runId })
      .where('id', '=', id)
      .where('adjustment_period', 'is', null)
      .returning('adjustment_period')
      .executeTakeFirst();
    if (pinned) {
      await trx
        .insertInto('dispute_events')
        .values({
          dispute_id: id,
          action: 'adjustment-posted',
          actor: 'attain run',
          note: `paid in ${period} by ${runId}`,
        })
        .execute();
      return period;
    }
    const row = await trx
      .selectFrom('disputes')
      .select('adjustment_period')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return row.adjustment_period!;
  });
}

/** A rep changed the reason of their open dispute in the CRM: the reason now, and the change in its history. */
export async function updateDisputeReason(
  db: Kysely<Database>,
  id: string,
  change: { reason: string; by: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('disputes').set({ reason: change.reason }).where('id', '=', id).execute();
    await trx
      .insertInto('dispute_events')
      .values({ dispute_id: id, action: 'reason-changed', actor: change.by, note: change.reason })
      .execute();
  });
}

/**
 * Adds `action` to the history of each dispute that does not have it yet (`crm-written`: its
 * settlement reached the CRM record; `line-gone`: the line and its CRM record were removed).
 * Returns the ids it was added to.
 */
export async function addDisputeEventOnce(
  db: Kysely<Database>,
  ids: readonly string[],
  event: { action: string; by: string; note?: string },
): Promise<string[]> {
  if (ids.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    const known = new Set(
      (
        await trx
          .selectFrom('dispute_events')
          .select('dispute_id')
          .where('action', '=', event.action)
          .where('dispute_id', '=', (eb) => eb.fn.any(eb.val([...ids])))
          .execute()
      ).map((r) => String(r.dispute_id)),
    );
    const fresh = [...new Set(ids)].filter((id) => !known.has(id));
    if (fresh.length > 0)
      await trx
        .insertInto('dispute_events')
        .values(
          fresh.map((id) => ({ dispute_id: id, action: event.action, actor: event.by, note: event.note ?? null })),
        )
        .execute();
    return fresh;
  });
}
