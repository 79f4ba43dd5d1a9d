/**
 * Commission accounting (docs/accounting.md): the incremental cost of obtaining a contract (ASC
 * 340-40). Each payout line is allocated to the deals its trace credits, pro rata by credit; a
 * deal whose contract term exceeds the threshold has its share capitalised and amortised straight
 * line over the term; the rest is expensed when incurred. A clawback reverses the unamortised
 * balance. Pure: the stored lines, the deals and the policy in; costs, contracts and journal
 * entries out.
 *
 * Amounts are counted here in the currency's minor unit (a bigint of cents), so every split and
 * every schedule sums exactly to what it splits.
 */
import { cmp } from './order.js';
import { minorUnitDigits } from './currency.js';
import { divideHalfEven, formatDecimal, ONE, SCALE_DIGITS, ZERO, type Decimal } from './decimal.js';
import { isIsoDate, type FieldValue } from './model.js';
import type { FiscalCalendar } from './periods.js';
import { monthOfDate } from './periods.js';
import { classifyTrace, teamCredit, type TraceJson, type TypedTrace } from './trace.js';

export interface AccountingPolicy {
  /** The deal field holding the contract term in months. */
  termField: string;
  /** Capitalise when the term exceeds this many months; expense otherwise (the practical expedient). */
  capitalizeAboveMonths: number;
  /** The first month of amortisation: the deal's close date, or a date field of the deal. */
  start: { field: 'closeDate' } | { field: string };
}

export interface LedgerAccounts {
  deferredCommissions: string;
  commissionsPayable: string;
  commissionExpense: string;
}

/** A stored payout line, as accounting reads it. */
export interface AccountingLine {
  repId: string;
  planId: string;
  /** The payout period's label (`2026-04`, `2026-Q2`). */
  period: string;
  component: string;
  amount: string;
  currency: string;
  trace: TraceJson;
}

export interface AccountingDeal {
  id: string;
  name: string;
  closeDate: string;
  fields: Record<string, FieldValue>;
}

/** A share of a payout line that belongs to one deal (or to none), and what accounting does with it. */
export interface Cost {
  repId: string;
  planId: string;
  period: string;
  component: string;
  /** Undefined when the line credits no contract (a draw, a bonus, a manager's team line). */
  dealId: string | undefined;
  /** The month the cost is incurred: the last month of the line's payout period. */
  month: number;
  currency: string;
  /** In minor units. */
  amount: bigint;
  treatment: 'capitalize' | 'expense';
  /** Why it is expensed, in words; empty for a capitalised cost. */
  reason: string;
}

/** The capitalised cost of one rep's commission on one deal: its tranches amortise over the same term. */
export interface Contract {
  repId: string;
  dealId: string;
  currency: string;
  termMonths: number;
  /** The first month of amortisation. */
  startMonth: number;
  /** Capitalised amounts by the month they were incurred, in minor units. */
  tranches: { month: number; amount: bigint }[];
  /** The month a clawback reversed what was left; nothing is amortised from then on. */
  clawedBackMonth?: number;
}

/** A deal clawed back from a rep: the commission recovered and the unamortised balance it reverses. */
export interface Clawback {
  repId: string;
  dealId: string;
  currency: string;
  month: number;
  /** Recovered from the rep (positive), in minor units: the negative adjustment's share. */
  recovered: bigint;
  /** The unamortised balance reversed, in minor units. */
  unamortized: bigint;
}

/** A deal whose commission cannot be capitalised: it is expensed, and this says why. */
export interface AccountingReject {
  dealId: string;
  reason: string;
}

export interface CommissionBook {
  costs: Cost[];
  contracts: Contract[];
  clawbacks: Clawback[];
  rejects: AccountingReject[];
}

// ---- Allocation ----

/**
 * Splits `amount` (minor units) in proportion to `weights` by the largest remainder method: each
 * share is first rounded toward zero, then the units left over go one each to the shares with the
 * largest remainders (ties to the earlier share). The shares sum exactly to `amount`, and each is
 * within one unit of its exact proportion. Weights that are not all non-negative with a positive
 * sum split equally.
 */
