/**
 * Disputes raised in the CRM (docs/write-back.md#disputes): a rep sets the dispute status of their
 * own commission record to open and writes a reason; each sync reads the records whose dispute
 * changed since its cursor into the dispute ledger (src/db/disputes.ts), and the write-back sends
 * the settlement back once `attain disputes resolve` resolved it.
 *
 * One CRM record may carry several disputes over time: a rep who reopens a record after its
 * settlement reached the CRM raises a new dispute. Until the settlement is written, the record still
 * says open and nothing new is opened (the write-back is about to overwrite that status).
 *
 * Safe to repeat: the cursor is saved after the ledger is written, and an open dispute on a line
 * is found again rather than opened twice.
 */
import type { Kysely } from 'kysely';
import type { CrmDispute, DisputeSettlement, SourceConnector, SyncOptions, SyncStore } from '../connectors/source.js';
import {
  addDisputeEventOnce,
  disputeEvents,
  findLine,
  listDisputes,
  openDispute,
  updateDisputeReason,
  type Database,
  type Dispute,
} from '../src/db/index.js';
import type { Reject } from '../src/domain/model.js';
import { lineKey, parseLineKey } from '../src/domain/pay-cycle.js';

/** The sync cursor (`sync_cursors.object`) and reject origin of disputes read from a CRM. */
export const DISPUTES_OBJECT = 'disputes';
/** History entry: the dispute's settlement reached its CRM record. */
export const WRITTEN_EVENT = 'crm-written';
/** History entry: the disputed line is gone from the results (and its CRM record with it). */
export const LINE_GONE_EVENT = 'line-gone';
/** Said when a dispute comes without a reason: a dispute is raised by its status. */
export const NO_REASON = '(no reason given in the CRM)';

export interface DisputeSyncSummary {
  /** Open disputes read from the CRM. */
  read: number;
  opened: number;
  /** Open disputes whose reason the rep changed. */
  changed: number;
  rejected: number;
}

/** Reads the CRM's changed disputes into the ledger, then saves the cursor. A CRM without disputes reads nothing. */
export async function syncCrmDisputes(
  db: Kysely<Database>,
  connector: SourceConnector,
  store: SyncStore,
  options: SyncOptions,
): Promise<DisputeSyncSummary | undefined> {
  if (!connector.readDisputes) return undefined;
  const read = await connector.readDisputes(await store.cursor(DISPUTES_OBJECT), options);
  const { summary, rejects } = await importCrmDisputes(db, connector.kind, read.disputes);
  if (read.cursor !== undefined || rejects.length > 0)
    await store.storePage({
      object: DISPUTES_OBJECT,
      ...(rejects.length > 0 ? { rejects } : {}),
      ...(read.cursor === undefined ? {} : { cursor: read.cursor }),
    });
  if (read.disputes.length > 0)
    options.log(
      `${connector.kind}: ${summary.read} open disputes changed: ${summary.opened} opened, ${summary.changed} with a new reason` +
        (summary.rejected > 0 ? `, ${summary.rejected} on records that are no commission line (rejects)` : ''),
    );
  return summary;
}

