/** The liability forecast's rows (docs/report.md#liability-forecast): probability read, weighted once per row. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZERO, decimal, formatDecimal } from '../../src/domain/decimal.js';
import { EstimateTrace, type Estimate } from '../../src/domain/estimate.js';
import { forecast, readProbability, weighted } from '../../src/domain/forecast.js';
import { deal } from './builders.js';

/** An estimate whose lines change as `changes` say (several components may change in one period). */
function estimateOf(
  dealId: string,
  changes: { period: string; component: string; change: string }[],
  currency = 'USD',
): Estimate {
  const amount = changes.reduce((s, c) => s + decimal(c.change), ZERO);
  const periods: Estimate['periods'] = [];
  for (const c of changes) {
    const same = periods.find((p) => p.period === c.period);
    if (same) same.change += decimal(c.change);
    else periods.push({ period: c.period, change: decimal(c.change) });
  }
  return {
    dealId,
    repId: 'r1',
    planId: 'ae',
    amount: formatDecimal(amount, 2),
    currency,
    closeDate: '2026-06-30',
    periods,
    trace: EstimateTrace.of({ deal: dealId, changes }),
  };
}

describe('readProbability', () => {
  it('reads a percent 0..100 as an exact fraction', () => {
    expect(readProbability('25')).toEqual({ probability: decimal('0.25') });
    expect(readProbability(' 12.5 ')).toEqual({ probability: decimal('0.125') });
    expect(readProbability(0)).toEqual({ probability: ZERO });
    expect(readProbability(100)).toEqual({ probability: decimal('1') });
    expect(readProbability('33.33333333')).toEqual({ probability: decimal('0.3333333333') });
  });

  it('says why a value cannot be used', () => {
    expect(readProbability(undefined)).toEqual({ reason: 'no probability' });
    expect(readProbability(null)).toEqual({ reason: 'no probability' });
    expect(readProbability('')).toEqual({ reason: 'no probability' });
    expect(readProbability('high')).toEqual({ reason: 'probability "high" is not a percent such as 25' });
    expect(readProbability('40%')).toEqual({ reason: 'probability "40%" is not a percent such as 25' });
    expect(readProbability(true)).toEqual({ reason: 'probability true is not a percent such as 25' });
    expect(readProbability('-5')).toEqual({ reason: 'probability -5 is outside 0 to 100 (percent)' });
    expect(readProbability('100.5')).toEqual({ reason: 'probability 100.5 is outside 0 to 100 (percent)' });
    expect(readProbability('0.123456789')).toEqual({ reason: 'probability 0.123456789 has more than 8 decimals' });
  });

  it('reads a fraction 0..1 (HubSpot’s hs_deal_stage_probability) when told so', () => {
    expect(readProbability('0.2', 'fraction')).toEqual({ probability: decimal('0.2') });
    expect(readProbability(1, 'fraction')).toEqual({ probability: decimal('1') });
    expect(readProbability('0.1234567891', 'fraction')).toEqual({ probability: decimal('0.1234567891') });
    expect(readProbability('20', 'fraction')).toEqual({ reason: 'probability 20 is outside 0 to 1 (fraction)' });
    expect(readProbability('x', 'fraction')).toEqual({ reason: 'probability "x" is not a fraction such as 0.25' });
  });
});

describe('weighted', () => {
  it('rounds once, half-even, to the minor unit', () => {
    const at = (commission: string, probability: string, digits = 2) =>
      formatDecimal(weighted(decimal(commission), decimal(probability), digits), digits);
    expect(at('0.05', '0.5')).toBe('0.02');
    expect(at('0.15', '0.5')).toBe('0.08');
    expect(at('-0.05', '0.5')).toBe('-0.02');
    // A tie only past the 10th decimal is no tie: one rounding, of the exact product.
    expect(at('0.01', '0.5000000001')).toBe('0.01');
    expect(at('1375.00', '0.4')).toBe('550.00');
    expect(at('125', '0.5', 0)).toBe('62');
    expect(at('1.005', '1', 3)).toBe('1.005');
  });
});

