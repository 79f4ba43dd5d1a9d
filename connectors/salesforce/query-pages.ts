/**
 * Reading a SOQL query page by page, through REST (`query`/`queryAll` and `nextRecordsUrl`) or a
 * Bulk API 2.0 query job. Both yield pages of raw records; the caller stores each page before
 * asking for the next, so a failure loses at most the page in hand.
 *
 * Paging is done here rather than by jsforce's `query().autoFetch`, which stops at `maxFetch`
 * (10,000) without a word, and rather than `bulk2.query()`, which feeds every result page into
 * one CSV parser although each page repeats the header row.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { ConnectorError } from '../source.js';
import type { RawRecord } from './record-mapping.js';
import type { SalesforceClient } from './salesforce-client.js';

/** The most records a REST query page holds; Salesforce may send fewer. */
export const REST_BATCH_SIZE = 2_000;

interface RestQueryResponse {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: RawRecord[];
}

export interface RestPage {
  records: RawRecord[];
  /** Records the whole query matches (as of its first page). */
  totalSize: number;
}

/** `queryAll` includes deleted (and archived) records, which a sync turns into deletions. */
export async function* restQueryPages(
  client: SalesforceClient,
  soql: string,
  options: { all: boolean },
): AsyncGenerator<RestPage> {
  const headers = { 'Sforce-Query-Options': `batchSize=${REST_BATCH_SIZE}` };
  let response = (
    await client.request<RestQueryResponse>({
      path: `/${options.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`,
      headers,
    })
  ).body;
  const totalSize = response.totalSize;
  for (;;) {
    yield { records: stripAttributes(response.records), totalSize };
    if (response.done || !response.nextRecordsUrl) return;
    response = (await client.request<RestQueryResponse>({ path: response.nextRecordsUrl, headers })).body;
  }
}

/** REST records carry `attributes` (type and url), nested ones too: nothing Attain reads. */
function stripAttributes(records: RawRecord[]): RawRecord[] {
  for (const record of records) {
    delete record['attributes'];
    for (const value of Object.values(record)) {
      if (value !== null && typeof value === 'object') delete (value as RawRecord)['attributes'];
    }
  }
  return records;
}

interface BulkJob {
  id: string;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  errorMessage?: string;
  numberRecordsProcessed?: number;
}

export interface BulkOptions {
  all: boolean;
  /** Records per results page. */
  pageSize?: number;
  /** Wait between status checks; doubles up to 30 s. */
  pollMs?: number;
  log?: (message: string) => void;
}

/**
 * A Bulk API 2.0 query job: created, polled until complete, its CSV results read page by page with
 * the `Sforce-Locator` header until it says `null`. Every CSV value is a string and empty is null
 * (the mapping reads both shapes).
 */
export async function* bulkQueryPages(
  client: SalesforceClient,
  soql: string,
  options: BulkOptions,
): AsyncGenerator<RawRecord[]> {
  const created = await client.request<BulkJob>({
    method: 'POST',
    path: '/jobs/query',
    body: {
      operation: options.all ? 'queryAll' : 'query',
      query: soql,
      contentType: 'CSV',
      columnDelimiter: 'COMMA',
      lineEnding: 'LF',
    },
  });
  const jobId = created.body.id;
  options.log?.(`salesforce: Bulk API 2.0 query job ${jobId} started`);
  let wait = options.pollMs ?? 1_000;
  for (let job = created.body; job.state !== 'JobComplete';) {
    if (job.state === 'Failed' || job.state === 'Aborted') {
      throw new ConnectorError(
        'TEMPORARY',
        `salesforce: Bulk API 2.0 query job ${jobId} ${job.state.toLowerCase()}: ${job.errorMessage ?? 'no reason given'}`,
      );
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 30_000);
    job = (await client.request<BulkJob>({ path: `/jobs/query/${jobId}` })).body;
  }
  const pageSize = options.pageSize ?? 50_000;
  let locator: string | undefined;
  for (;;) {
    const query = `maxRecords=${pageSize}${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`;
    const response = await client.request<string>({
      path: `/jobs/query/${jobId}/results?${query}`,
      headers: { Accept: 'text/csv' },
      text: true,
    });
    yield parseCsvPage(response.body);
    locator = response.headers['sforce-locator'];
    if (!locator || locator === 'null') return;
  }
}

/** One results page: its own header row first (each page repeats it). */
export function parseCsvPage(text: string): RawRecord[] {
  if (text.trim() === '') return [];
  return parse(text, { columns: true, skip_empty_lines: true, relax_column_count: false }) as RawRecord[];
}
