/**
 * Commission accounting (docs/accounting.md): `attain export gl PERIOD` writes the period's journal
 * entries as CSV, `attain amortization` lists each contract's capitalised cost, amortisation to
 * date and remaining balance. Both book every stored payout line afresh (src/domain/accounting.ts)
 * from the lines, the deals' term fields and attain.yaml's `accounting:`; nothing is stored.
 *
 * Like the payroll export, the journal of a period is final only when every payout period up to
 * its end is paid (locked): locked lines are never rewritten, so the same period exported twice
 * gives the same bytes. `--draft` exports before that, and the file name says DRAFT.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import { DEFAULT_ACCOUNTING, type AccountingConfig } from '../config/attain-schema.js';
import { readAccountingDeals } from '../src/db/accounting-store.js';
import { listLocks } from '../src/db/index.js';
import type { Database } from '../src/db/schema.js';
import { listPayoutPeriods, readLinesOfPeriods, readReps } from '../src/db/statement-store.js';
import {
  amortizedThrough,
  bookCommissions,
  capitalizedThrough,
  contractSchedule,
  costMonth,
  formatMinor,
  journalEntries,
  remainingAt,
  type AccountingDeal,
  type AccountingPolicy,
  type CommissionBook,
  type Contract,
  type LedgerAccounts,
} from '../src/domain/accounting.js';
import { isIsoDate } from '../src/domain/model.js';
import { LockSet } from '../src/domain/locks.js';
import { monthOfDate, type FiscalCalendar } from '../src/domain/periods.js';
import { classifyTrace, tracedDeals } from '../src/domain/trace.js';
import { PayCycleInputError } from './pay-cycle-error.js';

export interface AccountingOptions {
  calendar: FiscalCalendar;
  /** attain.yaml `accounting:`; absent, the defaults. */
  accounting: AccountingConfig | undefined;
}

export function accountingPolicy(config: AccountingConfig | undefined): {
  policy: AccountingPolicy;
  accounts: LedgerAccounts;
} {
  const c = config ?? DEFAULT_ACCOUNTING;
  return {
    policy: {
      termField: c.contractTermField,
      capitalizeAboveMonths: c.capitalizeAboveMonths,
      start: c.amortizationStart === 'closeDate' ? { field: 'closeDate' } : { field: c.amortizationStart.field },
    },
    accounts: { ...c.accounts },
  };
}

export interface LoadedBook {
  book: CommissionBook;
  deals: Map<string, AccountingDeal>;
  /** Every payout period with lines. */
  payoutPeriods: string[];
}

/** Books every stored payout line. Throws PayCycleInputError when no run has stored any. */
export async function loadBook(db: Kysely<Database>, options: AccountingOptions): Promise<LoadedBook> {
  const payoutPeriods = await listPayoutPeriods(db);
  const lines = await readLinesOfPeriods(db, payoutPeriods);
  if (lines.length === 0) throw new PayCycleInputError('no run has stored payout lines yet (attain run)');
  const ids = new Set<string>();
  for (const line of lines) {
    const trace = classifyTrace(line.component, line.trace);
    for (const id of tracedDeals(trace)) ids.add(id);
    if (trace.kind === 'lockAdjustment') for (const id of trace.json.clawedBack) ids.add(id);
  }
  const deals = new Map((await readAccountingDeals(db, [...ids])).map((deal) => [deal.id, deal]));
  const { policy } = accountingPolicy(options.accounting);
  return { book: bookCommissions(lines, deals, policy, options.calendar), deals, payoutPeriods };
}

// ---- attain export gl ----

export const GL_HEADER = [
  'entry',
  'date',
  'period',
  'kind',
  'account',
  'debit',
  'credit',
  'currency',
  'repId',
  'dealId',
  'memo',
];

export interface GlFile {
  /** `gl-<period>.csv`, with -DRAFT for a draft. */
  fileName: string;
  bytes: Buffer;
  entries: number;
  rows: number;
  sha256: string;
  /** Currency → debits and credits of the file; equal to the cent. */
  totals: Record<string, { debit: string; credit: string }>;
  /** Deals whose commission could not be capitalised (expensed), with the reason. */
  rejects: { dealId: string; reason: string }[];
}

export interface GlOptions extends AccountingOptions {
  period: string;
  draft: boolean;
}

