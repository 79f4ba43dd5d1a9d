/**
 * The files of a CSV workspace (docs/workspace.md#data-files): their columns, how a row becomes a canonical
 * record, and what makes two rows the same record.
 *
 * Only what can be judged from the file itself is checked here (syntax, types, ranges,
 * duplicates within the file). Whether an owner, rep, deal or currency exists is for the
 * normalize step, which sees every source.
 */
import type {
  Account,
  Assignment,
  Deal,
  FieldValue,
  FxRate,
  Quota,
  Rep,
  Split,
  TerritoryAssignment,
} from '../../src/domain/model.js';
import { calendarDay, NOT_NEGATIVE, PERCENT, POSITIVE, type Column, type CsvRow } from './csv-row.js';

export type Columns<N extends string> = Readonly<Record<N, Column>>;

export interface CsvTable<T extends object, N extends string = string> {
  readonly file: string;
  /** A missing optional file has no rows; a missing required one stops the run. */
  readonly optional: boolean;
  readonly requiredColumns: readonly N[];
  readonly optionalColumns: readonly N[];
  /** Deals keep every other column in `fields`; the other files ignore unknown columns. */
  readonly extraColumnsAreFields: boolean;
  /** The id a reject names; undefined when the row has none (the reject then names the line). */
  recordId(row: CsvRow, c: Columns<N>): string | undefined;
  /** Rows with the same key describe the same record; undefined when a part of the key is empty. */
  duplicateKey(row: CsvRow, c: Columns<N>): string | undefined;
  /** "duplicate deal id d17", for the reject of the second row with a key. */
  describeDuplicate(row: CsvRow, c: Columns<N>): string;
  /** The record; only used when the row has no problems. */
  build(row: CsvRow, c: Columns<N>, extras: readonly Column[]): T;
}

/** Joins the parts of a duplicate key; a character no id contains. */
const SEP = '\u001f';
const STAGES = ['open', 'won', 'lost'] as const;
const SPLIT_KINDS = ['revenue', 'overlay'] as const;
const TERRITORY_ROLES = ['owner', 'overlay'] as const;

type RepColumn = 'id' | 'name' | 'email' | 'managerId' | 'active' | 'hireDate' | 'endDate' | 'employeeId';
export const REPS: CsvTable<Rep, RepColumn> = {
  file: 'reps.csv',
  optional: false,
  requiredColumns: ['id', 'name', 'email'],
  optionalColumns: ['managerId', 'active', 'hireDate', 'endDate', 'employeeId'],
  extraColumnsAreFields: false,
  recordId: (row, c) => row.optionalId(c.id),
  duplicateKey: (row, c) => row.optionalId(c.id),
  describeDuplicate: (row, c) => `duplicate rep id ${row.trimmed(c.id)}`,
  build(row, c) {
    const rep: Rep = {
      id: row.id(c.id),
      name: row.raw(c.name),
      email: row.raw(c.email),
      active: row.boolean(c.active, true),
    };
    const managerId = row.optionalId(c.managerId);
    if (managerId !== undefined) rep.managerId = managerId;
    const hireDate = row.optionalDate(c.hireDate);
    if (hireDate !== undefined) rep.hireDate = hireDate;
    const endDate = row.optionalDate(c.endDate);
    if (endDate !== undefined) rep.endDate = endDate;
    row.ordered(c.hireDate, hireDate, c.endDate, endDate);
    const employeeId = row.optionalId(c.employeeId);
    if (employeeId !== undefined) rep.employeeId = employeeId;
    return rep;
  },
};

type DealColumn =
  | 'id'
  | 'name'
  | 'ownerId'
  | 'amount'
  | 'currency'
  | 'closeDate'
  | 'stage'
  | 'type'
  | 'lastModified'
  | 'deleted'
  | 'accountId';
export const DEALS: CsvTable<Deal, DealColumn> = {
  file: 'deals.csv',
  optional: false,
  requiredColumns: ['id', 'name', 'ownerId', 'amount', 'currency', 'closeDate', 'stage'],
  optionalColumns: ['type', 'lastModified', 'deleted', 'accountId'],
  extraColumnsAreFields: true,
  recordId: (row, c) => row.optionalId(c.id),
  duplicateKey: (row, c) => row.optionalId(c.id),
  describeDuplicate: (row, c) => `duplicate deal id ${row.trimmed(c.id)}`,
  build(row, c, extras) {
    // In the order of the record's keys, so that a row's problems are listed in that order.
    const id = row.id(c.id);
    const name = row.raw(c.name);
    const ownerId = row.shared(c.ownerId, row.id);
    const amount = row.decimal(c.amount);
    const currency = row.shared(c.currency, row.currency);
    const closeDate = row.shared(c.closeDate, row.date);
    const stage = row.choice(c.stage, STAGES);
    const fields = extraFields(row, extras);
    const deleted = row.boolean(c.deleted, false);
    // `type` written in the literal: a key added afterwards costs each deal a second allocation.
    const deal: Deal =
      row.raw(c.type).length === 0
        ? { id, name, ownerId, amount, currency, closeDate, stage, fields, deleted }
        : { id, name, ownerId, amount, currency, closeDate, stage, fields, deleted, type: row.shared(c.type, row.raw) };
    const lastModified = row.optionalTimestamp(c.lastModified);
    if (lastModified !== undefined) deal.lastModified = lastModified;
    if (row.trimmed(c.accountId).length !== 0) deal.accountId = row.shared(c.accountId, row.id);
    return deal;
  },
};