/** The ledger side of the sync: opens what is new, updates changed reasons; a record whose key is no line key is a reject. */
export async function importCrmDisputes(
  db: Kysely<Database>,
  source: string,
  disputes: readonly CrmDispute[],
): Promise<{ summary: DisputeSyncSummary; rejects: Reject[] }> {
  const summary: DisputeSyncSummary = { read: disputes.length, opened: 0, changed: 0, rejected: 0 };
  const rejects: Reject[] = [];
  // The latest state of each record (a page may repeat a record re-read at the cursor).
  const latest = new Map(disputes.map((d) => [d.recordId, d]));
  const ledger = await listDisputes(db, { source, lineKeys: [...new Set([...latest.values()].map((d) => d.key))] });
  const written = new Set(
    (
      await disputeEvents(
        db,
        ledger.map((d) => d.id),
      )
    )
      .filter((e) => e.action === WRITTEN_EVENT)
      .map((e) => e.disputeId),
  );
  for (const d of latest.values()) {
    const parts = parseLineKey(d.key);
    if (!parts) {
      summary.rejected++;
      rejects.push({
        source: `${source} ${DISPUTES_OBJECT}`,
        recordId: d.recordId,
        reason: `a dispute on a record whose key "${d.key}" is not plan|rep|period|component: not read into the ledger`,
      });
      continue;
    }
    const reason = d.reason.trim() === '' ? NO_REASON : d.reason.trim();
    const earlier: Dispute[] = ledger.filter((l) => l.lineKey === d.key);
    const last = earlier.at(-1);
    if (last?.status === 'open') {
      if (last.reason !== reason) {
        await updateDisputeReason(db, last.id, { reason, by: parts.repId });
        summary.changed++;
      }
      continue;
    }
    // Resolved, but the CRM does not show it yet: the open status is the rep's old one.
    if (last && !written.has(last.id)) continue;
    const line = await findLine(db, parts);
    const opened = await openDispute(db, {
      lineKey: lineKey(parts),
      ...parts,
      lineAmount: line?.amount ?? d.amount ?? '0',
      currency: line?.currency ?? d.currency ?? '',
      reason,
      by: parts.repId,
      source,
      externalId: earlier.length === 0 ? d.recordId : `${d.recordId}:${earlier.length + 1}`,
    });
    if (opened.created) summary.opened++;
    if (!line)
      await addDisputeEventOnce(db, [opened.id], {
        action: LINE_GONE_EVENT,
        by: `attain sync`,
        note: `the latest results have no such line; the amount is the CRM record's`,
      });
  }
  return { summary, rejects };
}

/**
 * What the write-back sends of each line's latest dispute raised in `source`, once resolved: keyed
 * by line key. A line whose latest dispute is still open has none (its dispute fields stay the
 * rep's).
 */
export async function crmSettlements(db: Kysely<Database>, source: string): Promise<Map<string, DisputeSettlement>> {
  const latest = new Map<string, Dispute>();
  for (const d of await listDisputes(db, { source })) latest.set(d.lineKey, d);
  const resolved = [...latest.values()].filter((d) => d.status === 'resolved');
  const written = new Set(
    (
      await disputeEvents(
        db,
        resolved.map((d) => d.id),
      )
    )
      .filter((e) => e.action === WRITTEN_EVENT)
      .map((e) => e.disputeId),
  );
  const settlements = new Map<string, DisputeSettlement>();
  for (const d of resolved)
    settlements.set(d.lineKey, {
      disputeId: d.id,
      resolution: resolutionText(d),
      ...(written.has(d.id) ? { written: true } : {}),
    });
  return settlements;
}

/** `Resolved by ann on 2026-12-06: <note>. Adjustment -80.50 USD, paid in 2026-03.` */
export function resolutionText(d: Dispute): string {
  const day = d.resolvedAt ? ` on ${d.resolvedAt.toISOString().slice(0, 10)}` : '';
  const adjustment =
    d.adjustment === null
      ? ''
      : ` Adjustment ${d.adjustment} ${d.currency}, ${d.adjustmentPeriod ? `paid in ${d.adjustmentPeriod}` : 'paid by the next run'}.`;
  const note = (d.resolution ?? '').trim();
  const stop = adjustment !== '' && !/[.!?]$/.test(note) ? '.' : '';
  return `Resolved by ${d.resolvedBy ?? 'attain'}${day}: ${note}${stop}${adjustment}`;
}

/** After the write-back: the settlements the CRM accepted, and the disputes whose line (and record) is gone. */
export async function recordWriteBackOfDisputes(
  db: Kysely<Database>,
  source: string,
  result: { settled: readonly string[]; removedKeys: readonly string[] },
): Promise<void> {
  await addDisputeEventOnce(db, result.settled, {
    action: WRITTEN_EVENT,
    by: 'attain write-back',
    note: `written to the ${source} record`,
  });
  if (result.removedKeys.length === 0) return;
  const gone = await listDisputes(db, { lineKeys: result.removedKeys });
  await addDisputeEventOnce(
    db,
    gone.map((d) => d.id),
    {
      action: LINE_GONE_EVENT,
      by: 'attain write-back',
      note: `the line is gone from the results; its ${source} record was removed`,
    },
  );
}
