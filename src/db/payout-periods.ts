/**
 * Reading the stored payout lines by period, for the pay cycle: what a period holds per plan, the
 * lines an approval pins, one line by its key, and which runs wrote them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Run } from './schema.js';

export interface PeriodPlanTotal {
  period: string;
  planId: string;
  currency: string;
  lines: number;
  /** Exact decimal string. */
  total: string;
}

/** Per period, plan and currency: how many lines and their sum. */
export async function periodPlanTotals(db: Kysely<Database>): Promise<PeriodPlanTotal[]> {
  const rows = await db
    .selectFrom('payout_lines')
    .select(['period', 'plan_id', 'currency'])
    .select(sql<number>`count(*)::int`.as('lines'))
    .select(sql<string>`sum(amount)`.as('total'))
    .groupBy(['period', 'plan_id', 'currency'])
    .orderBy('plan_id')
    .orderBy('period')
    .orderBy('currency')
    .execute();
  return rows.map((r) => ({
    period: r.period,
    planId: r.plan_id,
    currency: r.currency,
    lines: r.lines,
    total: r.total,
  }));
}

export interface StoredLine {
  runId: string;
  planId: string;
  repId: string;
  period: string;
  component: string;
  amount: string;
  currency: string;
}

/** The stored lines of one payout period (of one plan, or of every plan), in key order. */
export async function linesOfPeriod(db: Kysely<Database>, period: string, planId?: string): Promise<StoredLine[]> {
  let query = db
    .selectFrom('payout_lines')
    .select(['run_id', 'plan_id', 'rep_id', 'period', 'component', 'amount', 'currency'])
    .where('period', '=', period);
  if (planId !== undefined) query = query.where('plan_id', '=', planId);
  const rows = await query.orderBy('plan_id').orderBy('rep_id').orderBy('component').execute();
  return rows.map(toLine);
}

/** One stored line by its parts; undefined when there is none. */
export async function findLine(
  db: Kysely<Database>,
  key: { planId: string; repId: string; period: string; component: string },
): Promise<StoredLine | undefined> {
  const row = await db
    .selectFrom('payout_lines')
    .select(['run_id', 'plan_id', 'rep_id', 'period', 'component', 'amount', 'currency'])
    .where('plan_id', '=', key.planId)
    .where('rep_id', '=', key.repId)
    .where('period', '=', key.period)
    .where('component', '=', key.component)
    .executeTakeFirst();
  return row && toLine(row);
}

/** The latest run that succeeded; undefined before the first. */
export async function lastSucceededRun(db: Kysely<Database>): Promise<Run | undefined> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('status', '=', 'succeeded')
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The status of each of these runs. */
export async function runStatuses(db: Kysely<Database>, runIds: readonly string[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('runs')
    .select(['id', 'status'])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...runIds])))
    .execute();
  return new Map(rows.map((r) => [r.id, r.status]));
}

/**
 * The periods exported to payroll (not drafts), each with who exported it first and when: the one
 * place the pay cycle reads the payroll export's ledger. A label may be a quarter or a year that
 * holds the payout periods asked about (the caller decides containment).
 */
export async function exportedPeriods(db: Kysely<Database>): Promise<Map<string, { by: string; at: Date }>> {
  const rows = await db
    .selectFrom('payroll_exports')
    .select(['period', 'exported_by', 'exported_at'])
    .where('draft', '=', false)
    .orderBy('id')
    .execute();
  const exported = new Map<string, { by: string; at: Date }>();
  for (const r of rows) if (!exported.has(r.period)) exported.set(r.period, { by: r.exported_by, at: r.exported_at });
  return exported;
}

function toLine(r: {
  run_id: string;
  plan_id: string;
  rep_id: string;
  period: string;
  component: string;
  amount: string;
  currency: string;
}): StoredLine {
  return {
    runId: r.run_id,
    planId: r.plan_id,
    repId: r.rep_id,
    period: r.period,
    component: r.component,
    amount: r.amount,
    currency: r.currency,
  };
}
