/**
 * Calendar arithmetic (docs/workspace.md#calendar). Days are integers (days since 1970-01-01) and
 * months are integers (year × 12 + month − 1), so the engine's hot loop never builds a Date.
 *
 * Fiscal years and quarters are named by the calendar year in which the fiscal year starts:
 * with fiscalYearStartMonth 2, `2026-Q1` is February–April 2026 and January 2026 is `2025-Q4`.
 * Months are calendar months.
 */
import { DateTime } from 'luxon';
import type { PeriodKind } from './plan.js';

const MS_PER_DAY = 86_400_000;

export interface Period {
  kind: PeriodKind;
  label: string;
  /** First month (year × 12 + month − 1). */
  startMonth: number;
  months: number;
  /** First and last day, inclusive (days since 1970-01-01). */
  startDay: number;
  endDay: number;
}

/** `YYYY-MM-DD` → days since 1970-01-01. The text must already be a valid ISO date. */
export function dayOf(isoDate: string): number {
  const y = Number(isoDate.slice(0, 4));
  const m = Number(isoDate.slice(5, 7));
  const d = Number(isoDate.slice(8, 10));
  return Date.UTC(y, m - 1, d) / MS_PER_DAY;
}

export function isoOfDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` → month index. */
export function monthOfDate(isoDate: string): number {
  return Number(isoDate.slice(0, 4)) * 12 + Number(isoDate.slice(5, 7)) - 1;
}

export function monthOfDay(day: number): number {
  const date = new Date(day * MS_PER_DAY);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

export function firstDayOfMonth(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1) / MS_PER_DAY;
}

function monthLabel(month: number): string {
  return `${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`;
}

/**
 * The fiscal calendar: which period a month belongs to and how periods are named.
 * One instance per calculation; period objects are cached so labels are built once.
 */
export class FiscalCalendar {
  private readonly cache = new Map<number, Period>();

  constructor(readonly fiscalYearStartMonth: number) {
    if (!Number.isInteger(fiscalYearStartMonth) || fiscalYearStartMonth < 1 || fiscalYearStartMonth > 12) {
      throw new RangeError(`fiscalYearStartMonth must be 1–12, got ${fiscalYearStartMonth}`);
    }
  }

  /** The period of `kind` containing `month`. */
  periodOf(kind: PeriodKind, month: number): Period {
    const key = month * 3 + (kind === 'month' ? 0 : kind === 'quarter' ? 1 : 2);
    let period = this.cache.get(key);
    if (!period) {
      period = this.build(kind, month);
      this.cache.set(key, period);
    }
    return period;
  }

  private build(kind: PeriodKind, month: number): Period {
    if (kind === 'month') return makePeriod(kind, monthLabel(month), month, 1);
    const offset = month - (this.fiscalYearStartMonth - 1);
    const fiscalYear = Math.floor(offset / 12);
    const yearStart = fiscalYear * 12 + this.fiscalYearStartMonth - 1;
    if (kind === 'year') return makePeriod(kind, String(fiscalYear), yearStart, 12);
    const quarter = Math.floor((offset - fiscalYear * 12) / 3);
    return makePeriod(kind, `${fiscalYear}-Q${quarter + 1}`, yearStart + quarter * 3, 3);
  }

  /** Parses `2026`, `2026-Q3` or `2026-07`; undefined if it is none of them. */
  parse(label: string): Period | undefined {
    let match = /^(\d{4})$/.exec(label);
    if (match) return this.periodOf('year', Number(match[1]) * 12 + this.fiscalYearStartMonth - 1);
    match = /^(\d{4})-Q([1-4])$/.exec(label);
    if (match) {
      return this.periodOf(
        'quarter',
        Number(match[1]) * 12 + this.fiscalYearStartMonth - 1 + (Number(match[2]) - 1) * 3,
      );
    }
    match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(label);
    if (match) return this.periodOf('month', Number(match[1]) * 12 + Number(match[2]) - 1);
    return undefined;
  }

  /**
   * The periods of `kind` that overlap the day intervals [from, to, …] (inclusive) inside
   * [firstDay, lastDay], in order: an assignment's quota or payout periods in the calculated window.
   */
  periodsCovering(kind: PeriodKind, intervals: readonly number[], firstDay: number, lastDay: number): Period[] {
    const periods = new Map<string, Period>();
    for (let i = 0; i < intervals.length; i += 2) {
      const from = Math.max(intervals[i]!, firstDay);
      const to = Math.min(intervals[i + 1]!, lastDay);
      if (from > to) continue;
      for (let m = monthOfDay(from); m <= monthOfDay(to);) {
        const period = this.periodOf(kind, m);
        periods.set(period.label, period);
        m = period.startMonth + period.months;
      }
    }
    return [...periods.values()].sort((a, b) => a.startDay - b.startDay);
  }

  /** The periods of `kind` inside `outer`, in order (`kind` must divide `outer`'s kind). */
  subPeriods(kind: PeriodKind, outer: Period): Period[] {
    const result: Period[] = [];
    for (let month = outer.startMonth; month < outer.startMonth + outer.months;) {
      const period = this.periodOf(kind, month);
      result.push(period);
      month = period.startMonth + period.months;
    }
    return result;
  }
}

function makePeriod(kind: PeriodKind, label: string, startMonth: number, months: number): Period {
  return {
    kind,
    label,
    startMonth,
    months,
    startDay: firstDayOfMonth(startMonth),
    endDay: firstDayOfMonth(startMonth + months) - 1,
  };
}

/** True when `inner` lies within `outer`. */
export function contains(outer: Period, inner: Period): boolean {
  return inner.startDay >= outer.startDay && inner.endDay <= outer.endDay;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The calendar day (YYYY-MM-DD) of a date or an ISO 8601 timestamp in time zone `tz`: the one rule
 * every source and the engine use to say which day something happened (docs/workspace.md#calendar).
 * A plain date is that day; a timestamp with an offset is converted to `tz`; a timestamp without
 * one is local time in `tz` (never the machine's zone). Undefined when `text` is neither.
 */
export function calendarDay(text: string, tz: string): string | undefined {
  if (text.length === 10)
    return ISO_DAY.test(text) && DateTime.fromISO(text, { zone: 'utc' }).isValid ? text : undefined;
  if (!TIMESTAMP.test(text)) return undefined;
  return DateTime.fromISO(text.replace(' ', 'T'), { zone: tz }).toISODate() ?? undefined;
}
