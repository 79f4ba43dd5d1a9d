/**
 * Reading typed values out of one CSV row, with a reason a person understands for every cell
 * that cannot be used. Hand-written checks rather than zod: this runs once per cell of a
 * million-row file. The zod schemas in src/domain/model.ts stay the contract; the tests hold the
 * records produced here to them.
 */
import { IANAZone } from 'luxon';
import { CURRENCY_CODE } from '../../src/domain/currency.js';
import { parseDecimal, SCALE_DIGITS, type Decimal } from '../../src/domain/decimal.js';
import { calendarDay as engineCalendarDay } from '../../src/domain/periods.js';

/** A column of the file's header: where it is, or -1 when the header does not have it. */
export interface Column {
  readonly name: string;
  readonly index: number;
  /** The values {@link CsvRow.shared} has read from this column, by the cell's text. */
  readonly pool: Map<string, string>;
}

export function column(name: string, index: number): Column {
  return { name, index, pool: new Map() };
}

/** Distinct texts a column shares at most: enough for every owner of a large org. */
const POOL_LIMIT = 50_000;

/**
 * One row of a CSV file, reused from row to row. Each reader method returns the value, or
 * records a problem and returns a placeholder; a row with problems becomes a reject.
 */
export class CsvRow {
  cells: readonly string[] = [];
  problems: string[] | undefined;

  constructor(readonly tz: string) {
    if (!IANAZone.isValidZone(tz)) throw new RangeError(`unknown time zone ${JSON.stringify(tz)}`);
  }

  start(cells: readonly string[]): void {
    this.cells = cells;
    this.problems = undefined;
  }

  problem(reason: string): void {
    (this.problems ??= []).push(reason);
  }

  /**
   * What `read` makes of the cell (`row.shared(c.currency, row.currency)`), read once per distinct
   * text of the column: a cell whose text was read before without a problem gives the same string
   * object again, unchecked. A million deals then share their few currencies, owners, dates and
   * types (a fifth less memory for a 1,000,000-row deals.csv), and check each once. Only the first
   * POOL_LIMIT distinct texts are kept, so a column of unique values costs little.
   */
  shared<A>(column: Column, read: (this: CsvRow, column: Column, arg: A) => string, arg?: A): string {
    const text = this.raw(column);
    const known = column.pool.get(text);
    if (known !== undefined) return known;
    const problems = this.problems?.length ?? 0;
    const value = read.call(this, column, arg as A);
    if ((this.problems?.length ?? 0) === problems && column.pool.size < POOL_LIMIT) column.pool.set(text, value);
    return value;
  }

  /** The cell exactly as written; '' when the header or the row does not have the column. */
  raw(column: Column): string {
    return column.index < 0 ? '' : (this.cells[column.index] ?? '');
  }

  /** The cell without surrounding whitespace. */
  trimmed(column: Column): string {
    const text = this.raw(column);
    return text.length === 0 ? text : text.trim();
  }

  /** Optional free text, kept as written; undefined when empty. */
  optionalText(column: Column): string | undefined {
    const text = this.raw(column);
    return text.length === 0 ? undefined : text;
  }

  /**
   * An id: surrounding whitespace never belongs to an id (it would only make a later
   * "unknown rep" reject baffling), so it is trimmed.
   */
  id(column: Column): string {
    const id = this.trimmed(column);
    if (id.length === 0) this.problem(`missing ${column.name}`);
    return id;
  }

  optionalId(column: Column): string | undefined {
    const id = this.trimmed(column);
    return id.length === 0 ? undefined : id;
  }

  /** A plain decimal, kept as written (without surrounding whitespace) once it is checked. */
  decimal(column: Column, range: DecimalRange = ANY): string {
    const text = this.trimmed(column);
    if (text.length === 0) {
      this.problem(`missing ${column.name}`);
      return text;
    }
    if (!isDecimalText(text)) {
      this.problem(decimalProblem(column.name, text));
    } else if (range !== ANY) {
      const outOfRange = range(parseDecimal(text) as Decimal);
      if (outOfRange) this.problem(`${column.name} ${quote(text)} ${outOfRange}`);
    }
    return text;
  }

  /** A calendar day, `YYYY-MM-DD`; a timestamp is converted to its day in the calendar's time zone. */
  date(column: Column): string {
    const text = this.trimmed(column);
    if (text.length === 0) {
      this.problem(`missing ${column.name}`);
      return text;
    }
    return this.checkedDate(column, text);
  }

  optionalDate(column: Column): string | undefined {
    const text = this.trimmed(column);
    return text.length === 0 ? undefined : this.checkedDate(column, text);
  }

  /** An ISO 8601 timestamp or date, kept as written once it is checked. */
  optionalTimestamp(column: Column): string | undefined {
    const text = this.trimmed(column);
    if (text.length === 0) return undefined;
    if (calendarDay(text, this.tz) === undefined) {
      this.problem(`${column.name} ${quote(text)} is not an ISO 8601 timestamp (2026-03-31T23:30:00Z) or date`);
    }
    return text;
  }

  /** `true` or `false` in any letter case; an empty cell is `fallback`. */
  boolean(column: Column, fallback: boolean): boolean {
    const text = this.trimmed(column);
    if (text.length === 0) return fallback;
    const lower = text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    this.problem(`${column.name} ${quote(text)} must be true or false`);
    return fallback;
  }

