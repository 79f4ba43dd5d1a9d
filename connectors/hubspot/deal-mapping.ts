/**
 * HubSpot records → canonical records (src/domain/model.ts), or a reject naming the HubSpot id and the
 * reason. Pure: no I/O, no clock; the connector feeds it what the APIs returned.
 *
 * HubSpot facts this relies on: every property value arrives as a string (or null); `amount` is a
 * plain decimal string; `closedate` and `hs_lastmodifieddate` are ISO timestamps; `dealstage` and
 * `pipeline` are ids, whose meaning (won, lost) comes from the pipelines API: a closed stage with
 * probability 1.0 is won, with 0.0 lost.
 */
import { DateTime } from 'luxon';
import { isCurrencyCode } from '../../src/domain/currency.js';
import { ONE, ZERO, formatDecimal, parseDecimal } from '../../src/domain/decimal.js';
import type { Deal, DealStage, Reject, Rep, Split } from '../../src/domain/model.js';
import { calendarDay } from '../../src/domain/periods.js';

/** A CRM object as the v3 APIs return it. */
export interface RawObject {
  id: string;
  properties: Record<string, string | null | undefined>;
  archived?: boolean;
  archivedAt?: string;
  updatedAt?: string;
}

export interface RawOwner {
  id: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  userId?: number | null;
  archived?: boolean;
  teams?: { id: string; name: string; primary?: boolean }[];
}

export interface RawPipeline {
  id: string;
  label: string;
  archived?: boolean;
  stages: { id: string; label: string; archived?: boolean; metadata?: { isClosed?: string; probability?: string } }[];
}

export interface RawSplit {
  id?: string;
  properties: Record<string, string | null | undefined>;
}

/** The canonical deal fields a HubSpot property fills, and their default properties. */
export const DEAL_PROPERTY_DEFAULTS = {
  name: 'dealname',
  amount: 'amount',
  closeDate: 'closedate',
  stage: 'dealstage',
  ownerId: 'hubspot_owner_id',
  currency: 'deal_currency_code',
  type: 'dealtype',
} as const;
type CanonicalField = keyof typeof DEAL_PROPERTY_DEFAULTS;

/** Read on every deal besides the mapped ones: the sync's cursor and the stage's pipeline. */
export const LAST_MODIFIED = 'hs_lastmodifieddate';
const PIPELINE = 'pipeline';

/** Fields a portal may lack: without them, the company currency and no type. */
type OptionalField = 'currency' | 'type';

export interface DealPropertyMap {
  canonical: Record<Exclude<CanonicalField, OptionalField>, string> & Partial<Record<OptionalField, string>>;
  /** Extra deal fields (usable in plan `where` filters) → HubSpot property. */
  extra: Record<string, string>;
}

/** `source.hubspot.fields` over the defaults: a canonical name maps that field, any other name adds an extra one. */
export function dealPropertyMap(fields: Record<string, string>): DealPropertyMap {
  const canonical: DealPropertyMap['canonical'] = { ...DEAL_PROPERTY_DEFAULTS };
  const extra: Record<string, string> = {};
  for (const [name, property] of Object.entries(fields)) {
    if (name in DEAL_PROPERTY_DEFAULTS) canonical[name as CanonicalField] = property;
    else extra[name] = property;
  }
  return { canonical, extra };
}

/** Every deal property the sync reads, each once. */
export function dealProperties(map: DealPropertyMap): string[] {
  return [...new Set([...Object.values(map.canonical), ...Object.values(map.extra), LAST_MODIFIED, PIPELINE])].filter(
    (p): p is string => p !== undefined,
  );
}

export interface StageInfo {
  stage: DealStage | undefined;
  label: string;
  pipeline: string;
  /** Why `stage` is undefined. */
  problem?: string;
}

/**
 * Stage id → canonical stage, from the pipelines' metadata, with attain.yaml's `stages` overriding
 * per stage id (an override may also name a stage the pipelines API does not list).
 */
export function stageTable(
  pipelines: RawPipeline[],
  overrides: Record<string, DealStage> = {},
): Map<string, StageInfo> {
  const table = new Map<string, StageInfo>();
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      const info: StageInfo = { stage: undefined, label: stage.label, pipeline: pipeline.label };
      const closed = stage.metadata?.isClosed === 'true';
      const probability = Number(stage.metadata?.probability);
      if (!closed) info.stage = 'open';
      else if (probability >= 1) info.stage = 'won';
      else if (probability === 0) info.stage = 'lost';
      else
        info.problem =
          `stage "${stage.label}" (${stage.id}) of pipeline "${pipeline.label}" is closed with probability ${stage.metadata?.probability ?? 'unset'}: ` +
          `say whether it is won or lost under source.hubspot.stages in attain.yaml`;
      table.set(stage.id, info);
    }
  }
  for (const [id, stage] of Object.entries(overrides)) {
    const known = table.get(id);
    table.set(id, { stage, label: known?.label ?? id, pipeline: known?.pipeline ?? '(attain.yaml)' });
  }
  return table;
}

