/**
 * The small, whole reads of a portal: deal properties (to check the mapping), pipelines and
 * stages, owners, the company currency and its exchange rates. Each goes through `HubspotApi`.
 */
import { didYouMean } from '../../config/did-you-mean.js';
import { ONE, div, formatDecimal, parseDecimal } from '../../src/domain/decimal.js';
import type { FxRate } from '../../src/domain/model.js';
import { ConnectorError } from '../source.js';
import { dayOf, type RawOwner, type RawPipeline } from './deal-mapping.js';
import type { HubspotApi } from './hubspot-api.js';

interface Paged<T> {
  results: T[];
  paging?: { next?: { after?: string } };
}

/** The portal's deal property names. The first request of a sync: a wrong token fails here, before anything is stored. */
export async function dealPropertyNames(api: HubspotApi, signal?: AbortSignal): Promise<Set<string>> {
  const answer = await api.request<Paged<{ name: string }>>(
    'GET /crm/v3/properties/deals',
    'standard',
    { method: 'GET', path: '/crm/v3/properties/deals' },
    signal,
  );
  return new Set(answer.results.map((p) => p.name));
}

/** Each mapped property the portal lacks, with the attain.yaml key, a fix and a near name. */
export function missingProperties(mapped: Record<string, string>, known: Set<string>): string[] {
  const problems: string[] = [];
  for (const [field, property] of Object.entries(mapped)) {
    if (known.has(property)) continue;
    const near = didYouMean(property, [...known]);
    problems.push(
      `source.hubspot.fields.${field}: the portal has no deal property "${property}"` +
        (near ? ` (did you mean "${near}"?)` : '') +
        ` — create it in HubSpot (Settings › Properties › Deal) or map ${field} to an existing property`,
    );
  }
  return problems;
}

export function assertPropertiesExist(mapped: Record<string, string>, known: Set<string>): void {
  const problems = missingProperties(mapped, known);
  if (problems.length > 0) throw new ConnectorError('INVALID_CONFIG', `attain.yaml: ${problems.join('; ')}`);
}

export async function dealPipelines(api: HubspotApi, signal?: AbortSignal): Promise<RawPipeline[]> {
  const answer = await api.request<Paged<RawPipeline>>(
    'GET /crm/v3/pipelines/deals',
    'standard',
    { method: 'GET', path: '/crm/v3/pipelines/deals' },
    signal,
  );
  return answer.results;
}

/** Every owner, active and archived (the owners API has no modified-since filter), page by page. */
export async function* ownerPages(api: HubspotApi, signal?: AbortSignal): AsyncGenerator<RawOwner[]> {
  for (const archived of [false, true]) {
    let after: string | undefined;
    do {
      const qs: Record<string, string> = { limit: '500', archived: String(archived), ...(after && { after }) };
      const answer = await api.request<Paged<RawOwner>>(
        `GET /crm/v3/owners (archived=${archived})`,
        'standard',
        { method: 'GET', path: '/crm/v3/owners', qs },
        signal,
      );
      // Archived owners may come without the flag on older portals: the query says what they are.
      yield answer.results.map((owner) => ({ ...owner, archived: owner.archived ?? archived }));
      after = answer.paging?.next?.after;
    } while (after);
  }
}

/**
 * The portal's company currency; undefined where the API is not available (scope or plan).
 * HubSpot answers `{ "createdAt": …, "id": "EUR" }`: the currency code is `id`.
 */
export async function companyCurrency(api: HubspotApi, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const answer = await api.request<{ id?: string; createdAt?: string }>(
      'GET /settings/v3/currencies/company-currency',
      'standard',
      { method: 'GET', path: '/settings/v3/currencies/company-currency' },
      signal,
    );
    const code = answer.id?.trim().toUpperCase();
    return code !== undefined && /^[A-Z]{3}$/.test(code) ? code : undefined;
  } catch (error) {
    if (error instanceof ConnectorError && (error.code === 'INVALID_CONFIG' || error.code === 'INVALID_DATA'))
      return undefined;
    throw error;
  }
}

interface RawExchangeRate {
  fromCurrencyCode: string;
  toCurrencyCode: string;
  /** Units of `toCurrencyCode` per 1 unit of `fromCurrencyCode`. */
  conversionRate: string | number;
  effectiveAt: string;
}

/**
 * The portal's exchange rates as canonical rates, when its company currency is the workspace's
 * base currency (otherwise they would be relative to the wrong currency); undefined where the API
 * is not available, and the workspace's data/fx.csv applies. HubSpot gives units of the company
 * currency per foreign unit; Attain stores the inverse (units of the currency per base unit),
 * computed to 10 decimal places.
 */
export async function exchangeRates(
  api: HubspotApi,
  baseCurrency: string,
  tz: string,
  signal?: AbortSignal,
): Promise<FxRate[] | undefined> {
  const rates: FxRate[] = [];
  let after: string | undefined;
  try {
    do {
      const qs: Record<string, string> = { limit: '100', ...(after && { after }) };
      const answer = await api.request<Paged<RawExchangeRate>>(
        'GET /settings/v3/currencies/exchange-rates',
        'standard',
        { method: 'GET', path: '/settings/v3/currencies/exchange-rates', qs },
        signal,
      );
      for (const rate of answer.results) {
        const value = parseDecimal(String(rate.conversionRate));
        const from = dayOf(rate.effectiveAt, tz);
        if (rate.toCurrencyCode !== baseCurrency || value === undefined || value <= 0n || !from) continue;
        rates.push({ currency: rate.fromCurrencyCode, from, rate: formatDecimal(div(ONE, value)) });
      }
      after = answer.paging?.next?.after;
    } while (after);
  } catch (error) {
    if (error instanceof ConnectorError && (error.code === 'INVALID_CONFIG' || error.code === 'INVALID_DATA'))
      return undefined;
    throw error;
  }
  return rates;
}
