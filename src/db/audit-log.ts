/**
 * The audit log: who did what to the pay cycle, and when. Append-only in the database itself (a
 * trigger refuses UPDATE, DELETE and TRUNCATE on `audit_events`), so this module only inserts and
 * reads. Any part of Attain that changes what gets paid records here: locks, approvals, disputes,
 * plan changes seen by a run, exports.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AuditEventInput {
  /** What was done: `lock`, `approve`, `dispute-open`, `export`, … */
  action: string;
  /** Who did it (a person, or `attain run` for what a run found). */
  by: string;
  /** What it was done to: a period, `period plan`, `dispute 12`, a plan id. */
  subject: string;
  details?: Record<string, unknown>;
  /**
   * A stable key for an event that a retried step may record again (`<runId>|plan-changed|<plan>`):
   * the second insert is a no-op. Leave it out for a person's action.
   */
  key?: string;
}

export interface AuditEvent {
  id: string;
  at: Date;
  action: string;
  by: string;
  subject: string;
  details: Record<string, unknown>;
}

/** Appends one event; returns false when an event with the same `key` is already there. */
export async function recordAuditEvent(db: Kysely<Database>, event: AuditEventInput): Promise<boolean> {
  const inserted = await db
    .insertInto('audit_events')
    .values({
      action: event.action,
      actor: event.by,
      subject: event.subject,
      details: JSON.stringify(event.details ?? {}),
      key: event.key ?? null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The log, oldest first; `since` keeps the events at or after it. */
export async function listAuditEvents(db: Kysely<Database>, options: { since?: Date } = {}): Promise<AuditEvent[]> {
  let query = db.selectFrom('audit_events').select(['id', 'at', 'action', 'actor', 'subject', 'details']);
  if (options.since) query = query.where('at', '>=', options.since);
  const rows = await query.orderBy('id').execute();
  return rows.map((r) => ({
    id: String(r.id),
    at: r.at,
    action: r.action,
    by: r.actor,
    subject: r.subject,
    details: r.details,
  }));
}
