/**
 * Referential checks shared by every connector (docs/workspace.md): a record that cannot be used becomes a
 * reject with a reason a person understands, and everything else goes on to be computed.
 * Connectors judge what a single record says (syntax, types); this judges records against each
 * other (owners, currencies, splits).
 */
import { formatDecimal, parseDecimal } from './decimal.js';
import type { Assignment, CanonicalData, Deal, Reject, Split } from './model.js';

export interface NormalizeOptions {
  baseCurrency: string;
  /** Names where a record came from (`deals.csv:17`); default: the entity name. */
  locate?: (record: object) => string | undefined;
  /** The source already rejected repeated deal ids (the CSV reader does, naming both lines). */
  idsUnique?: boolean;
  /** The last day calculated: close dates further than `limits.yearsFromAsOf` from it are rejects. */
  asOf?: string;
  /** attain.yaml `limits`; absent, amounts and dates are not bounded (beyond their syntax). */
  limits?: { maxAmount: string; yearsFromAsOf: number };
}

export interface NormalizeResult {
  data: CanonicalData;
  rejects: Reject[];
}

const HUNDRED = parseDecimal('100')!;

export function normalize(input: CanonicalData, options: NormalizeOptions): NormalizeResult {
  const rejects: Reject[] = [];
  const where = (record: object, fallback: string) => options.locate?.(record) ?? fallback;
  const reject = (record: object, fallback: string, recordId: string, reason: string) =>
    rejects.push({ source: where(record, fallback), recordId, reason });

  // Reps: unique ids; a manager link to nobody is dropped (the rep stays), and so is one that closes a cycle.
  const reps = new Map<string, CanonicalData['reps'][number]>();
  for (const rep of input.reps) {
    if (reps.has(rep.id)) reject(rep, 'reps', rep.id, `duplicate rep id ${rep.id}`);
    else reps.set(rep.id, rep);
  }
  for (const rep of reps.values()) {
    if (rep.managerId !== undefined && !reps.has(rep.managerId)) {
      reject(
        rep,
        'reps',
        rep.id,
        `managerId ${rep.managerId} is not a known rep; ${rep.id} is treated as having no manager`,
      );
      reps.set(rep.id, { ...rep, managerId: undefined });
    }
  }
  for (const loop of managerLoops(reps)) {
    // Which link is cut depends on the ids alone, never on the order of the file: the lowest id
    // in the loop loses its manager and heads what was the loop.
    const head = loop[0]!;
    const chain = [...loop, head].join(' → ');
    const reason = `manager chain loops (${chain}); ${head}, the lowest id in the loop, is treated as having no manager`;
    for (const id of loop) reject(reps.get(id)!, 'reps', id, reason);
    reps.set(head, { ...reps.get(head)!, managerId: undefined });
  }

  const amountCheck = options.limits && new AmountLimit(options.limits.maxAmount);

  // FX rates: one rate per currency and day, positive.
  const currencies = new Set<string>([options.baseCurrency]);
  const fxSeen = new Set<string>();
  const fxRates = input.fxRates.filter((fx) => {
    const key = `${fx.currency}/${fx.from}`;
    if (fxSeen.has(key)) return (reject(fx, 'fx', key, `duplicate rate for ${fx.currency} from ${fx.from}`), false);
    if (parseDecimal(fx.rate)! <= 0n) return (reject(fx, 'fx', key, `rate ${fx.rate} must be greater than 0`), false);
    const tooLarge = amountCheck?.problem('rate', fx.rate, false);
    if (tooLarge) return (reject(fx, 'fx', key, tooLarge), false);
    fxSeen.add(key);
    currencies.add(fx.currency);
    return true;
  });

  // Deals. Ids are unique at most sources already (the CSV reader rejects repeats with their
  // line); then the million-entry id map is skipped and only deals with splits are tracked.
  const keptDeals = new Map<string, Deal>();
  const rejectedDeals = new Set<string>();
  const seenIds = options.idsUnique ? undefined : new Set<string>();
  const splitDealIds = new Set(input.splits.map((s) => s.dealId));
  const rejectedRecords = new Set<Deal>();
  const dateRange =
    options.asOf !== undefined && options.limits
      ? new DateRange(options.asOf, options.limits.yearsFromAsOf)
      : undefined;
  for (const deal of input.deals) {
    let reason: string | undefined;
    if (seenIds?.has(deal.id)) reason = `duplicate deal id ${deal.id}`;
    else if (!reps.has(deal.ownerId)) reason = `owner ${deal.ownerId} is not a known rep`;
    else if (!currencies.has(deal.currency)) reason = `unknown currency ${deal.currency} (no exchange rate for it)`;
    else reason = amountCheck?.problem('amount', deal.amount, true) ?? dateRange?.problem('closeDate', deal.closeDate);
    seenIds?.add(deal.id);
    if (reason === undefined) {
      if (splitDealIds.has(deal.id)) keptDeals.set(deal.id, deal);
    } else {
      reject(deal, 'deals', deal.id, reason);
      rejectedRecords.add(deal);
      if (!keptDeals.has(deal.id)) rejectedDeals.add(deal.id);
    }
  }

  // Splits: each must point at a known deal and rep; a deal's revenue splits must sum to 100.
  // A deal with a bad split is rejected whole: crediting part of it would pay the wrong people.
  const splitsByDeal = new Map<string, Split[]>();
  const badDeals = new Map<string, string>();
  for (const split of input.splits) {
    const id = `${split.dealId}/${split.repId}`;
    const percent = parseDecimal(split.percent)!;
    if (rejectedDeals.has(split.dealId)) {
      reject(split, 'splits', id, `its deal ${split.dealId} was rejected`);
    } else if (!keptDeals.has(split.dealId)) {
      reject(split, 'splits', id, `split for unknown deal ${split.dealId}`);
    } else if (!reps.has(split.repId)) {
      reject(split, 'splits', id, `split to unknown rep ${split.repId}`);
      badDeals.set(split.dealId, `split to unknown rep ${split.repId}`);
    } else if (percent < 0n || percent > HUNDRED) {
      reject(split, 'splits', id, `percent ${split.percent} must be between 0 and 100`);
      badDeals.set(split.dealId, `split to ${split.repId} has percent ${split.percent}`);
    } else {
      let list = splitsByDeal.get(split.dealId);
      if (!list) splitsByDeal.set(split.dealId, (list = []));
      list.push(split);
    }
  }
  for (const [dealId, list] of splitsByDeal) {
    if (badDeals.has(dealId)) continue;
    let revenue = 0n;
    let revenueCount = 0;
    for (const split of list) {
      if (split.kind === 'revenue') {
        revenue += parseDecimal(split.percent)!;
        revenueCount++;
      }
    }
    // A deal with overlay splits only still credits its owner 100 % of the revenue.
    if (revenueCount > 0 && revenue !== HUNDRED) {
      badDeals.set(dealId, `revenue splits sum to ${formatDecimal(revenue)}, not 100`);
    }
  }
  for (const [dealId, reason] of badDeals) {
    const deal = keptDeals.get(dealId)!;
    reject(deal, 'deals', dealId, reason);
    rejectedRecords.add(deal);
    splitsByDeal.delete(dealId);
  }
  const splits: Split[] = [];
  for (const list of splitsByDeal.values()) splits.push(...list);
  const deals = rejectedRecords.size > 0 ? input.deals.filter((deal) => !rejectedRecords.has(deal)) : input.deals;

  // Quotas: a known rep, one amount per rep and period.
  const quotaSeen = new Set<string>();
  const quotas = input.quotas.filter((quota) => {
    const key = `${quota.repId}/${quota.period}`;
    if (!reps.has(quota.repId)) return (reject(quota, 'quotas', key, `quota for unknown rep ${quota.repId}`), false);
    if (!/^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$/.test(quota.period)) {
      return (reject(quota, 'quotas', key, `period ${quota.period} is not a period (2026, 2026-Q1 or 2026-01)`), false);
    }
    const tooLarge = amountCheck?.problem('amount', quota.amount, false);
    if (tooLarge) return (reject(quota, 'quotas', key, tooLarge), false);
    if (quotaSeen.has(key))
      return (reject(quota, 'quotas', key, `duplicate quota for ${quota.repId} in ${quota.period}`), false);
    quotaSeen.add(key);
    return true;
  });

  const data: CanonicalData = {
    reps: [...reps.values()],
    deals,
    splits,
    quotas,
    assignments: input.assignments,
    fxRates,
  };
  // Accounts: one per id; a deleted one is gone. A deal naming an account that is not there stays a
  // deal (its owner is still credited); it only has no territory.
  if (input.accounts !== undefined) {
    const accountSeen = new Set<string>();
    data.accounts = input.accounts.filter((account) => {
      if (account.deleted) return false;
      if (accountSeen.has(account.id))
        return (reject(account, 'accounts', account.id, `duplicate account id ${account.id}`), false);
      accountSeen.add(account.id);
      return true;
    });
  }
  if (input.territories !== undefined) data.territories = input.territories;
  if (input.territoryAssignments !== undefined) data.territoryAssignments = input.territoryAssignments;
  return { data, rejects };
}

