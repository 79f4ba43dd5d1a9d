/**
 * Disputes reps raise on their `attain_commission` records (docs/write-back.md#disputes): the CRM
 * search on the object (`POST /crm/v3/objects/{objectTypeId}/search`, "Search for CRM objects of a
 * specified type", https://developers.hubspot.com/docs/api-reference/latest/crm/objects/custom-objects/search/search-custom-objects)
 * for `attain_dispute_status` = open and `hs_lastmodifieddate` >= the cursor, oldest change first,
 * 200 a page. A rep's edit moves `hs_lastmodifieddate`, so a dispute raised or reworded is read by
 * the next sync; records sharing the cursor's millisecond are read again, which the ledger takes as
 * the same dispute. One query stops at 10,000 results: the next query starts from the last
 * modification read.
 */
import type { DisputeRead, SyncOptions } from '../source.js';
import { COMMISSION_OBJECT, DISPUTE_PROPERTIES, KEY_PROPERTY, findCommissionSchema } from './commission-object.js';
import type { HubspotApi } from './hubspot-api.js';

/** The dropdown value a rep sets to raise a dispute. */
export const OPEN_STATUS = 'open';
const LAST_MODIFIED = 'hs_lastmodifieddate';
const PAGE = 200;
const RESULT_CAP = 10_000;

interface SearchAnswer {
  results: { id: string; properties: Record<string, string | null> }[];
  paging?: { next?: { after: string } };
}

export async function readDisputes(
  api: HubspotApi,
  cursor: string | undefined,
  options: SyncOptions,
): Promise<DisputeRead> {
  const schema = await findCommissionSchema(api, options.signal);
  if (!schema) return { disputes: [] };
  const names = new Set(schema.properties.map((p) => p.name));
  const [reason, status] = DISPUTE_PROPERTIES;
  if (!names.has(reason!.name) || !names.has(status!.name)) {
    options.log(`hubspot: ${COMMISSION_OBJECT} has no dispute properties: disputes are not read`);
    return { disputes: [] };
  }
  const read: DisputeRead = { disputes: [] };
  let since = cursor === undefined ? undefined : Date.parse(cursor);
  let after: string | undefined;
  for (;;) {
    const answer = await api.request<SearchAnswer>(
      `POST /crm/v3/objects/${COMMISSION_OBJECT}/search`,
      'search',
      {
        method: 'POST',
        path: `/crm/v3/objects/${schema.objectTypeId}/search`,
        body: {
          filterGroups: [
            {
              filters: [
                { propertyName: status!.name, operator: 'EQ', value: OPEN_STATUS },
                ...(since === undefined
                  ? []
                  : [{ propertyName: LAST_MODIFIED, operator: 'GTE', value: String(since) }]),
              ],
            },
          ],
          sorts: [{ propertyName: LAST_MODIFIED, direction: 'ASCENDING' }],
          properties: [KEY_PROPERTY, reason!.name, 'amount', 'currency', LAST_MODIFIED],
          limit: PAGE,
          ...(after === undefined ? {} : { after }),
        },
      },
      options.signal,
    );
    let last: number | undefined;
    for (const result of answer.results) {
      const p = result.properties;
      read.disputes.push({
        key: p[KEY_PROPERTY] ?? '',
        recordId: result.id,
        reason: p[reason!.name] ?? '',
        ...(p['amount'] ? { amount: p['amount'] } : {}),
        ...(p['currency'] ? { currency: p['currency'] } : {}),
      });
      const ms = Date.parse(p[LAST_MODIFIED] ?? '');
      if (!Number.isNaN(ms)) {
        last = ms;
        read.cursor = new Date(ms).toISOString();
      }
    }
    const next = answer.paging?.next?.after;
    if (next === undefined || answer.results.length === 0) return read;
    if (Number(next) + PAGE > RESULT_CAP && last !== undefined && last !== since) {
      // Past the search's cap: a new query from the last change read (its records come again, harmlessly).
      since = last;
      after = undefined;
    } else after = next;
  }
}
