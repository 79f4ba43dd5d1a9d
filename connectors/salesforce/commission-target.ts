/**
 * Write-back into `Attain_Commission__c` (docs/write-back.md), upserted by the external id `Attain_Key__c`:
 *
 * - up to `bulk.ingestAbove` records: sObject Collections, 200 per call, `allOrNone: false`, so one
 *   bad record (an inactive rep as owner, say) fails alone and is retried next run;
 * - above it: one Bulk API 2.0 ingest job (CSV), its per-record results read back.
 *
 * `OwnerId` is the rep: the org's sharing (a private object, role hierarchy) then shows each rep
 * their own commissions and their managers their team's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommissionRecord, WritebackOutcome, WritebackTarget } from '../source.js';
import { ConnectorError } from '../source.js';
import { parseCsvPage } from './query-pages.js';
import type { SalesforceClient } from './salesforce-client.js';

export const COMMISSION_OBJECT = 'Attain_Commission__c';
export const EXTERNAL_ID_FIELD = 'Attain_Key__c';
/** The fields every write sets: without one of them the write-back does not start. */
export const COMMISSION_FIELDS = [
  'Attain_Key__c',
  'Rep__c',
  'Period__c',
  'Plan__c',
  'Component__c',
  'Amount__c',
  'Attainment__c',
  'Trace__c',
] as const;
/**
 * Written where the org has them (a package deployed before they existed lacks them, and an
 * unknown field fails a whole request): the period dates and the opportunity lookup.
 */
export const LINK_FIELDS = ['Period_Start__c', 'Period_End__c', 'Opportunity__c'] as const;
/** The lookup to the one opportunity a line credits: the Opportunity's "Attain Commissions" related list. */
export const OPPORTUNITY_FIELD = 'Opportunity__c';
/**
 * A rep's dispute, written by the rep (reason, status Open) and settled by Attain (status,
 * resolution). The write-back sends the status and resolution only with a record's settlement
 * (once `attain disputes resolve` resolved it), and the reason never, so an upsert (which sets only
 * the fields it is given) leaves what the rep wrote as it is; they are no part of a record's hash.
 */
