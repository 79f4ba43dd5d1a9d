/**
 * Territories (docs/territories.md): which territory each account is in, which reps hold a
 * territory on a day, what a territory is worth. Pure: territories.yaml is read by
 * config/territories.ts, the report is built by jobs/territories.ts.
 *
 * An account is in a territory when it matches the territory's rules and those of every territory
 * above it. Precedence: a named account first; then the most specific (deepest) matching
 * territory; then the first in file order.
 */
import { divideHalfEven, formatDecimal, ONE, parseDecimal, ZERO, type Decimal } from './decimal.js';
import { FxTable } from './fx.js';
import {
  ACCOUNT_FIELDS,
  type Account,
  type CanonicalData,
  type Deal,
  type FieldValue,
  type PostalRange,
  type Territory,
  type TerritoryAssignment,
  type TerritoryRole,
} from './model.js';
import { dayOf } from './periods.js';
import { compileRecordWhere } from './where.js';

const HUNDRED = parseDecimal('100')!;
const OPEN_END = Number.MAX_SAFE_INTEGER;

/** A problem of territories.yaml: the territory's position in the file, the key, and why. */
export interface TerritoryIssue {
  index: number;
  /** Path below the territory: `['parent']`, `['where', 'segment']`. */
  path: (string | number)[];
  message: string;
}

/**
 * What can be judged from territories.yaml alone: duplicate ids, unknown parents, cycles, an
 * account named by two territories, postal-code ranges.
 */
export function checkTerritoryTree(territories: readonly Territory[]): TerritoryIssue[] {
  const issues: TerritoryIssue[] = [];
  const firstIndex = new Map<string, number>();
  territories.forEach((t, index) => {
    const first = firstIndex.get(t.id);
    if (first !== undefined)
      issues.push({ index, path: ['id'], message: `duplicate territory id ${t.id} (first at territory ${first + 1})` });
    else firstIndex.set(t.id, index);
  });
  territories.forEach((t, index) => {
    if (t.parent !== undefined && !firstIndex.has(t.parent))
      issues.push({ index, path: ['parent'], message: `parent ${t.parent} is not a territory` });
  });
  // Cycles: follow parents; a walk that comes back to a territory it passed is a loop.
  const reported = new Set<string>();
  territories.forEach((t, index) => {
    const seen: string[] = [];
    let id: string | undefined = t.id;
    while (id !== undefined && !seen.includes(id)) {
      seen.push(id);
      id = territories[firstIndex.get(id) ?? -1]?.parent;
    }
    if (id === undefined || id !== t.id || reported.has(t.id)) return;
    const loop = seen.slice(seen.indexOf(id));
    for (const member of loop) reported.add(member);
    issues.push({ index, path: ['parent'], message: `parents loop: ${[...loop, id].join(' → ')}` });
  });
  const namedBy = new Map<string, string>();
  territories.forEach((t, index) => {
    t.accounts?.forEach((account, k) => {
      const other = namedBy.get(account);
      if (other !== undefined && other !== t.id)
        issues.push({ index, path: ['accounts', k], message: `account ${account} is already named by ${other}` });
      else namedBy.set(account, t.id);
    });
    t.postalCodes?.forEach((range, k) => {
      if (range.from.length !== range.to.length)
        issues.push({
          index,
          path: ['postalCodes', k],
          message: `from ${range.from} and to ${range.to} must have the same length (they compare the first characters of a code)`,
        });
      else if (normalizePostal(range.from) > normalizePostal(range.to))
        issues.push({ index, path: ['postalCodes', k], message: `from ${range.from} is after to ${range.to}` });
    });
  });
  return issues;
}

/** Rule fields that are neither canonical account fields nor a field any account has. */
export function unknownRuleFields(territories: readonly Territory[], accounts: readonly Account[]): TerritoryIssue[] {
  const known = new Set<string>(ACCOUNT_FIELDS);
  for (const account of accounts) for (const key in account.fields) known.add(key);
  const issues: TerritoryIssue[] = [];
  territories.forEach((t, index) => {
    for (const field of Object.keys(t.where ?? {})) {
      if (known.has(field)) continue;
      const extra = [...known].filter((f) => !(ACCOUNT_FIELDS as readonly string[]).includes(f)).sort();
      issues.push({
        index,
        path: ['where', field],
        message: `unknown account field ${field}: expected ${ACCOUNT_FIELDS.join(', ')}${extra.length > 0 ? ` or a field accounts have (${extra.join(', ')})` : ' (no account has other fields)'}`,
      });
    }
  });
  return issues;
}

/** An account's field by name: a canonical field, else one of its `fields`. */
function readAccount(account: Account, field: string): FieldValue | undefined {
  if ((ACCOUNT_FIELDS as readonly string[]).includes(field))
    return (account as unknown as Record<string, FieldValue | undefined>)[field];
  return account.fields[field];
}

