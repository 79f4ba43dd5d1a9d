/**
 * Deals, incrementally: the CRM search API filtered on `hs_lastmodifieddate >= cursor`, sorted by
 * it, 200 per page. One search query stops at 10,000 results (HubSpot answers 400 to a page past
 * it), so before that the query is re-windowed: a new query from the last seen
 * `hs_lastmodifieddate`, inclusive, skipping the ids already read at that very millisecond. Should
 * a whole window share one millisecond (a bulk import), that millisecond is read ordered by
 * `hs_object_id` instead. Each page is stored with the cursor it reaches, so a run that stops
 * (a daily limit, a crash) resumes where the last stored page ended.
 *
 * Deleted deals come from the archived listing (it has no filter either): each archived deal
 * newer than the `deals-archived` cursor is stored as a deletion.
 */
import type { Deal, Reject, Split } from '../../src/domain/model.js';
import { ConnectorError, type SyncStore } from '../source.js';
import {
  LAST_MODIFIED,
  epochMs,
  mapDeal,
  mapSplits,
  type DealMappingContext,
  type RawObject,
  type RawSplit,
} from './deal-mapping.js';
import { primaryCompanies } from './company-sync.js';
import { HubspotResponseError, type HubspotApi } from './hubspot-api.js';

export const DEALS_OBJECT = 'deals';
export const ARCHIVED_DEALS_OBJECT = 'deals-archived';
/** The search API's largest page. */
export const SEARCH_PAGE_SIZE = 200;
/** The search API's largest result offset per query. */
export const SEARCH_RESULT_CAP = 10_000;
const SPLITS_BATCH = 100;

interface SearchAnswer {
  total?: number;
  results: RawObject[];
  paging?: { next?: { after?: string } };
}

interface DealCursor {
  /** `hs_lastmodifieddate` (ms) of the last stored deal: the next run reads from it, inclusive. */
  since: number;
}

export interface DealSyncContext {
  api: HubspotApi;
  store: SyncStore;
  mapping: DealMappingContext;
  properties: string[];
  log: (message: string) => void;
  signal?: AbortSignal;
  /** Reads the portal's deal splits; false once the portal turned out not to have the API. */
  splits: { enabled: boolean };
  /** Keep each deal's primary company as its account (attain.yaml `hubspot.companies`). */
  companies?: boolean;
  pageSize?: number;
}

export interface DealSyncCounts {
  read: number;
  stored: number;
  rejected: number;
  windows: number;
}

type Filter = { propertyName: string; operator: 'GTE' | 'GT' | 'EQ'; value: string };

