/**
 * What statements and the payroll export read from the reporting database: the stored payout lines
 * of some payout periods, year-to-date sums, attainment, the reps (with their payroll ids), the
 * deals a statement names, and the runs the lines came from.
 */
import type { Kysely } from 'kysely';
import type { PayoutLine } from '../domain/engine.js';
import type { TraceJson } from '../domain/trace.js';
import type { Database } from './schema.js';

/** A payout line as stored: its trace as plain JSON, and the run that wrote it. */
export type StoredLine = Omit<PayoutLine, 'trace'> & { runId: string; trace: TraceJson };

/** The payout period labels that have lines, in label order. */
export async function listPayoutPeriods(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('payout_lines').select('period').distinct().orderBy('period').execute();
  return rows.map((r) => r.period);
}

/** The lines of these payout periods (of one rep when `repId` is given), by rep, plan, period and component. */
export async function readLinesOfPeriods(
  db: Kysely<Database>,
  periods: readonly string[],
  repId?: string,
): Promise<StoredLine[]> {
  if (periods.length === 0) return [];
  let query = db
    .selectFrom('payout_lines')
    .select(['run_id', 'rep_id', 'plan_id', 'period', 'component', 'amount', 'currency', 'trace'])
    .where('period', '=', (eb) => eb.fn.any(eb.val([...periods])));
  if (repId !== undefined) query = query.where('rep_id', '=', repId);
  const rows = await query.orderBy('rep_id').orderBy('plan_id').orderBy('period').orderBy('component').execute();
  return rows.map((r) => ({
    runId: r.run_id,
    repId: r.rep_id,
    planId: r.plan_id,
    period: r.period,
    component: r.component,
    amount: r.amount,
    currency: r.currency,
    trace: r.trace,
  }));
}

export interface LineSum {
  repId: string;
  planId: string;
  currency: string;
  /** Exact: PostgreSQL's sum of `numeric`. */
  total: string;
}

/** The sum of the lines of these payout periods per rep, plan and currency. */
export async function sumLinesOfPeriods(
  db: Kysely<Database>,
  periods: readonly string[],
  repId?: string,
): Promise<LineSum[]> {
  if (periods.length === 0) return [];
  let query = db
    .selectFrom('payout_lines')
    .select(['rep_id', 'plan_id', 'currency', (eb) => eb.fn.sum<string>('amount').as('total')])
    .where('period', '=', (eb) => eb.fn.any(eb.val([...periods])));
  if (repId !== undefined) query = query.where('rep_id', '=', repId);
  const rows = await query.groupBy(['rep_id', 'plan_id', 'currency']).execute();
  return rows.map((r) => ({ repId: r.rep_id, planId: r.plan_id, currency: r.currency, total: String(r.total) }));
}

export interface StoredAttainment {
  repId: string;
  planId: string;
  period: string;
  measure: string;
  credit: string;
  quota: string | null;
  attainment: string | null;
}

/** Attainment rows of these quota periods. */
export async function readAttainmentOfPeriods(
  db: Kysely<Database>,
  periods: readonly string[],
  repId?: string,
): Promise<StoredAttainment[]> {
  if (periods.length === 0) return [];
  let query = db
    .selectFrom('attainment')
    .select(['rep_id', 'plan_id', 'period', 'measure', 'credit', 'quota', 'attainment'])
    .where('period', '=', (eb) => eb.fn.any(eb.val([...periods])));
  if (repId !== undefined) query = query.where('rep_id', '=', repId);
  const rows = await query.orderBy('rep_id').orderBy('plan_id').orderBy('period').orderBy('measure').execute();
  return rows.map((r) => ({
    repId: r.rep_id,
    planId: r.plan_id,
    period: r.period,
    measure: r.measure,
    credit: r.credit,
    quota: r.quota,
    attainment: r.attainment,
  }));
}

export interface RepInfo {
  id: string;
  name: string;
  managerId: string | null;
  employeeId: string | null;
}

/** The synced reps with these ids (as the last run stored them). */
export async function readReps(db: Kysely<Database>, ids: readonly string[]): Promise<RepInfo[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('reps')
    .select(['id', 'name', 'manager_id', 'employee_id'])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...ids])))
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, managerId: r.manager_id, employeeId: r.employee_id }));
}

export interface DealInfo {
  id: string;
  name: string;
  amount: string;
  currency: string;
  closeDate: string;
}

/** The synced deals with these ids. */
export async function readDeals(db: Kysely<Database>, ids: readonly string[]): Promise<DealInfo[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('deals')
    .select(['id', 'name', 'amount', 'currency', 'close_date'])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...ids])))
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, amount: r.amount, currency: r.currency, closeDate: r.close_date }));
}

/** Run id → its inputs hash. */
export async function readInputsHashes(db: Kysely<Database>, runIds: readonly string[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('runs')
    .select(['id', 'inputs_hash'])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...runIds])))
    .execute();
  return new Map(rows.map((r) => [r.id, r.inputs_hash]));
}