  /** One of `choices` (lower case), matched in any letter case. */
  choice<T extends string>(column: Column, choices: readonly T[]): T {
    const text = this.trimmed(column);
    // The constant, not the cell: a million deals then share three stage strings.
    const index = choices.indexOf(text.toLowerCase() as T);
    if (index >= 0) return choices[index] as T;
    if (text.length === 0) this.problem(`missing ${column.name}`);
    else this.problem(`${column.name} ${quote(text)} must be ${listChoices(choices)}`);
    return text as T;
  }

  /** A 3-letter ISO 4217 code, upper-cased. Whether Attain knows the currency is checked later. */
  currency(column: Column): string {
    const text = this.trimmed(column);
    if (text.length === 0) {
      this.problem(`missing ${column.name}`);
      return text;
    }
    const code = text.toUpperCase();
    if (!CURRENCY_CODE.test(code)) {
      this.problem(`${column.name} ${quote(text)} is not a 3-letter currency code such as USD`);
    }
    return code;
  }

  /** A quota period label: `2026`, `2026-Q1` or `2026-01`. */
  period(column: Column): string {
    const text = this.trimmed(column);
    if (text.length === 0) {
      this.problem(`missing ${column.name}`);
      return text;
    }
    const period = text.toUpperCase();
    if (!PERIOD.test(period)) {
      this.problem(`${column.name} ${quote(text)} is not a period (2026, 2026-Q1 or 2026-01)`);
    }
    return period;
  }

  /** Records a problem when both dates are known and `last` comes before `first`. */
  ordered(first: Column, firstDate: string | undefined, last: Column, lastDate: string | undefined): void {
    if (firstDate && lastDate && isDateText(firstDate) && isDateText(lastDate) && lastDate < firstDate) {
      this.problem(`${last.name} ${lastDate} is before ${first.name} ${firstDate}`);
    }
  }

  private checkedDate(column: Column, text: string): string {
    const day = calendarDay(text, this.tz);
    if (day !== undefined) return day;
    this.problem(`${column.name} ${quote(text)} is not a date (YYYY-MM-DD)`);
    return text;
  }
}

/** Returns why a value is out of range, or undefined when it is fine. */
export type DecimalRange = (value: Decimal) => string | undefined;

const ANY: DecimalRange = () => undefined;
const HUNDRED = parseDecimal('100') as Decimal;
export const PERCENT: DecimalRange = (v) => (v < 0n || v > HUNDRED ? 'must be between 0 and 100' : undefined);
export const NOT_NEGATIVE: DecimalRange = (v) => (v < 0n ? 'must not be negative' : undefined);
export const POSITIVE: DecimalRange = (v) => (v <= 0n ? 'must be greater than 0' : undefined);

const PERIOD = /^\d{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?$/;
/**
 * The calendar day of a date or a timestamp in `tz` (the engine's `calendarDay`), with the CSV
 * files' stricter dates: a year below 1000 in a sales file is a typo.
 */
export function calendarDay(text: string, tz: string): string | undefined {
  if (text.length === 10) return isDateText(text) ? text : undefined;
  return engineCalendarDay(text, tz);
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;
const PLUS = 43;
const MINUS = 45;

/**
 * Exactly what `parseDecimal` accepts (`1234.50`, `-3`, `.5`, `7.`; at most SCALE_DIGITS
 * decimals), without building the bigint: deal amounts are checked a million times.
 */
export function isDecimalText(text: string): boolean {
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === PLUS || first === MINUS) i = 1;
  let whole = 0;
  while (i < text.length && isDigit(text.charCodeAt(i))) {
    i++;
    whole++;
  }
  if (i === text.length) return whole > 0;
  if (text.charCodeAt(i) !== DOT) return false;
  i++;
  let fraction = 0;
  while (i < text.length && isDigit(text.charCodeAt(i))) {
    i++;
    fraction++;
  }
  return i === text.length && (whole > 0 || fraction > 0) && fraction <= SCALE_DIGITS;
}

/**
 * A real day written `YYYY-MM-DD` in the years 1000-9999, without a regex or a Date: a subset of
 * what the model's `isIsoDate` accepts (a year below 1000 in a sales file is a typo).
 */
export function isDateText(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== MINUS || text.charCodeAt(7) !== MINUS) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

/** The number written by text[start, end), or -1 when that is not all digits. */
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - DIGIT_0);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function decimalProblem(name: string, text: string): string {
  const what = `${name} ${quote(text)} is not a decimal number`;
  if (/^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(text)) return `${what} (no thousands separators: 1234.50)`;
  if (/^[+-]?\d*,\d+$/.test(text)) return `${what} (use a dot: 1234.50)`;
  if (/^[+-]?\d*\.\d{11,}$/.test(text)) return `${what} (at most 10 decimal places)`;
  return `${what} (write it plain, like 1234.50)`;
}

function listChoices(choices: readonly string[]): string {
  return choices.length < 2 ? (choices[0] ?? '') : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
}

/** A cell quoted for a message, shortened so that a runaway field does not flood the report. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
