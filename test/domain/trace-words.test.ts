import { describe, expect, it } from 'vitest';
import { classifyTrace } from '../../src/domain/trace.js';
import { explainLine } from '../../src/domain/trace-words.js';

describe('a payout line in words', () => {
  it('says what this payout period’s deals pay, and the quota period’s earlier months apart', () => {
    // The second month of a quarter: one deal this month, two paid in the first (800.00).
    const trace = {
      measure: 'bookings',
      quotaPeriod: '2026-Q1',
      perDeal: '400',
      deals: [{ deal: 'D-3', closeDate: '2026-02-10', credit: '5000', pays: '400' }],
      dueToDate: '1200',
      paidEarlier: '800',
    };
    expect(explainLine(classifyTrace('multi-year spiff', trace))).toBe(
      '1 deal × 400.00 = 400.00 in 2026-Q1; due to date in 2026-Q1 1,200.00 less 800.00 paid earlier',
    );
  });
});
