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
import { formatDecimal, parseDecimal } from '../../src/domain/decimal.js';
import type { Deal, DealStage, Reject, Rep, Split } from '../../src/domain/model.js';

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
  if (!/^[A-Z]{3}$/.test(currency))
    problems.push(`currency "${currency}" (${canonical.currency}) is not a 3-letter ISO code`);

  const closeText = value(canonical.closeDate);
  let closeDate = closeText === undefined ? undefined : dayOf(closeText, ctx.tz);
  if (closeText !== undefined && closeDate === undefined)
    problems.push(`close date "${closeText}" (${canonical.closeDate}) is not a date`);
  if (closeText === undefined) {
    // An open deal without a close date counts for nothing; it is kept (dated by its last change) so a later update finds it.
    if (stage === 'won' || stage === 'lost') {
      if (!deleted) problems.push(`no close date (${canonical.closeDate} is empty) on a ${stage} deal`);
    }
    closeDate = lastModified === undefined ? undefined : dayOf(lastModified, ctx.tz);
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
    currency: /^[A-Z]{3}$/.test(currency) ? currency : ctx.defaultCurrency,
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
 * A deal's splits from the deal splits API: `hs_split_percentage` is a fraction (`0.6`), made a
 * percent exactly (no float). Revenue splits: HubSpot's splits always sum to 100 %.
 */
export function mapSplits(dealId: string, raw: RawSplit[]): Mapped<Split[]> {
  const splits: Split[] = [];
  for (const split of raw) {
    const owner = split.properties['hs_owner_id'];
    const fraction = split.properties['hs_split_percentage'];
    const parsed = fraction === null || fraction === undefined ? undefined : parseDecimal(fraction.trim());
    if (!owner || parsed === undefined) {
      return {
        ok: false,
        reject: {
          source: DEALS_SOURCE,
          recordId: dealId,
          reason:
            `deal split ${split.id ?? ''} has no owner or no percentage (hs_owner_id, hs_split_percentage)`.replace(
              '  ',
              ' ',
            ),
        },
      };
    }
    splits.push({ dealId, repId: owner, percent: formatDecimal(parsed * 100n), kind: 'revenue' });
  }
  return { ok: true, value: splits };
}

/** The calendar day (in `tz`) of an ISO timestamp, a `YYYY-MM-DD` date or epoch milliseconds. */
export function dayOf(text: string, tz: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    return DateTime.fromISO(text, { zone: 'utc' }).isValid ? text : undefined;
  }
  const parsed = /^\d{10,}$/.test(text)
    ? DateTime.fromMillis(Number(text), { zone: 'utc' })
    : DateTime.fromISO(text, { setZone: true });
  if (!parsed.isValid) return undefined;
  return parsed.setZone(tz).toISODate() ?? undefined;
}

/** Milliseconds since the epoch of an ISO timestamp (HubSpot's search filters take these). */
export function epochMs(text: string): number | undefined {
  if (/^\d{10,}$/.test(text)) return Number(text);
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}
