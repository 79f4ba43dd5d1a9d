/**
 * Salesforce records → canonical ones (src/domain/model.ts), pure: no I/O. A record arrives either from the
 * REST API (JSON: numbers, booleans, nested relationship objects) or from a Bulk API 2.0 CSV
 * (every value a string, empty meaning null, relationship fields as dotted column names): every
 * reader here accepts both. A record that cannot be used becomes a reject naming its Salesforce Id.
 */
import { isCurrencyCode } from '../../src/domain/currency.js';
import { parseDecimal } from '../../src/domain/decimal.js';
import {
  ACCOUNT_FIELDS,
  isIsoDate,
  type Account,
  type Deal,
  type FieldValue,
  type FxRate,
  type Reject,
  type Rep,
  type Split,
} from '../../src/domain/model.js';

export type RawRecord = Record<string, unknown>;

export type Mapped<T> = { record: T } | { reject: Reject } | { filteredOut: string };

export interface OpportunityMapping {
  /** Canonical deal field or extra field name → Salesforce field, defaults applied (amount → Amount, type → Type). */
  fields: Record<string, string>;
  stages?: { won?: string[]; lost?: string[] } | undefined;
  filters?: { stages?: string[]; recordTypes?: string[] } | undefined;
  /** Multi-currency orgs carry CurrencyIsoCode on each record; others use `defaultCurrency`. */
  multiCurrency: boolean;
  defaultCurrency: string;
  /** Keep AccountId as the deal's account (attain.yaml `salesforce.accounts`). */
  accounts?: boolean;
}

/**
 * Account fields (docs/territories.md#accounts) → the standard Account fields they come from
 * ("Account", Object Reference for the Salesforce Platform:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_account.htm).
 * attain.yaml `salesforce.accounts.fields` overrides these and adds others (extra account fields).
 */
export const DEFAULT_ACCOUNT_FIELD_MAP: Record<string, string> = {
  name: 'Name',
  ownerId: 'OwnerId',
  country: 'BillingCountry',
  region: 'BillingState',
  postalCode: 'BillingPostalCode',
  industry: 'Industry',
  employees: 'NumberOfEmployees',
  annualRevenue: 'AnnualRevenue',
};

/** Deal fields read from a mapped Salesforce field; every other `fields` key becomes `deal.fields[key]`. */
export const MAPPED_DEAL_FIELDS = ['amount', 'type'] as const;
export const DEFAULT_FIELD_MAP: Record<(typeof MAPPED_DEAL_FIELDS)[number], string> = {
  amount: 'Amount',
  type: 'Type',
};

/** A field's value, by API name, following `Account.Industry` through nested objects or a dotted CSV column. */
export function fieldOf(raw: RawRecord, name: string): unknown {
  if (name in raw) return raw[name];
  let value: unknown = raw;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as RawRecord)[part];
  }
  return value;
}

/** Text, or undefined for null, absent or empty (Bulk CSV's null). */
export function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

export function booleanOf(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** A JSON number or a CSV string as an exact decimal string; undefined when empty, null when not a number. */
export function decimalOf(value: unknown): string | undefined | null {
  if (value === null || value === undefined || value === '') return undefined;
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    // JSON numbers print exactly as Salesforce sent them, except in exponent form.
    text = /e/i.test(String(value)) ? value.toFixed(12).replace(/\.?0+$/, '') : String(value);
  } else if (typeof value === 'string') text = value.trim();
  else return null;
  return parseDecimal(text) === undefined ? null : text;
}

/** A Salesforce value as a deal's extra field: numbers stay numbers in JSON; CSV strings stay text. */
function fieldValueOf(value: unknown): FieldValue {
  if (value === undefined || value === '') return null;
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return JSON.stringify(value);
}

const SOURCE = (object: string) => `salesforce ${object}`;

export function mapUser(raw: RawRecord): Mapped<Rep> {
  const id = textOf(raw['Id']);
  if (id === undefined)
    return { reject: { source: SOURCE('User'), recordId: '(no Id)', reason: 'the record has no Id' } };
  const active = booleanOf(raw['IsActive']);
  if (active === undefined)
    return {
      reject: {
        source: SOURCE('User'),
        recordId: id,
        reason: `IsActive ${JSON.stringify(raw['IsActive'])} is not true or false`,
      },
    };
  const managerId = textOf(raw['ManagerId']);
  // The payroll id (a standard User field), for `attain export payroll`.
  const employeeId = textOf(raw['EmployeeNumber']);
  return {
    record: {
      id,
      name: textOf(raw['Name']) ?? '',
      email: textOf(raw['Email']) ?? '',
      ...(managerId !== undefined ? { managerId } : {}),
      active,
      ...(employeeId !== undefined ? { employeeId } : {}),
    },
  };
}