/**
 * The years a deal's close date may fall in. HubSpot takes any epoch: year 0 or 10000 would fail
 * the whole page in PostgreSQL (which has neither), and a year below 100 would be read as 19xx by
 * JavaScript's Date. Such a deal is a reject naming it, and the rest of its page is stored.
 */
export const DEAL_YEARS = { first: 1900, last: 2199 } as const;

function inDealYears(day: string): boolean {
  const year = /^(\d{4})-\d{2}-\d{2}$/.exec(day)?.[1];
  return year !== undefined && Number(year) >= DEAL_YEARS.first && Number(year) <= DEAL_YEARS.last;
}

export const DEALS_SOURCE = 'hubspot deals';
export const OWNERS_SOURCE = 'hubspot owners';

export interface DealMappingContext {
  properties: DealPropertyMap;
  stages: Map<string, StageInfo>;
  /** For deals without `deal_currency_code`: the portal's company currency. */
  defaultCurrency: string;
  /** `calendar.tz`: which day a close timestamp falls on. */
  tz: string;
}

export type Mapped<T> = { ok: true; value: T } | { ok: false; reject: Reject };

/** One deal, or a reject saying which property is wrong and how. An archived deal maps leniently to a deletion. */
export function mapDeal(raw: RawObject, ctx: DealMappingContext): Mapped<Deal> {
  const { canonical, extra } = ctx.properties;
  const value = (property: string | undefined): string | undefined => {
    const v = property === undefined ? undefined : raw.properties[property];
    return v === null || v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const deleted = raw.archived === true;
  const problems: string[] = [];
  const lastModified = value(LAST_MODIFIED) ?? raw.updatedAt;

  const ownerId = value(canonical.ownerId);
  if (!ownerId) problems.push(`no owner (${canonical.ownerId} is empty)`);

  const stageId = value(canonical.stage);
  const stageInfo = stageId === undefined ? undefined : ctx.stages.get(stageId);
  const stage = stageInfo?.stage;
  if (stageId === undefined) problems.push(`no deal stage (${canonical.stage} is empty)`);
  else if (!stageInfo)
    problems.push(
      `unknown deal stage "${stageId}" (pipeline ${value(PIPELINE) ?? 'unknown'}): not in the pipelines API nor in source.hubspot.stages`,
    );
  else if (!stage) problems.push(stageInfo.problem ?? `stage ${stageId} has no meaning`);

  const amountText = value(canonical.amount);
  let amount = amountText;
  if (amountText === undefined) {
    // Open and lost deals often have no amount in HubSpot; only a won deal needs one.
    if (stage === 'won' && !deleted) problems.push(`no amount (${canonical.amount} is empty) on a won deal`);
    amount = '0';
  } else if (parseDecimal(amountText) === undefined) {
    problems.push(`amount "${amountText}" (${canonical.amount}) is not a decimal number`);
  }

  const currency = value(canonical.currency) ?? ctx.defaultCurrency;
  if (!isCurrencyCode(currency))
    problems.push(`currency "${currency}" (${canonical.currency}) is not a 3-letter ISO code`);

  const closeText = value(canonical.closeDate);
  let closeDate = closeText === undefined ? undefined : dayOf(closeText, ctx.tz);
  if (closeText !== undefined && closeDate === undefined)
    problems.push(`close date "${closeText}" (${canonical.closeDate}) is not a date`);
  else if (closeDate !== undefined && !inDealYears(closeDate)) {
    problems.push(
      `close date "${closeText}" (${canonical.closeDate}) falls on ${closeDate}, outside the years ${DEAL_YEARS.first}–${DEAL_YEARS.last}`,
    );
    closeDate = undefined;
  }
  if (closeText === undefined) {
    // An open deal without a close date counts for nothing; it is kept (dated by its last change) so a later update finds it.
    if (stage === 'won' || stage === 'lost') {
      if (!deleted) problems.push(`no close date (${canonical.closeDate} is empty) on a ${stage} deal`);
    }
    closeDate = lastModified === undefined ? undefined : dayOf(lastModified, ctx.tz);
    if (closeDate !== undefined && !inDealYears(closeDate)) closeDate = undefined;
  }

  if (problems.length > 0 && !deleted) {
    return { ok: false, reject: { source: DEALS_SOURCE, recordId: raw.id, reason: problems.join('; ') } };
  }
  const fields: Deal['fields'] = {};
  for (const [name, property] of Object.entries(extra)) fields[name] = value(property) ?? null;
  const type = value(canonical.type);
  const deal: Deal = {
    id: raw.id,
    name: value(canonical.name) ?? '',
    // A deletion only needs to find the stored row: what it carried is kept where it still reads.
    ownerId: ownerId ?? '(none)',
    amount: amount !== undefined && parseDecimal(amount) !== undefined ? amount : '0',
    currency: isCurrencyCode(currency) ? currency : ctx.defaultCurrency,
    closeDate: closeDate ?? '1970-01-01',
    stage: stage ?? 'open',
    ...(type !== undefined && { type }),
    fields,
    ...(lastModified !== undefined && { lastModified }),
    deleted,
  };
  return { ok: true, value: deal };
}

/**
 * The HubSpot id of a canonical deal, for writing back to it. `mapDeal` keeps HubSpot's record id
 * as the canonical id unchanged, so this is the same id; undefined for one HubSpot cannot have
 * issued (its record ids are digits), such as a deal that did not come from HubSpot.
 */
export function hubspotDealId(dealId: string): string | undefined {
  return /^\d+$/.test(dealId) ? dealId : undefined;
}

/** An owner as a rep: the owner id is the rep id (deals name it in hubspot_owner_id). Archived owners are inactive reps. */
export function mapOwner(raw: RawOwner): Rep {
  const name = [raw.firstName, raw.lastName]
    .filter((part) => part && part.trim())
    .join(' ')
    .trim();
  return {
    id: String(raw.id),
    name: name || raw.email || String(raw.id),
    email: raw.email ?? '',
    active: raw.archived !== true,
  };
}

/**
 * A deal's splits from the deal splits API. HubSpot names the split's owner `hubspot_owner_id` and
 * its share `hs_deal_split_percentage`, a fraction of 1 as a string ("0.6" is 60 %, up to 8
 * decimals; a deal's splits sum to 1.0): made a percent exactly (no float). Revenue splits.
 */
export const SPLIT_OWNER = 'hubspot_owner_id';
export const SPLIT_SHARE = 'hs_deal_split_percentage';

export function mapSplits(dealId: string, raw: RawSplit[]): Mapped<Split[]> {
  const splits: Split[] = [];
  const refuse = (reason: string): Mapped<Split[]> => ({
    ok: false,
    reject: { source: DEALS_SOURCE, recordId: dealId, reason },
  });
  for (const split of raw) {
    const name = split.id ? `deal split ${split.id}` : 'a deal split';
    const owner = split.properties[SPLIT_OWNER]?.trim();
    const share = split.properties[SPLIT_SHARE]?.trim();
    const fraction = share ? parseDecimal(share) : undefined;
    if (!owner || share === undefined || share === '')
      return refuse(`${name} has no owner or no share (${SPLIT_OWNER}, ${SPLIT_SHARE})`);
    if (fraction === undefined || fraction < ZERO || fraction > ONE)
      return refuse(`${name}: ${SPLIT_SHARE} "${share}" is not a fraction between 0 and 1 (0.6 is 60 %)`);
    splits.push({ dealId, repId: owner, percent: formatDecimal(fraction * 100n), kind: 'revenue' });
  }
  return { ok: true, value: splits };
}

/**
 * The calendar day (in `tz`) of an ISO timestamp, a `YYYY-MM-DD` date or epoch milliseconds (HubSpot
 * writes date properties as either): the engine's `calendarDay`, as for every source, once epoch
 * milliseconds are placed in `tz` (a year past 9999 stays visible, for the reject to name).
 */
export function dayOf(text: string, tz: string): string | undefined {
  if (!/^\d{10,}$/.test(text)) return calendarDay(text, tz);
  const instant = DateTime.fromMillis(Number(text), { zone: 'utc' });
  return instant.isValid ? (instant.setZone(tz).toISODate() ?? undefined) : undefined;
}

/** Milliseconds since the epoch of an ISO timestamp (HubSpot's search filters take these). */
export function epochMs(text: string): number | undefined {
  if (/^\d{10,}$/.test(text)) return Number(text);
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}