describe('forecast', () => {
  it('one row per estimate and payout period, weighted by the deal’s probability', () => {
    const d1 = deal({
      ownerId: 'r1',
      amount: '10000',
      closeDate: '2026-06-30',
      stage: 'open',
      fields: { probability: '40' },
    });
    const d2 = deal({ ownerId: 'r1', amount: '10000', closeDate: '2026-06-30', stage: 'open' });
    const d3 = deal({
      ownerId: 'r1',
      amount: '10000',
      closeDate: '2026-06-30',
      stage: 'open',
      fields: { probability: 'x' },
    });
    const rows = forecast(
      [
        estimateOf(d1.id, [
          { period: '2026-06', component: 'commission', change: '100.01' },
          { period: '2026-06', component: 'bonus', change: '50.00' },
          { period: '2026-Q2', component: 'accelerator', change: '12.34' },
        ]),
        estimateOf(d2.id, [{ period: '2026-06', component: 'commission', change: '10.00' }]),
        estimateOf(d3.id, [{ period: '2026-06', component: 'commission', change: '10.00' }]),
      ],
      [d1, d2, d3],
    );
    // Another field, as a fraction: the same weights.
    const fractions = [d1, d2, d3].map((d) => ({
      ...d,
      fields: { hs_deal_stage_probability: d === d1 ? '0.4' : null },
    }));
    expect(
      forecast([estimateOf(d1.id, [{ period: '2026-06', component: 'commission', change: '150.01' }])], fractions, {
        field: 'hs_deal_stage_probability',
        unit: 'fraction',
      }),
    ).toEqual([
      {
        dealId: d1.id,
        repId: 'r1',
        planId: 'ae',
        period: '2026-06',
        currency: 'USD',
        commission: '150.01',
        probability: '0.4',
        expected: '60.00',
      },
    ]);
    expect(rows).toEqual([
      {
        dealId: d1.id,
        repId: 'r1',
        planId: 'ae',
        period: '2026-06',
        currency: 'USD',
        commission: '150.01',
        probability: '0.4',
        expected: '60.00',
      },
      {
        dealId: d1.id,
        repId: 'r1',
        planId: 'ae',
        period: '2026-Q2',
        currency: 'USD',
        commission: '12.34',
        probability: '0.4',
        expected: '4.94',
      },
      {
        dealId: d2.id,
        repId: 'r1',
        planId: 'ae',
        period: '2026-06',
        currency: 'USD',
        commission: '10.00',
        reason: 'no probability',
      },
      {
        dealId: d3.id,
        repId: 'r1',
        planId: 'ae',
        period: '2026-06',
        currency: 'USD',
        commission: '10.00',
        reason: 'probability "x" is not a percent such as 25',
      },
    ]);
  });

  it('property: an estimate’s rows sum to its amount; each expected is within a half cent of commission × probability', () => {
    const cents = fc.integer({ min: -1_000_000, max: 1_000_000 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ month: fc.integer({ min: 1, max: 3 }), cents, bonus: fc.boolean() }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 10_000 }),
        (changes, basisPoints) => {
          const probability = formatDecimal(BigInt(basisPoints) * 10n ** 8n);
          const d = deal({
            ownerId: 'r1',
            amount: '1',
            closeDate: '2026-03-31',
            stage: 'open',
            fields: { probability },
          });
          const e = estimateOf(
            d.id,
            changes.map((c) => ({
              period: `2026-0${c.month}`,
              component: c.bonus ? 'bonus' : 'commission',
              change: formatDecimal(BigInt(c.cents) * 10n ** 8n, 2),
            })),
          );
          const rows = forecast([e], [d]);
          expect(
            formatDecimal(
              rows.reduce((s, r) => s + decimal(r.commission), ZERO),
              2,
            ),
          ).toBe(e.amount);
          for (const r of rows) {
            // exact = commission × percent ÷ 100; |expected − exact| ≤ half a cent.
            const exact = decimal(r.commission) * BigInt(basisPoints) * 10n ** 8n;
            const off = decimal(r.expected!) * 10n ** 12n - exact;
            expect((off < 0n ? -off : off) * 2n <= 10n ** 8n * 10n ** 12n).toBe(true);
          }
        },
      ),
    );
  });
});