/** Pulls every deal changed since the saved cursor. */
export async function syncDeals(ctx: DealSyncContext): Promise<DealSyncCounts> {
  const saved = parseCursor(await ctx.store.cursor(DEALS_OBJECT));
  const pageSize = ctx.pageSize ?? SEARCH_PAGE_SIZE;
  const counts: DealSyncCounts = { read: 0, stored: 0, rejected: 0, windows: 1 };
  let since = saved?.since ?? 0;
  let operator: 'GTE' | 'GT' = 'GTE';
  /** Ids read whose `hs_lastmodifieddate` is exactly `since`: a re-windowed query returns them again. */
  let atSince = new Set<string>();
  /**
   * Set while one millisecond holds more deals than a window: read in `hs_object_id` order.
   * `startId` is the id the current query starts after (fixed while `after` pages through it, like
   * `windowStart`); `afterId` the last id read, where the next query starts. `read` holds the ids of
   * that millisecond already stored by the windows before: skipped, not stored twice.
   */
  let tie: { ms: number; startId: string; afterId: string; read: Set<string> } | undefined;
  let after: string | undefined;
  /** `since` when the current query began: a query that ends where it began is stuck on one millisecond. */
  let windowStart = since;

  for (;;) {
    const filters: Filter[] = tie
      ? [
          { propertyName: LAST_MODIFIED, operator: 'EQ', value: String(tie.ms) },
          { propertyName: 'hs_object_id', operator: 'GT', value: tie.startId },
        ]
      : // The window's start, not the running `since`: a query's filter stays fixed while `after` pages through it.
        [{ propertyName: LAST_MODIFIED, operator, value: String(windowStart) }];
    const sorts = [{ propertyName: tie ? 'hs_object_id' : LAST_MODIFIED, direction: 'ASCENDING' }];
    let answer: SearchAnswer;
    try {
      answer = await ctx.api.request<SearchAnswer>(
        'POST /crm/v3/objects/deals/search',
        'search',
        {
          method: 'POST',
          path: '/crm/v3/objects/deals/search',
          body: {
            filterGroups: [{ filters }],
            sorts,
            properties: ctx.properties,
            limit: pageSize,
            ...(after && { after }),
          },
        },
        ctx.signal,
      );
    } catch (error) {
      // A 400 past the first page is the result cap (its wording is not to be relied on): re-window.
      if (error instanceof HubspotResponseError && error.status === 400 && after !== undefined && Number(after) > 0) {
        ({ since, operator, atSince, tie, after } = rewindow({ since, operator, atSince, tie }, windowStart));
        windowStart = since;
        counts.windows++;
        continue;
      }
      throw error;
    }

    const fresh: RawObject[] = [];
    for (const raw of answer.results) {
      const ms = epochMs(raw.properties[LAST_MODIFIED] ?? '');
      if (ms === undefined) {
        throw new ConnectorError(
          'INVALID_DATA',
          `HubSpot deal ${raw.id} has no readable ${LAST_MODIFIED} ("${raw.properties[LAST_MODIFIED] ?? ''}")`,
        );
      }
      if (tie) {
        tie.afterId = raw.id;
        if (tie.read.has(raw.id)) continue;
      } else {
        if (ms === since && atSince.has(raw.id)) continue;
        if (ms > since) {
          since = ms;
          atSince = new Set();
        }
        if (ms === since) atSince.add(raw.id);
      }
      fresh.push(raw);
    }
    counts.read += fresh.length;
    // A crowded millisecond's page of ids already stored has nothing to store (and moves no cursor).
    if (fresh.length > 0 || !tie) {
      const { stored, rejected } = await storeDeals(ctx, fresh, tie ? undefined : { since });
      counts.stored += stored;
      counts.rejected += rejected;
    }

    const next = answer.paging?.next?.after;
    if (!next) {
      if (!tie) break;
      // The crowded millisecond is read; carry on after it.
      since = tie.ms;
      operator = 'GT';
      tie = undefined;
      after = undefined;
      atSince = new Set();
      windowStart = since;
      await ctx.store.storePage({ object: DEALS_OBJECT, cursor: JSON.stringify({ since } satisfies DealCursor) });
      continue;
    }
    if (Number(next) + pageSize > SEARCH_RESULT_CAP) {
      ({ since, operator, atSince, tie, after } = rewindow({ since, operator, atSince, tie }, windowStart));
      windowStart = since;
      counts.windows++;
      continue;
    }
    after = next;
  }
  if (counts.windows > 1) ctx.log(`hubspot: deals read in ${counts.windows} search windows (10,000 results per query)`);
  return counts;

  /**
   * A new query from the last seen timestamp, keeping the ids read at it. If the query did not move
   * past its start, or most of a window shares its last millisecond, that millisecond is read in
   * `hs_object_id` order instead (re-reading it whole would meet the same cap again).
   */
  function rewindow(
    state: { since: number; operator: 'GTE' | 'GT'; atSince: Set<string>; tie: typeof tie },
    startedAt: number,
  ): { since: number; operator: 'GTE' | 'GT'; atSince: Set<string>; tie: typeof tie; after: undefined } {
    if (state.tie) return { ...state, tie: { ...state.tie, startId: state.tie.afterId }, after: undefined };
    const stuck = state.since === startedAt || state.atSince.size >= SEARCH_RESULT_CAP / 2;
    if (stuck)
      return {
        since: state.since,
        operator: 'GTE',
        atSince: new Set(),
        tie: { ms: state.since, startId: '0', afterId: '0', read: state.atSince },
        after: undefined,
      };
    return { since: state.since, operator: 'GTE', atSince: state.atSince, tie: undefined, after: undefined };
  }
}

/** Maps a page, reads the won deals' splits, and stores it with its cursor in one transaction. */
async function storeDeals(
  ctx: DealSyncContext,
  raws: RawObject[],
  cursor: DealCursor | undefined,
): Promise<{ stored: number; rejected: number }> {
  const deals: Deal[] = [];
  const rejects: Reject[] = [];
  for (const raw of raws) {
    const mapped = mapDeal(raw, ctx.mapping);
    if (mapped.ok) deals.push(mapped.value);
    else rejects.push(mapped.reject);
  }
  if (ctx.companies) {
    const live = deals.filter((d) => !d.deleted);
    const primary = await primaryCompanies(
      ctx.api,
      live.map((d) => d.id),
      ctx.signal,
    );
    for (const deal of live) {
      const company = primary.get(deal.id);
      if (company !== undefined) deal.accountId = company;
    }
  }
  const splits = await readSplits(
    ctx,
    deals.filter((d) => d.stage === 'won' && !d.deleted).map((d) => d.id),
  );
  const kept = deals.filter((d) => !splits.rejected.has(d.id));
  rejects.push(...splits.rejects);
  await ctx.store.storePage({
    object: DEALS_OBJECT,
    deals: kept,
    ...(splits.dealIds.length > 0 && { splits: { dealIds: splits.dealIds, splits: splits.splits } }),
    rejects,
    ...(cursor && { cursor: JSON.stringify(cursor) }),
  });
  return { stored: kept.length, rejected: rejects.length };
}

