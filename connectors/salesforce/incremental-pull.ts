/**
 * The nightly pull: User, Account (when attain.yaml asks for accounts), Opportunity,
 * OpportunitySplit and the exchange rates, each from its cursor (the last stored `SystemModstamp`).
 *
 * - `SystemModstamp >= cursor ORDER BY SystemModstamp, Id`: `>=`, because records sharing the last
 *   stored timestamp may not all have been stored; re-reading them is harmless (upserts).
 * - `queryAll`, so deleted records arrive with `IsDeleted = true` and become deletions.
 * - Each page is stored with its cursor in one transaction (`SyncStore.storePage`): a failure or an
 *   early stop loses nothing and repeats little.
 * - Above `bulk.queryAbove` matching records (a first sync, a mass update) the query runs as a Bulk
 *   API 2.0 job instead; its result pages come in no promised order, so the cursor is saved with
 *   the last of them only.
 */
import type { Reject, Split } from '../../src/domain/model.js';
import { ConnectorError, type SyncOptions, type SyncPage, type SyncReport, type SyncStore } from '../source.js';
import type { OrgSchema } from './org-schema.js';
import { bulkQueryPages, restQueryPages } from './query-pages.js';
import {
  DEFAULT_ACCOUNT_FIELD_MAP,
  DEFAULT_FIELD_MAP,
  mapAccount,
  mapCurrencyType,
  mapDatedConversionRate,
  mapOpportunity,
  mapSplit,
  mapUser,
  timestampOf,
  type OpportunityMapping,
  type RawRecord,
} from './record-mapping.js';
import type { SalesforceClient } from './salesforce-client.js';

/** What a page of one object becomes, cursor aside. */
type PageContent = Omit<SyncPage, 'object' | 'cursor'>;

interface ObjectPull {
  object: string;
  fields: string[];
  /** Has IsDeleted: read with queryAll, so deletions arrive. */
  deletable: boolean;
  /** Read from a SystemModstamp cursor; false: read whole every run (a few rows). */
  incremental: boolean;
  toPage(records: RawRecord[]): Promise<PageContent>;
}

export interface PullSettings {
  schema: OrgSchema;
  fields: Record<string, string>;
  stages?: OpportunityMapping['stages'];
  filters?: OpportunityMapping['filters'];
  /** attain.yaml `salesforce.accounts`: Account is pulled, and Opportunity.AccountId kept. */
  accounts?: { fields: Record<string, string> } | undefined;
  /** Matching records above which a Bulk API 2.0 query job is used. */
  bulkQueryAbove: number;
  bulkPollMs?: number;
}

/** Splits of this many opportunities are re-read per query (ids in the WHERE clause stay well under SOQL's length limit). */
const SPLIT_IDS_PER_QUERY = 300;

export async function pullAll(
  client: SalesforceClient,
  store: SyncStore,
  settings: PullSettings,
  options: SyncOptions,
): Promise<SyncReport> {
  const report: SyncReport = { records: {}, apiCalls: 0 };
  const startCalls = client.apiCalls;
  try {
    for (const pull of objectPulls(client, settings)) {
      const stopped = await pullObject(client, store, pull, settings, options, report);
      if (stopped) {
        report.stoppedEarly = stopped;
        break;
      }
    }
  } catch (error) {
    // Out of API calls for the day: what is stored stays, with its cursors; the next run resumes.
    if (!(error instanceof ConnectorError && error.code === 'RATE_LIMITED')) throw error;
    report.stoppedEarly = error.message;
  }
  report.apiCalls = client.apiCalls - startCalls;
  if (report.stoppedEarly) options.log(report.stoppedEarly);
  return report;
}