/**
 * Every manager loop, each once, as its rep ids starting from the lowest and following managers;
 * loops in order of that lowest id. Every rep has at most one manager, so loops never share a rep,
 * and a rep whose chain merely leads into a loop is not part of it.
 */
export function managerLoops(reps: ReadonlyMap<string, { managerId?: string | undefined }>): string[][] {
  const state = new Map<string, 'walking' | 'done'>();
  const loops: string[][] = [];
  for (const start of reps.keys()) {
    const path: string[] = [];
    let id: string | undefined = start;
    while (id !== undefined && reps.has(id) && !state.has(id)) {
      state.set(id, 'walking');
      path.push(id);
      id = reps.get(id)!.managerId;
    }
    if (id !== undefined && state.get(id) === 'walking') {
      const loop = path.slice(path.indexOf(id));
      const lowest = loop.reduce((a, b) => (b < a ? b : a));
      const at = loop.indexOf(lowest);
      loops.push([...loop.slice(at), ...loop.slice(0, at)]);
    }
    for (const walked of path) state.set(walked, 'done');
  }
  return loops.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/**
 * attain.yaml `limits.maxAmount`, checked without building a bigint for the many amounts whose
 * whole part has fewer digits than the limit's.
 */
class AmountLimit {
  private readonly max: bigint;
  private readonly digits: number;

  constructor(private readonly maxText: string) {
    this.max = parseDecimal(maxText)!;
    this.digits = formatDecimal(this.max).split('.')[0]!.length;
  }

  /** Why `text` cannot be used, or undefined. `credit`: a negative value is a reject of its own. */
  problem(name: string, text: string, credit: boolean): string | undefined {
    const negative = text.charCodeAt(0) === MINUS;
    const dot = text.indexOf('.');
    const wholeDigits = (dot < 0 ? text.length : dot) - (negative || text.charCodeAt(0) === PLUS ? 1 : 0);
    if (!negative && wholeDigits < this.digits) return undefined;
    const value = parseDecimal(text)!;
    if (credit && value < 0n) {
      return `${name} ${text} is negative: a refund or credit note is not a deal (mark the paid deal lost to claw it back)`;
    }
    if (value > this.max || -value > this.max) {
      return `${name} ${short(text)} is larger than ${this.maxText}, the most allowed (limits.maxAmount in attain.yaml)`;
    }
    return undefined;
  }
}

const MINUS = 45;
const PLUS = 43;

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 20)}… (${text.length} characters)` : text;
}

/** The close dates a calculation as of `asOf` accepts: `years` either side of it (string compares of ISO dates). */
class DateRange {
  private readonly from: string;
  private readonly to: string;

  constructor(
    private readonly asOf: string,
    private readonly years: number,
  ) {
    const year = Number(asOf.slice(0, 4));
    this.from = `${String(Math.max(0, year - years)).padStart(4, '0')}${asOf.slice(4)}`;
    this.to = year + years > 9999 ? '9999-12-31' : `${year + years}${asOf.slice(4)}`;
  }

  problem(name: string, date: string): string | undefined {
    if (date >= this.from && date <= this.to) return undefined;
    const side = date < this.from ? 'before' : 'after';
    return `${name} ${date} is more than ${this.years} years ${side} the as-of date ${this.asOf} (limits.yearsFromAsOf in attain.yaml)`;
  }
}

export interface AssignmentIssue {
  where: string;
  message: string;
}

/**
 * Plan assignments are configuration, not data: a mistake in them pays someone on the wrong plan,
 * so they stop the run (exit 2) instead of becoming rejects.
 */
export function checkAssignments(
  assignments: Assignment[],
  planIds: ReadonlySet<string>,
  repIds: ReadonlySet<string>,
  locate?: (record: object) => string | undefined,
): AssignmentIssue[] {
  const issues: AssignmentIssue[] = [];
  const where = (a: Assignment) => locate?.(a) ?? `assignment ${a.repId}/${a.planId}/${a.from}`;
  const byRepPlan = new Map<string, Assignment[]>();
  for (const a of assignments) {
    if (!planIds.has(a.planId))
      issues.push({ where: where(a), message: `rep ${a.repId} is assigned to unknown plan ${a.planId}` });
    else if (!repIds.has(a.repId))
      issues.push({ where: where(a), message: `assignment of unknown rep ${a.repId} to plan ${a.planId}` });
    else if (a.to !== undefined && a.to < a.from) {
      issues.push({
        where: where(a),
        message: `assignment of ${a.repId} to ${a.planId} ends (${a.to}) before it starts (${a.from})`,
      });
    } else {
      const key = `${a.repId}\u0000${a.planId}`;
      let list = byRepPlan.get(key);
      if (!list) byRepPlan.set(key, (list = []));
      list.push(a);
    }
  }
  for (const list of byRepPlan.values()) {
    list.sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : 0));
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!;
      const current = list[i]!;
      if (previous.to === undefined || previous.to >= current.from) {
        issues.push({
          where: where(current),
          message: `assignments of ${current.repId} to plan ${current.planId} overlap: ${previous.from}–${previous.to ?? 'open'} (${where(previous)}) and ${current.from}–${current.to ?? 'open'}`,
        });
      }
    }
  }
  return issues;
}
