/**
 * zod schemas for YAML scalars. The failsafe schema hands every scalar over as its source text, so
 * these decide what the text means: an exact decimal, a whole number, `true`/`false`.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { CURRENCY_CODE } from '../src/domain/currency.js';
import { decimal, formatDecimal, ONE, parseDecimal, percentOf, SCALE_DIGITS } from '../src/domain/decimal.js';

/** A message for a value of the wrong kind; a missing value falls through to the plain `required`. */
const unlessMissing =
  (message: string) =>
  (issue: { input?: unknown }): string | undefined =>
    issue.input === undefined ? undefined : message;

export const text = z.string().min(1, 'must not be empty');

/** Letters, digits, `-` and `_`: safe inside job ids and CRM external ids. */
export const identifier = text.regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, - and _ only');

export const currencyCode = z
  .string()
  .regex(CURRENCY_CODE, 'expected a 3-letter currency code in capitals such as USD');

/** An exact decimal kept as written (`0.05` stays "0.05"), zero or more. */
export const nonNegativeDecimal = z.string({ error: unlessMissing('expected a number') }).superRefine((value, ctx) => {
  const parsed = parseDecimal(value);
  if (parsed === undefined) ctx.addIssue({ code: 'custom', message: notANumber(value) });
  else if (parsed < 0n) ctx.addIssue({ code: 'custom', message: 'must not be negative' });
});

function notANumber(value: string): string {
  if (/^[+-]?\d*\.\d+$/.test(value)) return `expected a number with at most ${SCALE_DIGITS} decimal places`;
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(value)?.[1];
  if (percent !== undefined && parseDecimal(percent) !== undefined) {
    return `expected a number: write ${value} as ${formatDecimal(percentOf(ONE, decimal(percent)))}`;
  }
  return 'expected a number';
}

export function wholeNumber(min = 0, max = Number.MAX_SAFE_INTEGER) {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? `expected a whole number, ${min} or more`
      : `expected a whole number from ${min} to ${max}`;
  return z
    .string({ error: unlessMissing(expected) })
    .refine((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max, expected)
    .transform(Number);
}

export const boolean = z
  .enum(['true', 'false'], { error: unlessMissing('expected true or false') })
  .transform((value) => value === 'true');

export const timeZone = text.refine(
  (zone) => IANAZone.isValidZone(zone),
  'expected an IANA time zone such as America/New_York or UTC',
);
