/**
 * The HubSpot connector: owners, pipelines, deals (incrementally), deletions, splits and
 * exchange rates in; `attain_commission` records out. Everything it sends shares one rate limiter
 * per portal (rate-limiter.ts) and one error taxonomy (hubspot-api.ts). README.md beside this
 * file is the admin's guide.
 */
import { COMPANIES_OBJECT, syncCompanies } from './company-sync.js';
import type { HubspotConfig } from '../../config/attain-schema.js';
import { ConnectorError, type ConnectorOptions, type SourceConnector, type SyncReport } from '../source.js';
import { openCommissionTarget, openEstimateTarget } from './commission-object.js';
import { readDisputes } from './dispute-read.js';
import {
  OWNERS_SOURCE,
  dealProperties,
  dealPropertyMap,
  mapOwner,
  stageTable,
  type DealPropertyMap,
} from './deal-mapping.js';
import { ARCHIVED_DEALS_OBJECT, DEALS_OBJECT, syncArchivedDeals, syncDeals } from './deal-sync.js';
import { HubspotApi, type HubspotApiDeps } from './hubspot-api.js';
import {
  assertPropertiesExist,
  companyCurrency,
  dealPipelines,
  dealPropertyNames,
  exchangeRates,
  ownerPages,
} from './portal-reads.js';

export { HubspotApi } from './hubspot-api.js';

export const OWNERS_OBJECT = 'owners';
export const FX_OBJECT = 'exchange-rates';

export function createHubspotConnector(
  options: ConnectorOptions<HubspotConfig>,
  deps: HubspotApiDeps = {},
): SourceConnector {
  const { config } = options;
  const api = new HubspotApi(config, options.log, deps);
  return {
    kind: 'hubspot',
    async sync(store, { log, signal }) {
      const report: SyncReport = { records: {}, apiCalls: 0 };
      const before = api.apiCalls;
      try {
        const settings = { tz: options.tz ?? 'UTC', baseCurrency: options.baseCurrency ?? 'USD' };
        const map = await checkedPropertyMap(api, config, signal);
        const pipelines = await dealPipelines(api, signal);
        const stages = stageTable(pipelines, config.stages ?? {});
        for (const id of Object.keys(config.stages ?? {})) {
          if (!pipelines.some((p) => p.stages.some((s) => s.id === id)))
            log(`hubspot: source.hubspot.stages names stage ${id}, which no deal pipeline has`);
        }
        const defaultCurrency = (await companyCurrency(api, signal)) ?? settings.baseCurrency;
        const rates = await exchangeRates(api, settings.baseCurrency, settings.tz, signal);
        if (rates && rates.length > 0) {
          await store.storePage({ object: FX_OBJECT, fxRates: rates });
          report.records[FX_OBJECT] = rates.length;
        }

        let owners = 0;
        for await (const page of ownerPages(api, signal)) {
          await store.storePage({ object: OWNERS_OBJECT, reps: page.map(mapOwner) });
          owners += page.length;
        }
        report.records[OWNERS_OBJECT] = owners;

        if (config.companies) {
          report.records[COMPANIES_OBJECT] = await syncCompanies(api, store, config.companies.fields, signal);
        }
        const ctx = {
          api,
          store,
          mapping: { properties: map, stages, defaultCurrency, tz: settings.tz },
          properties: dealProperties(map),
          log,
          splits: { enabled: true },
          ...(config.companies && { companies: true }),
          ...(signal && { signal }),
        };
        const deals = await syncDeals(ctx);
        report.records[DEALS_OBJECT] = deals.read;
        const archived = await syncArchivedDeals(ctx);
        report.records[ARCHIVED_DEALS_OBJECT] = archived.read;
      } catch (error) {
        // A daily limit stops the sync, not the run: what was stored is kept, the cursor with it.
        if (error instanceof ConnectorError && error.code === 'RATE_LIMITED') report.stoppedEarly = error.message;
        else throw error;
      } finally {
        report.apiCalls = api.apiCalls - before;
      }
      return report;
    },
    readDisputes: (cursor, options) => readDisputes(api, cursor, options),
    writeback: () => openCommissionTarget(api),
    estimates: () => openEstimateTarget(api, options.log),
    // node-fetch keeps no sockets of its own beyond the default agent; the limiter holds no timers between requests.
    close: async () => undefined,
  };
}

/** Mapped deal properties, each checked against the portal: an unknown one stops the sync before anything is stored. */
export async function checkedPropertyMap(
  api: HubspotApi,
  config: HubspotConfig,
  signal?: AbortSignal,
): Promise<DealPropertyMap> {
  const map = dealPropertyMap(config.fields);
  const known = await dealPropertyNames(api, signal);
  // Defaults the admin did not ask for may be absent from a portal (a single-currency portal's
  // deal_currency_code, a deleted dealtype): read without them instead of failing.
  for (const field of ['currency', 'type'] as const) {
    const property = map.canonical[field];
    if (config.fields[field] === undefined && property !== undefined && !known.has(property))
      delete map.canonical[field];
  }
  assertPropertiesExist({ ...map.canonical, ...map.extra }, known);
  return map;
}

export { OWNERS_SOURCE };
