import { describe, expect, it } from 'vitest';
import { readCsvSource } from '../../../connectors/csv/csv-source.js';
import { csv, expectCanonical, workspace } from './csv-workspace.js';

const UTC = { tz: 'UTC' };
const DEAL_HEADER = 'id,name,ownerId,amount,currency,closeDate,stage,type,lastModified,deleted';

/** Reads a workspace whose deals.csv holds `rows` under the full header. */
async function readDeals(rows: string[]) {
  const result = await readCsvSource(await workspace({ 'deals.csv': csv([DEAL_HEADER, ...rows]) }), UTC);
  expectCanonical(result);
  return result;
}

describe('rejected deals', () => {
  it.each([
    ['d1,A,r1,"12,5",USD,2026-01-15,won,,,', 'amount "12,5" is not a decimal number (use a dot: 1234.50)'],
    [
      'd1,A,r1,"1,234.50",USD,2026-01-15,won,,,',
      'amount "1,234.50" is not a decimal number (no thousands separators: 1234.50)',
    ],
    ['d1,A,r1,$100,USD,2026-01-15,won,,,', 'amount "$100" is not a decimal number (write it plain, like 1234.50)'],
    ['d1,A,r1,1e5,USD,2026-01-15,won,,,', 'amount "1e5" is not a decimal number (write it plain, like 1234.50)'],
    [
      'd1,A,r1,0.12345678901,USD,2026-01-15,won,,,',
      'amount "0.12345678901" is not a decimal number (at most 10 decimal places)',
    ],
    ['d1,A,r1,,USD,2026-01-15,won,,,', 'missing amount'],
    ['d1,A\u0000B,r1,1,USD,2026-01-15,won,,,', 'name holds a NUL character (U+0000), which cannot be stored'],
    ['d1,A,r1,1,USD,2026-01-15,won,\u0000,,', 'type holds a NUL character (U+0000), which cannot be stored'],
    ['d1,A,r1,1,US,2026-01-15,won,,,', 'currency "US" is not a 3-letter currency code such as USD'],
    ['d1,A,r1,1,,2026-01-15,won,,,', 'missing currency'],
    ['d1,A,r1,1,USD,2026-13-01,won,,,', 'closeDate "2026-13-01" is not a date (YYYY-MM-DD)'],
    ['d1,A,r1,1,USD,2026-02-29,won,,,', 'closeDate "2026-02-29" is not a date (YYYY-MM-DD)'],
    ['d1,A,r1,1,USD,03/31/2026,won,,,', 'closeDate "03/31/2026" is not a date (YYYY-MM-DD)'],
    ['d1,A,r1,1,USD,2026-03-31T25:00:00Z,won,,,', 'closeDate "2026-03-31T25:00:00Z" is not a date (YYYY-MM-DD)'],
    ['d1,A,r1,1,USD,0226-03-31,won,,,', 'closeDate "0226-03-31" is not a date (YYYY-MM-DD)'],
    ['d1,A,r1,1,USD,,won,,,', 'missing closeDate'],
    ['d1,A,r1,1,USD,2026-01-15,closed,,,', 'stage "closed" must be open, won or lost'],
    ['d1,A,r1,1,USD,2026-01-15,,,,', 'missing stage'],
    ['d1,A,,1,USD,2026-01-15,won,,,', 'missing ownerId'],
    ['d1,A,  ,1,USD,2026-01-15,won,,,', 'missing ownerId'],
    [
      'd1,A,r1,1,USD,2026-01-15,won,,yesterday,',
      'lastModified "yesterday" is not an ISO 8601 timestamp (2026-03-31T23:30:00Z) or date',
    ],
    ['d1,A,r1,1,USD,2026-01-15,won,,,yes', 'deleted "yes" must be true or false'],
    ['d1,A,r1,1,USD,2026-01-15,won', 'row has 7 fields, header has 10'],
    ['d1,A,r1,1,USD,2026-01-15,won,,,,extra', 'row has 11 fields, header has 10'],
  ])('%s: %s', async (row, reason) => {
    const { data, rejects } = await readDeals([row]);
    expect(data.deals).toEqual([]);
    expect(rejects).toEqual([{ source: 'deals.csv:2', recordId: 'd1', reason }]);
  });

  it('lists every problem of a row in one reject', async () => {
    const { rejects } = await readDeals(['d1,A,,12.5.0,USD,2026-02-30,won,,,']);
    expect(rejects).toEqual([
      {
        source: 'deals.csv:2',
        recordId: 'd1',
        reason:
          'missing ownerId; amount "12.5.0" is not a decimal number (write it plain, like 1234.50); ' +
          'closeDate "2026-02-30" is not a date (YYYY-MM-DD)',
      },
    ]);
  });

  it('names the line when the row has no id', async () => {
    const { rejects } = await readDeals(['d1,A,r1,1,USD,2026-01-15,won,,,', ',B,r1,1,USD,2026-01-15,won,,,']);
    expect(rejects).toEqual([{ source: 'deals.csv:3', recordId: 'line 3', reason: 'missing id' }]);
  });

  it('keeps the first of two deals with one id and rejects the second', async () => {
    const { data, rejects, locate } = await readDeals([
      'd1,A,r1,1,USD,2026-01-15,won,,,',
      'd2,B,r1,1,USD,2026-01-15,won,,,',
      'd3,C,r1,1,USD,2026-01-15,won,,,',
      'd17,First,r1,1,USD,2026-01-15,won,,,',
      ' d17 ,Second,r1,1,USD,2026-01-15,won,,,',
      'd17,Third,r1,x,USD,2026-01-15,won,,,',
    ]);
    expect(data.deals.map((d) => d.name)).toEqual(['A', 'B', 'C', 'First']);
    expect(locate(data.deals[3] as object)).toBe('deals.csv:5');
    expect(rejects).toEqual([
      { source: 'deals.csv:6', recordId: 'd17', reason: 'duplicate deal id d17 (first on line 5)' },
      {
        source: 'deals.csv:7',
        recordId: 'd17',
        reason:
          'duplicate deal id d17 (first on line 5); amount "x" is not a decimal number (write it plain, like 1234.50)',
      },
    ]);
  });

  it('counts a rejected row as the first of its id', async () => {
    const { data, rejects } = await readDeals(['d1,A,r1,bad,USD,2026-01-15,won,,,', 'd1,A,r1,1,USD,2026-01-15,won,,,']);
    expect(data.deals).toEqual([]);
    expect(rejects.map((r) => r.reason)).toEqual([
      'amount "bad" is not a decimal number (write it plain, like 1234.50)',
      'duplicate deal id d1 (first on line 2)',
    ]);
  });

  it('treats ids as case-sensitive, as Salesforce ids are', async () => {
    const { data, rejects } = await readDeals([
      '006Ab,A,r1,1,USD,2026-01-15,won,,,',
      '006AB,B,r1,1,USD,2026-01-15,won,,,',
    ]);
    expect(rejects).toEqual([]);
    expect(data.deals).toHaveLength(2);
  });

  it('points at a row whose quote runs over several lines', async () => {
    const { data, rejects } = await readDeals([
      'd1,"A,r1,1,USD,2026-01-15,won,,,',
      'd2,B",r1,1,USD,2026-01-15,won',
      'd3,C,r1,1,USD,2026-01-15,won,,,',
    ]);
    expect(data.deals.map((d) => d.id)).toEqual(['d3']);
    expect(rejects).toEqual([
      {
        source: 'deals.csv:2',
        recordId: 'd1',
        reason: 'row has 7 fields, header has 10 (it runs from line 2 to line 3: check its quotes)',
      },
    ]);
  });

  it('rejects exactly the 1,000 malformed rows among 3,000 and keeps every good one', async () => {
    const faults = [
      (i: number) => `d${i},Deal ${i},r1,${i}.5O,USD,2026-01-15,won,,,`,
      (i: number) => `d${i},Deal ${i},r1,${i},USD,2026-01-32,won,,,`,
      (i: number) => `d${i},Deal ${i},r1,${i},USD,2026-01-15,booked,,,`,
      (i: number) => `d${i},Deal ${i},,${i},USD,2026-01-15,won,,,`,
      (i: number) => `d${i},"Deal, ${i}",r1,${i},USD,2026-01-15,won`,
      (i: number) => `d${i},Deal ${i},r1,${i},USD,2026-01-15,won,,,maybe`,
    ];
    const rows: string[] = [];
    const bad = new Set<string>();
    for (let i = 1; i <= 3000; i++) {
      if (i % 3 === 0) {
        rows.push((faults[(i / 3) % faults.length] as (i: number) => string)(i));
        bad.add(`d${i}`);
      } else {
        rows.push(
          `d${i},"Deal ""${i}""",r${i % 7},${i}.25,EUR,2026-${String((i % 12) + 1).padStart(2, '0')}-15,won,New Business,,false`,
        );
      }
    }

    const { data, rejects, locate } = await readDeals(rows);

    // Row i is on line i + 1.
    const lineOf = (id: string) => `deals.csv:${Number(id.slice(1)) + 1}`;
    expect(rejects).toHaveLength(1000);
    expect(rejects.map((r) => [r.recordId, r.source])).toEqual([...bad].map((id) => [id, lineOf(id)]));
    expect(data.deals).toHaveLength(2000);
    expect(data.deals.filter((d) => bad.has(d.id))).toEqual([]);
    expect(data.deals.filter((d) => locate(d) !== lineOf(d.id))).toEqual([]);
  });
});

