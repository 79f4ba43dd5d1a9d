/**
 * Disputes reps raise on their `Attain_Commission__c` records (docs/write-back.md#disputes): the
 * records whose `Dispute_Status__c` is Open, changed since the cursor, read like every other object
 * (`SystemModstamp >= cursor ORDER BY SystemModstamp, Id`: records sharing the last stamp are read
 * again, which the ledger takes as the same dispute). A rep's edit moves the record's
 * SystemModstamp, so a dispute raised or reworded is read by the next sync.
 *
 * SOQL: a picklist compares to its API value in quotes ("SOQL and SOSL Reference", Comparison
 * Operators, https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_comparisonoperators.htm).
 */
import type { DisputeRead, SyncOptions } from '../source.js';
import { COMMISSION_OBJECT, EXTERNAL_ID_FIELD } from './commission-target.js';
import { soqlDateTime } from './incremental-pull.js';
import { restQueryPages } from './query-pages.js';
import { decimalOf, textOf, timestampOf } from './record-mapping.js';
import type { SchemaReader } from './org-schema.js';
import type { SalesforceClient } from './salesforce-client.js';

/** The picklist value a rep sets to raise a dispute. */
export const OPEN_STATUS = 'Open';

export async function readDisputes(
  client: SalesforceClient,
  schema: SchemaReader,
  settings: { multiCurrency: boolean },
  cursor: string | undefined,
  options: SyncOptions,
): Promise<DisputeRead> {
  const described = await schema.describe(COMMISSION_OBJECT);
  const has = (name: string) => described?.fields.some((f) => f.name === name) === true;
  // Not deployed yet, or deployed before the dispute fields existed: nothing to read.
  if (!has('Dispute_Status__c') || !has('Dispute_Reason__c')) {
    if (described) options.log(`salesforce: ${COMMISSION_OBJECT} has no dispute fields: disputes are not read`);
    return { disputes: [] };
  }
  const fields = [
    'Id',
    EXTERNAL_ID_FIELD,
    'Dispute_Reason__c',
    'Amount__c',
    ...(settings.multiCurrency ? ['CurrencyIsoCode'] : []),
    'SystemModstamp',
  ];
  const where = [`Dispute_Status__c = '${OPEN_STATUS}'`];
  if (cursor !== undefined) where.push(`SystemModstamp >= ${soqlDateTime(cursor)}`);
  const soql = `SELECT ${fields.join(', ')} FROM ${COMMISSION_OBJECT} WHERE ${where.join(' AND ')} ORDER BY SystemModstamp, Id`;
  const read: DisputeRead = { disputes: [] };
  for await (const page of restQueryPages(client, soql, { all: false })) {
    for (const raw of page.records) {
      const recordId = textOf(raw['Id']);
      if (recordId === undefined) continue;
      const amount = decimalOf(raw['Amount__c']);
      const currency = textOf(raw['CurrencyIsoCode']);
      read.disputes.push({
        key: textOf(raw[EXTERNAL_ID_FIELD]) ?? '',
        recordId,
        reason: textOf(raw['Dispute_Reason__c']) ?? '',
        ...(typeof amount === 'string' ? { amount } : {}),
        ...(currency === undefined ? {} : { currency }),
      });
      const stamp = timestampOf(raw['SystemModstamp']);
      if (stamp !== undefined) read.cursor = stamp;
    }
  }
  return read;
}
