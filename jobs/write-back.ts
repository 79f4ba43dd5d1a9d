/**
 * Write-back (docs/write-back.md): the payout lines in the reporting database, as commission records, sent to
 * the CRM — only those whose values changed since the last write-back, and removals for those that
 * no longer exist. `writeback_state` remembers, per record, the hash of what the CRM last accepted;
 * a record the CRM refused keeps its error there and is sent again next run.
 *
 * Safe to repeat: the CRM upserts by our key, and state is written only after the CRM answered, so a
 * run killed midway sends at most some records twice, never a duplicate record.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  TRACE_TEXT_LIMIT,
  type CommissionRecord,
  type DisputeSettlement,
  type WritebackOutcome,
  type WritebackTarget,
} from '../connectors/source.js';
import {
  deleteWritebackState,
  readAttainmentRatios,
  readPayoutLines,
  readWritebackState,
  saveWritebackState,
  type Database,
} from '../src/db/index.js';
import { isoOfDay, type FiscalCalendar } from '../src/domain/periods.js';
import { lineKey } from '../src/domain/pay-cycle.js';
import { classifyTrace, soleTracedDeal } from '../src/domain/trace.js';

/** A commission record's key is its payout line's key (`<plan>|<rep>|<period>|<component>`). */
export const commissionKey = lineKey;

/**
 * Every payout line stored, as a commission record, in key order. A line's attainment is the
 * rep's attainment in the same plan for the quota period that holds the line's payout period
 * (the first measure, by name, that has a quota). Its `dealId` is the one deal its trace credits,
 * when it credits exactly one. Its `settlement` is the resolution of the latest dispute the rep
 * raised on it in the CRM, once resolved (jobs/crm-disputes.ts `crmSettlements`).
 */
export async function readCommissionRecords(
  db: Kysely<Database>,
  calendar: FiscalCalendar,
  settlements: ReadonlyMap<string, DisputeSettlement> = new Map(),
): Promise<CommissionRecord[]> {
  const lines = await readPayoutLines(db);
  const attainment = await readAttainmentRatios(db);
  const byRepPlan = new Map<string, { start: number; end: number; attainment: string }[]>();
  for (const row of attainment) {
    const period = calendar.parse(row.period);
    if (!period) continue;
    const key = `${row.rep_id}\u0000${row.plan_id}`;
    let rows = byRepPlan.get(key);
    if (!rows) byRepPlan.set(key, (rows = []));
    rows.push({ start: period.startDay, end: period.endDay, attainment: row.attainment });
  }
  return lines.map((line) => {
    const period = calendar.parse(line.period);
    const quota =
      period &&
      byRepPlan
        .get(`${line.rep_id}\u0000${line.plan_id}`)
        ?.find((a) => a.start <= period.startDay && period.endDay <= a.end);
    const dealId = soleTracedDeal(classifyTrace(line.component, line.trace));
    const key = commissionKey({
      planId: line.plan_id,
      repId: line.rep_id,
      period: line.period,
      component: line.component,
    });
    const settlement = settlements.get(key);
    return {
      key,
      repId: line.rep_id,
      planId: line.plan_id,
      period: line.period,
      component: line.component,
      amount: line.amount,
      currency: line.currency,
      ...(quota ? { attainment: quota.attainment } : {}),
      trace: traceText(line.trace),
      ...(dealId === undefined ? {} : { dealId }),
      ...(period ? { periodStart: isoOfDay(period.startDay), periodEnd: isoOfDay(period.endDay) } : {}),
      ...(settlement ? { settlement } : {}),
    };
  });
}

/** Indented JSON, cut to what a CRM text field holds. */
export function traceText(trace: unknown): string {
  const text = JSON.stringify(trace, null, 2);
  if (text.length <= TRACE_TEXT_LIMIT) return text;
  const note = '\n… (cut here: the whole trace is in the reporting database, payout_lines.trace)';
  return text.slice(0, TRACE_TEXT_LIMIT - note.length) + note;
}

/**
 * What a record looked like when sent: a changed hash means it is sent again. The deal counts only
 * for a target that associates records to deals, and only when there is one, so the records of a
 * target that ignores it (and those without a deal) keep the hash they had before `dealId` existed.
 * The rep's dispute fields are no part of it; a settlement Attain writes is, when there is one (so a
 * record without one keeps the hash it had before disputes were read).
 */
export function recordHash(record: CommissionRecord, withDeal = false, fieldsVersion?: number): string {
  const values: unknown[] = [
    record.repId,
    record.planId,
    record.period,
    record.component,
    record.amount,
    record.currency,
    record.attainment ?? null,
    record.trace,
  ];
  if (withDeal && record.dealId !== undefined) values.push({ deal: record.dealId });
  // The period dates follow from `period` (and the calendar): they need no place of their own.
  if (fieldsVersion !== undefined) values.push({ fields: fieldsVersion });
  // Whether the CRM has it yet is no part of it: the settlement, once written, is not sent again.
  if (record.settlement !== undefined)
    values.push({ dispute: record.settlement.disputeId, resolution: record.settlement.resolution });
  return createHash('sha256').update(JSON.stringify(values)).digest('hex').slice(0, 32);
}

