/**
 * Links `attain_commission` records to the deal their line credits (`CommissionRecord.dealId`),
 * right after they are upserted, with the associations v4 batch API: the default association type
 * between the commission object and deals (`0-3`), which `attain hubspot setup` defines by creating
 * the object with `associatedObjects: ['DEAL']`.
 *
 * Only the records upserted in this run are looked at, so an unchanged record costs no call. Per
 * 100 records sent: one read of the current deal associations of the records the upsert updated
 * (a new record has none), one archive call when some are stale (the line's deal changed, or it
 * now credits several), one create call for those not yet linked to their deal.
 *
 * Through `client.apiRequest` (HubspotApi) like every other call, not the typed
 * `crm.associations.v4.batchApi.createDefault`: in 13.5 that one throws on HubSpot's 207 (its
 * response processor accepts only 200) and parses the body into the generic Error model, so the
 * per-pair results and errors of a partial success would be lost.
 *
 * A pair HubSpot refuses (a deal deleted since the sync) does not fail the batch: HubSpot lists it
 * in `errors[]` naming the ids in `context`, and a batch refused whole with 400 is bisected down to
 * the bad pair (batch-bisect.ts). Either way the record gets a warning: written, kept in
 * `writeback_state` as incomplete and sent (and associated) again next run.
 */
import { bisect } from './batch-bisect.js';
import type { HubspotApi } from './hubspot-api.js';

/** HubSpot's object type id for deals. */
export const DEAL_OBJECT_TYPE = '0-3';
const BATCH = 100;

/** A record the upsert just wrote: its HubSpot id, whether the upsert created it, and its deal's HubSpot id. */
export interface WrittenRecord {
  key: string;
  id: string;
  created: boolean;
  dealId?: string;
}

interface BatchError {
  message?: string;
  category?: string;
  subCategory?: unknown;
  context?: Record<string, string[]>;
}

interface BatchAnswer<R> {
  status?: string;
  results?: R[];
  errors?: BatchError[];
  numErrors?: number;
}

type Outcome = { key: string; error?: string };

