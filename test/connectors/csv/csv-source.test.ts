import { describe, expect, it } from 'vitest';
import { readCsvSource } from '../../../connectors/csv/csv-source.js';
import { csv, expectCanonical, workspace } from './csv-workspace.js';

const UTC = { tz: 'UTC' };
const DEAL_HEADER = 'id,name,ownerId,amount,currency,closeDate,stage';

describe('readCsvSource', () => {
  it('reads every file of a workspace into canonical records', async () => {
    const dir = await workspace({
      'reps.csv': csv([
        'id,name,email,managerId,active,hireDate,endDate',
        'r1,Ann Lee,ann@example.com,,true,2024-01-15,',
        'r2,Bo Chen,bo@example.com,r1,false,2024-03-01,2025-12-31',
      ]),
      'deals.csv': csv([
        'id,name,ownerId,amount,currency,closeDate,stage,type,lastModified,deleted',
        'd1,Acme,r1,1234.50,USD,2026-01-15,won,New Business,2026-01-16T10:00:00Z,false',
        'd2,Globex,r2,-200,EUR,2026-02-01,lost,,,',
      ]),
      'splits.csv': csv(['dealId,repId,percent,kind', 'd1,r1,60,revenue', 'd1,r2,40.5,revenue', 'd1,r2,10,overlay']),
      'quotas.csv': csv(['repId,period,amount', 'r1,2026-Q1,100000', 'r2,2026,400000.00', 'r2,2026-01,30000']),
      'assignments.csv': csv(['repId,planId,from,to', 'r1,ae-fy26,2026-01-01,', 'r2,ae-fy26,2026-01-01,2026-06-30']),
      'fx.csv': csv(['currency,from,rate', 'EUR,2026-01-01,0.92', 'GBP,2026-01-01,.79']),
    });

    const result = await readCsvSource(dir, UTC);

    expect(result.rejects).toEqual([]);
    expectCanonical(result);
    expect(result.data).toEqual({
      reps: [
        { id: 'r1', name: 'Ann Lee', email: 'ann@example.com', active: true, hireDate: '2024-01-15' },
        {
          id: 'r2',
          name: 'Bo Chen',
          email: 'bo@example.com',
          managerId: 'r1',
          active: false,
          hireDate: '2024-03-01',
          endDate: '2025-12-31',
        },
      ],
      deals: [
        {
          id: 'd1',
          name: 'Acme',
          ownerId: 'r1',
          amount: '1234.50',
          currency: 'USD',
          closeDate: '2026-01-15',
          stage: 'won',
          type: 'New Business',
          fields: {},
          lastModified: '2026-01-16T10:00:00Z',
          deleted: false,
        },
        {
          id: 'd2',
          name: 'Globex',
          ownerId: 'r2',
          amount: '-200',
          currency: 'EUR',
          closeDate: '2026-02-01',
          stage: 'lost',
          fields: {},
          deleted: false,
        },
      ],
      splits: [
        { dealId: 'd1', repId: 'r1', percent: '60', kind: 'revenue' },
        { dealId: 'd1', repId: 'r2', percent: '40.5', kind: 'revenue' },
        { dealId: 'd1', repId: 'r2', percent: '10', kind: 'overlay' },
      ],
      quotas: [
        { repId: 'r1', period: '2026-Q1', amount: '100000' },
        { repId: 'r2', period: '2026', amount: '400000.00' },
        { repId: 'r2', period: '2026-01', amount: '30000' },
      ],
      assignments: [
        { repId: 'r1', planId: 'ae-fy26', from: '2026-01-01' },
        { repId: 'r2', planId: 'ae-fy26', from: '2026-01-01', to: '2026-06-30' },
      ],
      fxRates: [
        { currency: 'EUR', from: '2026-01-01', rate: '0.92' },
        { currency: 'GBP', from: '2026-01-01', rate: '.79' },
      ],
    });
  });

  it('treats missing splits.csv and fx.csv as no rows', async () => {
    const result = await readCsvSource(await workspace({ 'splits.csv': null, 'fx.csv': null }), UTC);
    expect(result.data.splits).toEqual([]);
    expect(result.data.fxRates).toEqual([]);
    expect(result.rejects).toEqual([]);
  });

  it('reads quoted fields with commas, quotes and line breaks, and keeps counting lines right after them', async () => {
    const dir = await workspace({
      'deals.csv': csv([
        `${DEAL_HEADER},notes`,
        'd1,"Acme, Inc.",r1,100,USD,2026-01-15,won,"first line',
        'second line, with a comma',
        'third line"',
        'd2,"The ""Big"" One",r1,100,USD,2026-01-15,won,""',
        'd3,Initech,r1,12;5,USD,2026-01-15,won,',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.deals.map((d) => [d.name, d.fields])).toEqual([
      ['Acme, Inc.', { notes: 'first line\nsecond line, with a comma\nthird line' }],
      ['The "Big" One', {}],
    ]);
    expect(result.rejects).toEqual([
      { source: 'deals.csv:6', recordId: 'd3', reason: expect.stringContaining('amount "12;5"') },
    ]);
    expect(result.locate(result.data.deals[1] as object)).toBe('deals.csv:5');
  });

  it('counts CRLF inside a quoted field as one line', async () => {
    const dir = await workspace({
      'deals.csv': csv(
        [`${DEAL_HEADER},notes`, 'd1,Acme,r1,100,USD,2026-01-15,won,"a\r\nb\r\nc"', 'd2,Bad,r1,x,USD,2026-01-15,won,'],
        '\r\n',
      ),
    });

    const result = await readCsvSource(dir, UTC);

    expect(result.data.deals[0]?.fields).toEqual({ notes: 'a\r\nb\r\nc' });
    expect(result.rejects.map((r) => r.source)).toEqual(['deals.csv:5']);
  });

  it('reads a UTF-8 BOM and CRLF line ends (as Excel writes them)', async () => {
    const dir = await workspace({
      'reps.csv': '\uFEFF' + csv(['id,name,email', 'r1,Zoë Ångström,zoe@example.com'], '\r\n'),
      'deals.csv':
        '\uFEFF' + csv([DEAL_HEADER, 'd1,Café,r1,10.00,USD,2026-01-15,won', 'd2,Bad,r1,10,USD,2026-1-15,won'], '\r\n'),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.reps).toEqual([{ id: 'r1', name: 'Zoë Ångström', email: 'zoe@example.com', active: true }]);
    expect(result.data.deals.map((d) => [d.id, d.name, d.amount])).toEqual([['d1', 'Café', '10.00']]);
    expect(result.rejects).toEqual([
      { source: 'deals.csv:3', recordId: 'd2', reason: 'closeDate "2026-1-15" is not a date (YYYY-MM-DD)' },
    ]);
  });

  it('splits lines ended by LF, CRLF or CR alike in one file', async () => {
    const dir = await workspace({
      'deals.csv': `${DEAL_HEADER}\r\nd1,A,r1,1,USD,2026-01-15,won\nd2,B,r1,1,USD,2026-01-15,won\rd3,C,r1,x,USD,2026-01-15,won\n`,
    });

    const result = await readCsvSource(dir, UTC);

    expect(result.data.deals.map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(result.rejects.map((r) => r.source)).toEqual(['deals.csv:4']);
  });

  it('skips blank lines but keeps counting them', async () => {
    const dir = await workspace({
      'deals.csv': csv([
        DEAL_HEADER,
        '',
        'd1,A,r1,1,USD,2026-01-15,won',
        '   ',
        ',,,,,,',
        'd2,B,r1,x,USD,2026-01-15,won',
        '',
      ]),
    });

    const result = await readCsvSource(dir, UTC);

    expect(result.data.deals.map((d) => d.id)).toEqual(['d1']);
    expect(result.rejects.map((r) => r.source)).toEqual(['deals.csv:6']);
    expect(result.locate(result.data.deals[0] as object)).toBe('deals.csv:3');
  });

  it('leaves empty optional columns out and applies the defaults', async () => {
    const dir = await workspace({
      'reps.csv': csv(['id,name,email,managerId,active,hireDate,endDate', 'r1,Ann,,,,,']),
      'deals.csv': csv([
        'id,name,ownerId,amount,currency,closeDate,stage,type,lastModified,deleted',
        'd1,,r1,5,USD,2026-01-15,open,,,',
      ]),
      'assignments.csv': csv(['repId,planId,from,to', 'r1,ae,2026-01-01,']),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.reps).toEqual([{ id: 'r1', name: 'Ann', email: '', active: true }]);
    expect(result.data.deals[0]).toStrictEqual({
      id: 'd1',
      name: '',
      ownerId: 'r1',
      amount: '5',
      currency: 'USD',
      closeDate: '2026-01-15',
      stage: 'open',
      fields: {},
      deleted: false,
    });
    expect(result.data.assignments).toStrictEqual([{ repId: 'r1', planId: 'ae', from: '2026-01-01' }]);
  });

  it('turns the other columns of deals.csv into fields, and ignores other columns elsewhere', async () => {
    const dir = await workspace({
      'reps.csv': csv(['id,name,email,region', 'r1,Ann,ann@example.com,EMEA']),
      'deals.csv': csv([
        `${DEAL_HEADER}, contractTermMonths ,Region,,deleted`,
        'd1,A,r1,1,USD,2026-01-15,won,24,EMEA,,true',
        'd2,B,r1,1,USD,2026-01-15,won,,  padded  ,,',
      ]),
      'quotas.csv': csv(['repId,period,amount,comment', 'r1,2026-Q1,100,stretch goal']),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.data.deals.map((d) => [d.id, d.fields, d.deleted])).toEqual([
      ['d1', { contractTermMonths: '24', Region: 'EMEA' }, true],
      ['d2', { Region: '  padded  ' }, false],
    ]);
    expect(result.data.reps[0]).toStrictEqual({ id: 'r1', name: 'Ann', email: 'ann@example.com', active: true });
    expect(result.data.quotas[0]).toStrictEqual({ repId: 'r1', period: '2026-Q1', amount: '100' });
  });

  it('tolerates whitespace and letter case around values, but keeps text as written', async () => {
    const dir = await workspace({
      'reps.csv': csv(['id,name,email,active', ' r1 , Ann ,ann@example.com, TRUE ', 'r2,Bo,bo@example.com,False']),
      'deals.csv': csv([`${DEAL_HEADER},type`, ' d1 , Acme , r1 , 100.50 , usd , 2026-01-15 , Won , New Business ']),
      'splits.csv': csv(['dealId,repId,percent,kind', 'd1,r1, 100 ,Revenue']),
      'quotas.csv': csv(['repId,period,amount', 'r1, 2026-q1 ,100']),
    });

    const result = await readCsvSource(dir, UTC);

    expectCanonical(result);
    expect(result.rejects).toEqual([]);
    expect(result.data.reps.map((r) => [r.id, r.name, r.active])).toEqual([
      ['r1', ' Ann ', true],
      ['r2', 'Bo', false],
    ]);
    expect(result.data.deals[0]).toMatchObject({
      id: 'd1',
      name: ' Acme ',
      ownerId: 'r1',
      amount: '100.50',
      currency: 'USD',
      closeDate: '2026-01-15',
      stage: 'won',
      type: ' New Business ',
    });
    expect(result.data.splits).toEqual([{ dealId: 'd1', repId: 'r1', percent: '100', kind: 'revenue' }]);
    expect(result.data.quotas).toEqual([{ repId: 'r1', period: '2026-Q1', amount: '100' }]);
  });

  it('accepts trailing empty fields beyond the header', async () => {
    const dir = await workspace({ 'deals.csv': csv([DEAL_HEADER, 'd1,A,r1,1,USD,2026-01-15,won,,']) });
    const result = await readCsvSource(dir, UTC);
    expect(result.rejects).toEqual([]);
    expect(result.data.deals).toHaveLength(1);
  });

  describe('timestamps in date columns', () => {
    const dealOn = (closeDate: string) => csv([DEAL_HEADER, `d1,A,r1,1,USD,${closeDate},won`]);

    it.each([
      ['2026-03-31T23:30:00-05:00', 'UTC', '2026-04-01'],
      // -05:00 is Chicago's offset on that day; New York is on daylight time (-04:00) by then.
      ['2026-03-31T23:30:00-05:00', 'America/Chicago', '2026-03-31'],
      ['2026-03-31T23:30:00-05:00', 'America/New_York', '2026-04-01'],
      ['2026-03-31T23:30:00-04:00', 'America/New_York', '2026-03-31'],
      ['2026-01-31T23:30:00-05:00', 'America/New_York', '2026-01-31'],
      ['2026-04-01T02:00:00Z', 'America/Los_Angeles', '2026-03-31'],
      ['2026-04-01T02:00:00.123+00:00', 'Asia/Tokyo', '2026-04-01'],
      ['2026-03-31 23:30:00-05:00', 'UTC', '2026-04-01'],
      // Without an offset, the time is local to the calendar's zone.
      ['2026-03-31T23:30:00', 'Asia/Tokyo', '2026-03-31'],
      ['2026-03-31', 'Pacific/Kiritimati', '2026-03-31'],
    ])('closeDate %s in %s falls on %s', async (closeDate, tz, day) => {
      const result = await readCsvSource(await workspace({ 'deals.csv': dealOn(closeDate) }), { tz });
      expect(result.rejects).toEqual([]);
      expect(result.data.deals[0]?.closeDate).toBe(day);
      expectCanonical(result);
    });

    it('converts the other date columns too, and keeps lastModified as written', async () => {
      const dir = await workspace({
        'reps.csv': csv(['id,name,email,hireDate', 'r1,Ann,ann@example.com,2024-01-14T23:00:00-08:00']),
        'deals.csv': csv([`${DEAL_HEADER},lastModified`, 'd1,A,r1,1,USD,2026-01-15,won,2026-01-16T04:00:00+09:00']),
        'assignments.csv': csv(['repId,planId,from,to', 'r1,ae,2025-12-31T20:00:00-05:00,2026-06-30T23:59:59-04:00']),
        'fx.csv': csv(['currency,from,rate', 'EUR,2025-12-31T23:00:00-01:00,0.9']),
      });

      const result = await readCsvSource(dir, UTC);

      expect(result.rejects).toEqual([]);
      expect(result.data.reps[0]?.hireDate).toBe('2024-01-15');
      expect(result.data.deals[0]?.lastModified).toBe('2026-01-16T04:00:00+09:00');
      expect(result.data.assignments[0]).toEqual({ repId: 'r1', planId: 'ae', from: '2026-01-01', to: '2026-07-01' });
      expect(result.data.fxRates[0]?.from).toBe('2026-01-01');
    });

    it('refuses an unknown time zone', async () => {
      await expect(readCsvSource(await workspace(), { tz: 'Mars/Olympus_Mons' })).rejects.toThrow(RangeError);
    });
  });

  it('locates every record it produced, and nothing else', async () => {
    const dir = await workspace({
      'reps.csv': csv(['id,name,email', 'r1,Ann,a@example.com', 'r2,Bo,b@example.com']),
      'deals.csv': csv([DEAL_HEADER, 'd1,A,r1,1,USD,2026-01-15,won']),
      'splits.csv': csv(['dealId,repId,percent,kind', 'd1,r1,100,revenue']),
      'quotas.csv': csv(['repId,period,amount', 'r1,2026,1']),
      'assignments.csv': csv(['repId,planId,from', 'r1,ae,2026-01-01']),
      'fx.csv': csv(['currency,from,rate', 'EUR,2026-01-01,1.1']),
    });

    const { data, locate } = await readCsvSource(dir, UTC);
    // Reordering the arrays does not move records away from their lines.
    data.reps.reverse();

    expect(locate(data.reps[0] as object)).toBe('reps.csv:3');
    expect(locate(data.reps[1] as object)).toBe('reps.csv:2');
    expect(locate(data.deals[0] as object)).toBe('deals.csv:2');
    expect(locate(data.splits[0] as object)).toBe('splits.csv:2');
    expect(locate(data.quotas[0] as object)).toBe('quotas.csv:2');
    expect(locate(data.assignments[0] as object)).toBe('assignments.csv:2');
    expect(locate(data.fxRates[0] as object)).toBe('fx.csv:2');
    expect(locate({ ...data.deals[0] })).toBeUndefined();
  });
});