/** SystemModstamp as ISO 8601 UTC (`2026-01-05T10:00:00.000Z`): Salesforce writes `+0000`. */
export function timestampOf(value: unknown): string | undefined {
  const text = textOf(value);
  if (text === undefined) return undefined;
  const date = new Date(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function mapOpportunity(raw: RawRecord, mapping: OpportunityMapping): Mapped<Deal> {
  const id = textOf(raw['Id']);
  const reject = (reason: string): Mapped<Deal> => ({
    reject: { source: SOURCE('Opportunity'), recordId: id ?? '(no Id)', reason },
  });
  if (id === undefined) return reject('the record has no Id');
  const deleted = booleanOf(raw['IsDeleted']) ?? false;

  const { filters } = mapping;
  if (!deleted && filters?.stages && !filters.stages.includes(textOf(raw['StageName']) ?? '')) {
    return { filteredOut: id };
  }
  if (
    !deleted &&
    filters?.recordTypes &&
    !filters.recordTypes.includes(textOf(fieldOf(raw, 'RecordType.DeveloperName')) ?? '')
  ) {
    return { filteredOut: id };
  }

  const problems: string[] = [];
  const amountField = mapping.fields['amount'] ?? DEFAULT_FIELD_MAP.amount;
  const amount = decimalOf(fieldOf(raw, amountField));
  if (amount === undefined) problems.push(`no amount (${amountField} is empty)`);
  else if (amount === null)
    problems.push(`${amountField} ${JSON.stringify(fieldOf(raw, amountField))} is not a number`);

  const currency = mapping.multiCurrency ? textOf(raw['CurrencyIsoCode']) : mapping.defaultCurrency;
  if (currency === undefined) problems.push('no currency (CurrencyIsoCode is empty)');
  else if (!isCurrencyCode(currency))
    problems.push(`CurrencyIsoCode ${JSON.stringify(currency)} is not a 3-letter currency code`);

  const ownerId = textOf(raw['OwnerId']);
  if (ownerId === undefined) problems.push('no owner (OwnerId is empty)');

  // Bulk CSV dates are YYYY-MM-DD already; so are REST ones.
  const closeDate = textOf(raw['CloseDate']);
  if (closeDate === undefined) problems.push('no CloseDate');
  else if (!isIsoDate(closeDate)) problems.push(`CloseDate ${JSON.stringify(closeDate)} is not a date YYYY-MM-DD`);

  const stage = stageOf(raw, mapping.stages);
  if (stage === undefined)
    problems.push(`IsWon/IsClosed ${JSON.stringify([raw['IsWon'], raw['IsClosed']])} are not true or false`);

  // A deleted record only has to say it is gone; its other values no longer matter.
  if (problems.length > 0 && !deleted) return reject(problems.join('; '));

  const typeField = mapping.fields['type'] ?? DEFAULT_FIELD_MAP.type;
  const type = textOf(fieldOf(raw, typeField));
  const fields: Record<string, FieldValue> = {};
  for (const [name, sfField] of Object.entries(mapping.fields)) {
    if ((MAPPED_DEAL_FIELDS as readonly string[]).includes(name)) continue;
    fields[name] = fieldValueOf(fieldOf(raw, sfField));
  }
  const lastModified = timestampOf(raw['SystemModstamp']);
  const accountId = mapping.accounts ? textOf(raw['AccountId']) : undefined;
  return {
    record: {
      id,
      name: textOf(raw['Name']) ?? '',
      ownerId: ownerId ?? '(none)',
      amount: amount ?? '0',
      currency: currency && isCurrencyCode(currency) ? currency : mapping.defaultCurrency,
      closeDate: closeDate && isIsoDate(closeDate) ? closeDate : '1970-01-01',
      stage: stage ?? 'lost',
      ...(type !== undefined ? { type } : {}),
      fields,
      ...(lastModified !== undefined ? { lastModified } : {}),
      deleted,
      ...(accountId !== undefined ? { accountId } : {}),
    },
  };
}

/**
 * An Account as a canonical account. `fields` maps account fields to Account fields (defaults
 * applied); a number field that is not a number (or is negative) makes the record a reject.
 */
export function mapAccount(raw: RawRecord, fields: Record<string, string>): Mapped<Account> {
  const id = textOf(raw['Id']);
  const reject = (reason: string): Mapped<Account> => ({
    reject: { source: SOURCE('Account'), recordId: id ?? '(no Id)', reason },
  });
  if (id === undefined) return reject('the record has no Id');
  const deleted = booleanOf(raw['IsDeleted']) ?? false;
  const account: Account = { id, name: textOf(fieldOf(raw, fields['name'] ?? 'Name')) ?? '', fields: {}, deleted };
  const problems: string[] = [];
  for (const [name, sfField] of Object.entries(fields)) {
    const value = fieldOf(raw, sfField);
    if (name === 'name' || name === 'id') continue;
    if (name === 'employees' || name === 'annualRevenue') {
      const amount = decimalOf(value);
      if (amount === null || (amount !== undefined && amount.startsWith('-')))
        problems.push(`${sfField} ${JSON.stringify(value)} is not a number of at least 0`);
      else if (amount !== undefined) account[name] = amount;
    } else if ((ACCOUNT_FIELDS as readonly string[]).includes(name)) {
      const text = textOf(value);
      if (text !== undefined) account[name as 'ownerId' | 'country' | 'region' | 'postalCode' | 'industry'] = text;
    } else account.fields[name] = fieldValueOf(value);
  }
  if (problems.length > 0 && !deleted) return reject(problems.join('; '));
  const lastModified = timestampOf(raw['SystemModstamp']);
  if (lastModified !== undefined) account.lastModified = lastModified;
  return { record: account };
}

function stageOf(raw: RawRecord, stages: OpportunityMapping['stages']): Deal['stage'] | undefined {
  if (stages?.won || stages?.lost) {
    const name = textOf(raw['StageName']) ?? '';
    if (stages.won?.includes(name)) return 'won';
    if (stages.lost?.includes(name)) return 'lost';
    if (stages.won && stages.lost) return 'open';
  }
  const won = booleanOf(raw['IsWon']);
  const closed = booleanOf(raw['IsClosed']);
  if (won === undefined || closed === undefined) return undefined;
  // A stage list given for one side only: the other side still comes from the flags.
  if (stages?.won && !stages.lost) return closed && !won ? 'lost' : 'open';
  if (stages?.lost && !stages.won) return won ? 'won' : 'open';
  return won ? 'won' : closed ? 'lost' : 'open';
}

/**
 * A split type whose splits must total 100 % (`IsTotalValidated`, Salesforce's Revenue type) is
 * `revenue`; the others (Overlay and custom types) are `overlay`.
 */
export function mapSplit(raw: RawRecord): Mapped<Split> {
  const id = textOf(raw['Id']) ?? '(no Id)';
  const reject = (reason: string): Mapped<Split> => ({
    reject: { source: SOURCE('OpportunitySplit'), recordId: id, reason },
  });
  const dealId = textOf(raw['OpportunityId']);
  const repId = textOf(raw['SplitOwnerId']);
  const percent = decimalOf(raw['SplitPercentage']);
  const validated = booleanOf(fieldOf(raw, 'SplitType.IsTotalValidated'));
  if (dealId === undefined) return reject('no OpportunityId');
  if (repId === undefined) return reject('no SplitOwnerId');
  if (percent === undefined || percent === null)
    return reject(`SplitPercentage ${JSON.stringify(raw['SplitPercentage'])} is not a number`);
  return { record: { dealId, repId, percent, kind: validated ? 'revenue' : 'overlay' } };
}

/** Advanced Currency Management's dated rates: in effect from StartDate (until the next one). */
export function mapDatedConversionRate(raw: RawRecord): Mapped<FxRate> {
  return rateOf(raw, 'DatedConversionRate', textOf(raw['StartDate']));
}

/** A multi-currency org without dated rates: one rate per currency, in effect since always. */
export function mapCurrencyType(raw: RawRecord): Mapped<FxRate> {
  return rateOf(raw, 'CurrencyType', '1970-01-01');
}

function rateOf(raw: RawRecord, object: string, from: string | undefined): Mapped<FxRate> {
  const id = textOf(raw['Id']) ?? '(no Id)';
  const reject = (reason: string): Mapped<FxRate> => ({ reject: { source: SOURCE(object), recordId: id, reason } });
  const currency = textOf(raw['IsoCode']);
  const rate = decimalOf(raw['ConversionRate']);
  if (currency === undefined || !isCurrencyCode(currency))
    return reject(`IsoCode ${JSON.stringify(raw['IsoCode'])} is not a currency code`);
  if (from === undefined || !isIsoDate(from))
    return reject(`StartDate ${JSON.stringify(raw['StartDate'])} is not a date`);
  if (rate === undefined || rate === null)
    return reject(`ConversionRate ${JSON.stringify(raw['ConversionRate'])} is not a number`);
  return { record: { currency, from, rate } };
}
