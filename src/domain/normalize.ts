/**
 * Referential checks shared by every connector (docs/workspace.md): a record that cannot be used becomes a
 * reject with a reason a person understands, and everything else goes on to be computed.
 * Connectors judge what a single record says (syntax, types); this judges records against each
 * other (owners, currencies, splits).
 */
import { attachDealColumns, DealColumnsBuilder } from './deal-columns.js';
import { fastUnits, formatDecimal, parseDecimal, ZERO, type Decimal } from './decimal.js';
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

  // Rep indices as the engine numbers reps (buildOrg: their order in data.reps), for the deal columns.
  const repIndex = new Map<string, number>();
  for (const id of reps.keys()) repIndex.set(id, repIndex.size);

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
  // line); then no id set is kept. Each deal id that splits name gets one group, found once per
  // split and once per deal: the checks below follow the group instead of looking the id up
  // again (a million deals and half a million splits make every lookup count).
  const groups = new Map<string, SplitGroup>();
  /** The groups in the order of their first split. */
  const groupList: SplitGroup[] = [];
  const groupOf: SplitGroup[] = new Array<SplitGroup>(input.splits.length);
  for (let i = 0; i < input.splits.length; i++) {
    const dealId = input.splits[i]!.dealId;
    let group = groups.get(dealId);
    if (group === undefined) {
      group = { dealId, deal: undefined, dealAt: -1, rejected: false, kept: [], bad: undefined };
      groups.set(dealId, group);
      groupList.push(group);
    }
    groupOf[i] = group;
  }
  const groupOfDeal = groupsOfDeals(input.deals, groups, groupList, options.idsUnique === true);
  const seenIds = options.idsUnique ? undefined : new Set<string>();
  /** By position in input.deals: 1 for a rejected deal. */
  const rejectedDeals = new Uint8Array(input.deals.length);
  let rejectedCount = 0;
  const rejectDeal = (i: number) => {
    rejectedDeals[i] = 1;
    rejectedCount++;
  };
  // The deal columns (deal-columns.ts): each kept deal's row is written as it is checked, at its
  // position in input.deals; rejected rows are dropped before the splits are added.
  const columns = new DealColumnsBuilder(input.deals.length, input.splits.length + (input.deals.length >> 4) + 16);
  // The known currencies are the columns' (one lookup of a deal's currency checks and numbers it).
  for (const code of currencies) columns.currencyIndex(code);
  const dateRange =
    options.asOf !== undefined && options.limits
      ? new DateRange(options.asOf, options.limits.yearsFromAsOf)
      : undefined;
  for (let i = 0; i < input.deals.length; i++) {
    const deal = input.deals[i]!;
    let reason: string | undefined;
    const owner = repIndex.get(deal.ownerId);
    const currency = columns.knownCurrency(deal.currency);
    if (seenIds?.has(deal.id)) reason = `duplicate deal id ${deal.id}`;
    else if (owner === undefined) reason = `owner ${deal.ownerId} is not a known rep`;
    else if (currency === undefined) reason = `unknown currency ${deal.currency} (no exchange rate for it)`;
    else reason = amountCheck?.problem('amount', deal.amount, true) ?? dateRange?.problem('closeDate', deal.closeDate);
    seenIds?.add(deal.id);
    const group = groupOfDeal[i];
    if (reason === undefined) {
      columns.deal(i, deal, owner!, currency!);
      if (group !== undefined) {
        group.deal = deal;
        group.dealAt = i;
      }
    } else {
      reject(deal, 'deals', deal.id, reason);
      rejectDeal(i);
      // Its splits go with it, unless a deal with the same id was kept before (that one is a duplicate's first).
      if (group !== undefined && group.deal === undefined) group.rejected = true;
    }
  }

  // Splits: each must point at a known deal and rep; a deal's revenue splits must sum to 100.
  // A deal with a bad split is rejected whole: crediting part of it would pay the wrong people.
  /** Groups with a usable split, in the order of their first one: the order the kept splits go on in. */
  const usable: SplitGroup[] = [];
  /** The rep index of each kept split, by position in input.splits. */
  const repOfSplit = new Int32Array(input.splits.length);
  /** Deals rejected for their splits, in the order of the first reason (the last reason is given). */
  const bad: SplitGroup[] = [];
  const setBad = (group: SplitGroup, reason: string) => {
    if (group.bad === undefined) bad.push(group);
    group.bad = reason;
  };
  for (let i = 0; i < input.splits.length; i++) {
    const split = input.splits[i]!;
    const group = groupOf[i]!;
    if (group.rejected) {
      reject(split, 'splits', splitId(split), `its deal ${split.dealId} was rejected`);
    } else if (group.deal === undefined) {
      reject(split, 'splits', splitId(split), `split for unknown deal ${split.dealId}`);
    } else {
      const rep = repIndex.get(split.repId);
      if (rep === undefined) {
        reject(split, 'splits', splitId(split), `split to unknown rep ${split.repId}`);
        setBad(group, `split to unknown rep ${split.repId}`);
      } else if (!isPercent(split.percent)) {
        reject(split, 'splits', splitId(split), `percent ${split.percent} must be between 0 and 100`);
        setBad(group, `split to ${split.repId} has percent ${split.percent}`);
      } else {
        if (group.kept.length === 0) usable.push(group);
        group.kept.push(i);
        repOfSplit[i] = rep;
      }
    }
  }
  for (const group of usable) {
    if (group.bad !== undefined) continue;
    const sum = revenueSum(group.kept, input.splits);
    // A deal with overlay splits only still credits its owner 100 % of the revenue.
    if (sum !== undefined && sum !== HUNDRED) setBad(group, `revenue splits sum to ${formatDecimal(sum)}, not 100`);
  }
  for (const group of bad) {
    const deal = group.deal!;
    reject(deal, 'deals', deal.id, group.bad!);
    rejectDeal(group.dealAt);
  }
  const splits: Split[] = [];
  for (const group of usable) if (group.bad === undefined) for (const i of group.kept) splits.push(input.splits[i]!);
  const deals = rejectedCount > 0 ? input.deals.filter((_, i) => !rejectedDeals[i]) : input.deals;
  // The kept deals' splits, row by row (a deal kept with splits has its group's, all usable).
  if (rejectedCount > 0) columns.dropRows(rejectedDeals);
  const keptReps: number[] = [];
  const keptSplits: Split[] = [];
  for (let i = 0, row = 0; i < input.deals.length; i++) {
    if (rejectedDeals[i]) continue;
    const group = groupOfDeal[i];
    const count = group === undefined ? 0 : group.kept.length;
    for (let x = 0; x < count; x++) {
      const at = group!.kept[x]!;
      keptReps[x] = repOfSplit[at]!;
      keptSplits[x] = input.splits[at]!;
    }
    if (count > 0) columns.splits(row, keptReps, keptSplits, count);
    row++;
  }

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
  attachDealColumns(data, columns.build(deals));
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