describe('rejected rows of the other files', () => {
  it('rejects reps it cannot use', async () => {
    const dir = await workspace({
      'reps.csv': csv([
        'id,name,email,managerId,active,hireDate,endDate',
        'r1,Ann,a@example.com,,maybe,,',
        'r2,Bo,b@example.com,,,2026-01-01,2025-01-01',
        'r3,Cy,c@example.com,,,2026-01-01,',
        'r3,Cy again,c@example.com,,,,',
        ',Nobody,n@example.com,,,,',
        'r5,Di,d@example.com,,,01.02.2026,',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.reps.map((r) => r.id)).toEqual(['r3']);
    expect(result.rejects).toEqual([
      { source: 'reps.csv:2', recordId: 'r1', reason: 'active "maybe" must be true or false' },
      { source: 'reps.csv:3', recordId: 'r2', reason: 'endDate 2025-01-01 is before hireDate 2026-01-01' },
      { source: 'reps.csv:5', recordId: 'r3', reason: 'duplicate rep id r3 (first on line 4)' },
      { source: 'reps.csv:6', recordId: 'line 6', reason: 'missing id' },
      { source: 'reps.csv:7', recordId: 'r5', reason: 'hireDate "01.02.2026" is not a date (YYYY-MM-DD)' },
    ]);
  });

  it('rejects splits it cannot use', async () => {
    const dir = await workspace({
      'splits.csv': csv([
        'dealId,repId,percent,kind',
        'd1,r1,150,revenue',
        'd1,r2,-1,revenue',
        'd1,r3,50,primary',
        'd1,r4,50%,revenue',
        'd2,r1,60,revenue',
        'd2,r1,40,Revenue',
        'd2,r1,10,overlay',
        ',r1,10,overlay',
        'd3,,10,',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.splits).toEqual([
      { dealId: 'd2', repId: 'r1', percent: '60', kind: 'revenue' },
      { dealId: 'd2', repId: 'r1', percent: '10', kind: 'overlay' },
    ]);
    expect(result.rejects).toEqual([
      { source: 'splits.csv:2', recordId: 'd1/r1', reason: 'percent "150" must be between 0 and 100' },
      { source: 'splits.csv:3', recordId: 'd1/r2', reason: 'percent "-1" must be between 0 and 100' },
      { source: 'splits.csv:4', recordId: 'd1/r3', reason: 'kind "primary" must be revenue or overlay' },
      {
        source: 'splits.csv:5',
        recordId: 'd1/r4',
        reason: 'percent "50%" is not a decimal number (write it plain, like 1234.50)',
      },
      {
        source: 'splits.csv:7',
        recordId: 'd2/r1',
        reason: 'duplicate revenue split of deal d2 to rep r1 (first on line 6)',
      },
      { source: 'splits.csv:9', recordId: 'line 9', reason: 'missing dealId' },
      { source: 'splits.csv:10', recordId: 'line 10', reason: 'missing repId; missing kind' },
    ]);
  });

  it('rejects quotas it cannot use', async () => {
    const dir = await workspace({
      'quotas.csv': csv([
        'repId,period,amount',
        'r1,Q1 2026,100',
        'r1,2026-Q5,100',
        'r1,2026-13,100',
        'r1,2026-Q1,-5',
        'r1,2026-Q2,100',
        'r1,2026-q2,200',
        'r1,2026-Q3,',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.quotas).toEqual([{ repId: 'r1', period: '2026-Q2', amount: '100' }]);
    expect(result.rejects).toEqual([
      {
        source: 'quotas.csv:2',
        recordId: 'r1/Q1 2026',
        reason: 'period "Q1 2026" is not a period (2026, 2026-Q1 or 2026-01)',
      },
      {
        source: 'quotas.csv:3',
        recordId: 'r1/2026-Q5',
        reason: 'period "2026-Q5" is not a period (2026, 2026-Q1 or 2026-01)',
      },
      {
        source: 'quotas.csv:4',
        recordId: 'r1/2026-13',
        reason: 'period "2026-13" is not a period (2026, 2026-Q1 or 2026-01)',
      },
      { source: 'quotas.csv:5', recordId: 'r1/2026-Q1', reason: 'amount "-5" must not be negative' },
      {
        source: 'quotas.csv:7',
        recordId: 'r1/2026-q2',
        reason: 'duplicate quota for rep r1 in 2026-Q2 (first on line 6)',
      },
      { source: 'quotas.csv:8', recordId: 'r1/2026-Q3', reason: 'missing amount' },
    ]);
  });

  it('rejects assignments it cannot use', async () => {
    const dir = await workspace({
      'assignments.csv': csv([
        'repId,planId,from,to',
        'r1,ae,2026-03-01,2026-01-01',
        'r1,,2026-01-01,',
        'r2,ae,2026-01-01,',
        'r2,ae,2026-01-01T10:00:00Z,2026-12-31',
        'r3,ae,,',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.assignments).toEqual([{ repId: 'r2', planId: 'ae', from: '2026-01-01' }]);
    expect(result.rejects).toEqual([
      { source: 'assignments.csv:2', recordId: 'r1/ae/2026-03-01', reason: 'to 2026-01-01 is before from 2026-03-01' },
      { source: 'assignments.csv:3', recordId: 'line 3', reason: 'missing planId' },
      {
        source: 'assignments.csv:5',
        recordId: 'r2/ae/2026-01-01T10:00:00Z',
        reason: 'duplicate assignment of rep r2 to plan ae from 2026-01-01 (first on line 4)',
      },
      { source: 'assignments.csv:6', recordId: 'line 6', reason: 'missing from' },
    ]);
  });

  it('rejects exchange rates it cannot use', async () => {
    const dir = await workspace({
      'fx.csv': csv([
        'currency,from,rate',
        'EUR,2026-01-01,0',
        'EUR,2026-02-01,-0.9',
        'EUR,2026-03-01,0.91',
        'eur,2026-03-01,0.92',
        'EURO,2026-04-01,0.9',
        'GBP,2026-04-01,',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.fxRates).toEqual([{ currency: 'EUR', from: '2026-03-01', rate: '0.91' }]);
    expect(result.rejects).toEqual([
      { source: 'fx.csv:2', recordId: 'EUR/2026-01-01', reason: 'rate "0" must be greater than 0' },
      { source: 'fx.csv:3', recordId: 'EUR/2026-02-01', reason: 'rate "-0.9" must be greater than 0' },
      {
        source: 'fx.csv:5',
        recordId: 'eur/2026-03-01',
        reason: 'duplicate rate for EUR from 2026-03-01 (first on line 4)',
      },
      {
        source: 'fx.csv:6',
        recordId: 'EURO/2026-04-01',
        reason: 'currency "EURO" is not a 3-letter currency code such as USD',
      },
      { source: 'fx.csv:7', recordId: 'GBP/2026-04-01', reason: 'missing rate' },
    ]);
  });
});