export interface WritebackSummary {
  /** Records sent because they were new, changed or failed last time. */
  sent: number;
  unchanged: number;
  removed: number;
  /** Records the CRM refused this time, with its reasons (retried next run). */
  failed: { key: string; error: string }[];
  /** Records written, but not all the way (not associated to their deal), with why: sent again next run. */
  incomplete: { key: string; error: string }[];
  /** The disputes whose settlement the CRM accepted in this write-back. */
  settled: string[];
  /** The keys of the records removed. */
  removedKeys: string[];
}

/**
 * Commission records, changed-only (`writeChanged`), and the disputes whose settlement the CRM
 * accepted with them.
 */
export async function writeBackChanges(
  db: Kysely<Database>,
  target: WritebackTarget,
  records: readonly CommissionRecord[],
): Promise<WritebackSummary> {
  const { written, ...summary } = await writeChanged(db, target, records, (r) =>
    recordHash(r, target.associatesDeals === true, target.fieldsVersion),
  );
  const settled: string[] = [];
  for (const { record, outcome } of written) {
    if (outcome.ok && record.settlement && !record.settlement.written) settled.push(record.settlement.disputeId);
  }
  return { ...summary, settled };
}

/** Where a kind of record goes: commission records, estimates (connectors/source.ts). */
export interface ChangedOnlyTarget<R extends { key: string }> {
  /** `writeback_state.target`. */
  readonly name: string;
  upsert(records: R[]): Promise<WritebackOutcome[]>;
  remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]>;
}

/**
 * The one diff every write-back uses: sends the records whose hash differs from the one
 * `writeback_state` holds for `target.name` (or that failed last time), removes those it holds that
 * are no longer among `records`, and saves what the CRM answered.
 */
export async function writeChanged<R extends { key: string }>(
  db: Kysely<Database>,
  target: ChangedOnlyTarget<R>,
  records: readonly R[],
  hashOf: (record: R) => string,
): Promise<Omit<WritebackSummary, 'settled'> & { written: { record: R; outcome: WritebackOutcome }[] }> {
  const state = new Map((await readWritebackState(db, target.name)).map((row) => [row.key, row]));
  const hashes = new Map(records.map((r) => [r.key, hashOf(r)]));
  const changed = records.filter((r) => {
    const known = state.get(r.key);
    return known === undefined || known.status !== 'ok' || known.hash !== hashes.get(r.key);
  });
  const vanished = [...state.values()].filter((row) => !hashes.has(row.key));

  const failed: WritebackSummary['failed'] = [];
  const incomplete: WritebackSummary['incomplete'] = [];
  const written: { record: R; outcome: WritebackOutcome }[] = [];
  const removedKeys: string[] = [];
  if (changed.length > 0) {
    const outcomes = answered(
      changed.map((r) => r.key),
      await target.upsert([...changed]),
    );
    await saveState(
      db,
      target.name,
      outcomes.map((o) => ({
        ...o,
        hash: hashes.get(o.key) ?? '',
        ...(o.ok && o.warning !== undefined ? { status: 'incomplete', error: o.warning } : {}),
      })),
    );
    outcomes.forEach((o, i) => {
      written.push({ record: changed[i]!, outcome: o });
      if (!o.ok) failed.push({ key: o.key, error: o.error ?? 'refused' });
      else if (o.warning !== undefined) incomplete.push({ key: o.key, error: o.warning });
    });
  }
  let removed = 0;
  if (vanished.length > 0) {
    const outcomes = answered(
      vanished.map((row) => row.key),
      await target.remove(
        vanished.map((row) => ({ key: row.key, ...(row.external_id === null ? {} : { externalId: row.external_id }) })),
      ),
    );
    const gone = outcomes.filter((o) => o.ok).map((o) => o.key);
    removed = gone.length;
    removedKeys.push(...gone);
    await deleteWritebackState(db, target.name, gone);
    const refused = outcomes.filter((o) => !o.ok);
    // Kept with its last hash and a status that is not ok: tried again next run while it stays gone.
    await saveState(
      db,
      target.name,
      refused.map((o) => ({ ...o, hash: state.get(o.key)?.hash ?? '', status: 'remove-failed' })),
    );
    for (const o of refused) failed.push({ key: o.key, error: o.error ?? 'refused' });
  }
  return {
    sent: changed.length,
    unchanged: records.length - changed.length,
    removed,
    failed,
    incomplete,
    removedKeys,
    written,
  };
}

/** One outcome per key sent; a key the target said nothing about counts as failed. */
function answered(keys: readonly string[], outcomes: readonly WritebackOutcome[]): WritebackOutcome[] {
  const byKey = new Map(outcomes.map((o) => [o.key, o]));
  return keys.map((key) => byKey.get(key) ?? { key, ok: false, error: 'the CRM gave no result for this record' });
}

async function saveState(
  db: Kysely<Database>,
  target: string,
  rows: readonly (WritebackOutcome & { hash: string; status?: string })[],
): Promise<void> {
  await saveWritebackState(
    db,
    target,
    rows.map((o) => ({
      key: o.key,
      hash: o.hash,
      ...(o.externalId === undefined ? {} : { externalId: o.externalId }),
      status: o.status ?? (o.ok ? 'ok' : 'failed'),
      error: o.status === undefined && o.ok ? null : (o.error ?? 'refused'),
    })),
  );
}