/**
 * Deal splits through `POST /crm/v3/objects/deals/splits/batch/read`, 100 deals per call. A portal
 * without the splits API (403 or 404) credits the owner: asked once, then not again this run.
 */
async function readSplits(
  ctx: DealSyncContext,
  dealIds: string[],
): Promise<{ dealIds: string[]; splits: Split[]; rejects: Reject[]; rejected: Set<string> }> {
  const result = {
    dealIds: [] as string[],
    splits: [] as Split[],
    rejects: [] as Reject[],
    rejected: new Set<string>(),
  };
  for (let i = 0; i < dealIds.length && ctx.splits.enabled; i += SPLITS_BATCH) {
    const batch = dealIds.slice(i, i + SPLITS_BATCH);
    let answer: { results?: { id: string; splits?: RawSplit[] }[] };
    try {
      answer = await ctx.api.request(
        'POST /crm/v3/objects/deals/splits/batch/read',
        'standard',
        {
          method: 'POST',
          path: '/crm/v3/objects/deals/splits/batch/read',
          body: { inputs: batch.map((id) => ({ id })) },
        },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof ConnectorError && error.code === 'INVALID_CONFIG') {
        ctx.splits.enabled = false;
        ctx.log(`hubspot: no deal splits in this portal (${error.message}); deals credit their owner`);
        return result;
      }
      throw error;
    }
    const byDeal = new Map((answer.results ?? []).map((r) => [r.id, r.splits ?? []]));
    for (const dealId of batch) {
      result.dealIds.push(dealId);
      const mapped = mapSplits(dealId, byDeal.get(dealId) ?? []);
      if (mapped.ok) result.splits.push(...mapped.value);
      else {
        result.rejects.push(mapped.reject);
        result.rejected.add(dealId);
      }
    }
  }
  return result;
}

interface ArchivedCursor {
  /** `archivedAt` (ms) of the newest deletion stored. */
  archivedSince: number;
}

/** Archived (deleted) deals newer than the cursor, stored as deletions; the cursor moves once the listing is whole. */
export async function syncArchivedDeals(ctx: DealSyncContext): Promise<{ read: number }> {
  const saved = ctx.store
    .cursor(ARCHIVED_DEALS_OBJECT)
    .then((c) => (c ? (JSON.parse(c) as ArchivedCursor).archivedSince : 0));
  const since = await saved;
  let newest = since;
  let read = 0;
  let after: string | undefined;
  do {
    const qs: Record<string, string> = {
      archived: 'true',
      limit: '100',
      properties: ctx.properties.join(','),
      ...(after && { after }),
    };
    const answer = await ctx.api.request<SearchAnswer>(
      'GET /crm/v3/objects/deals (archived)',
      'standard',
      { method: 'GET', path: '/crm/v3/objects/deals', qs },
      ctx.signal,
    );
    const fresh = answer.results.filter((raw) => (epochMs(raw.archivedAt ?? '') ?? Number.MAX_SAFE_INTEGER) >= since);
    for (const raw of fresh) newest = Math.max(newest, epochMs(raw.archivedAt ?? '') ?? newest);
    after = answer.paging?.next?.after;
    const deals: Deal[] = [];
    for (const raw of fresh) {
      const mapped = mapDeal({ ...raw, archived: true }, ctx.mapping);
      if (mapped.ok) deals.push(mapped.value);
    }
    read += deals.length;
    // The listing is not ordered by archivedAt: only its end may move the cursor.
    await ctx.store.storePage({
      object: ARCHIVED_DEALS_OBJECT,
      deals,
      ...(!after && { cursor: JSON.stringify({ archivedSince: newest } satisfies ArchivedCursor) }),
    });
  } while (after);
  return { read };
}

function parseCursor(text: string | undefined): DealCursor | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<DealCursor>;
    if (typeof parsed.since === 'number') return { since: parsed.since };
  } catch {
    // Fall through: an unreadable cursor is reported, not silently reset.
  }
  throw new ConnectorError(
    'INVALID_DATA',
    `the saved HubSpot deals cursor "${text}" is unreadable: reset it to resync (sync_cursors, object deals)`,
  );
}
