/**
 * The engine's double paths for split credits and currency conversion must round exactly as the
 * bigint arithmetic they stand in for (decimal.ts), ties and negative amounts included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CellSums, exchange, exchangeParts, joinParts, percentParts, splitParts } from '../../src/domain/crediting.js';
import { divideHalfEven, percentOf } from '../../src/domain/decimal.js';

/** Amounts in units of 10^-10, mostly whole units of 10^-4 (lo = 0) as CSV amounts are. */
const amounts = fc.oneof(
  fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).map((units) => units * 1_000_000n),
  fc.bigInt({ min: -(10n ** 21n), max: 10n ** 21n }),
  fc.constantFrom(5n * 1_000_000n, 15n * 1_000_000n, 25n * 1_000_000n, 1n, -1n, 500_000n, -500_000n),
);
/** Percents in units of 10^-10: up to 4 decimals (the double path) or more (the bigint way). */
const percents = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }).map((p) => BigInt(p) * 1_000_000n),
  fc.bigInt({ min: 0n, max: 100n * 10n ** 10n }),
  fc.constantFrom(50n * 10n ** 10n, 25n * 10n ** 10n, 12_5000n * 10n ** 6n, 100n * 10n ** 10n),
);
/** Exchange rates in units of 10^-10, as fx.csv writes them (up to 10 decimals). */
const rates = fc.oneof(
  fc.integer({ min: 1, max: 2_000_000 }).map((r) => BigInt(r) * 10_000n),
  fc.bigInt({ min: 1n, max: 10n ** 13n }),
  fc.constantFrom(10n ** 10n, 92n * 10n ** 8n, 9_254_370_000n, 7_900_000_000n),
);

describe('exact double paths', () => {
  it('percentParts equals percentOf wherever it answers', () => {
    fc.assert(
      fc.property(amounts, percents, (amount, percent) => {
        const [hi, lo] = splitParts(amount);
        const out = { hi: 0, lo: 0 };
        if (Number.isNaN(hi) || !percentParts(hi, lo, Number(percent), out)) return;
        expect(joinParts(out.hi, out.lo)).toBe(percentOf(amount, percent));
      }),
      { numRuns: 20_000 },
    );
  });

  it('exchangeParts equals the bigint conversion wherever it answers', () => {
    fc.assert(
      fc.property(amounts, rates, rates, (amount, toRate, fromRate) => {
        const [hi, lo] = splitParts(amount);
        const out = { hi: 0, lo: 0 };
        if (Number.isNaN(hi) || !exchangeParts(hi, lo, exchange(toRate, fromRate), out)) return;
        expect(joinParts(out.hi, out.lo)).toBe(divideHalfEven(amount * toRate, fromRate));
      }),
      { numRuns: 20_000 },
    );
  });

  it('answers for ordinary deals: two-decimal amounts, whole percents, four-decimal rates', () => {
    const out = { hi: 0, lo: 0 };
    const [hi, lo] = splitParts(1_560_347n * 10n ** 8n); // 15603.47
    expect(percentParts(hi, lo, 70 * 1e10, out)).toBe(true);
    expect(joinParts(out.hi, out.lo)).toBe(percentOf(1_560_347n * 10n ** 8n, 70n * 10n ** 10n));
    expect(exchangeParts(hi, lo, exchange(10n ** 10n, 9_254_370_000n), out)).toBe(true);
    expect(joinParts(out.hi, out.lo)).toBe(divideHalfEven(1_560_347n * 10n ** 8n * 10n ** 10n, 9_254_370_000n));
  });

  it('CellSums sums a range of cells exactly, spilled ones included, as adding each cell does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), amounts), { maxLength: 40 }), fc.nat(5), fc.nat(5), (adds, a, b) => {
        const sums = new CellSums(6);
        const exact = new Array<bigint>(6).fill(0n);
        for (const [cell, amount] of adds) {
          sums.addDecimal(cell, amount);
          exact[cell] = exact[cell]! + amount;
        }
        const [from, to] = a <= b ? [a, b] : [b, a];
        let expected = 0n;
        for (let cell = from; cell <= to; cell++) {
          expect(sums.get(cell)).toBe(exact[cell]);
          expected += exact[cell]!;
        }
        expect(sums.sum(from, to)).toBe(expected);
        expect(sums.sum(to + 1, to)).toBe(0n);
      }),
      { numRuns: 5_000 },
    );
  });
});