/** A deal id that splits name: its deal, and what the checks made of it and of its splits. */
interface SplitGroup {
  readonly dealId: string;
  /** The deal kept with this id; undefined while none is (a split for an unknown deal). */
  deal: Deal | undefined;
  /** Its position in input.deals. */
  dealAt: number;
  /** A deal with this id was rejected before one was kept: its splits go with it. */
  rejected: boolean;
  /** Its splits that passed their own checks, in order (positions in input.splits). */
  kept: number[];
  /** Why the deal is rejected for its splits. */
  bad: string | undefined;
}

/**
 * The group of each deal, by position. When splits name deals in the order deals come in (as
 * files written by one export do), one walk comparing ids pairs them; otherwise, or when ids may
 * repeat, each deal's id is looked up. The walk is right only if it paired every group: with
 * unique ids, a deal it passed by then cannot have one.
 */
function groupsOfDeals(
  deals: readonly Deal[],
  groups: ReadonlyMap<string, SplitGroup>,
  groupList: readonly SplitGroup[],
  idsUnique: boolean,
): (SplitGroup | undefined)[] {
  const found = new Array<SplitGroup | undefined>(deals.length);
  if (groupList.length === 0) return found;
  if (idsUnique) {
    let next = 0;
    for (let i = 0; i < deals.length && next < groupList.length; i++) {
      if (deals[i]!.id === groupList[next]!.dealId) found[i] = groupList[next++];
    }
    if (next === groupList.length) return found;
  }
  for (let i = 0; i < deals.length; i++) found[i] = groups.get(deals[i]!.id);
  return found;
}

function splitId(split: Split): string {
  return `${split.dealId}/${split.repId}`;
}

/**
 * Whether a split's percent is within 0-100; a text that is not a decimal passes, as it always
 * did (sources check the syntax).
 */
function isPercent(text: string): boolean {
  const units = fastUnits(text);
  if (!Number.isNaN(units)) return units <= HUNDRED_PERCENT_UNITS;
  const percent = parseDecimal(text);
  return percent === undefined || (percent >= 0n && percent <= HUNDRED);
}

/** The sum of the revenue splits' percents; undefined when there are none. */
function revenueSum(kept: readonly number[], all: readonly Split[]): Decimal | undefined {
  let count = 0;
  let units = 0;
  for (const i of kept) {
    const split = all[i]!;
    if (split.kind !== 'revenue') continue;
    count++;
    units += fastUnits(split.percent);
  }
  if (count === 0) return undefined;
  if (units === HUNDRED_PERCENT_UNITS) return HUNDRED;
  let sum = ZERO;
  for (const i of kept) if (all[i]!.kind === 'revenue') sum += parseDecimal(all[i]!.percent)!;
  return sum;
}

/** 100 % in fastUnits units (10^-4). */
const HUNDRED_PERCENT_UNITS = 1_000_000;

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
