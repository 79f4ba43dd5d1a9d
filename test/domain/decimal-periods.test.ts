import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimal, divideHalfEven, formatDecimal, mul, parseDecimal, roundTo } from '../../src/domain/decimal.js';
import { FiscalCalendar, calendarDay, dayOf, isoOfDay } from '../../src/domain/periods.js';

describe('decimal', () => {
  it('parses plain decimals only', () => {
    expect(parseDecimal('1234.50')).toBe(12345000000000n);
    expect(parseDecimal('-0.5')).toBe(-5000000000n);
    expect(parseDecimal('.25')).toBe(2500000000n);
    for (const bad of ['', '1,5', '1e3', 'abc', '1.2.3', '0.12345678901']) expect(parseDecimal(bad)).toBeUndefined();
    for (const bad of ['.', '-', '+', '-.', ' 1', '1 ', '1\n', '--1', '1-']) expect(parseDecimal(bad)).toBeUndefined();
    expect(parseDecimal('+.5')).toBe(5000000000n);
    expect(parseDecimal('5.')).toBe(50000000000n);
    expect(parseDecimal('-0')).toBe(0n);
    expect(parseDecimal('12345678901234567890.0123456789')).toBe(123456789012345678900123456789n);
  });

  it('parses as the pattern it is defined by, short and long texts alike', () => {
    // The pattern parseDecimal stood for before it read short texts digit by digit.
    const byPattern = (text: string): bigint | undefined => {
      const match = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(text) ?? /^([+-]?)()\.(\d+)$/.exec(text);
      if (!match) return undefined;
      const [, sign, whole, fraction = ''] = match;
      if (fraction.length > 10) return undefined;
      const units = BigInt((whole || '0') + fraction.padEnd(10, '0'));
      return sign === '-' ? -units : units;
    };
    const texts = fc.oneof(
      fc.stringMatching(/^[+-]?\d{0,20}(\.\d{0,12})?$/),
      fc.string({ unit: fc.constantFrom(...'0123456789.+-e, '), maxLength: 24 }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        expect(parseDecimal(text)).toBe(byPattern(text));
      }),
      { numRuns: 50_000 },
    );
  });

  it('rounds half to even', () => {
    expect(divideHalfEven(5n, 2n)).toBe(2n); // 2.5 → 2
    expect(divideHalfEven(7n, 2n)).toBe(4n); // 3.5 → 4
    expect(divideHalfEven(-5n, 2n)).toBe(-2n); // −2.5 → −2
    expect(divideHalfEven(-7n, 2n)).toBe(-4n); // −3.5 → −4
    expect(formatDecimal(roundTo(decimal('2.345'), 2), 2)).toBe('2.34');
    expect(formatDecimal(roundTo(decimal('2.355'), 2), 2)).toBe('2.36');
    expect(formatDecimal(decimal('-0.004'), 2)).toBe('0.00');
  });

  it('formats as the pattern it is defined by: every digit kept, trailing zeros trimmed, rounded half-even first', () => {
    // formatDecimal as written with regular expressions, before it trimmed zeros by hand.
    const byPattern = (a: bigint, digits?: number): string => {
      const rounded = digits === undefined ? a : roundTo(a, digits);
      const negative = rounded < 0n;
      const text = (negative ? -rounded : rounded).toString().padStart(11, '0');
      const whole = text.slice(0, -10);
      let fraction = text.slice(-10);
      fraction = digits === undefined ? fraction.replace(/0+$/, '') : fraction.slice(0, digits);
      const body = fraction ? `${whole}.${fraction}` : whole;
      return negative && /[1-9]/.test(body) ? `-${body}` : body;
    };
    const values = fc.oneof(
      fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }).map((cents) => BigInt(cents) * 10n ** 8n),
    );
    const digits = fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined });
    fc.assert(
      fc.property(values, digits, (a, d) => {
        expect(formatDecimal(a, d)).toBe(byPattern(a, d));
      }),
      { numRuns: 50_000 },
    );
  });

  it('never uses binary floats: 0.1 + 0.2 is 0.3', () => {
    expect(formatDecimal(decimal('0.1') + decimal('0.2'))).toBe('0.3');
    expect(formatDecimal(mul(decimal('1234.56'), decimal('0.07')))).toBe('86.4192');
  });
});

describe('periods', () => {
  it('names fiscal periods by the calendar year in which the fiscal year starts', () => {
    const feb = new FiscalCalendar(2);
    const jan2026 = 2026 * 12;
    expect(feb.periodOf('quarter', jan2026).label).toBe('2025-Q4');
    expect(feb.periodOf('quarter', jan2026 + 1).label).toBe('2026-Q1');
    expect(feb.periodOf('year', jan2026).label).toBe('2025');
    expect(feb.periodOf('month', jan2026).label).toBe('2026-01');
    const q1 = feb.parse('2026-Q1')!;
    expect([isoOfDay(q1.startDay), isoOfDay(q1.endDay)]).toEqual(['2026-02-01', '2026-04-30']);
    expect(feb.subPeriods('month', q1).map((p) => p.label)).toEqual(['2026-02', '2026-03', '2026-04']);
    expect(new FiscalCalendar(1).parse('2026')!.months).toBe(12);
    expect(feb.parse('2026-13')).toBeUndefined();
  });

  it('decides the day of a timestamp in the calendar time zone', () => {
    expect(calendarDay('2026-03-31T23:30:00-04:00', 'UTC')).toBe('2026-04-01');
    expect(calendarDay('2026-03-31T23:30:00-04:00', 'America/New_York')).toBe('2026-03-31'); // EDT is UTC−4
    expect(calendarDay('2026-03-31', 'Asia/Tokyo')).toBe('2026-03-31');
    expect(dayOf('1970-01-02')).toBe(1);
  });

  it('reads a timestamp without an offset as local time in the calendar zone, never the machine zone', () => {
    expect(calendarDay('2026-06-30T23:30:00', 'Asia/Tokyo')).toBe('2026-06-30');
    expect(calendarDay('2026-06-30 23:30', 'America/New_York')).toBe('2026-06-30');
    expect(calendarDay('2026-06-30T23:30:00.000+0000', 'Europe/Berlin')).toBe('2026-07-01'); // Salesforce's offset form
    expect(['2026-02-30', '2026-W01-1', '2026-06-30T25:00', 'yesterday'].map((t) => calendarDay(t, 'UTC'))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
