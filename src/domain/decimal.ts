/**
 * Exact decimal arithmetic on fixed-point bigints.
 *
 * A `Decimal` is a bigint counting units of 10^-10. Sums and differences are exact. A product or
 * quotient is rounded half-even to 10 decimal places: far below any currency's minor unit, so the
 * only rounding a person ever sees is the one per payout line (docs/plans.md). Money never
 * touches a binary float.
 */
export type Decimal = bigint;

export const SCALE_DIGITS = 10;
export const ONE: Decimal = 10n ** BigInt(SCALE_DIGITS);
export const ZERO: Decimal = 0n;
const HUNDRED: Decimal = 100n * ONE;

const DECIMAL_PATTERN = /^([+-]?)(\d+)(?:\.(\d*))?$/;
const DECIMAL_PATTERN_LEADING_DOT = /^([+-]?)()\.(\d+)$/;

/** 10^k for k = 0 … SCALE_DIGITS. */
const POWERS: readonly Decimal[] = Array.from({ length: SCALE_DIGITS + 1 }, (_, k) => 10n ** BigInt(k));

/** Digits a double holds exactly, whatever they are: 15 (below 2^53). */
const EXACT_DIGITS = 15;

/**
 * `123456.78` → 1234567800 (units of 10^-4, an integer double) without a bigint: NaN for a sign,
 * more than four decimals or anything too large; the engine's amounts and split percents, and
 * normalize's percent checks, read most texts so, the rest with parseDecimal.
 */
export function fastUnits(text: string): number {
  let units = 0;
  let fraction = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fraction < 0) fraction = 0;
    else if (c >= 48 && c <= 57 && fraction < 4 && units < 1e14) {
      units = units * 10 + (c - 48);
      if (fraction >= 0) fraction++;
    } else return NaN;
  }
  for (let f = fraction < 0 ? 0 : fraction; f < 4; f++) units *= 10;
  return units;
}

/** Parses `1234.50`, `-3`, `.5`; returns undefined for anything else (no exponents, no separators). */
export function parseDecimal(text: string): Decimal | undefined {
  // Most amounts have at most 15 digits: read them into an exact double, without a regex or a
  // string per part (a million deals and every payout line are parsed); longer ones below.
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */) {
    negative = true;
    i = 1;
  } else if (first === 43 /* + */) i = 1;
  let units = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      units = units * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 /* . */ && fraction < 0) fraction = 0;
    else return undefined;
  }
  if (digits === 0 || fraction > SCALE_DIGITS) return undefined;
  if (digits > EXACT_DIGITS) return parseLongDecimal(text);
  const value = BigInt(units) * POWERS[SCALE_DIGITS - Math.max(fraction, 0)]!;
  return negative ? -value : value;
}

/** parseDecimal of text with more digits than a double holds exactly. */
function parseLongDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_PATTERN.exec(text) ?? DECIMAL_PATTERN_LEADING_DOT.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > SCALE_DIGITS) return undefined;
  const units = BigInt((whole || '0') + fraction.padEnd(SCALE_DIGITS, '0'));
  return sign === '-' ? -units : units;
}

export function decimal(text: string): Decimal {
  const value = parseDecimal(text);
  if (value === undefined) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  return value;
}

export function fromInteger(n: number | bigint): Decimal {
  return BigInt(n) * ONE;
}

/** n / d rounded half-even to an integer (d may be negative). */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  let q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice > d || (twice === d && q % 2n !== 0n)) q += r < 0n ? -1n : 1n;
  return q;
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return divideHalfEven(a * b, ONE);
}

export function div(a: Decimal, b: Decimal): Decimal {
  if (b === 0n) throw new RangeError('division by zero');
  return divideHalfEven(a * ONE, b);
}

/** a × b ÷ c with a single rounding. */
export function mulDiv(a: Decimal, b: Decimal, c: Decimal): Decimal {
  if (c === 0n) throw new RangeError('division by zero');
  return divideHalfEven(a * b, c);
}

/** a × percent ÷ 100, for split percentages. */
export function percentOf(a: Decimal, percent: Decimal): Decimal {
  return divideHalfEven(a * percent, HUNDRED);
}

/** Rounds half-even to `digits` decimal places (the currency's minor unit); stays a Decimal. */
export function roundTo(a: Decimal, digits: number): Decimal {
  if (digits >= SCALE_DIGITS) return a;
  const unit = POWERS[SCALE_DIGITS - digits] ?? 10n ** BigInt(SCALE_DIGITS - digits);
  return divideHalfEven(a, unit) * unit;
}

export function min(a: Decimal, b: Decimal): Decimal {
  return a < b ? a : b;
}

export function max(a: Decimal, b: Decimal): Decimal {
  return a > b ? a : b;
}

/**
 * Formats with exactly `digits` decimals (rounding half-even first), or, without `digits`, with
 * the shortest exact representation (`150000`, `1.5`).
 */
export function formatDecimal(a: Decimal, digits?: number): string {
  const rounded = digits === undefined ? a : roundTo(a, digits);
  const negative = rounded < 0n;
  const text = (negative ? -rounded : rounded).toString().padStart(SCALE_DIGITS + 1, '0');
  const whole = text.slice(0, -SCALE_DIGITS);
  let end = text.length;
  if (digits === undefined) while (end > whole.length && text.charCodeAt(end - 1) === ZERO_CHAR) end--;
  else end = whole.length + digits;
  const body = end > whole.length ? `${whole}.${text.slice(whole.length, end)}` : whole;
  // Rounded first: a negative amount that rounds to zero (−0.004 to two digits) is not negative.
  return negative ? `-${body}` : body;
}

const ZERO_CHAR = 48;