function objectPulls(client: SalesforceClient, settings: PullSettings): ObjectPull[] {
  const { schema } = settings;
  const mapping: OpportunityMapping = {
    fields: { ...DEFAULT_FIELD_MAP, ...settings.fields },
    stages: settings.stages,
    filters: settings.filters,
    multiCurrency: schema.multiCurrency,
    defaultCurrency: schema.defaultCurrency,
    ...(settings.accounts ? { accounts: true } : {}),
  };
  const accountFields = { ...DEFAULT_ACCOUNT_FIELD_MAP, ...settings.accounts?.fields };
  const pulls: ObjectPull[] = [
    {
      object: 'User',
      fields: ['Id', 'Name', 'Email', 'ManagerId', 'IsActive', 'EmployeeNumber', 'SystemModstamp'],
      deletable: false,
      incremental: true,
      toPage: async (records) => collect(records, mapUser, (reps) => ({ reps })),
    },
    {
      object: 'Opportunity',
      fields: unique([
        'Id',
        'Name',
        'OwnerId',
        'CloseDate',
        'StageName',
        'IsWon',
        'IsClosed',
        'IsDeleted',
        'SystemModstamp',
        ...(schema.multiCurrency ? ['CurrencyIsoCode'] : []),
        ...(settings.filters?.recordTypes ? ['RecordType.DeveloperName'] : []),
        ...(settings.accounts ? ['AccountId'] : []),
        ...Object.values(mapping.fields),
      ]),
      deletable: true,
      incremental: true,
      toPage: async (records) =>
        collect(
          records,
          (raw) => mapOpportunity(raw, mapping),
          (deals) => ({ deals }),
        ),
    },
  ];
  if (settings.accounts) {
    // Before the opportunities that name them; incremental and with deletions, as Opportunity is.
    pulls.splice(1, 0, {
      object: 'Account',
      fields: unique(['Id', 'IsDeleted', 'SystemModstamp', ...Object.values(accountFields)]),
      deletable: true,
      incremental: true,
      toPage: async (records) =>
        collect(
          records,
          (raw) => mapAccount(raw, accountFields),
          (accounts) => ({ accounts }),
        ),
    });
  }
  if (schema.splits) {
    pulls.push({
      object: 'OpportunitySplit',
      fields: ['Id', 'OpportunityId', 'IsDeleted', 'SystemModstamp'],
      deletable: true,
      incremental: true,
      // A changed (or deleted) split row names its opportunity; all of that one's splits are read again.
      toPage: async (records) =>
        splitsOf(client, unique(records.map((r) => String(r['OpportunityId'] ?? '')).filter(Boolean))),
    });
  }
  if (schema.ratesObject === 'DatedConversionRate') {
    pulls.push({
      object: 'DatedConversionRate',
      fields: ['Id', 'IsoCode', 'StartDate', 'ConversionRate'],
      deletable: false,
      incremental: false,
      toPage: async (records) => collect(records, mapDatedConversionRate, (fxRates) => ({ fxRates })),
    });
  } else if (schema.ratesObject === 'CurrencyType') {
    pulls.push({
      object: 'CurrencyType',
      fields: ['Id', 'IsoCode', 'ConversionRate'],
      deletable: false,
      incremental: false,
      toPage: async (records) => collect(records, mapCurrencyType, (fxRates) => ({ fxRates })),
    });
  }
  return pulls;
}

/** Maps a page, splitting usable records from rejects and filtered-out ones. */
function collect<T>(
  records: RawRecord[],
  map: (raw: RawRecord) => { record: T } | { reject: Reject } | { filteredOut: string },
  wrap: (usable: T[]) => PageContent,
): PageContent {
  const usable: T[] = [];
  const rejects: Reject[] = [];
  const seen: string[] = [];
  for (const raw of records) {
    const mapped = map(raw);
    if ('record' in mapped) usable.push(mapped.record);
    else if ('reject' in mapped) rejects.push(mapped.reject);
    else seen.push(mapped.filteredOut);
  }
  return { ...wrap(usable), ...(rejects.length ? { rejects } : {}), ...(seen.length ? { seen } : {}) };
}

