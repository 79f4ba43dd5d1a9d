/**
 * Commission accounting (docs/accounting.md): allocation by largest remainder, straight-line
 * schedules that sum exactly, the worked example of the docs by hand, rejects, clawbacks, and
 * journal entries that balance (fast-check on generated books).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocateByWeight,
  amortizedThrough,
  bookCommissions,
  contractSchedule,
  journalEntries,
  remainingAt,
  straightLineSchedule,
  type AccountingDeal,
  type AccountingLine,
  type AccountingPolicy,
  type JournalEntry,
  type LedgerAccounts,
} from '../../src/domain/accounting.js';
import { fromInteger } from '../../src/domain/decimal.js';
import { FiscalCalendar, monthOfDate } from '../../src/domain/periods.js';

const calendar = new FiscalCalendar(1);
const policy: AccountingPolicy = {
  termField: 'contractTermMonths',
  capitalizeAboveMonths: 12,
  start: { field: 'closeDate' },
};
const accounts: LedgerAccounts = {
  deferredCommissions: '1450 Deferred commissions',
  commissionsPayable: '2150 Commissions payable',
  commissionExpense: '6150 Commission expense',
};
const month = (label: string) => monthOfDate(`${label}-01`);

function deal(id: string, term: string | number | undefined, closeDate = '2026-01-20'): AccountingDeal {
  return { id, name: `Deal ${id}`, closeDate, fields: term === undefined ? {} : { contractTermMonths: term } };
}

function line(
  period: string,
  amount: string,
  trace: Record<string, unknown>,
  component = 'commission',
): AccountingLine {
  return { repId: 'west-01', planId: 'ae-2026', period, component, amount, currency: 'USD', trace };
}

/** The debits and credits of one entry, as a GL would read them (minor units). */
const sides = (entry: JournalEntry) => ({
  debit: entry.lines.reduce((s, l) => s + (l.amount > 0n ? l.amount : 0n), 0n),
  credit: entry.lines.reduce((s, l) => s + (l.amount < 0n ? -l.amount : 0n), 0n),
});

describe('allocation (largest remainder)', () => {
  it('gives the cent left over to the largest remainder, the earlier share on a tie', () => {
    expect(allocateByWeight(100000n, [fromInteger(30000), fromInteger(30000), fromInteger(30000)])).toEqual([
      33334n,
      33333n,
      33333n,
    ]);
    // 10.00 by 1:2 → 3.333… and 6.666…: the second has the larger remainder.
    expect(allocateByWeight(1000n, [fromInteger(1), fromInteger(2)])).toEqual([333n, 667n]);
    expect(allocateByWeight(-1000n, [fromInteger(1), fromInteger(2)])).toEqual([-333n, -667n]);
    // No usable weights: equal shares.
    expect(allocateByWeight(101n, [0n, 0n])).toEqual([51n, 50n]);
  });

  it('weighs a per-deal line by what each deal pays, a rate table’s by credit', () => {
    const perDeal = {
      deals: [
        { deal: 'D-1121', pays: '400', credit: '8000.92' },
        { deal: 'D-1350', pays: '400', credit: '8850.138' },
      ],
    };
    const deals = new Map([
      ['D-1121', deal('D-1121', 24)],
      ['D-1350', deal('D-1350', 36)],
    ]);
    const book = bookCommissions([line('2026-07', '800.00', perDeal, 'multi-year')], deals, policy, calendar);
    expect(book.costs.map((c) => [c.dealId, c.amount])).toEqual([
      ['D-1121', 40000n],
      ['D-1350', 40000n],
    ]);
    const byCredit = { deals: perDeal.deals.map(({ deal, credit }) => ({ deal, credit })) };
    const split = bookCommissions([line('2026-07', '800.00', byCredit)], deals, policy, calendar);
    // 800 × 8000.92 ÷ 16851.058 = 379.84…, 800 × 8850.138 ÷ 16851.058 = 420.15…: the larger remainder gets the cent.
    expect(split.costs.map((c) => [c.dealId, c.amount])).toEqual([
      ['D-1121', 37984n],
      ['D-1350', 42016n],
    ]);
  });

  it('sums exactly to the amount, each share within one cent of its exact proportion', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -10_000_000_000n, max: 10_000_000_000n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 18n }), { minLength: 1, maxLength: 12 }),
        (amount, weights) => {
          const shares = allocateByWeight(amount, weights);
          expect(shares.reduce((a, b) => a + b, 0n)).toBe(amount);
          // No weight at all: equal shares (checked above by example).
          const total = weights.reduce((a, b) => a + b, 0n);
          if (total === 0n) return;
          shares.forEach((share, i) => {
            // |share − amount·w/total| < 1  ⇔  |share·total − amount·w| < total
            const off = share * total - amount * weights[i]!;
            expect(off < 0n ? -off : off).toBeLessThan(total);
          });
        },
      ),
    );
  });
});