/** Upper case without spaces: `sw1a 1aa` and `SW1A1AA` are the same code. */
function normalizePostal(code: string): string {
  return code.replace(/\s+/g, '').toUpperCase();
}

function inPostalRanges(ranges: readonly PostalRange[], code: string | undefined): boolean {
  if (code === undefined) return false;
  const normal = normalizePostal(code);
  for (const { from, to } of ranges) {
    const low = normalizePostal(from);
    const key = normal.slice(0, low.length);
    if (key.length === low.length && key >= low && key <= normalizePostal(to)) return true;
  }
  return false;
}

interface Node {
  territory: Territory;
  order: number;
  depth: number;
  matches: (account: Account) => boolean;
  children: Node[];
}

/** Which territory each account is in. Build once (the rules compile), then ask per account. */
export class TerritoryMap {
  private readonly roots: Node[] = [];
  private readonly named = new Map<string, string>();
  readonly ids: string[];

  /** `territories` must pass checkTerritoryTree (no cycles, known parents). */
  constructor(readonly territories: readonly Territory[]) {
    this.ids = territories.map((t) => t.id);
    const nodes = new Map<string, Node>();
    territories.forEach((territory, order) => {
      const where = territory.where && compileRecordWhere(territory.where, readAccount);
      const postal = territory.postalCodes;
      // A territory of named accounts only takes those; one with no rules at all takes every
      // account its parent takes (a catch-all such as `na-other`).
      const namedOnly = !where && !postal && (territory.accounts?.length ?? 0) > 0;
      const matches = (account: Account) =>
        !namedOnly && (!where || where(account)) && (!postal || inPostalRanges(postal, account.postalCode));
      if (!nodes.has(territory.id)) nodes.set(territory.id, { territory, order, depth: 0, matches, children: [] });
      for (const account of territory.accounts ?? [])
        if (!this.named.has(account)) this.named.set(account, territory.id);
    });
    for (const node of nodes.values()) {
      const parent = node.territory.parent === undefined ? undefined : nodes.get(node.territory.parent);
      if (parent) parent.children.push(node);
      else this.roots.push(node);
    }
    const setDepth = (node: Node, depth: number) => {
      node.depth = depth;
      for (const child of node.children) setDepth(child, depth + 1);
    };
    for (const root of this.roots) setDepth(root, 0);
  }

  /** The account's territory id, or undefined when no territory takes it. */
  territoryOf(account: Account): string | undefined {
    const named = this.named.get(account.id);
    if (named !== undefined) return named;
    let best: Node | undefined;
    // Only matching territories are descended into: a child is inside its parent.
    const visit = (nodes: readonly Node[]) => {
      for (const node of nodes) {
        if (!node.matches(account)) continue;
        if (!best || node.depth > best.depth || (node.depth === best.depth && node.order < best.order)) best = node;
        visit(node.children);
      }
    };
    visit(this.roots);
    return best?.territory.id;
  }

  /** Account id → territory id, for every account a territory takes. */
  assign(accounts: readonly Account[]): Map<string, string> {
    const result = new Map<string, string>();
    for (const account of accounts) {
      const id = this.territoryOf(account);
      if (id !== undefined) result.set(account.id, id);
    }
    return result;
  }
}

/** A rep holding a territory on a day. */
export interface TerritoryHolder {
  repId: string;
  role: TerritoryRole;
  percent: Decimal;
}

/** Territory assignments by territory, as day intervals. */
export class TerritoryReps {
  private readonly byTerritory = new Map<string, { a: TerritoryAssignment; from: number; to: number }[]>();

  constructor(assignments: readonly TerritoryAssignment[]) {
    for (const a of assignments) {
      let list = this.byTerritory.get(a.territoryId);
      if (!list) this.byTerritory.set(a.territoryId, (list = []));
      list.push({ a, from: dayOf(a.from), to: a.to === undefined ? OPEN_END : dayOf(a.to) });
    }
  }

  /** Who holds the territory on `day` (a day number, periods.ts dayOf), owners first, then by rep id. */
  on(territoryId: string, day: number): TerritoryHolder[] {
    const holders: TerritoryHolder[] = [];
    for (const { a, from, to } of this.byTerritory.get(territoryId) ?? []) {
      if (day >= from && day <= to) holders.push({ repId: a.repId, role: a.role, percent: parseDecimal(a.percent)! });
    }
    return holders.sort((x, y) =>
      x.role !== y.role ? (x.role === 'owner' ? -1 : 1) : x.repId < y.repId ? -1 : x.repId > y.repId ? 1 : 0,
    );
  }
}

