/** The hand-written fast checks against the reference they stand in for. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarDay, isDateText, isDecimalText } from '../../../connectors/csv/csv-row.js';
import { FirstLineIndex } from '../../../connectors/csv/first-line-index.js';
import { parseDecimal } from '../../../src/domain/decimal.js';
import { isIsoDate } from '../../../src/domain/model.js';

const textOf = (chars: string, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...chars.split('')), maxLength });

describe('isDecimalText', () => {
  it('accepts exactly what parseDecimal accepts', () => {
    fc.assert(
      fc.property(textOf('0123456789+-.,e ', 16), (text) => {
        expect(isDecimalText(text)).toBe(parseDecimal(text) !== undefined);
      }),
      { numRuns: 5000 },
    );
  });

  it.each(['0', '-3', '+3', '.5', '7.', '1234.50', '0.1234567890'])('accepts %s', (text) => {
    expect(isDecimalText(text)).toBe(true);
  });

  it.each(['', '-', '.', '+.', '1.2.3', '1,5', '0.12345678901', ' 1', '1e5'])('refuses %j', (text) => {
    expect(isDecimalText(text)).toBe(false);
  });
});

describe('isDateText', () => {
  it('agrees with isIsoDate from the year 1000 on', () => {
    const date = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
      .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
    fc.assert(
      fc.property(fc.oneof(date, textOf('0123456789-', 11)), (text) => {
        const year = Number(text.slice(0, 4));
        expect(isDateText(text)).toBe(isIsoDate(text) && year >= 1000);
      }),
      { numRuns: 5000 },
    );
  });

  it('knows leap years', () => {
    expect(['2024-02-29', '2000-02-29', '2100-02-28'].map(isDateText)).toEqual([true, true, true]);
    expect(['2026-02-29', '1900-02-29', '2026-04-31'].map(isDateText)).toEqual([false, false, false]);
  });
});

describe('calendarDay', () => {
  it('gives the day in the zone across a DST change', () => {
    // 2026-03-08 is the US spring-forward day.
    expect(calendarDay('2026-03-08T06:59:59Z', 'America/New_York')).toBe('2026-03-08');
    expect(calendarDay('2026-03-08T04:59:59Z', 'America/New_York')).toBe('2026-03-07');
  });

  it.each(['2026-03', '2026-W13', '2026-090', '20260331', 'March 31, 2026', '2026-03-31T', '2026-03-31Tfoo'])(
    'refuses %s',
    (text) => {
      expect(calendarDay(text, 'UTC')).toBeUndefined();
    },
  );
});

describe('FirstLineIndex', () => {
  it('answers like a Map of first lines', () => {
    fc.assert(
      fc.property(fc.array(textOf('abc\u00e9\u{1F600}', 4), { maxLength: 3000 }), (keys) => {
        const index = new FirstLineIndex();
        const reference = new Map<string, number>();
        keys.forEach((key, line) => {
          expect(index.claim(key, line)).toBe(reference.get(key));
          if (!reference.has(key)) reference.set(key, line);
        });
        expect(index.size).toBe(reference.size);
      }),
      { numRuns: 200 },
    );
  });

  it('holds a million keys', () => {
    const index = new FirstLineIndex();
    for (let i = 0; i < 1_000_000; i++) index.claim(`d${i}`, i + 2);
    expect(index.claim('d0', 9)).toBe(2);
    expect(index.claim('d999999', 9)).toBe(1_000_001);
    expect(index.claim('d1000000', 9)).toBeUndefined();
    expect(index.size).toBe(1_000_001);
  });
});
