/** An ISO 4217 currency code as Attain takes it: three capital letters (`USD`). */
export const CURRENCY_CODE = /^[A-Z]{3}$/;

export function isCurrencyCode(text: string): boolean {
  return CURRENCY_CODE.test(text);
}

/** Minor units per ISO 4217 currency (USD 2, JPY 0, KWD 3), from the runtime's ICU data. */
const digitsCache = new Map<string, number>();

export function minorUnitDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}
