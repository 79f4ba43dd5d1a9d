/**
 * Estimates into Salesforce (docs/estimates.md#in-the-crm): one `Attain_Estimate__c` record per open
 * opportunity, rep and plan, upserted by `Attain_Key__c` (`dealId|repId|planId`) through sObject
 * Collections, 200 a call, `allOrNone: false` ("Upsert Up to 200 Records", REST API Developer
 * Guide, https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm),
 * or above `bulk.ingestAbove` records one Bulk API 2.0 ingest job, as commission records are.
 *
 * `OwnerId` is the rep: the object's Private sharing then shows each estimate to its rep and,
 * through the role hierarchy, their managers, in the Opportunity's "Attain Estimates" related list
 * (the `Opportunity__c` lookup). Removed with the estimate (the deal closed, was lost or deleted).
 */
import type { EstimateRecord, EstimateTarget, WritebackOutcome } from '../source.js';
import {
  bulkUpsert,
  COLLECTION_SIZE,
  EXTERNAL_ID_FIELD,
  OPPORTUNITY_ID,
  outcomeOf,
  removeByKey,
  type CollectionResult,
  type TargetSettings,
} from './commission-target.js';
import type { SalesforceClient } from './salesforce-client.js';

export const ESTIMATE_OBJECT = 'Attain_Estimate__c';
/** The fields every estimate write sets. */
export const ESTIMATE_FIELDS = [
  'Attain_Key__c',
  'Opportunity__c',
  'Rep__c',
  'Plan__c',
  'Amount__c',
  'Close_Date__c',
  'Trace__c',
] as const;

/** The record as Salesforce stores it. Name is an autonumber: not set. */
export function estimateFields(record: EstimateRecord, multiCurrency: boolean): Record<string, string | null> {
  return {
    [EXTERNAL_ID_FIELD]: record.key,
    OwnerId: record.repId,
    // A deal from a data file beside the org has no opportunity to link to.
    Opportunity__c: OPPORTUNITY_ID.test(record.dealId) ? record.dealId : null,
    Rep__c: record.repId,
    Plan__c: record.planId,
    Amount__c: record.amount,
    ...(multiCurrency ? { CurrencyIsoCode: record.currency } : {}),
    Close_Date__c: record.closeDate,
    Trace__c: record.trace,
  };
}

export class SalesforceEstimateTarget implements EstimateTarget {
  readonly name = 'salesforce-estimates';

  constructor(
    private readonly client: SalesforceClient,
    private readonly settings: Pick<TargetSettings, 'multiCurrency' | 'ingestAbove' | 'pollMs' | 'log'>,
  ) {}

  async upsert(records: EstimateRecord[]): Promise<WritebackOutcome[]> {
    if (records.length > this.settings.ingestAbove)
      return bulkUpsert(
        this.client,
        ESTIMATE_OBJECT,
        records,
        (r) => estimateFields(r, this.settings.multiCurrency),
        this.settings,
      );
    const outcomes: WritebackOutcome[] = [];
    for (let at = 0; at < records.length; at += COLLECTION_SIZE) {
      const chunk = records.slice(at, at + COLLECTION_SIZE);
      // PATCH by external id: safe to repeat, so the client's retries are safe too.
      const response = await this.client.request<CollectionResult[]>({
        method: 'PATCH',
        path: `/composite/sobjects/${ESTIMATE_OBJECT}/${EXTERNAL_ID_FIELD}`,
        body: {
          allOrNone: false,
          records: chunk.map((r) => ({
            attributes: { type: ESTIMATE_OBJECT },
            ...estimateFields(r, this.settings.multiCurrency),
          })),
        },
      });
      // One result per record, in the order sent.
      chunk.forEach((record, i) => outcomes.push(outcomeOf(record.key, response.body[i])));
    }
    return outcomes;
  }

  remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]> {
    return removeByKey(this.client, ESTIMATE_OBJECT, records);
  }
}
