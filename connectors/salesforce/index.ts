/**
 * The Salesforce connector: pulls User, Opportunity, OpportunitySplit and exchange
 * rates incrementally through jsforce, and writes commission records back into
 * `Attain_Commission__c`. See README.md beside this file.
 */
import type { SalesforceConfig } from '../../config/attain-schema.js';
import { ConnectorError } from '../source.js';
import type {
  ConnectorOptions,
  DisputeRead,
  EstimateTarget,
  StatementTarget,
  SourceConnector,
  SyncOptions,
  SyncReport,
  SyncStore,
  WritebackTarget,
} from '../source.js';
import { commissionObjectProblems, missingLinkFields } from './commission-setup.js';
import { CommissionTarget } from './commission-target.js';
import { readDisputes } from './dispute-read.js';
import { ESTIMATE_OBJECT, SalesforceEstimateTarget } from './estimate-target.js';
import { pullAll } from './incremental-pull.js';
import { SalesforceStatementTarget, STATEMENT_OBJECT } from './statement-target.js';
import { SchemaReader, assertNoProblems, readOrgSchema, type OrgSchema } from './org-schema.js';
import type { RetryPolicy } from './retry-policy.js';
import { SalesforceClient } from './salesforce-client.js';

/** Both thresholds default to 10,000 records: below it REST costs fewer calls than a bulk job's five or more. */
const DEFAULT_BULK_ABOVE = 10_000;

export interface SalesforceConnectorTuning {
  retry?: RetryPolicy;
  /** Bulk job status polling, first wait. */
  bulkPollMs?: number;
}

export function createSalesforceConnector(
  options: ConnectorOptions<SalesforceConfig>,
  tuning: SalesforceConnectorTuning = {},
): SourceConnector & SalesforceSession {
  return new SalesforceConnector(options, tuning);
}

/** What the `attain salesforce` commands use besides the connector contract. */
export interface SalesforceSession {
  readonly client: SalesforceClient;
  readonly schema: SchemaReader;
  orgSchema(): Promise<OrgSchema>;
}

class SalesforceConnector implements SourceConnector, SalesforceSession {
  readonly kind = 'salesforce';
  readonly client: SalesforceClient;
  readonly schema: SchemaReader;
  private org: Promise<OrgSchema> | undefined;

  constructor(
    private readonly options: ConnectorOptions<SalesforceConfig>,
    private readonly tuning: SalesforceConnectorTuning,
  ) {
    this.client = new SalesforceClient({
      config: options.config,
      workspaceDir: options.workspaceDir,
      log: options.log,
      ...(tuning.retry ? { retry: tuning.retry } : {}),
    });
    this.schema = new SchemaReader(this.client);
  }

  orgSchema(): Promise<OrgSchema> {
    this.org ??= readOrgSchema(this.schema, this.client, this.options.config);
    return this.org;
  }

  async sync(store: SyncStore, options: SyncOptions): Promise<SyncReport> {
    const startCalls = this.client.apiCalls;
    // Every mapped field is checked before the first page is stored.
    const org = await this.orgSchema();
    assertNoProblems(org.problems, 'attain.yaml maps fields the org does not have');
    const { config } = this.options;
    const report = await pullAll(
      this.client,
      store,
      {
        schema: org,
        fields: config.fields,
        stages: config.stages,
        filters: config.filters,
        accounts: config.accounts,
        bulkQueryAbove: config.bulk?.queryAbove ?? DEFAULT_BULK_ABOVE,
        ...(this.tuning.bulkPollMs ? { bulkPollMs: this.tuning.bulkPollMs } : {}),
      },
      options,
    );
    const usage = this.client.usage ? `; org usage ${this.client.usage.used}/${this.client.usage.limit} today` : '';
    options.log(
      `salesforce: ${
        Object.entries(report.records)
          .map(([o, n]) => `${n} ${o}`)
          .join(', ') || 'nothing changed'
      }; ${this.client.apiCalls - startCalls} API calls${usage}`,
    );
    return { ...report, apiCalls: this.client.apiCalls - startCalls };
  }

  async readDisputes(cursor: string | undefined, options: SyncOptions): Promise<DisputeRead> {
    const org = await this.orgSchema();
    return readDisputes(this.client, this.schema, { multiCurrency: org.multiCurrency }, cursor, options);
  }

  async writeback(): Promise<WritebackTarget> {
    assertNoProblems(
      await commissionObjectProblems(this.schema),
      'the write-back object is not ready (attain salesforce setup says more)',
    );
    const org = await this.orgSchema();
    const missing = await missingLinkFields(this.schema);
    const described = await this.schema.describe('Attain_Commission__c');
    const settles = ['Dispute_Status__c', 'Dispute_Resolution__c'].every((name) =>
      described?.fields.some((f) => f.name === name && f.updateable !== false),
    );
    if (missing.length > 0)
      this.options.log(
        `salesforce: Attain_Commission__c has no ${missing.join(', ')}: lines are written without period dates and opportunity; deploy the package again (attain salesforce setup says how)`,
      );
    return new CommissionTarget(this.client, {
      multiCurrency: org.multiCurrency,
      linkFields: missing.length === 0,
      disputeFields: settles,
      ingestAbove: this.options.config.bulk?.ingestAbove ?? DEFAULT_BULK_ABOVE,
      log: this.options.log,
      ...(this.tuning.bulkPollMs ? { pollMs: this.tuning.bulkPollMs } : {}),
    });
  }

  async estimates(): Promise<EstimateTarget | undefined> {
    if (!(await this.schema.describe(ESTIMATE_OBJECT))) {
      this.options.log(
        `salesforce: ${ESTIMATE_OBJECT} does not exist (or the integration user cannot see it): estimates are not written; deploy the package again (attain salesforce setup says how)`,
      );
      return undefined;
    }
    return new SalesforceEstimateTarget(this.client, {
      multiCurrency: (await this.orgSchema()).multiCurrency,
      ingestAbove: this.options.config.bulk?.ingestAbove ?? DEFAULT_BULK_ABOVE,
      log: this.options.log,
      ...(this.tuning.bulkPollMs ? { pollMs: this.tuning.bulkPollMs } : {}),
    });
  }

  async statements(): Promise<StatementTarget> {
    const described = await this.schema.describe(STATEMENT_OBJECT);
    if (!described)
      throw new ConnectorError(
        'INVALID_CONFIG',
        `${STATEMENT_OBJECT} does not exist (or the integration user cannot see it): deploy the package again (attain salesforce setup says how) and assign Attain_Commission_Writer`,
      );
    return new SalesforceStatementTarget(this.client);
  }

  async close(): Promise<void> {
    // jsforce keeps no sockets open between requests (node-fetch, no keep-alive agent) and no timers.
  }
}
