/**
 * What the org offers, read with `describe` before anything is pulled or written: which objects
 * exist (splits, dated rates), whether it is multi-currency, and whether every field attain.yaml
 * maps exists and can be read. `attain salesforce check` prints the problems; a sync refuses to
 * start while there is one (INVALID_CONFIG), so a typo never half-fills the database.
 */
import type { SalesforceConfig } from '../../config/attain-schema.js';
import { ConnectorError } from '../source.js';
import { DEFAULT_ACCOUNT_FIELD_MAP, DEFAULT_FIELD_MAP } from './record-mapping.js';
import type { SalesforceClient } from './salesforce-client.js';

export interface DescribedField {
  name: string;
  type: string;
  createable?: boolean;
  updateable?: boolean;
  nillable?: boolean;
  externalId?: boolean;
  unique?: boolean;
  relationshipName?: string | null;
  referenceTo?: string[];
}

interface DescribeResult {
  name: string;
  fields: DescribedField[];
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
}

export interface SchemaProblem {
  /** What is wrong, naming the object and field. */
  problem: string;
  /** What the admin does about it. */
  fix: string;
}

export interface OrgSchema {
  /** Opportunity has CurrencyIsoCode. */
  multiCurrency: boolean;
  /** Where exchange rates come from: dated rates (Advanced Currency Management), flat ones, or none. */
  ratesObject: 'DatedConversionRate' | 'CurrencyType' | undefined;
  /** Opportunity splits are enabled. */
  splits: boolean;
  /** The org's corporate currency: the currency of single-currency records. */
  defaultCurrency: string;
  problems: SchemaProblem[];
}

export class SchemaReader {
  private readonly cache = new Map<string, Promise<DescribeResult | undefined>>();
  private global: Promise<Set<string>> | undefined;

  constructor(private readonly client: SalesforceClient) {}

  /** Names of the objects the user can see. */
  objects(): Promise<Set<string>> {
    this.global ??= this.client
      .request<{ sobjects: { name: string }[] }>({ path: '/sobjects' })
      .then((response) => new Set(response.body.sobjects.map((s) => s.name)));
    return this.global;
  }

  /** `describe` of an object, or undefined when the org has no such object (or it is hidden from the user). */
  describe(object: string): Promise<DescribeResult | undefined> {
    let described = this.cache.get(object);
    if (!described) {
      described = this.objects().then(async (names) =>
        names.has(object)
          ? (await this.client.request<DescribeResult>({ path: `/sobjects/${object}/describe` })).body
          : undefined,
      );
      this.cache.set(object, described);
    }
    return described;
  }

  /** The field a possibly dotted name (`Account.Industry`) ends at, or why it cannot be read. */
  async field(object: string, name: string): Promise<DescribedField | string> {
    const [head, ...rest] = name.split('.');
    const described = await this.describe(object);
    if (!described) return `${object} is not an object the user can see`;
    if (rest.length === 0) {
      return (
        described.fields.find((f) => f.name.toLowerCase() === head!.toLowerCase()) ??
        `${object}.${name} does not exist or the user cannot read it`
      );
    }
    const link = described.fields.find((f) => f.relationshipName?.toLowerCase() === head!.toLowerCase());
    const target = link?.referenceTo?.[0];
    if (!target) return `${object} has no relationship ${head}`;
    return this.field(target, rest.join('.'));
  }
}

/** Reads the org's shape and checks every mapped field. One describe per object, cached. */
export async function readOrgSchema(
  schema: SchemaReader,
  client: SalesforceClient,
  config: SalesforceConfig,
): Promise<OrgSchema> {
  const objects = await schema.objects();
  const problems: SchemaProblem[] = [];
  for (const object of ['User', 'Opportunity']) {
    if (!objects.has(object)) {
      problems.push({
        problem: `${object} is not visible to the integration user`,
        fix: `give the user "API Enabled" and read access to ${object}`,
      });
    }
  }
  const opportunity = await schema.describe('Opportunity');
  const multiCurrency = opportunity?.fields.some((f) => f.name === 'CurrencyIsoCode') ?? false;
  const fieldMap = { ...DEFAULT_FIELD_MAP, ...config.fields };
  if (opportunity) {
    for (const [name, sfField] of Object.entries(fieldMap)) {
      const found = await schema.field('Opportunity', sfField);
      if (typeof found === 'string') {
        problems.push({
          problem: `fields.${name}: ${found}`,
          fix: `correct source.salesforce.fields.${name} in attain.yaml (the field's API name, such as ${name === 'amount' ? 'Amount or ARR__c' : 'Type'}), or grant the integration user field-level read access`,
        });
      }
    }
    if (config.filters?.recordTypes && !opportunity.fields.some((f) => f.name === 'RecordTypeId')) {
      problems.push({
        problem: 'filters.recordTypes: Opportunity has no record types in this org',
        fix: 'remove filters.recordTypes from attain.yaml',
      });
    }
  }
  if (config.accounts) problems.push(...(await accountProblems(schema, objects, config.accounts.fields)));
  const ratesObject = objects.has('DatedConversionRate')
    ? 'DatedConversionRate'
    : objects.has('CurrencyType')
      ? 'CurrencyType'
      : undefined;
  const defaultCurrency = await corporateCurrency(client);
  return { multiCurrency, ratesObject, splits: objects.has('OpportunitySplit'), defaultCurrency, problems };
}

/** With `salesforce.accounts`: Account must be readable, with every mapped field, and Opportunity.AccountId. */
async function accountProblems(
  schema: SchemaReader,
  objects: Set<string>,
  fields: Record<string, string>,
): Promise<SchemaProblem[]> {
  if (!objects.has('Account')) {
    return [
      {
        problem: 'Account is not visible to the integration user',
        fix: 'give the user read access to Account, or remove salesforce.accounts from attain.yaml',
      },
    ];
  }
  const problems: SchemaProblem[] = [];
  for (const [name, sfField] of Object.entries({ ...DEFAULT_ACCOUNT_FIELD_MAP, ...fields })) {
    const found = await schema.field('Account', sfField);
    if (typeof found === 'string')
      problems.push({
        problem: `accounts.fields.${name}: ${found}`,
        fix: `correct source.salesforce.accounts.fields.${name} in attain.yaml (the Account field's API name), or grant field-level read access`,
      });
  }
  const accountId = await schema.field('Opportunity', 'AccountId');
  if (typeof accountId === 'string')
    problems.push({ problem: `Opportunity.AccountId: ${accountId}`, fix: 'grant field-level read access to it' });
  return problems;
}

async function corporateCurrency(client: SalesforceClient): Promise<string> {
  const response = await client.request<{ records: { DefaultCurrencyIsoCode?: string }[] }>({
    path: `/query?q=${encodeURIComponent('SELECT DefaultCurrencyIsoCode FROM Organization')}`,
  });
  const code = response.body.records[0]?.DefaultCurrencyIsoCode;
  if (!code)
    throw new ConnectorError('INVALID_DATA', 'salesforce: the Organization record has no DefaultCurrencyIsoCode');
  return code;
}

/** Throws INVALID_CONFIG listing every problem (with its fix) when there is one. */
export function assertNoProblems(problems: SchemaProblem[], what: string): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  - ${p.problem}: ${p.fix}`).join('\n');
  throw new ConnectorError('INVALID_CONFIG', `salesforce: ${what}:\n${lines}`);
}