export function allocateByWeight(amount: bigint, weights: readonly Decimal[]): bigint[] {
  if (weights.length === 0) return [];
  const usable = weights.every((w) => w >= ZERO) && weights.some((w) => w > ZERO);
  const w = usable ? weights : weights.map(() => ONE);
  const total = w.reduce((sum, x) => sum + x, ZERO);
  const sign = amount < 0n ? -1n : 1n;
  const magnitude = amount * sign;
  const shares = w.map((x) => (magnitude * x) / total);
  const remainders = w.map((x, i) => ({ i, r: magnitude * x - shares[i]! * total }));
  let left = magnitude - shares.reduce((sum, s) => sum + s, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  return shares.map((s) => s * sign);
}

/**
 * The deals a line's trace credits with their weight in the line, summed per deal, in trace order:
 * a rate table's deals by their credit, a per-deal component's by what each pays. None for a
 * manager's line that also counts their team's credit, whose deals the trace does not list.
 */
export function creditedDeals(trace: TypedTrace): { dealId: string; credit: Decimal }[] {
  if (Object.keys(teamCredit(trace)).length > 0) return [];
  const weighed =
    trace.kind === 'perDeal'
      ? trace.json.deals.map((entry) => [entry.deal, entry.pays] as const)
      : trace.kind === 'rateTable'
        ? (trace.json.deals ?? []).map((entry) => [entry.deal, entry.credit] as const)
        : [];
  const byDeal = new Map<string, Decimal>();
  for (const [id, weight] of weighed) byDeal.set(id, (byDeal.get(id) ?? ZERO) + parseCredit(weight));
  return [...byDeal].map(([dealId, credit]) => ({ dealId, credit }));
}

/** A decimal string as stored; zero when it is none (a trace stored by an older version). */
function parseCredit(value: string | undefined): Decimal {
  const text = value ?? '';
  const match = /^(-?)(\d+)(?:\.(\d{1,10}))?$/.exec(text);
  if (!match) return ZERO;
  const units = BigInt(match[2]! + (match[3] ?? '').padEnd(SCALE_DIGITS, '0'));
  return match[1] ? -units : units;
}

// ---- Amortisation ----

/**
 * Straight-line amortisation, cumulatively rounded: after `elapsed` of `term` months,
 * `capitalized × elapsed ÷ term` rounded half-even to the minor unit has been amortised. Each
 * month's amount is the difference of two such figures, so every month is within one minor unit of
 * the exact share and the schedule sums exactly to the capitalised amount.
 */
export function amortizedAfter(capitalized: bigint, term: number, elapsed: number): bigint {
  const k = Math.min(Math.max(elapsed, 0), term);
  return divideHalfEven(capitalized * BigInt(k), BigInt(term));
}

/** The monthly amounts of a straight-line schedule over `term` months; they sum to `capitalized`. */
export function straightLineSchedule(capitalized: bigint, term: number): bigint[] {
  return Array.from(
    { length: term },
    (_, i) => amortizedAfter(capitalized, term, i + 1) - amortizedAfter(capitalized, term, i),
  );
}

/**
 * What a contract has amortised by the end of `month`: each tranche from the month it was
 * incurred (catching up the months since the start, when it was incurred later), straight line
 * over the term from the start month; frozen from a clawback on.
 */
export function amortizedThrough(contract: Contract, month: number): bigint {
  const through = contract.clawedBackMonth !== undefined ? Math.min(month, contract.clawedBackMonth - 1) : month;
  let total = 0n;
  for (const tranche of contract.tranches) {
    if (through < tranche.month) continue;
    total += amortizedAfter(tranche.amount, contract.termMonths, through - contract.startMonth + 1);
  }
  return total;
}

/** The capitalised amount of the tranches incurred by the end of `month`. */
export function capitalizedThrough(contract: Contract, month: number): bigint {
  return contract.tranches.filter((t) => t.month <= month).reduce((sum, t) => sum + t.amount, 0n);
}

/** The unamortised balance at the end of `month`: zero once a clawback has reversed it. */
export function remainingAt(contract: Contract, month: number): bigint {
  if (contract.clawedBackMonth !== undefined && month >= contract.clawedBackMonth) return 0n;
  return capitalizedThrough(contract, month) - amortizedThrough(contract, month);
}

/** Month by month, what the contract amortises, from its first tranche to the end of its term. */
export function contractSchedule(contract: Contract): { month: number; amount: bigint }[] {
  // Nothing amortises before the start or before the first tranche, nor after a clawback.
  const first = Math.max(Math.min(...contract.tranches.map((t) => t.month)), contract.startMonth);
  let last = Math.max(contract.startMonth + contract.termMonths - 1, ...contract.tranches.map((t) => t.month));
  if (contract.clawedBackMonth !== undefined) last = Math.min(last, contract.clawedBackMonth - 1);
  const rows: { month: number; amount: bigint }[] = [];
  for (let month = first; month <= last; month++) {
    const amount = amortizedThrough(contract, month) - amortizedThrough(contract, month - 1);
    if (amount !== 0n) rows.push({ month, amount });
  }
  return rows;
}

// ---- The book ----

/** The longest term taken: a longer one is a typo (or days, not months), and a reject. */
export const MAX_TERM_MONTHS = 1200;

type TermResult = { term: number; startMonth: number } | { reject: string };

/** The term and start month of a deal, or why they cannot be read. */
export function contractTerms(deal: AccountingDeal | undefined, policy: AccountingPolicy): TermResult {
  if (!deal) return { reject: 'the deal is not among the synced deals' };
  const raw = deal.fields[policy.termField];
  if (raw === undefined || raw === null || raw === '')
    return { reject: `${policy.termField} is missing: the contract term is needed to capitalise` };
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  const term = /^\d+(\.0+)?$/.test(text) ? Number.parseInt(text, 10) : NaN;
  if (!Number.isSafeInteger(term) || term <= 0)
    return { reject: `${policy.termField} ${JSON.stringify(raw)} is not a positive whole number of months` };
  if (term > MAX_TERM_MONTHS)
    return { reject: `${policy.termField} ${JSON.stringify(raw)} is more than ${MAX_TERM_MONTHS} months (100 years)` };
  let start = deal.closeDate;
  if (policy.start.field !== 'closeDate') {
    const value = deal.fields[policy.start.field];
    if (typeof value !== 'string' || !isIsoDate(value.trim()))
      return {
        reject: `${policy.start.field} ${value === undefined ? 'is missing' : `${JSON.stringify(value)} is not a date YYYY-MM-DD`}: the amortisation start is needed to capitalise`,
      };
    start = value.trim();
  }
  return { term, startMonth: monthOfDate(start) };
}

/**
 * Books every stored payout line: allocates it to the deals its trace credits, decides capitalise
 * or expense per deal, gathers the capitalised tranches into contracts (one per rep, deal and
 * currency) and turns clawbacks (an `adjustment` line naming deals clawed back) into reversals.
 */
export function bookCommissions(
  lines: readonly AccountingLine[],
  deals: ReadonlyMap<string, AccountingDeal>,
  policy: AccountingPolicy,
  calendar: FiscalCalendar,
): CommissionBook {
  const costs: Cost[] = [];
  const rejects = new Map<string, string>();
  const terms = new Map<string, TermResult>();
  const termsOf = (dealId: string): TermResult => {
    let result = terms.get(dealId);
    if (!result) {
      result = contractTerms(deals.get(dealId), policy);
      terms.set(dealId, result);
      if ('reject' in result) rejects.set(dealId, result.reject);
    }
    return result;
  };
  const ordered = [...lines].sort((a, b) => compareLines(a, b, calendar));
  /** What each rep has been allocated per deal and currency so far: the weights of a clawback. */
  const allocated = new Map<string, bigint>();
  const clawed: { line: AccountingLine; month: number; dealIds: string[]; shares: bigint[] }[] = [];

  for (const line of ordered) {
    const month = costMonth(line.period, calendar);
    if (month === undefined) continue;
    const digits = minorUnitDigits(line.currency);
    const amount = toMinor(line.amount, digits);
    const base = { repId: line.repId, planId: line.planId, period: line.period, component: line.component };
    /** The whole line expensed as incurred, with the reason (nothing for a zero line). */
    const expenseWhole = (reason: string) => {
      if (amount !== 0n)
        costs.push({
          ...base,
          dealId: undefined,
          month,
          currency: line.currency,
          amount,
          treatment: 'expense',
          reason,
        });
    };
    const trace = classifyTrace(line.component, line.trace);
    const clawedBack = trace.kind === 'lockAdjustment' ? trace.json.clawedBack : [];
    if (clawedBack.length > 0) {
      // A negative adjustment recovers the clawed-back deals' commission, pro rata by what they were paid.
      const recovering = amount < 0n;
      const weights = clawedBack.map((id) => minorToDecimal(allocated.get(key(line.repId, id, line.currency)) ?? 0n));
      const shares = recovering ? allocateByWeight(amount, weights) : clawedBack.map(() => 0n);
      clawed.push({ line, month, dealIds: clawedBack, shares });
      if (!recovering) expenseWhole('an adjustment to paid periods credits no single contract');
      continue;
    }
    const credited = creditedDeals(trace);
    if (credited.length === 0) {
      expenseWhole(`${line.component}: the line credits no single contract`);
      continue;
    }
    const shares = allocateByWeight(
      amount,
      credited.map((c) => c.credit),
    );
    credited.forEach(({ dealId }, i) => {
      const share = shares[i]!;
      if (share === 0n) return;
      const k = key(line.repId, dealId, line.currency);
      allocated.set(k, (allocated.get(k) ?? 0n) + share);
      const terms = termsOf(dealId);
      let treatment: Cost['treatment'] = 'expense';
      let reason: string;
      if ('reject' in terms) reason = `rejected for accounting: ${terms.reject}`;
      else if (terms.term <= policy.capitalizeAboveMonths)
        reason = `term of ${terms.term} months is ${policy.capitalizeAboveMonths} or less (practical expedient)`;
      else {
        treatment = 'capitalize';
        reason = '';
      }
      costs.push({ ...base, dealId, month, currency: line.currency, amount: share, treatment, reason });
    });
  }

  // Contracts: the capitalised costs per rep, deal and currency.
  const contracts = new Map<string, Contract>();
  for (const cost of costs) {
    if (cost.treatment !== 'capitalize' || cost.dealId === undefined) continue;
    const k = key(cost.repId, cost.dealId, cost.currency);
    let contract = contracts.get(k);
    if (!contract) {
      const { term, startMonth } = termsOf(cost.dealId) as { term: number; startMonth: number };
      contract = {
        repId: cost.repId,
        dealId: cost.dealId,
        currency: cost.currency,
        termMonths: term,
        startMonth,
        tranches: [],
      };
      contracts.set(k, contract);
    }
    const tranche = contract.tranches.find((t) => t.month === cost.month);
    if (tranche) tranche.amount += cost.amount;
    else contract.tranches.push({ month: cost.month, amount: cost.amount });
  }

  // Clawbacks, in month order: reverse what is left; a deal that was expensed is recovered as a (negative) expense.
  const clawbacks: Clawback[] = [];
  for (const { line, month, dealIds, shares } of clawed) {
    dealIds.forEach((dealId, i) => {
      const share = shares[i]!;
      const contract = contracts.get(key(line.repId, dealId, line.currency));
      if (!contract) {
        if (share !== 0n)
          costs.push({
            repId: line.repId,
            planId: line.planId,
            period: line.period,
            component: line.component,
            dealId,
            month,
            currency: line.currency,
            amount: share,
            treatment: 'expense',
            reason: 'clawback of a commission that was expensed',
          });
        return;
      }
      let unamortized = 0n;
      if (contract.clawedBackMonth === undefined) {
        unamortized = capitalizedThrough(contract, month) - amortizedThrough(contract, month - 1);
        // Costs incurred after the clawback month have no contract left: they are expensed when incurred.
        for (const tranche of contract.tranches.filter((t) => t.month > month)) {
          for (const cost of costs)
            if (
              cost.treatment === 'capitalize' &&
              cost.month === tranche.month &&
              cost.dealId === dealId &&
              cost.repId === line.repId &&
              cost.currency === line.currency
            ) {
              cost.treatment = 'expense';
              cost.reason = `the deal was clawed back in ${calendar.periodOf('month', month).label}`;
            }
        }
        contract.tranches = contract.tranches.filter((t) => t.month <= month);
        contract.clawedBackMonth = month;
      }
      clawbacks.push({ repId: line.repId, dealId, currency: line.currency, month, recovered: -share, unamortized });
    });
  }

  return {
    costs,
    contracts: [...contracts.values()].filter((c) => c.tranches.length > 0),
    clawbacks,
    rejects: [...rejects].map(([dealId, reason]) => ({ dealId, reason })).sort((a, b) => cmp(a.dealId, b.dealId)),
  };
}

// ---- Journal entries ----

export type EntryKind = 'capitalize' | 'amortize' | 'expense' | 'clawback';

export interface JournalLine {
  account: string;
  /** Positive: a debit; negative: a credit; in minor units. */
  amount: bigint;
  repId: string;
  dealId: string;
  memo: string;
}

export interface JournalEntry {
  /** `2026-04-capitalize-USD`. */
  id: string;
  /** The last day of the month, `YYYY-MM-DD`. */
  date: string;
  month: number;
  kind: EntryKind;
  currency: string;
  lines: JournalLine[];
}

const KINDS: EntryKind[] = ['capitalize', 'amortize', 'expense', 'clawback'];

/**
 * The journal entries of these months, one per month, kind and currency, each balanced by
 * construction (its counter line is the negative sum of its detail lines), in a fixed order:
 * - capitalize: Dr deferred commissions per rep and deal / Cr commissions payable;
 * - amortize: Dr commission expense per rep and deal / Cr deferred commissions;
 * - expense: Dr commission expense per rep, deal and reason / Cr commissions payable;
 * - clawback: per deal, Dr commissions payable (recovered) / Cr deferred commissions (the
 *   unamortised balance), the difference to commission expense.
 */
export function journalEntries(
  book: CommissionBook,
  months: readonly number[],
  accounts: LedgerAccounts,
  calendar: FiscalCalendar,
): JournalEntry[] {
  const entries: JournalEntry[] = [];
  const currencies = [
    ...new Set([...book.costs.map((c) => c.currency), ...book.contracts.map((c) => c.currency)]),
  ].sort();
  for (const month of [...months].sort((a, b) => a - b)) {
    const label = calendar.periodOf('month', month).label;
    for (const kind of KINDS) {
      for (const currency of currencies) {
        const lines = entryLines(book, month, kind, currency, accounts);
        if (lines.length === 0) continue;
        entries.push({ id: `${label}-${kind}-${currency}`, date: lastDayOf(month), month, kind, currency, lines });
      }
    }
  }
  return entries;
}

function entryLines(
  book: CommissionBook,
  month: number,
  kind: EntryKind,
  currency: string,
  accounts: LedgerAccounts,
): JournalLine[] {
  const detail = new Map<string, JournalLine>();
  const add = (account: string, amount: bigint, repId: string, dealId: string, memo: string) => {
    if (amount === 0n) return;
    const k = JSON.stringify([account, repId, dealId, memo]);
    const line = detail.get(k);
    if (line) line.amount += amount;
    else detail.set(k, { account, amount, repId, dealId, memo });
  };
  let counter: { account: string; memo: string } | undefined;
  if (kind === 'capitalize' || kind === 'expense') {
    const capitalize = kind === 'capitalize';
    for (const cost of book.costs) {
      if (cost.month !== month || cost.currency !== currency || (cost.treatment === 'capitalize') !== capitalize)
        continue;
      const memo = capitalize ? 'commission capitalised (ASC 340-40)' : `expensed: ${cost.reason}`;
      add(
        capitalize ? accounts.deferredCommissions : accounts.commissionExpense,
        cost.amount,
        cost.repId,
        cost.dealId ?? '',
        memo,
      );
    }
    counter = {
      account: accounts.commissionsPayable,
      memo: capitalize ? 'commissions earned, capitalised' : 'commissions earned, expensed',
    };
  } else if (kind === 'amortize') {
    for (const contract of book.contracts) {
      if (contract.currency !== currency) continue;
      const amount = amortizedThrough(contract, month) - amortizedThrough(contract, month - 1);
      add(
        accounts.commissionExpense,
        amount,
        contract.repId,
        contract.dealId,
        `amortisation over ${contract.termMonths} months`,
      );
    }
    counter = { account: accounts.deferredCommissions, memo: 'amortisation of deferred commissions' };
  } else {
    const lines: JournalLine[] = [];
    for (const c of book.clawbacks) {
      if (c.month !== month || c.currency !== currency) continue;
      const parts: [string, bigint, string][] = [
        [accounts.commissionsPayable, c.recovered, 'commission recovered from the rep'],
        [accounts.deferredCommissions, -c.unamortized, 'unamortised balance reversed'],
        [accounts.commissionExpense, c.unamortized - c.recovered, 'difference to expense'],
      ];
      for (const [account, amount, memo] of parts)
        if (amount !== 0n) lines.push({ account, amount, repId: c.repId, dealId: c.dealId, memo: `clawback: ${memo}` });
    }
    return lines;
  }
  const lines = [...detail.values()]
    .filter((l) => l.amount !== 0n)
    .sort((a, b) => cmp(a.repId, b.repId) || cmp(a.dealId, b.dealId) || cmp(a.memo, b.memo));
  const total = lines.reduce((sum, l) => sum + l.amount, 0n);
  if (lines.length === 0) return [];
  if (total !== 0n) lines.push({ account: counter.account, amount: -total, repId: '', dealId: '', memo: counter.memo });
  return lines;
}

// ---- Helpers ----

/** The month a line's cost is incurred: the last month of its payout period; undefined for a label that is none. */
export function costMonth(period: string, calendar: FiscalCalendar): number | undefined {
  const parsed = calendar.parse(period);
  return parsed ? parsed.startMonth + parsed.months - 1 : undefined;
}

/** A decimal string at (or rounded half-even to) the minor unit → minor units. */
export function toMinor(amount: string, digits: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) throw new RangeError(`not an amount: ${JSON.stringify(amount)}`);
  const fraction = match[3] ?? '';
  const scaled = BigInt(match[2]! + fraction.padEnd(SCALE_DIGITS, '0').slice(0, SCALE_DIGITS));
  const units = divideHalfEven(scaled, 10n ** BigInt(SCALE_DIGITS - digits));
  return match[1] ? -units : units;
}

/** Minor units → a decimal string with the currency's decimals. */
export function formatMinor(units: bigint, currency: string): string {
  const digits = minorUnitDigits(currency);
  return formatDecimal(units * 10n ** BigInt(SCALE_DIGITS - digits), digits);
}

function minorToDecimal(units: bigint): Decimal {
  return units < 0n ? ZERO : units * ONE;
}

function lastDayOf(month: number): string {
  const date = new Date(Date.UTC(Math.floor(month / 12), (month % 12) + 1, 0));
  return date.toISOString().slice(0, 10);
}

function key(repId: string, dealId: string, currency: string): string {
  return JSON.stringify([repId, dealId, currency]);
}

function compareLines(a: AccountingLine, b: AccountingLine, calendar: FiscalCalendar): number {
  return (
    (costMonth(a.period, calendar) ?? 0) - (costMonth(b.period, calendar) ?? 0) ||
    cmp(a.repId, b.repId) ||
    cmp(a.planId, b.planId) ||
    cmp(a.period, b.period) ||
    cmp(a.component, b.component)
  );
}