describe('straight-line schedules', () => {
  it('round cumulatively: 333.34 over 36 months is 9.26 or 9.25 a month, summing to 333.34', () => {
    const schedule = straightLineSchedule(33334n, 36);
    expect(schedule.slice(0, 3)).toEqual([926n, 926n, 926n]);
    expect(new Set(schedule)).toEqual(new Set([926n, 925n]));
    expect(schedule.reduce((a, b) => a + b, 0n)).toBe(33334n);
  });

  it('sum exactly to the capitalised amount, each month within a cent of amount ÷ term', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }),
        fc.integer({ min: 1, max: 240 }),
        (amount, term) => {
          const schedule = straightLineSchedule(amount, term);
          expect(schedule).toHaveLength(term);
          expect(schedule.reduce((a, b) => a + b, 0n)).toBe(amount);
          for (const monthly of schedule) {
            const off = monthly * BigInt(term) - amount;
            expect(off < 0n ? -off : off).toBeLessThan(BigInt(term));
          }
        },
      ),
    );
  });

  it('sum per contract to its capitalised amount over tranches incurred in different months', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.bigInt({ min: 1n, max: 10n ** 9n })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 13, max: 60 }),
        fc.integer({ min: 0, max: 12 }),
        (tranches, term, startOffset) => {
          const start = month('2026-01') + startOffset;
          const contract = {
            repId: 'r',
            dealId: 'd',
            currency: 'USD',
            termMonths: term,
            startMonth: start,
            tranches: tranches.map(([offset, amount]) => ({ month: month('2026-01') + offset, amount })),
          };
          const capitalized = contract.tranches.reduce((s, t) => s + t.amount, 0n);
          const schedule = contractSchedule(contract);
          expect(schedule.reduce((s, r) => s + r.amount, 0n)).toBe(capitalized);
          const end = Math.max(start + term, ...contract.tranches.map((t) => t.month + 1));
          expect(remainingAt(contract, end)).toBe(0n);
        },
      ),
    );
  });
});

