/**
 * The canonical data model (docs/workspace.md#data-files): what every connector produces and the engine consumes.
 * Amounts are decimal strings and dates ISO `YYYY-MM-DD` strings at this boundary; the engine
 * turns them into fixed-point numbers and day numbers internally.
 */
import { z } from 'zod';
import { CURRENCY_CODE } from './currency.js';
import { parseDecimal } from './decimal.js';
import type { Where } from './plan.js';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written `YYYY-MM-DD` (rejects 2026-02-30). */
export function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export const isoDate = z.string().refine(isIsoDate, { message: 'expected a date YYYY-MM-DD' });
export const decimalString = z
  .string()
  .refine((s) => parseDecimal(s) !== undefined, { message: 'expected a decimal number such as 1234.50' });
export const currencyCode = z.string().regex(CURRENCY_CODE, 'expected a 3-letter ISO currency code such as USD');

export const repSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  email: z.string(),
  managerId: z.string().min(1).optional(),
  active: z.boolean(),
  hireDate: isoDate.optional(),
  endDate: isoDate.optional(),
  /** The rep's id in payroll (an ADP file number); only the payroll export reads it. */
  employeeId: z.string().min(1).optional(),
});
export type Rep = z.infer<typeof repSchema>;

export const dealStage = z.enum(['open', 'won', 'lost']);
export type DealStage = z.infer<typeof dealStage>;

export const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type FieldValue = z.infer<typeof fieldValue>;

export const dealSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  ownerId: z.string().min(1),
  amount: decimalString,
  currency: currencyCode,
  closeDate: isoDate,
  stage: dealStage,
  type: z.string().optional(),
  /** Other mapped fields (extra CSV columns, mapped CRM fields), usable in `where` filters. */
  fields: z.record(z.string(), fieldValue),
  /** When the record last changed at the source: an ISO 8601 timestamp or date. */
  lastModified: z.string().optional(),
  deleted: z.boolean(),
  /** The account the deal is with (docs/territories.md); territory credit follows it. */
  accountId: z.string().min(1).optional(),
});
export type Deal = z.infer<typeof dealSchema>;

/**
 * A customer account (docs/territories.md#accounts): what territories are carved from. Every field
 * but the id and name is optional; `fields` holds the others (extra CSV columns, mapped CRM fields).
 */
export const accountSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  /** The account's owner in the CRM: a rep id, compared with the reps of the account's territory. */
  ownerId: z.string().min(1).optional(),
  country: z.string().optional(),
  /** A state, province or region. */
  region: z.string().optional(),
  postalCode: z.string().optional(),
  industry: z.string().optional(),
  employees: decimalString.optional(),
  annualRevenue: decimalString.optional(),
  fields: z.record(z.string(), fieldValue),
  lastModified: z.string().optional(),
  deleted: z.boolean(),
});
export type Account = z.infer<typeof accountSchema>;

/** The canonical account fields a territory rule may name (besides the account's `fields`). */
export const ACCOUNT_FIELDS = [
  'id',
  'name',
  'ownerId',
  'country',
  'region',
  'postalCode',
  'industry',
  'employees',
  'annualRevenue',
] as const;

export const territoryRole = z.enum(['owner', 'overlay']);
export type TerritoryRole = z.infer<typeof territoryRole>;

/** A rep holding a territory for a while (data/territory-assignments.csv). */
export const territoryAssignmentSchema = z.object({
  repId: z.string().min(1),
  territoryId: z.string().min(1),
  role: territoryRole,
  /** Owners share a won deal's revenue credit by it; an overlay gets this percent on top. */
  percent: decimalString,
  from: isoDate,
  /** Inclusive; absent means open-ended. */
  to: isoDate.optional(),
});
export type TerritoryAssignment = z.infer<typeof territoryAssignmentSchema>;

/** A postal-code range of a territory: codes whose first characters fall from `from` to `to`. */
export interface PostalRange {
  from: string;
  to: string;
}

/** A territory of territories.yaml (docs/territories.md), as the engine reads it. */
export interface Territory {
  id: string;
  name?: string;
  parent?: string;
  /** Conditions on account fields, in the plans' `where` language. */
  where?: Where;
  postalCodes?: PostalRange[];
  /** Named accounts: theirs whatever the rules say. */
  accounts?: string[];
}

export const splitKind = z.enum(['revenue', 'overlay']);
export const splitSchema = z.object({
  dealId: z.string().min(1),
  repId: z.string().min(1),
  percent: decimalString,
  kind: splitKind,
});
export type Split = z.infer<typeof splitSchema>;

export const quotaSchema = z.object({
  repId: z.string().min(1),
  /** A quota period label: `2026`, `2026-Q1` or `2026-01` (docs/workspace.md#calendar). */
  period: z.string().min(1),
  amount: decimalString,
});
export type Quota = z.infer<typeof quotaSchema>;

export const assignmentSchema = z.object({
  repId: z.string().min(1),
  planId: z.string().min(1),
  from: isoDate,
  /** Inclusive; absent means open-ended. */
  to: isoDate.optional(),
});
export type Assignment = z.infer<typeof assignmentSchema>;

export const fxRateSchema = z.object({
  currency: currencyCode,
  from: isoDate,
  /** Units of `currency` per 1 unit of the base currency (Salesforce DatedConversionRate's convention). */
  rate: decimalString,
});
export type FxRate = z.infer<typeof fxRateSchema>;

/** A record that could not be used: kept, reported and stored, never silently dropped. */
export interface Reject {
  /** Where it came from, as precisely as known: `deals.csv:17`, `salesforce Opportunity`. */
  source: string;
  recordId: string;
  reason: string;
}

/** Orders rejects by file, then line number (`deals.csv:9` before `deals.csv:10`), then id. */
export function compareRejects(a: Reject, b: Reject): number {
  const [fileA = '', lineA = ''] = a.source.split(':');
  const [fileB = '', lineB = ''] = b.source.split(':');
  if (fileA !== fileB) return fileA < fileB ? -1 : 1;
  const byLine = (Number(lineA) || 0) - (Number(lineB) || 0);
  if (byLine !== 0) return byLine;
  return a.recordId < b.recordId
    ? -1
    : a.recordId > b.recordId
      ? 1
      : a.reason < b.reason
        ? -1
        : a.reason > b.reason
          ? 1
          : 0;
}

export interface CanonicalData {
  reps: Rep[];
  deals: Deal[];
  splits: Split[];
  quotas: Quota[];
  assignments: Assignment[];
  fxRates: FxRate[];
  /** Present only when the workspace has accounts (docs/territories.md). */
  accounts?: Account[];
  /** territories.yaml, in file order; present only when the workspace has one. */
  territories?: Territory[];
  territoryAssignments?: TerritoryAssignment[];
}
