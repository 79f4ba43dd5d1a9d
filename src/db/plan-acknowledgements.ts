/**
 * Plan acknowledgements (`attain plan ack`, `attain plan import-acks`): which rep accepted which
 * version (content hash) of a plan, and when. Each new one is recorded with its audit event in one
 * transaction; one already recorded (same rep, plan and version) is left as it was.
 */
import type { Kysely } from 'kysely';
import { recordAuditEvent } from './audit-log.js';
import type { Database, PlanAcknowledgement } from './schema.js';

export interface NewPlanAcknowledgement {
  repId: string;
  planId: string;
  planHash: string;
  /** YYYY-MM-DD. */
  date: string;
  by: string;
  /** `attain plan ack`, or `acknowledgements.csv:4`. */
  source: string;
}

/**
 * Records every acknowledgement not yet recorded, all or none; returns those that were new (the
 * others were recorded before, and keep their first date).
 */
export async function recordPlanAcknowledgements(
  db: Kysely<Database>,
  acknowledgements: readonly NewPlanAcknowledgement[],
): Promise<NewPlanAcknowledgement[]> {
  return db.transaction().execute(async (trx) => {
    const recorded: NewPlanAcknowledgement[] = [];
    for (const ack of acknowledgements) {
      const inserted = await trx
        .insertInto('plan_acknowledgements')
        .values({
          rep_id: ack.repId,
          plan_id: ack.planId,
          plan_hash: ack.planHash,
          acknowledged_on: ack.date,
          recorded_by: ack.by,
          source: ack.source,
        })
        .onConflict((oc) => oc.constraint('plan_acknowledgements_version').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) continue;
      recorded.push(ack);
      await recordAuditEvent(trx, {
        action: 'plan-ack',
        by: ack.by,
        subject: ack.planId,
        details: { repId: ack.repId, planHash: ack.planHash, date: ack.date, source: ack.source },
      });
    }
    return recorded;
  });
}

/** Every acknowledgement, oldest first; `planId` keeps one plan's. */
export async function listPlanAcknowledgements(db: Kysely<Database>, planId?: string): Promise<PlanAcknowledgement[]> {
  let query = db.selectFrom('plan_acknowledgements').selectAll();
  if (planId !== undefined) query = query.where('plan_id', '=', planId);
  return query.orderBy('id').execute();
}
