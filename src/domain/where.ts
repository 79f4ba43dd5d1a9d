/**
 * Deal filters (`where:` in a measure or a per-deal component). A field name is a canonical deal
 * field (`type`, `currency`, `name`, `ownerId`, `stage`) or one of the deal's `fields`. Values
 * compare as exact decimals when both sides are numbers, as text otherwise.
 */
import { parseDecimal, type Decimal } from './decimal.js';
import type { Deal, FieldValue } from './model.js';
import type { FieldCondition, Where } from './plan.js';

export type DealPredicate = (deal: Deal) => boolean;

const CANONICAL_FIELDS = new Set(['type', 'currency', 'name', 'ownerId', 'stage', 'amount', 'closeDate', 'accountId']);

export function compileWhere(where: Where | undefined): DealPredicate | undefined {
  if (!where) return undefined;
  const tests = Object.entries(where).map(([field, condition]) => {
    const read = fieldReader(field);
    const test = compileCondition(condition);
    return (deal: Deal) => test(read(deal));
  });
  if (tests.length === 1) return tests[0];
  // Loops rather than every(): a predicate runs once per deal, and a closure per call adds up.
  return (deal) => {
    for (const t of tests) if (!t(deal)) return false;
    return true;
  };
}

/**
 * A `where` over any record (territory rules read accounts, docs/territories.md#rules): `read`
 * gives a field's value; the conditions mean what they mean for deals.
 */
export function compileRecordWhere<T>(
  where: Where,
  read: (record: T, field: string) => FieldValue | undefined,
): (record: T) => boolean {
  const tests = Object.entries(where).map(([field, condition]) => {
    const test = compileCondition(condition);
    return (record: T) => test(read(record, field));
  });
  return (record) => {
    for (const t of tests) if (!t(record)) return false;
    return true;
  };
}

function fieldReader(field: string): (deal: Deal) => FieldValue | undefined {
  if (CANONICAL_FIELDS.has(field)) return (deal) => (deal as unknown as Record<string, FieldValue | undefined>)[field];
  return (deal) => deal.fields[field];
}

/** Distinct value texts a condition remembers its answer for (a column of unique values costs little). */
const ANSWERS_LIMIT = 10_000;

/**
 * A condition's test. Its answer depends on the value's text alone (compare reads String(value),
 * as the lists do), and a filter runs once per deal over values that repeat (picklists, terms):
 * each distinct text is judged once.
 */
function compileCondition(condition: FieldCondition): (value: FieldValue | undefined) => boolean {
  const test = conditionTest(condition);
  const answers = new Map<string, boolean>();
  return (v) => {
    if (v === undefined || v === null) return false;
    const text = String(v);
    let answer = answers.get(text);
    if (answer === undefined) {
      answer = test(v);
      if (answers.size < ANSWERS_LIMIT) answers.set(text, answer);
    }
    return answer;
  };
}

function conditionTest(condition: FieldCondition): (value: FieldValue | undefined) => boolean {
  if (typeof condition === 'string') return (v) => v !== undefined && v !== null && compare(v, condition) === 0;
  if (Array.isArray(condition)) {
    const set = new Set(condition);
    // Text-only lists (the common case: picklist values) are plain set membership.
    if (condition.every((c) => parseDecimal(c.trim()) === undefined))
      return (v) => v !== undefined && v !== null && set.has(String(v));
    return (v) => v !== undefined && v !== null && (set.has(String(v)) || condition.some((c) => compare(v, c) === 0));
  }
  const checks: ((v: FieldValue) => boolean)[] = [];
  const { in: oneOf, eq, ne, gt, gte, lt, lte } = condition;
  if (oneOf !== undefined) checks.push((v) => oneOf.some((c) => compare(v, c) === 0));
  if (eq !== undefined) checks.push((v) => compare(v, eq) === 0);
  if (ne !== undefined) checks.push((v) => compare(v, ne) !== 0);
  if (gt !== undefined) checks.push((v) => ordered(v, gt, above));
  if (gte !== undefined) checks.push((v) => ordered(v, gte, atLeast));
  if (lt !== undefined) checks.push((v) => ordered(v, lt, below));
  if (lte !== undefined) checks.push((v) => ordered(v, lte, atMost));
  return (v) => {
    if (v === undefined || v === null) return false;
    for (const check of checks) if (!check(v)) return false;
    return true;
  };
}

const above = (c: number) => c > 0;
const atLeast = (c: number) => c >= 0;
const below = (c: number) => c < 0;
const atMost = (c: number) => c <= 0;

/** Orderings need comparable values: a number against a number, or text against text. */
function ordered(value: FieldValue, bound: string, accept: (c: number) => boolean): boolean {
  const c = compare(value, bound);
  return c !== undefined && accept(c);
}

// Field values repeat (picklists, terms): parse each distinct text once. Bounded, so that free
// text in a million deals cannot grow it without limit.
const parsed = new Map<string, Decimal | null>();
function asDecimal(text: string): Decimal | undefined {
  let value = parsed.get(text);
  if (value === undefined) {
    value = parseDecimal(text.trim()) ?? null;
    if (parsed.size < 10_000) parsed.set(text, value);
  }
  return value ?? undefined;
}

function compare(value: FieldValue, other: string): number | undefined {
  const text = String(value);
  const a = asDecimal(text);
  const b = asDecimal(other);
  if (a !== undefined && b !== undefined) return a < b ? -1 : a > b ? 1 : 0;
  if (a !== undefined || b !== undefined) return text === other ? 0 : undefined;
  return text < other ? -1 : text > other ? 1 : 0;
}

/**
 * Every distinct filter of a set of plans, evaluated once per deal while the deal is at hand
 * (reading a million deal objects twice costs more than the filters themselves).
 */
export class FilterSet {
  private readonly ids = new Map<string, number>();
  readonly predicates: DealPredicate[] = [];

  /** The filter's index, or -1 for no filter. */
  add(where: Where | undefined): number {
    const predicate = compileWhere(where);
    if (!predicate) return -1;
    const key = JSON.stringify(where);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.predicates.push(predicate) - 1;
      this.ids.set(key, id);
    }
    return id;
  }

  /** The index of a filter added before (-1 for none). */
  idOf(where: Where | undefined): number {
    return where === undefined ? -1 : (this.ids.get(JSON.stringify(where)) ?? -1);
  }
}