async function splitsOf(client: SalesforceClient, dealIds: string[]): Promise<PageContent> {
  const splits: Split[] = [];
  const rejects: Reject[] = [];
  for (let at = 0; at < dealIds.length; at += SPLIT_IDS_PER_QUERY) {
    const ids = dealIds
      .slice(at, at + SPLIT_IDS_PER_QUERY)
      .map(soqlString)
      .join(',');
    const soql = `SELECT Id, OpportunityId, SplitOwnerId, SplitPercentage, SplitType.IsTotalValidated FROM OpportunitySplit WHERE OpportunityId IN (${ids})`;
    for await (const page of restQueryPages(client, soql, { all: false })) {
      for (const raw of page.records) {
        const mapped = mapSplit(raw);
        if ('record' in mapped) splits.push(mapped.record);
        else if ('reject' in mapped) rejects.push(mapped.reject);
      }
    }
  }
  return { splits: { dealIds, splits }, ...(rejects.length ? { rejects } : {}) };
}

/** Pulls one object from its cursor. Returns why it stopped early, if it did. */
async function pullObject(
  client: SalesforceClient,
  store: SyncStore,
  pull: ObjectPull,
  settings: PullSettings,
  options: SyncOptions,
  report: SyncReport,
): Promise<string | undefined> {
  const cursor = pull.incremental ? await store.cursor(pull.object) : undefined;
  const where = cursor === undefined ? '' : ` WHERE SystemModstamp >= ${soqlDateTime(cursor)}`;
  const select = `SELECT ${pull.fields.join(', ')} FROM ${pull.object}${where}`;
  const count = (n: number) => (report.records[pull.object] = (report.records[pull.object] ?? 0) + n);
  const rest = restQueryPages(client, pull.incremental ? `${select} ORDER BY SystemModstamp, Id` : select, {
    all: pull.deletable,
  });

  let first = true;
  for await (const page of rest) {
    if (first && page.totalSize > settings.bulkQueryAbove && page.records.length < page.totalSize) {
      // Too many for REST pages to be economical: the same query as one Bulk API 2.0 job.
      options.log(
        `salesforce: ${page.totalSize} ${pull.object} records changed since ${cursor ?? 'the start'}; reading them with Bulk API 2.0`,
      );
      await rest.return(undefined);
      return pullObjectInBulk(client, store, pull, select, settings, options, count);
    }
    first = false;
    if (options.signal?.aborted) return `stopped: the run was cancelled while reading ${pull.object}`;
    const content = await pull.toPage(page.records);
    const last = page.records.at(-1);
    const next = pull.incremental && last ? timestampOf(last['SystemModstamp']) : undefined;
    await store.storePage({ object: pull.object, ...content, ...(next ? { cursor: next } : {}) });
    count(page.records.length);
    const stop = client.budgetExhausted();
    if (stop) return stop;
  }
  return undefined;
}

async function pullObjectInBulk(
  client: SalesforceClient,
  store: SyncStore,
  pull: ObjectPull,
  select: string,
  settings: PullSettings,
  options: SyncOptions,
  count: (n: number) => void,
): Promise<string | undefined> {
  let latest: string | undefined;
  let pending: { content: PageContent } | undefined;
  // One page is held back so that the last one can carry the cursor (the latest stamp of all).
  for await (const records of bulkQueryPages(client, select, {
    all: pull.deletable,
    log: options.log,
    ...(settings.bulkPollMs ? { pollMs: settings.bulkPollMs } : {}),
  })) {
    if (pending) await store.storePage({ object: pull.object, ...pending.content });
    for (const record of records) {
      const stamp = timestampOf(record['SystemModstamp']);
      if (stamp && (latest === undefined || stamp > latest)) latest = stamp;
    }
    pending = { content: await pull.toPage(records) };
    count(records.length);
    const stop = client.budgetExhausted();
    if (stop) {
      // Stored without a cursor: the next run repeats the query from the old one.
      await store.storePage({ object: pull.object, ...pending.content });
      return stop;
    }
  }
  if (pending)
    await store.storePage({
      object: pull.object,
      ...pending.content,
      ...(pull.incremental && latest ? { cursor: latest } : {}),
    });
  return undefined;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** A SOQL string literal. */
function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A SOQL datetime literal, to the second (`2026-01-05T10:00:00Z`). Rounding down only re-reads a
 * few records already stored; it never skips one.
 */
export function soqlDateTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}