type AccountColumn =
  | 'id'
  | 'name'
  | 'ownerId'
  | 'country'
  | 'region'
  | 'postalCode'
  | 'industry'
  | 'employees'
  | 'annualRevenue'
  | 'lastModified'
  | 'deleted';
/** data/accounts.csv (docs/territories.md#accounts): optional; extra columns become the account's `fields`. */
export const ACCOUNTS: CsvTable<Account, AccountColumn> = {
  file: 'accounts.csv',
  optional: true,
  requiredColumns: ['id', 'name'],
  optionalColumns: [
    'ownerId',
    'country',
    'region',
    'postalCode',
    'industry',
    'employees',
    'annualRevenue',
    'lastModified',
    'deleted',
  ],
  extraColumnsAreFields: true,
  recordId: (row, c) => row.optionalId(c.id),
  duplicateKey: (row, c) => row.optionalId(c.id),
  describeDuplicate: (row, c) => `duplicate account id ${row.trimmed(c.id)}`,
  build(row, c, extras) {
    const account: Account = {
      id: row.id(c.id),
      name: row.raw(c.name),
      fields: extraFields(row, extras),
      deleted: row.boolean(c.deleted, false),
    };
    if (row.trimmed(c.ownerId).length !== 0) account.ownerId = row.shared(c.ownerId, row.id);
    for (const key of ['country', 'region', 'postalCode', 'industry'] as const) {
      if (row.raw(c[key]).length !== 0) account[key] = row.shared(c[key], row.raw);
    }
    for (const key of ['employees', 'annualRevenue'] as const) {
      if (row.trimmed(c[key]).length !== 0) account[key] = row.decimal(c[key], NOT_NEGATIVE);
    }
    const lastModified = row.optionalTimestamp(c.lastModified);
    if (lastModified !== undefined) account.lastModified = lastModified;
    return account;
  },
};

type TerritoryAssignmentColumn = 'repId' | 'territoryId' | 'role' | 'percent' | 'from' | 'to';
/** data/territory-assignments.csv (docs/territories.md#reps-and-territories): optional. */
export const TERRITORY_ASSIGNMENTS: CsvTable<TerritoryAssignment, TerritoryAssignmentColumn> = {
  file: 'territory-assignments.csv',
  optional: true,
  requiredColumns: ['repId', 'territoryId', 'role', 'from'],
  optionalColumns: ['percent', 'to'],
  extraColumnsAreFields: false,
  recordId: (row, c) => joinedIds(row, '/', c.repId, c.territoryId, c.from),
  duplicateKey: (row, c) => {
    const key = joinedIds(row, SEP, c.repId, c.territoryId);
    return key && row.trimmed(c.from)
      ? `${key}${SEP}${row.trimmed(c.role).toLowerCase()}${SEP}${day(row, c.from)}`
      : undefined;
  },
  describeDuplicate: (row, c) =>
    `duplicate ${row.trimmed(c.role).toLowerCase()} assignment of rep ${row.trimmed(c.repId)} to territory ${row.trimmed(c.territoryId)} from ${day(row, c.from)}`,
  build(row, c) {
    const assignment: TerritoryAssignment = {
      repId: row.id(c.repId),
      territoryId: row.id(c.territoryId),
      role: row.choice(c.role, TERRITORY_ROLES),
      // An empty percent is all of it: one owner, or an overlay crediting the whole deal.
      percent: row.trimmed(c.percent).length === 0 ? '100' : row.decimal(c.percent, PERCENT),
      from: row.date(c.from),
    };
    const to = row.optionalDate(c.to);
    if (to !== undefined) assignment.to = to;
    row.ordered(c.from, assignment.from, c.to, to);
    return assignment;
  },
};

/** The deal's other columns, as written; an empty cell leaves its key out. */
function extraFields(row: CsvRow, extras: readonly Column[]): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const column of extras) {
    if (row.raw(column).length !== 0) fields[column.name] = row.shared(column, row.raw);
  }
  return fields;
}