/** The journal of a period. Throws PayCycleInputError (nothing written) when it cannot be made. */
export async function buildGlFile(db: Kysely<Database>, options: GlOptions): Promise<GlFile> {
  const { calendar } = options;
  const period = calendar.parse(options.period);
  if (!period)
    throw new PayCycleInputError(`${options.period}: not a period; expected one such as 2026-01, 2026-Q1 or 2026`);
  const { book, payoutPeriods } = await loadBook(db, options);
  const lastMonth = period.startMonth + period.months - 1;
  if (!options.draft) {
    const locks = new LockSet(
      (await listLocks(db)).map((lock) => lock.period),
      calendar,
    );
    const unpaid = payoutPeriods.filter((label) => {
      const month = costMonth(label, calendar);
      return month !== undefined && month <= lastMonth && !locks.isLabelLocked(label);
    });
    if (unpaid.length > 0)
      throw new PayCycleInputError(
        `${period.label}: the journal needs every payout period up to its end paid (locked); not yet: ` +
          `${unpaid.join(', ')}. Lock them (attain lock), or add --draft for a file marked DRAFT`,
      );
  }
  const months = Array.from({ length: period.months }, (_, i) => period.startMonth + i);
  const { accounts } = accountingPolicy(options.accounting);
  const entries = journalEntries(book, months, accounts, calendar);

  const records: string[][] = [GL_HEADER];
  const sums = new Map<string, { debit: bigint; credit: bigint }>();
  for (const entry of entries) {
    const label = calendar.periodOf('month', entry.month).label;
    const sum = sums.get(entry.currency) ?? { debit: 0n, credit: 0n };
    sums.set(entry.currency, sum);
    for (const line of entry.lines) {
      const debit = line.amount > 0n ? line.amount : 0n;
      const credit = line.amount < 0n ? -line.amount : 0n;
      sum.debit += debit;
      sum.credit += credit;
      records.push([
        entry.id,
        entry.date,
        label,
        entry.kind,
        line.account,
        debit === 0n ? '' : formatMinor(debit, entry.currency),
        credit === 0n ? '' : formatMinor(credit, entry.currency),
        entry.currency,
        line.repId,
        line.dealId,
        line.memo,
      ]);
    }
  }
  const totals: GlFile['totals'] = {};
  for (const [currency, { debit, credit }] of [...sums].sort(([a], [b]) => (a < b ? -1 : 1)))
    totals[currency] = { debit: formatMinor(debit, currency), credit: formatMinor(credit, currency) };
  const bytes = Buffer.from(stringify(records));
  const fileName = `gl-${period.label}.csv`;
  const dealsInPeriod = new Set(
    book.costs.filter((c) => c.month >= period.startMonth && c.month <= lastMonth).map((c) => c.dealId),
  );
  return {
    fileName: options.draft ? draftName(fileName) : fileName,
    bytes,
    entries: entries.length,
    rows: records.length - 1,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    totals,
    rejects: book.rejects.filter((r) => dealsInPeriod.has(r.dealId)),
  };
}

/** Builds the journal and writes it to `path` (a draft's name gains -DRAFT). */
export async function exportGl(
  db: Kysely<Database>,
  options: GlOptions & { path: (defaultName: string) => string },
): Promise<GlFile & { path: string }> {
  const file = await buildGlFile(db, options);
  let path = options.path(file.fileName);
  if (options.draft && !/DRAFT/i.test(basename(path))) path = draftName(path);
  await writeFile(path, file.bytes);
  return { ...file, path };
}