export class DealAssociations {
  constructor(
    private readonly api: HubspotApi,
    /** The commission object's `objectTypeId` (`2-…`), from its schema. */
    private readonly objectType: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Links each record to its deal alone. Returns, by record key, why a record is not (fully) linked. */
  async reconcile(written: WrittenRecord[]): Promise<Map<string, string>> {
    const warnings = new Map<string, string>();
    const warn = (key: string, message: string) =>
      warnings.set(key, warnings.has(key) ? `${warnings.get(key)}; ${message}` : message);

    // A record the upsert created has no association yet: only updated ones are read.
    const current = await this.read(
      written.filter((w) => !w.created),
      warn,
    );
    const stale = written.flatMap((w) => {
      const others = (current.get(w.key) ?? []).filter((deal) => deal !== w.dealId);
      return others.length > 0 ? [{ key: w.key, id: w.id, deals: others }] : [];
    });
    await this.archive(stale, warn);
    const missing = written.filter(
      (w): w is WrittenRecord & { dealId: string } =>
        w.dealId !== undefined && !(current.get(w.key) ?? []).includes(w.dealId),
    );
    await this.create(missing, warn);
    return warnings;
  }

  /** The deals each record is associated with now. HubSpot answers a record with none as an error in a 207: that is no deal, not a failure. */
  private async read(
    records: WrittenRecord[],
    warn: (key: string, message: string) => void,
  ): Promise<Map<string, string[]>> {
    const deals = new Map<string, string[]>();
    for (let i = 0; i < records.length; i += BATCH) {
      const outcomes = await bisect<WrittenRecord, Outcome & { deals: string[] }>(
        records.slice(i, i + BATCH),
        async (batch) => {
          const answer = await this.call<BatchAnswer<{ from: { id: string }; to?: { toObjectId: string | number }[] }>>(
            'batch/read',
            { inputs: batch.map((r) => ({ id: r.id })) },
          );
          const byId = new Map(
            (answer.results ?? []).map((result) => [
              String(result.from.id),
              (result.to ?? []).map((to) => String(to.toObjectId)),
            ]),
          );
          return batch.map((r) => ({ key: r.key, deals: byId.get(r.id) ?? [] }));
        },
        (r, error) => ({ key: r.key, deals: [], error }),
      );
      for (const o of outcomes) {
        if (o.error !== undefined)
          warn(o.key, `its deal associations could not be read, so a stale one may remain: ${o.error}`);
        else deals.set(o.key, o.deals);
      }
    }
    return deals;
  }

  /** Removes the associations to deals that are no longer the record's. */
  private async archive(
    records: { key: string; id: string; deals: string[] }[],
    warn: (key: string, message: string) => void,
  ): Promise<void> {
    for (let i = 0; i < records.length; i += BATCH) {
      const outcomes = await bisect<{ key: string; id: string; deals: string[] }, Outcome>(
        records.slice(i, i + BATCH),
        async (batch) => {
          await this.call('batch/archive', {
            inputs: batch.map((r) => ({ from: { id: r.id }, to: r.deals.map((id) => ({ id })) })),
          });
          return batch.map((r) => ({ key: r.key }));
        },
        (r, error) => ({ key: r.key, error }),
      );
      for (const o of outcomes)
        if (o.error !== undefined) warn(o.key, `still associated to a deal that is no longer its own: ${o.error}`);
    }
  }

  /**
   * Creates the default association of each record to its deal. HubSpot answers each pair it made
   * in `results` (once per direction: record → deal and deal → record) and each it refused in
   * `errors`, whose `context` names the ids; results are matched by ids, never by position.
   */
  private async create(
    records: (WrittenRecord & { dealId: string })[],
    warn: (key: string, message: string) => void,
  ): Promise<void> {
    for (let i = 0; i < records.length; i += BATCH) {
      const outcomes = await bisect<WrittenRecord & { dealId: string }, Outcome>(
        records.slice(i, i + BATCH),
        async (batch) => {
          const answer = await this.call<BatchAnswer<{ from: { id: string }; to: { id: string } }>>(
            'batch/associate/default',
            {
              inputs: batch.map((r) => ({ from: { id: r.id }, to: { id: r.dealId } })),
            },
          );
          const made = new Set((answer.results ?? []).map((result) => `${result.from.id}>${result.to.id}`));
          const reasons = new Map<string, string[]>();
          const unplaced: string[] = [];
          for (const error of answer.errors ?? []) {
            const message = `${error.category ?? 'ERROR'}: ${error.message ?? 'no reason given'}`;
            const named = new Set(Object.values(error.context ?? {}).flat());
            const hit = batch.filter((r) => named.has(r.id) || named.has(r.dealId));
            if (hit.length === 0) unplaced.push(message);
            for (const r of hit) reasons.set(r.key, [...(reasons.get(r.key) ?? []), message]);
          }
          return batch.map((r) => {
            if (made.has(`${r.id}>${r.dealId}`) || made.has(`${r.dealId}>${r.id}`)) return { key: r.key };
            const why =
              reasons.get(r.key)?.join('; ') ??
              (unplaced.join('; ') || 'HubSpot returned no result for this association');
            return { key: r.key, error: why };
          });
        },
        (r, error) => ({ key: r.key, error }),
      );
      const byKey = new Map(records.map((r) => [r.key, r]));
      for (const o of outcomes)
        if (o.error !== undefined) warn(o.key, `not associated to deal ${byKey.get(o.key)?.dealId ?? '?'}: ${o.error}`);
    }
  }

  private call<T>(operation: 'batch/read' | 'batch/archive' | 'batch/associate/default', body: unknown): Promise<T> {
    return this.api.request<T>(
      `POST /crm/v4/associations/attain_commission/deals/${operation}`,
      'standard',
      { method: 'POST', path: `/crm/v4/associations/${this.objectType}/${DEAL_OBJECT_TYPE}/${operation}`, body },
      this.signal,
    );
  }
}