describe('the worked example of docs/accounting.md', () => {
  // January: a 1,000.00 commission line on three deals credited 30,000.00 each.
  const january = line('2026-01', '1000.00', {
    deals: [
      { deal: 'D-1', credit: '30000.00' },
      { deal: 'D-2', credit: '30000.00' },
      { deal: 'D-3', credit: '30000.00' },
    ],
  });
  // March: D-1 is lost inside the clawback window after January was paid: 333.34 recovered.
  const march = line(
    '2026-03',
    '-333.34',
    { reason: 'inputs of locked periods changed', clawedBack: ['D-1'], added: [] },
    'adjustment',
  );
  const deals = new Map([
    ['D-1', deal('D-1', '36')],
    ['D-2', deal('D-2', 24)],
    ['D-3', deal('D-3', '12')],
  ]);
  const book = bookCommissions([january, march], deals, policy, calendar);

  it('capitalises the 36- and 24-month deals and expenses the 12-month one', () => {
    expect(book.costs.map((c) => [c.dealId, c.amount, c.treatment])).toEqual([
      ['D-1', 33334n, 'capitalize'],
      ['D-2', 33333n, 'capitalize'],
      ['D-3', 33333n, 'expense'],
    ]);
    expect(book.costs[2]!.reason).toBe('term of 12 months is 12 or less (practical expedient)');
    expect(book.rejects).toEqual([]);
  });

  it('books January: capitalise 666.67, expense 333.33, amortise 9.26 + 13.89', () => {
    const entries = journalEntries(book, [month('2026-01')], accounts, calendar);
    expect(entries.map((e) => e.id)).toEqual(['2026-01-capitalize-USD', '2026-01-amortize-USD', '2026-01-expense-USD']);
    const [capitalize, amortize, expense] = entries;
    expect(capitalize!.lines.map((l) => [l.account, l.dealId, l.amount])).toEqual([
      ['1450 Deferred commissions', 'D-1', 33334n],
      ['1450 Deferred commissions', 'D-2', 33333n],
      ['2150 Commissions payable', '', -66667n],
    ]);
    // 333.34 ÷ 36 = 9.2594… → 9.26; 333.33 ÷ 24 = 13.88875 → 13.89 (half-even, to the cent).
    expect(amortize!.lines.map((l) => [l.account, l.dealId, l.amount])).toEqual([
      ['6150 Commission expense', 'D-1', 926n],
      ['6150 Commission expense', 'D-2', 1389n],
      ['1450 Deferred commissions', '', -2315n],
    ]);
    expect(expense!.lines.map((l) => [l.account, l.dealId, l.amount])).toEqual([
      ['6150 Commission expense', 'D-3', 33333n],
      ['2150 Commissions payable', '', -33333n],
    ]);
    expect(entries.map(sides)).toEqual([
      { debit: 66667n, credit: 66667n },
      { debit: 2315n, credit: 2315n },
      { debit: 33333n, credit: 33333n },
    ]);
  });

  it('reverses D-1’s unamortised 314.82 in March: 333.34 recovered, 18.52 of expense reversed', () => {
    const [amortize, clawback] = journalEntries(book, [month('2026-03')], accounts, calendar);
    // Only D-2 amortises in March: 333.33 × 3/24 − 333.33 × 2/24 = 41.67 − 27.78.
    expect(amortize!.lines.map((l) => [l.dealId, l.amount])).toEqual([
      ['D-2', 1389n],
      ['', -1389n],
    ]);
    expect(clawback!.id).toBe('2026-03-clawback-USD');
    expect(clawback!.lines.map((l) => [l.account, l.dealId, l.amount])).toEqual([
      ['2150 Commissions payable', 'D-1', 33334n],
      ['1450 Deferred commissions', 'D-1', -31482n],
      ['6150 Commission expense', 'D-1', -1852n],
    ]);
    expect(sides(clawback!)).toEqual({ debit: 33334n, credit: 33334n });
    const d1 = book.contracts.find((c) => c.dealId === 'D-1')!;
    expect(amortizedThrough(d1, month('2026-12'))).toBe(1852n);
    expect(remainingAt(d1, month('2026-03'))).toBe(0n);
    expect(book.clawbacks).toEqual([
      {
        repId: 'west-01',
        dealId: 'D-1',
        currency: 'USD',
        month: month('2026-03'),
        recovered: 33334n,
        unamortized: 31482n,
      },
    ]);
  });
});