function draftName(path: string): string {
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}-DRAFT${extension}`;
}

// ---- attain amortization ----

export interface AmortizationRow {
  repId: string;
  repName: string;
  dealId: string;
  dealName: string;
  currency: string;
  termMonths: number;
  /** The first month of amortisation. */
  start: string;
  capitalized: string;
  amortized: string;
  /** The unamortised balance a clawback reversed; `0.00` when none. */
  reversed: string;
  remaining: string;
  /** The month a clawback reversed the rest, if one did by the as-of date. */
  clawedBack?: string;
  /** Month by month: what is amortised (to date and to come); sums to capitalized − reversed. */
  schedule: { month: string; amount: string }[];
}

export interface AmortizationReport {
  asOf: string;
  /** The last month counted: the as-of date's. */
  through: string;
  contracts: AmortizationRow[];
  totals: { currency: string; capitalized: string; amortized: string; reversed: string; remaining: string }[];
  /** What was expensed when incurred, through the as-of month, per currency and reason. */
  expensed: { currency: string; reason: string; amount: string }[];
  /** Deals whose commission could not be capitalised, with the reason: their commission is expensed. */
  rejects: { dealId: string; dealName: string; reason: string }[];
}

/** Every contract's capitalised cost, amortisation to the end of the as-of date's month and remaining balance. */
export async function amortizationReport(
  db: Kysely<Database>,
  options: AccountingOptions & { asOf: string },
): Promise<AmortizationReport> {
  if (!isIsoDate(options.asOf)) throw new PayCycleInputError(`--as-of ${options.asOf}: expected a date YYYY-MM-DD`);
  const { calendar } = options;
  const month = monthOfDate(options.asOf);
  const { book, deals } = await loadBook(db, options);
  const contracts = book.contracts
    .map((contract) => asOfMonth(contract, month))
    .filter((c): c is Contract => c !== undefined)
    .sort((a, b) => cmp(a.repId, b.repId) || cmp(a.dealId, b.dealId) || cmp(a.currency, b.currency));
  const reps = new Map((await readReps(db, [...new Set(contracts.map((c) => c.repId))])).map((r) => [r.id, r.name]));
  const label = (m: number) => calendar.periodOf('month', m).label;
  const sums = new Map<string, bigint[]>();
  const rows = contracts.map((contract): AmortizationRow => {
    const capitalized = capitalizedThrough(contract, month);
    const amortized = amortizedThrough(contract, month);
    const remaining = remainingAt(contract, month);
    const reversed = capitalized - amortized - remaining;
    const sum = sums.get(contract.currency) ?? [0n, 0n, 0n, 0n];
    [capitalized, amortized, reversed, remaining].forEach((v, i) => (sum[i]! += v));
    sums.set(contract.currency, sum);
    const money = (v: bigint) => formatMinor(v, contract.currency);
    return {
      repId: contract.repId,
      repName: reps.get(contract.repId) ?? '',
      dealId: contract.dealId,
      dealName: deals.get(contract.dealId)?.name ?? '',
      currency: contract.currency,
      termMonths: contract.termMonths,
      start: label(contract.startMonth),
      capitalized: money(capitalized),
      amortized: money(amortized),
      reversed: money(reversed),
      remaining: money(remaining),
      ...(contract.clawedBackMonth !== undefined ? { clawedBack: label(contract.clawedBackMonth) } : {}),
      schedule: contractSchedule(contract).map((row) => ({ month: label(row.month), amount: money(row.amount) })),
    };
  });
  const expensed = new Map<string, bigint>();
  for (const cost of book.costs) {
    if (cost.treatment !== 'expense' || cost.month > month) continue;
    const reason = cost.reason.startsWith('rejected for accounting') ? 'rejected for accounting' : cost.reason;
    const k = JSON.stringify([cost.currency, reason]);
    expensed.set(k, (expensed.get(k) ?? 0n) + cost.amount);
  }
  const incurred = new Set(book.costs.filter((c) => c.month <= month).map((c) => c.dealId));
  return {
    asOf: options.asOf,
    through: label(month),
    contracts: rows,
    totals: [...sums]
      .sort(([a], [b]) => cmp(a, b))
      .map(([currency, [capitalized, amortized, reversed, remaining]]) => ({
        currency,
        capitalized: formatMinor(capitalized!, currency),
        amortized: formatMinor(amortized!, currency),
        reversed: formatMinor(reversed!, currency),
        remaining: formatMinor(remaining!, currency),
      })),
    expensed: [...expensed]
      .map(([k, amount]) => {
        const [currency, reason] = JSON.parse(k) as [string, string];
        return { currency, reason, amount: formatMinor(amount, currency) };
      })
      .sort((a, b) => cmp(a.currency, b.currency) || cmp(a.reason, b.reason)),
    rejects: book.rejects
      .filter((r) => incurred.has(r.dealId))
      .map((r) => ({ ...r, dealName: deals.get(r.dealId)?.name ?? '' })),
  };
}

/** The contract as it stood at the end of `month`: its tranches incurred by then, a clawback by then. */
function asOfMonth(contract: Contract, month: number): Contract | undefined {
  const tranches = contract.tranches.filter((t) => t.month <= month);
  if (tranches.length === 0) return undefined;
  const { clawedBackMonth, ...rest } = contract;
  return {
    ...rest,
    tranches,
    ...(clawedBackMonth !== undefined && clawedBackMonth <= month ? { clawedBackMonth } : {}),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- attain report ----

/** A rep's commission on a deal that could not be capitalised for want of a usable contract term. */
export interface ExpensedForWantOfTerm {
  repId: string;
  dealId: string;
  period: string;
  currency: string;
  amount: string;
  reason: string;
}

/**
 * For `attain report` (docs/accounting.md#rejects): each rep's commission of a payout period on a
 * deal rejected for accounting (no usable term), which is expensed when incurred, with the reason;
 * only `reps` and `periods` when given. Nothing when no run has stored lines.
 */
export async function expensedForWantOfTerm(
  db: Kysely<Database>,
  options: AccountingOptions,
  scope: { reps?: readonly string[]; periods?: readonly string[] },
): Promise<ExpensedForWantOfTerm[]> {
  const loaded = await loadBook(db, options).catch((error: unknown) => {
    if (error instanceof PayCycleInputError) return undefined;
    throw error;
  });
  if (!loaded) return [];
  const reasons = new Map(loaded.book.rejects.map((r) => [r.dealId, r.reason]));
  const reps = scope.reps && new Set(scope.reps);
  const periods = scope.periods && new Set(scope.periods);
  const sums = new Map<string, ExpensedForWantOfTerm & { minor: bigint }>();
  for (const cost of loaded.book.costs) {
    const reason = cost.dealId === undefined ? undefined : reasons.get(cost.dealId);
    if (reason === undefined || (reps && !reps.has(cost.repId)) || (periods && !periods.has(cost.period))) continue;
    const key = [cost.repId, cost.dealId, cost.period, cost.currency].join('\u0000');
    const row = sums.get(key) ?? {
      repId: cost.repId,
      dealId: cost.dealId!,
      period: cost.period,
      currency: cost.currency,
      amount: '',
      reason,
      minor: 0n,
    };
    row.minor += cost.amount;
    sums.set(key, row);
  }
  return [...sums.values()]
    .map(({ minor, ...row }) => ({ ...row, amount: formatMinor(minor, row.currency) }))
    .sort((a, b) => (a.dealId < b.dealId ? -1 : a.dealId > b.dealId ? 1 : a.repId < b.repId ? -1 : 1));
}
