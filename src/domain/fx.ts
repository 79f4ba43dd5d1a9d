/**
 * Dated exchange rates (docs/plans.md#currency): for each currency the rate with the latest `from`
 * not after the close date applies. Rates are units of the currency per 1 unit of the base
 * currency, so converting X units of A into B is X ÷ rate(A) × rate(B), with rate(base) = 1.
 */
import { ONE, divideHalfEven, parseDecimal, type Decimal } from './decimal.js';
import type { FxRate } from './model.js';
import { dayOf } from './periods.js';

export class FxTable {
  private readonly byCurrency = new Map<string, { days: number[]; rates: Decimal[] }>();

  constructor(
    readonly baseCurrency: string,
    fxRates: readonly FxRate[],
  ) {
    const grouped = new Map<string, { day: number; rate: Decimal }[]>();
    for (const fx of fxRates) {
      let list = grouped.get(fx.currency);
      if (!list) grouped.set(fx.currency, (list = []));
      list.push({ day: dayOf(fx.from), rate: parseDecimal(fx.rate)! });
    }
    for (const [currency, list] of grouped) {
      list.sort((a, b) => a.day - b.day);
      this.byCurrency.set(currency, { days: list.map((x) => x.day), rates: list.map((x) => x.rate) });
    }
  }

  has(currency: string): boolean {
    return currency === this.baseCurrency || this.byCurrency.has(currency);
  }

  /** The rate of `currency` on `day`, or undefined when none is in effect yet. */
  rateOn(currency: string, day: number): Decimal | undefined {
    const table = this.byCurrency.get(currency);
    if (!table) return currency === this.baseCurrency ? ONE : undefined;
    const { days, rates } = table;
    let lo = 0;
    let hi = days.length - 1;
    if (hi < 0 || days[0]! > day) return currency === this.baseCurrency ? ONE : undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (days[mid]! <= day) lo = mid;
      else hi = mid - 1;
    }
    return rates[lo];
  }

  /**
   * Converts `amount` from one currency to another at the rates in effect on `day`, with one
   * rounding (half-even, 10 decimals); undefined when a rate is missing.
   */
  convert(amount: Decimal, from: string, to: string, day: number): Decimal | undefined {
    if (from === to) return amount;
    const fromRate = this.rateOn(from, day);
    const toRate = this.rateOn(to, day);
    if (fromRate === undefined || toRate === undefined) return undefined;
    return divideHalfEven(amount * toRate, fromRate);
  }
}