describe('rejects for accounting', () => {
  it('expenses the commission of a deal whose term is missing or not a positive whole number, saying why', () => {
    const deals = new Map([
      ['A', deal('A', undefined)],
      ['B', deal('B', '0')],
      ['C', deal('C', 'two years')],
      ['D', deal('D', -24)],
      ['F', deal('F', '36500')],
    ]);
    const trace = { deals: ['A', 'B', 'C', 'D', 'E', 'F'].map((id) => ({ deal: id, credit: '100' })) };
    const book = bookCommissions([line('2026-02', '50.00', trace)], deals, policy, calendar);
    expect(book.contracts).toEqual([]);
    expect(book.costs.every((c) => c.treatment === 'expense' && c.reason.startsWith('rejected for accounting: '))).toBe(
      true,
    );
    expect(book.rejects).toEqual([
      { dealId: 'A', reason: 'contractTermMonths is missing: the contract term is needed to capitalise' },
      { dealId: 'B', reason: 'contractTermMonths "0" is not a positive whole number of months' },
      { dealId: 'C', reason: 'contractTermMonths "two years" is not a positive whole number of months' },
      { dealId: 'D', reason: 'contractTermMonths -24 is not a positive whole number of months' },
      { dealId: 'E', reason: 'the deal is not among the synced deals' },
      { dealId: 'F', reason: 'contractTermMonths "36500" is more than 1200 months (100 years)' },
    ]);
  });

  it('starts amortisation at a field when told, and rejects a deal without it', () => {
    const start: AccountingPolicy = { ...policy, start: { field: 'serviceStart' } };
    const deals = new Map([
      ['A', { ...deal('A', 24), fields: { contractTermMonths: 24, serviceStart: '2026-04-01' } }],
      ['B', deal('B', 24)],
    ]);
    const trace = {
      deals: [
        { deal: 'A', credit: '1' },
        { deal: 'B', credit: '1' },
      ],
    };
    const book = bookCommissions([line('2026-01', '48.00', trace)], deals, start, calendar);
    expect(book.contracts.map((c) => [c.dealId, c.startMonth])).toEqual([['A', month('2026-04')]]);
    expect(book.rejects).toEqual([
      { dealId: 'B', reason: 'serviceStart is missing: the amortisation start is needed to capitalise' },
    ]);
    // Nothing amortises before April; 24.00 over 24 months is 1.00 a month from then on.
    expect(amortizedThrough(book.contracts[0]!, month('2026-03'))).toBe(0n);
    expect(amortizedThrough(book.contracts[0]!, month('2026-04'))).toBe(100n);
  });
});

describe('journal entries', () => {
  const dealIds = ['D-1', 'D-2', 'D-3', 'D-4'];
  const arbitraryLine = fc.record({
    month: fc.integer({ min: 1, max: 12 }),
    rep: fc.constantFrom('r1', 'r2'),
    cents: fc.integer({ min: -50_000, max: 5_000_000 }),
    kind: fc.constantFrom('deals', 'bonus', 'clawback'),
    deals: fc.subarray(dealIds, { minLength: 1 }),
    credits: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 4, maxLength: 4 }),
  });

  it('balance to the cent; payable carries every line and deferred ends at zero', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryLine, { maxLength: 25 }),
        fc.array(fc.constantFrom(undefined, 0, 6, 12, 13, 24, 36), { minLength: 4, maxLength: 4 }),
        (generated, terms) => {
          const deals = new Map(dealIds.map((id, i) => [id, deal(id, terms[i], '2026-02-10')]));
          const lines = generated.map((g): AccountingLine => {
            const period = `2026-${String(g.month).padStart(2, '0')}`;
            const amount = (g.cents / 100).toFixed(2);
            const base = { repId: g.rep, planId: 'p', period, currency: 'USD', amount };
            if (g.kind === 'bonus') return { ...base, component: 'bonus', trace: {} };
            if (g.kind === 'clawback')
              return {
                ...base,
                amount: (-Math.abs(g.cents) / 100).toFixed(2),
                component: 'adjustment',
                trace: { clawedBack: g.deals },
              };
            return {
              ...base,
              component: 'commission',
              trace: { deals: g.deals.map((id, i) => ({ deal: id, credit: String(g.credits[i]) })) },
            };
          });
          const book = bookCommissions(lines, deals, policy, calendar);
          const months = Array.from({ length: 60 }, (_, i) => month('2026-01') + i);
          const entries = journalEntries(book, months, accounts, calendar);
          const byAccount = new Map<string, bigint>();
          for (const entry of entries) {
            const { debit, credit } = sides(entry);
            expect(debit).toBe(credit);
            for (const l of entry.lines) byAccount.set(l.account, (byAccount.get(l.account) ?? 0n) + l.amount);
          }
          const paid = lines.reduce((s, l) => s + BigInt(Math.round(Number(l.amount) * 100)), 0n);
          expect(-(byAccount.get(accounts.commissionsPayable) ?? 0n)).toBe(paid);
          expect(byAccount.get(accounts.deferredCommissions) ?? 0n).toBe(0n);
          expect(byAccount.get(accounts.commissionExpense) ?? 0n).toBe(paid);
        },
      ),
    );
  });
});