export const DISPUTE_FIELDS = ['Dispute_Reason__c', 'Dispute_Status__c', 'Dispute_Resolution__c'] as const;
/** Bumped from none by the link fields (connectors/source.ts `fieldsVersion`). */
const FIELDS_VERSION = 2;
/** A Salesforce record id: 15 or 18 characters; an Opportunity's start with its key prefix 006. */
export const OPPORTUNITY_ID = /^006[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$/;
/**
 * How Salesforce refuses a record whose lookup points at a deleted or unknown record: naming the
 * lookup, or naming no field at all (a refusal that names another field, Rep__c, is not this).
 */
const BAD_REFERENCE = /Opportunity__c|(?:ENTITY_IS_DELETED|INVALID_CROSS_REFERENCE_KEY):[^(]*$/;
/** sObject Collections take at most 200 records per call. */
export const COLLECTION_SIZE = 200;

export interface CollectionResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: { statusCode?: string; message?: string; fields?: string[] }[];
}

export interface TargetSettings {
  /** Multi-currency orgs store each record's CurrencyIsoCode; others only the amount. */
  multiCurrency: boolean;
  /** Records above which one Bulk API 2.0 ingest job is used. */
  ingestAbove: number;
  /** The org has the LINK_FIELDS (default true). */
  linkFields?: boolean;
  /** The integration user can write Dispute_Status__c and Dispute_Resolution__c (default false). */
  disputeFields?: boolean;
  pollMs?: number;
  log: (message: string) => void;
}

/** The record as Salesforce stores it. Name is an autonumber in the shipped object: not set. */
export function commissionFields(
  record: CommissionRecord,
  multiCurrency: boolean,
  linkFields = true,
  disputeFields = false,
): Record<string, string | null> {
  return {
    [EXTERNAL_ID_FIELD]: record.key,
    OwnerId: record.repId,
    Rep__c: record.repId,
    Period__c: record.period,
    Plan__c: record.planId,
    Component__c: record.component,
    Amount__c: record.amount,
    ...(multiCurrency ? { CurrencyIsoCode: record.currency } : {}),
    // A Percent field stores 125 for 125 %; attainment is the ratio 1.25.
    Attainment__c: record.attainment === undefined ? null : ratioToPercent(record.attainment),
    Trace__c: record.trace,
    ...(linkFields
      ? {
          Period_Start__c: record.periodStart ?? null,
          Period_End__c: record.periodEnd ?? null,
          [OPPORTUNITY_FIELD]: opportunityOf(record),
        }
      : {}),
    // The settlement of the rep's dispute; without one the dispute fields are not sent.
    ...(disputeFields && record.settlement && !record.settlement.written
      ? { Dispute_Status__c: 'Resolved', Dispute_Resolution__c: record.settlement.resolution }
      : {}),
  };
}

/** The line's one opportunity; none (the lookup cleared) for a line of several deals or a deal from elsewhere. */
function opportunityOf(record: CommissionRecord): string | null {
  return record.dealId !== undefined && OPPORTUNITY_ID.test(record.dealId) ? record.dealId : null;
}

/** `1.25` → `125`, exactly (a decimal point shift, no float). */
export function ratioToPercent(ratio: string): string {
  const negative = ratio.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? ratio.slice(1) : ratio).split('.');
  const digits = `${whole}${fraction.padEnd(2, '0')}`;
  const point = whole.length + 2;
  const int = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const rest = digits.slice(point).replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${rest ? `.${rest}` : ''}`;
}

export class CommissionTarget implements WritebackTarget {
  readonly name = 'salesforce';
  /** With the lookup, the deal is part of each record's hash: a line whose deal changes is sent again. */
  readonly associatesDeals: boolean;
  readonly fieldsVersion: number | undefined;

  constructor(
    private readonly client: SalesforceClient,
    private readonly settings: TargetSettings,
  ) {
    this.associatesDeals = settings.linkFields !== false;
    this.fieldsVersion = settings.linkFields !== false ? FIELDS_VERSION : undefined;
  }

  async upsert(records: CommissionRecord[]): Promise<WritebackOutcome[]> {
    if (records.length === 0) return [];
    const outcomes =
      records.length > this.settings.ingestAbove ? await this.bulkUpsert(records) : await this.collections(records);
    // A line whose opportunity is gone from Salesforce (deleted, say, and now clawed back) is
    // refused whole for its lookup: written again without it, and reported as not linked.
    const byKey = new Map(records.map((r) => [r.key, r]));
    const unlinked = outcomes.filter((o) => {
      const record = byKey.get(o.key);
      return !o.ok && record && opportunityOf(record) !== null && BAD_REFERENCE.test(o.error ?? '');
    });
    if (unlinked.length === 0) return outcomes;
    const reasons = new Map(unlinked.map((o) => [o.key, o.error ?? '']));
    const again = await this.collections(unlinked.map((o) => ({ ...byKey.get(o.key)!, dealId: undefined })));
    const retried = new Map(
      again.map((o) => [
        o.key,
        o.ok ? { ...o, warning: `not linked to opportunity ${byKey.get(o.key)!.dealId}: ${reasons.get(o.key)}` } : o,
      ]),
    );
    return outcomes.map((o) => retried.get(o.key) ?? o);
  }

  private fields(record: CommissionRecord): Record<string, string | null> {
    return commissionFields(
      record,
      this.settings.multiCurrency,
      this.settings.linkFields !== false,
      this.settings.disputeFields === true,
    );
  }

  /** sObject Collections upserts, 200 records a call. */
  private async collections(records: CommissionRecord[]): Promise<WritebackOutcome[]> {
    const outcomes: WritebackOutcome[] = [];
    for (let at = 0; at < records.length; at += COLLECTION_SIZE) {
      const chunk = records.slice(at, at + COLLECTION_SIZE);
      const body = {
        allOrNone: false,
        records: chunk.map((r) => ({
          attributes: { type: COMMISSION_OBJECT },
          ...this.fields(r),
        })),
      };
      // PATCH by external id: safe to repeat, so the client's retries are safe too.
      const response = await this.client.request<CollectionResult[]>({
        method: 'PATCH',
        path: `/composite/sobjects/${COMMISSION_OBJECT}/${EXTERNAL_ID_FIELD}`,
        body,
      });
      // sObject Collections answer with one result per record, in the order sent.
      chunk.forEach((record, i) => outcomes.push(outcomeOf(record.key, response.body[i])));
    }
    return outcomes;
  }

  remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]> {
    return removeByKey(this.client, COMMISSION_OBJECT, records);
  }

  private bulkUpsert(records: CommissionRecord[]): Promise<WritebackOutcome[]> {
    return bulkUpsert(this.client, COMMISSION_OBJECT, records, (r) => this.fields(r), this.settings);
  }
}

/**
 * One Bulk API 2.0 ingest job upserting `records` into `object` by `Attain_Key__c`: create, upload
 * the CSV, close, poll, then read the successful and failed results (each row carries
 * `Attain_Key__c`, so outcomes match by key, not by order). "Bulk API 2.0 and Bulk API Developer
 * Guide", Ingest: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/bulk_api_2_0_ingest.htm
 */
export async function bulkUpsert<R extends { key: string }>(
  client: SalesforceClient,
  object: string,
  records: R[],
  fieldsOf: (record: R) => Record<string, string | null>,
  settings: { pollMs?: number; log: (message: string) => void },
): Promise<WritebackOutcome[]> {
  const created = await client.request<{ id: string }>({
    method: 'POST',
    path: '/jobs/ingest',
    body: {
      object,
      operation: 'upsert',
      externalIdFieldName: EXTERNAL_ID_FIELD,
      contentType: 'CSV',
      lineEnding: 'LF',
    },
  });
  const jobId = created.body.id;
  settings.log(`salesforce: Bulk API 2.0 ingest job ${jobId} for ${records.length} ${object} records`);
  const rows = records.map(fieldsOf);
  // Bulk CSV: an empty cell leaves a field as it is; #N/A clears it.
  const csv = toCsv(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? '#N/A']))));
  await client.request({
    method: 'PUT',
    path: `/jobs/ingest/${jobId}/batches`,
    body: csv,
    headers: { 'content-type': 'text/csv' },
  });
  await client.request({ method: 'PATCH', path: `/jobs/ingest/${jobId}`, body: { state: 'UploadComplete' } });
  let wait = settings.pollMs ?? 1_000;
  for (;;) {
    const job = (await client.request<{ state: string; errorMessage?: string }>({ path: `/jobs/ingest/${jobId}` }))
      .body;
    if (job.state === 'JobComplete') break;
    if (job.state === 'Failed' || job.state === 'Aborted') {
      throw new ConnectorError(
        'TEMPORARY',
        `salesforce: Bulk API 2.0 ingest job ${jobId} ${job.state.toLowerCase()}: ${job.errorMessage ?? 'no reason given'}`,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 30_000);
  }
  const outcomes = new Map<string, WritebackOutcome>();
  const successful = await client.request<string>({
    path: `/jobs/ingest/${jobId}/successfulResults`,
    text: true,
  });
  for (const row of parseCsvPage(successful.body)) {
    const key = String(row[EXTERNAL_ID_FIELD]);
    outcomes.set(key, { key, ok: true, ...(row['sf__Id'] ? { externalId: String(row['sf__Id']) } : {}) });
  }
  const failed = await client.request<string>({ path: `/jobs/ingest/${jobId}/failedResults`, text: true });
  for (const row of parseCsvPage(failed.body)) {
    const key = String(row[EXTERNAL_ID_FIELD]);
    outcomes.set(key, { key, ok: false, error: String(row['sf__Error'] ?? 'failed without a reason') });
  }
  // A record in neither list was not processed (the job stopped short): retried next run.
  return records.map((r) => outcomes.get(r.key) ?? { key: r.key, ok: false, error: 'not processed by the bulk job' });
}

/**
 * Deletes records of `object` by their `Attain_Key__c`: by the Id the write kept where known, else
 * looked up; 200 a call through sObject Collections (`DELETE /composite/sobjects?ids=`). A record
 * already gone counts as removed.
 */
export async function removeByKey(
  client: SalesforceClient,
  object: string,
  records: { key: string; externalId?: string }[],
): Promise<WritebackOutcome[]> {
  if (records.length === 0) return [];
  const ids = new Map<string, string>();
  for (const r of records) if (r.externalId) ids.set(r.key, r.externalId);
  const unknown = records.filter((r) => !r.externalId).map((r) => r.key);
  for (const [key, id] of await idsByKey(client, object, unknown)) ids.set(key, id);

  const outcomes: WritebackOutcome[] = [];
  const byId = [...ids.entries()];
  for (let at = 0; at < byId.length; at += COLLECTION_SIZE) {
    const chunk = byId.slice(at, at + COLLECTION_SIZE);
    const response = await client.request<CollectionResult[]>({
      method: 'DELETE',
      path: `/composite/sobjects?allOrNone=false&ids=${chunk.map(([, id]) => id).join(',')}`,
    });
    chunk.forEach(([key], i) => {
      const result = response.body[i];
      // Already gone (deleted by hand) is what we wanted.
      const gone = result?.errors?.some(
        (e) => e.statusCode === 'ENTITY_IS_DELETED' || e.statusCode === 'INVALID_CROSS_REFERENCE_KEY',
      );
      outcomes.push(gone ? { key, ok: true } : outcomeOf(key, result));
    });
  }
  // Never written (or already deleted): nothing to remove.
  for (const r of records) if (!ids.has(r.key)) outcomes.push({ key: r.key, ok: true });
  return outcomes;
}

/** Salesforce Ids of records by their external id, for deletions whose Id was not kept. */
async function idsByKey(client: SalesforceClient, object: string, keys: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let at = 0; at < keys.length; at += COLLECTION_SIZE) {
    const list = keys
      .slice(at, at + COLLECTION_SIZE)
      .map((k) => `'${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
      .join(',');
    const soql = `SELECT Id, ${EXTERNAL_ID_FIELD} FROM ${object} WHERE ${EXTERNAL_ID_FIELD} IN (${list})`;
    const response = await client.request<{ records: Record<string, string>[] }>({
      path: `/query?q=${encodeURIComponent(soql)}`,
    });
    for (const row of response.body.records) found.set(row[EXTERNAL_ID_FIELD]!, row['Id']!);
  }
  return found;
}

export function outcomeOf(key: string, result: CollectionResult | undefined): WritebackOutcome {
  if (!result) return { key, ok: false, error: 'no result for this record in the response' };
  if (result.success) return { key, ok: true, ...(result.id ? { externalId: result.id } : {}) };
  const error = (result.errors ?? [])
    .map((e) => `${e.statusCode ?? 'ERROR'}: ${e.message ?? ''}${e.fields?.length ? ` (${e.fields.join(', ')})` : ''}`)
    .join('; ');
  return { key, ok: false, error: error || 'refused without a reason' };
}

/**
 * RFC 4180 CSV with a header row, every value quoted (traces hold quotes, commas and newlines). The
 * columns are every row's fields; a row without one has an empty cell, which leaves it as it is.
 */
export function toCsv(rows: Record<string, string>[]): string {
  const seen = new Set<string>();
  for (const row of rows) for (const column in row) seen.add(column);
  const columns = [...seen];
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  return [columns.join(','), ...rows.map((row) => columns.map((c) => quote(row[c] ?? '')).join(','))].join('\n') + '\n';
}
