/**
 * Statements into Salesforce (docs/statements-and-payroll.md#statements-in-the-crm): one
 * `Attain_Statement__c` record per rep and period, owned by the rep (Private sharing: the rep and,
 * through the role hierarchy, their managers see it), upserted by `Attain_Key__c` (`rep|period`)
 * through sObject Collections, with the statement PDF as a Salesforce File on it.
 *
 * A File is a ContentVersion: the first one is created with `FirstPublishLocationId` = the record,
 * which makes the ContentDocument and links it to the record; a changed statement is a new version
 * of the same document (`ContentDocumentId`), so the record shows one file with its history
 * ("ContentVersion", Object Reference,
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentversion.htm;
 * "Insert or Update Blob Data", REST API Developer Guide,
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_insert_update_blob.htm:
 * a JSON body with base64 `VersionData`, up to 37.5 MB encoded).
 */
import type { StatementFile, StatementTarget, WritebackOutcome } from '../source.js';
import { COLLECTION_SIZE } from './commission-target.js';
import type { SalesforceClient } from './salesforce-client.js';

export const STATEMENT_OBJECT = 'Attain_Statement__c';
/** The fields every statement write sets. */
export const STATEMENT_FIELDS = ['Attain_Key__c', 'Rep__c', 'Period__c', 'Status__c', 'Totals__c'] as const;

interface SaveResult {
  id?: string;
  success: boolean;
  errors?: { statusCode?: string; message?: string; fields?: string[] }[];
}

export class SalesforceStatementTarget implements StatementTarget {
  readonly name = 'salesforce-statements';

  constructor(private readonly client: SalesforceClient) {}

  async upload(files: StatementFile[]): Promise<WritebackOutcome[]> {
    const outcomes: WritebackOutcome[] = [];
    for (let at = 0; at < files.length; at += COLLECTION_SIZE) {
      const chunk = files.slice(at, at + COLLECTION_SIZE);
      const response = await this.client.request<SaveResult[]>({
        method: 'PATCH',
        path: `/composite/sobjects/${STATEMENT_OBJECT}/Attain_Key__c`,
        body: {
          allOrNone: false,
          records: chunk.map((f) => ({
            attributes: { type: STATEMENT_OBJECT },
            Attain_Key__c: f.key,
            Name: f.title.slice(0, 80),
            OwnerId: f.repId,
            Rep__c: f.repId,
            Period__c: f.period,
            Status__c: f.status,
            Totals__c: f.totals.slice(0, 255),
          })),
        },
      });
      // One result per record, in the order sent.
      for (const [i, file] of chunk.entries()) {
        const result = response.body[i];
        if (!result?.success || !result.id) {
          outcomes.push({ key: file.key, ok: false, error: reasonOf(result) });
          continue;
        }
        outcomes.push(await this.attach(file, result.id));
      }
    }
    return outcomes;
  }

  /** The PDF as the record's File: a new document the first time, a new version of it after. */
  private async attach(file: StatementFile, recordId: string): Promise<WritebackOutcome> {
    const [knownRecord, knownDocument] = (file.externalId ?? '').split('/');
    const document = knownRecord === recordId && knownDocument ? knownDocument : undefined;
    const created = await this.client.request<SaveResult>({
      method: 'POST',
      path: '/sobjects/ContentVersion',
      body: {
        Title: file.title,
        PathOnClient: file.fileName,
        VersionData: file.pdf.toString('base64'),
        ...(document ? { ContentDocumentId: document, ReasonForChange: 'statement changed' } : {}),
        ...(document ? {} : { FirstPublishLocationId: recordId }),
      },
    });
    if (!created.body.success || !created.body.id)
      return { key: file.key, ok: false, error: `the file: ${reasonOf(created.body)}` };
    const documentId =
      document ??
      (
        await this.client.request<{ ContentDocumentId?: string }>({
          path: `/sobjects/ContentVersion/${created.body.id}?fields=ContentDocumentId`,
        })
      ).body.ContentDocumentId;
    return { key: file.key, ok: true, externalId: `${recordId}/${documentId ?? ''}` };
  }
}

function reasonOf(result: SaveResult | undefined): string {
  if (!result) return 'no result for this record in the response';
  const errors = (result.errors ?? []).map(
    (e) => `${e.statusCode ?? 'ERROR'}: ${e.message ?? ''}${e.fields?.length ? ` (${e.fields.join(', ')})` : ''}`,
  );
  return errors.join('; ') || 'refused without a reason';
}