/** A problem of territory-assignments.csv: where (`territory-assignments.csv:4`) and why. */
export interface TerritoryAssignmentIssue {
  where: string;
  message: string;
}

/**
 * Unknown territories and reps, and owners of one territory whose percents add up to more than
 * 100 on some day (overlays may add up to anything: they are paid on top).
 */
export function checkTerritoryAssignments(
  assignments: readonly TerritoryAssignment[],
  territoryIds: ReadonlySet<string>,
  repIds: ReadonlySet<string>,
  locate?: (record: object) => string | undefined,
): TerritoryAssignmentIssue[] {
  const issues: TerritoryAssignmentIssue[] = [];
  const where = (a: TerritoryAssignment) => locate?.(a) ?? `territory assignment ${a.repId}/${a.territoryId}/${a.from}`;
  const owners = new Map<string, TerritoryAssignment[]>();
  for (const a of assignments) {
    if (!territoryIds.has(a.territoryId))
      issues.push({ where: where(a), message: `rep ${a.repId} is assigned to unknown territory ${a.territoryId}` });
    else if (!repIds.has(a.repId))
      issues.push({ where: where(a), message: `assignment of unknown rep ${a.repId} to territory ${a.territoryId}` });
    else if (a.role === 'owner') {
      let list = owners.get(a.territoryId);
      if (!list) owners.set(a.territoryId, (list = []));
      list.push(a);
    }
  }
  for (const [territoryId, list] of owners) {
    // The sum changes only where an assignment starts: check each start day once.
    const starts = [...new Set(list.map((a) => a.from))].sort();
    for (const day of starts) {
      const holding = list.filter((a) => a.from <= day && (a.to === undefined || a.to >= day));
      const total = holding.reduce((sum, a) => sum + parseDecimal(a.percent)!, ZERO);
      if (total <= HUNDRED) continue;
      const last = holding.reduce((x, y) => (x.from > y.from ? x : y));
      issues.push({
        where: where(last),
        message: `owners of territory ${territoryId} hold ${formatDecimal(total)} % on ${day}, more than 100 (${holding.map((a) => `${a.repId} ${a.percent} % at ${where(a)}`).join(', ')})`,
      });
      break;
    }
  }
  return issues;
}

/** Each deal's territory, through its account (undefined: no account, or no territory takes it). */
export function dealTerritories(data: CanonicalData): (deal: Deal) => string | undefined {
  const territories = data.territories ?? [];
  if (territories.length === 0) return () => undefined;
  const byAccount = new TerritoryMap(territories).assign(data.accounts ?? []);
  return (deal) => (deal.accountId === undefined ? undefined : byAccount.get(deal.accountId));
}

/** What a territory holds as of a day, in the base currency. */
export interface TerritoryPotential {
  territoryId: string;
  accounts: number;
  /** Open deals of its accounts, at the rates of the as-of date. */
  openPipeline: Decimal;
  /** Won deals of its accounts closing in the twelve months up to and including the as-of date. */
  bookingsT12M: Decimal;
  /** openPipeline + bookingsT12M: what quota planning by potential spreads a target by. */
  potential: Decimal;
}

/**
 * Per territory, in file order: its accounts, open pipeline, trailing-twelve-month bookings and
 * potential, in the base currency. Deals in a currency without a rate are left out (the run
 * rejects them). This is the figure `--method potential` of quota planning reads.
 */
export function territoryPotential(data: CanonicalData, baseCurrency: string, asOf: string): TerritoryPotential[] {
  const territories = data.territories ?? [];
  const map = new TerritoryMap(territories);
  const byAccount = map.assign(data.accounts ?? []);
  const fx = new FxTable(baseCurrency, data.fxRates);
  const asOfDay = dayOf(asOf);
  const yearAgo = dayOf(`${Number(asOf.slice(0, 4)) - 1}${asOf.slice(4)}`);
  const rows = new Map<string, TerritoryPotential>(
    territories.map((t) => [
      t.id,
      { territoryId: t.id, accounts: 0, openPipeline: ZERO, bookingsT12M: ZERO, potential: ZERO },
    ]),
  );
  for (const territoryId of byAccount.values()) rows.get(territoryId)!.accounts++;
  for (const deal of data.deals) {
    if (deal.deleted || deal.accountId === undefined) continue;
    const territoryId = byAccount.get(deal.accountId);
    if (territoryId === undefined) continue;
    const row = rows.get(territoryId)!;
    const day = dayOf(deal.closeDate);
    const amount = parseDecimal(deal.amount)!;
    if (deal.stage === 'open') {
      const converted = fx.convert(amount, deal.currency, baseCurrency, asOfDay);
      if (converted !== undefined) row.openPipeline += converted;
    } else if (deal.stage === 'won' && day > yearAgo && day <= asOfDay) {
      const converted = fx.convert(amount, deal.currency, baseCurrency, day);
      if (converted !== undefined) row.bookingsT12M += converted;
    }
  }
  for (const row of rows.values()) row.potential = row.openPipeline + row.bookingsT12M;
  return [...rows.values()];
}