type SplitColumn = 'dealId' | 'repId' | 'percent' | 'kind';
export const SPLITS: CsvTable<Split, SplitColumn> = {
  file: 'splits.csv',
  optional: true,
  requiredColumns: ['dealId', 'repId', 'percent', 'kind'],
  optionalColumns: [],
  extraColumnsAreFields: false,
  recordId: (row, c) => joinedIds(row, '/', c.dealId, c.repId),
  // A rep may hold a revenue and an overlay split of the same deal, as in Salesforce.
  duplicateKey: (row, c) => {
    const key = joinedIds(row, SEP, c.dealId, c.repId);
    return key && `${key}${SEP}${row.trimmed(c.kind).toLowerCase()}`;
  },
  describeDuplicate: (row, c) =>
    `duplicate ${row.trimmed(c.kind).toLowerCase()} split of deal ${row.trimmed(c.dealId)} to rep ${row.trimmed(c.repId)}`,
  build: (row, c) => ({
    dealId: row.id(c.dealId),
    repId: row.shared(c.repId, row.id),
    percent: row.shared(c.percent, row.decimal, PERCENT),
    kind: row.choice(c.kind, SPLIT_KINDS),
  }),
};

type QuotaColumn = 'repId' | 'period' | 'amount';
export const QUOTAS: CsvTable<Quota, QuotaColumn> = {
  file: 'quotas.csv',
  optional: false,
  requiredColumns: ['repId', 'period', 'amount'],
  optionalColumns: [],
  extraColumnsAreFields: false,
  recordId: (row, c) => joinedIds(row, '/', c.repId, c.period),
  duplicateKey: (row, c) =>
    row.optionalId(c.repId) ? `${row.trimmed(c.repId)}${SEP}${row.trimmed(c.period).toUpperCase()}` : undefined,
  describeDuplicate: (row, c) =>
    `duplicate quota for rep ${row.trimmed(c.repId)} in ${row.trimmed(c.period).toUpperCase()}`,
  build: (row, c) => ({
    repId: row.id(c.repId),
    period: row.period(c.period),
    amount: row.decimal(c.amount, NOT_NEGATIVE),
  }),
};

type AssignmentColumn = 'repId' | 'planId' | 'from' | 'to';
export const ASSIGNMENTS: CsvTable<Assignment, AssignmentColumn> = {
  file: 'assignments.csv',
  optional: false,
  requiredColumns: ['repId', 'planId', 'from'],
  optionalColumns: ['to'],
  extraColumnsAreFields: false,
  recordId: (row, c) => joinedIds(row, '/', c.repId, c.planId, c.from),
  duplicateKey: (row, c) => {
    const key = joinedIds(row, SEP, c.repId, c.planId);
    return key && row.trimmed(c.from) ? `${key}${SEP}${day(row, c.from)}` : undefined;
  },
  describeDuplicate: (row, c) =>
    `duplicate assignment of rep ${row.trimmed(c.repId)} to plan ${row.trimmed(c.planId)} from ${day(row, c.from)}`,
  build(row, c) {
    const assignment: Assignment = { repId: row.id(c.repId), planId: row.id(c.planId), from: row.date(c.from) };
    const to = row.optionalDate(c.to);
    if (to !== undefined) assignment.to = to;
    row.ordered(c.from, assignment.from, c.to, to);
    return assignment;
  },
};

type FxColumn = 'currency' | 'from' | 'rate';
export const FX_RATES: CsvTable<FxRate, FxColumn> = {
  file: 'fx.csv',
  optional: true,
  requiredColumns: ['currency', 'from', 'rate'],
  optionalColumns: [],
  extraColumnsAreFields: false,
  recordId: (row, c) => joinedIds(row, '/', c.currency, c.from),
  duplicateKey: (row, c) =>
    row.trimmed(c.currency) && row.trimmed(c.from)
      ? `${row.trimmed(c.currency).toUpperCase()}${SEP}${day(row, c.from)}`
      : undefined,
  describeDuplicate: (row, c) => `duplicate rate for ${row.trimmed(c.currency).toUpperCase()} from ${day(row, c.from)}`,
  build: (row, c) => ({
    currency: row.currency(c.currency),
    from: row.date(c.from),
    rate: row.decimal(c.rate, POSITIVE),
  }),
};

/** The trimmed cells joined by `separator`; undefined when one of them is empty. */
function joinedIds(row: CsvRow, separator: string, ...columns: Column[]): string | undefined {
  let joined = '';
  for (const column of columns) {
    const id = row.trimmed(column);
    if (id.length === 0) return undefined;
    joined = joined.length === 0 ? id : `${joined}${separator}${id}`;
  }
  return joined;
}

/** A date cell as its calendar day when it is one, as written otherwise (for keys and messages). */
function day(row: CsvRow, column: Column): string {
  const text = row.trimmed(column);
  return calendarDay(text, row.tz) ?? text;
}
