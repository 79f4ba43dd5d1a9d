/**
 * HubSpot companies as accounts (docs/territories.md#accounts), with attain.yaml
 * `source.hubspot.companies`:
 *
 * - every company, read whole each run through the objects list
 *   (`GET /crm/v3/objects/companies`, 100 a page, `paging.next.after`; the companies API,
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/objects/companies/guide), archived
 *   ones (`archived=true`) stored as deletions;
 * - each deal's primary company through the associations v4 batch read
 *   (`POST /crm/v4/associations/deals/companies/batch/read`,
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associate-records/batch/get-associations):
 *   the associated company whose `associationTypes` hold the HUBSPOT_DEFINED type 5, "Deal with
 *   Primary Company" (association type ids,
 *   https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associate-records/guide).
 *   A deal with no company is an error entry of a 207 answer: no account, not a failure.
 */
import { ACCOUNT_FIELDS, type Account, type FieldValue, type Reject } from '../../src/domain/model.js';
import { parseDecimal } from '../../src/domain/decimal.js';
import type { SyncStore } from '../source.js';
import type { HubspotApi } from './hubspot-api.js';

export const COMPANIES_OBJECT = 'companies';
const PAGE = 100;
const ASSOCIATIONS_BATCH = 1000;
/** HubSpot-defined association type "Deal with Primary Company" (deal → company). */
export const DEAL_TO_PRIMARY_COMPANY = 5;

/** Account fields → HubSpot's default company properties; attain.yaml `companies.fields` overrides and adds. */
export const DEFAULT_COMPANY_PROPERTIES: Record<string, string> = {
  name: 'name',
  ownerId: 'hubspot_owner_id',
  country: 'country',
  region: 'state',
  postalCode: 'zip',
  industry: 'industry',
  employees: 'numberofemployees',
  annualRevenue: 'annualrevenue',
};

interface RawCompany {
  id: string;
  properties: Record<string, string | null | undefined>;
  archived?: boolean;
}

interface Paged<T> {
  results: T[];
  paging?: { next?: { after?: string } };
}

/** Reads every company (and the archived ones as deletions) into the store, a page at a time. */
export async function syncCompanies(
  api: HubspotApi,
  store: SyncStore,
  fields: Record<string, string>,
  signal?: AbortSignal,
): Promise<number> {
  const map = { ...DEFAULT_COMPANY_PROPERTIES, ...fields };
  const properties = [...new Set(Object.values(map))].join(',');
  let read = 0;
  for (const archived of [false, true]) {
    let after: string | undefined;
    do {
      const qs: Record<string, string> = {
        limit: String(PAGE),
        properties,
        archived: String(archived),
        ...(after && { after }),
      };
      const answer = await api.request<Paged<RawCompany>>(
        'GET /crm/v3/objects/companies',
        'standard',
        { method: 'GET', path: '/crm/v3/objects/companies', qs },
        signal,
      );
      const accounts: Account[] = [];
      const rejects: Reject[] = [];
      for (const raw of answer.results) {
        const mapped = mapCompany(raw, map, archived);
        if ('reject' in mapped) rejects.push(mapped.reject);
        else accounts.push(mapped.account);
      }
      await store.storePage({ object: COMPANIES_OBJECT, accounts, ...(rejects.length > 0 && { rejects }) });
      read += answer.results.length;
      after = answer.paging?.next?.after;
    } while (after);
  }
  return read;
}

/** A company as an account; a number property that is not a number of at least 0 makes it a reject. */
export function mapCompany(
  raw: RawCompany,
  map: Record<string, string>,
  archived = raw.archived === true,
): { account: Account } | { reject: Reject } {
  const text = (property: string | undefined) => {
    const value = property === undefined ? undefined : raw.properties[property];
    return value === null || value === undefined || value === '' ? undefined : value;
  };
  const account: Account = { id: raw.id, name: text(map['name']) ?? '', fields: {}, deleted: archived };
  const problems: string[] = [];
  for (const [name, property] of Object.entries(map)) {
    if (name === 'name' || name === 'id') continue;
    const value = text(property);
    if (name === 'employees' || name === 'annualRevenue') {
      if (value === undefined) continue;
      const amount = parseDecimal(value.trim());
      if (amount === undefined || amount < 0n)
        problems.push(`${property} ${JSON.stringify(value)} is not a number of at least 0`);
      else account[name] = value.trim();
    } else if ((ACCOUNT_FIELDS as readonly string[]).includes(name)) {
      if (value !== undefined) account[name as 'ownerId' | 'country' | 'region' | 'postalCode' | 'industry'] = value;
    } else account.fields[name] = (value ?? null) as FieldValue;
  }
  if (problems.length > 0 && !archived)
    return { reject: { source: 'hubspot companies', recordId: raw.id, reason: problems.join('; ') } };
  return { account };
}

interface AssociationAnswer {
  results?: {
    from: { id: string };
    to?: { toObjectId: string | number; associationTypes?: { category: string; typeId: number }[] }[];
  }[];
}

/** Deal id → its primary company's id, for the deals that have one. */
export async function primaryCompanies(
  api: HubspotApi,
  dealIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const primary = new Map<string, string>();
  for (let at = 0; at < dealIds.length; at += ASSOCIATIONS_BATCH) {
    const answer = await api.request<AssociationAnswer>(
      'POST /crm/v4/associations/deals/companies/batch/read',
      'standard',
      {
        method: 'POST',
        path: '/crm/v4/associations/deals/companies/batch/read',
        body: { inputs: dealIds.slice(at, at + ASSOCIATIONS_BATCH).map((id) => ({ id })) },
      },
      signal,
    );
    for (const result of answer.results ?? []) {
      const company = (result.to ?? []).find((to) =>
        (to.associationTypes ?? []).some(
          (t) => t.category === 'HUBSPOT_DEFINED' && t.typeId === DEAL_TO_PRIMARY_COMPANY,
        ),
      );
      if (company) primary.set(String(result.from.id), String(company.toObjectId));
    }
  }
  return primary;
}