/**
 * Per rep, the potential of the territories they own on `day` (a day number), each territory's
 * potential shared among its owners by their percents (docs/quota-planning.md#--method-potential).
 * Overlays add credit, not potential: they get none. Exact; a share is not rounded.
 */
export function repTerritoryPotential(
  potentials: readonly TerritoryPotential[],
  assignments: readonly TerritoryAssignment[],
  day: number,
): Map<string, Decimal> {
  const holders = new TerritoryReps(assignments);
  const byRep = new Map<string, Decimal>();
  const HUNDRED = parseDecimal('100')!;
  for (const { territoryId, potential } of potentials) {
    for (const holder of holders.on(territoryId, day)) {
      if (holder.role !== 'owner') continue;
      const share = divideHalfEven(potential * holder.percent, HUNDRED);
      byRep.set(holder.repId, (byRep.get(holder.repId) ?? ZERO) + share);
    }
  }
  return byRep;
}

/** `attain territories` (docs/territories.md#attain-territories): the map as of a day. */
export interface TerritoryReport {
  asOf: string;
  baseCurrency: string;
  territories: TerritoryReportRow[];
  /** Every account with its territory (undefined: none takes it), by account id. */
  accounts: { accountId: string; name: string; territoryId?: string; ownerId?: string }[];
  unassigned: string[];
  /** Accounts with a CRM owner who is not among the reps holding their territory on the as-of day. */
  ownerMismatches: { accountId: string; ownerId: string; territoryId: string; territoryReps: string[] }[];
}

export interface TerritoryReportRow {
  id: string;
  name?: string;
  parent?: string;
  /** The accounts it takes itself (an account counts in one territory only: its most specific). */
  accounts: number;
  /** Base currency, rounded to cents (docs/territories.md#attain-territories). */
  openPipeline: string;
  bookingsT12M: string;
  reps: { repId: string; role: TerritoryRole; percent: string }[];
  /**
   * Its potential (open pipeline + T12M bookings) over the mean potential of all territories, to
   * two decimals: 1.00 is average; null when every territory's potential is zero.
   */
  balance: string | null;
}

export function territoryReport(data: CanonicalData, baseCurrency: string, asOf: string): TerritoryReport {
  const territories = data.territories ?? [];
  const byAccount = new TerritoryMap(territories).assign(data.accounts ?? []);
  const holders = new TerritoryReps(data.territoryAssignments ?? []);
  const day = dayOf(asOf);
  const potentials = territoryPotential(data, baseCurrency, asOf);
  const total = potentials.reduce((sum, p) => sum + p.potential, ZERO);
  const count = BigInt(Math.max(territories.length, 1));
  const rows = territories.map((t, i): TerritoryReportRow => {
    const p = potentials[i]!;
    return {
      id: t.id,
      ...(t.name === undefined ? {} : { name: t.name }),
      ...(t.parent === undefined ? {} : { parent: t.parent }),
      accounts: p.accounts,
      openPipeline: formatDecimal(p.openPipeline, 2),
      bookingsT12M: formatDecimal(p.bookingsT12M, 2),
      reps: holders.on(t.id, day).map((h) => ({ repId: h.repId, role: h.role, percent: formatDecimal(h.percent) })),
      // potential ÷ (total ÷ count) = potential × count ÷ total, one rounding.
      balance: total === ZERO ? null : formatDecimal(divideHalfEven(p.potential * count * ONE, total), 2),
    };
  });
  const repsOf = new Map(rows.map((r) => [r.id, r.reps.map((h) => h.repId)]));
  const accounts = [...(data.accounts ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    asOf,
    baseCurrency,
    territories: rows,
    accounts: accounts.map((a) => {
      const territoryId = byAccount.get(a.id);
      return {
        accountId: a.id,
        name: a.name,
        ...(territoryId === undefined ? {} : { territoryId }),
        ...(a.ownerId === undefined ? {} : { ownerId: a.ownerId }),
      };
    }),
    unassigned: accounts.filter((a) => !byAccount.has(a.id)).map((a) => a.id),
    ownerMismatches: accounts.flatMap((a) => {
      if (a.ownerId === undefined) return [];
      // An account in no territory is listed as unassigned instead.
      const territoryId = byAccount.get(a.id);
      if (territoryId === undefined) return [];
      const territoryReps = repsOf.get(territoryId) ?? [];
      if (territoryReps.includes(a.ownerId)) return [];
      return [{ accountId: a.id, ownerId: a.ownerId, territoryId, territoryReps }];
    }),
  };
}
