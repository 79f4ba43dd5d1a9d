import { describe, expect, it } from 'vitest';
import { readCsvSource } from '../../../connectors/csv/csv-source.js';
import { accountSchema, territoryAssignmentSchema } from '../../../src/domain/model.js';
import { csv, expectCanonical, workspace } from './csv-workspace.js';

const UTC = { tz: 'UTC' };
const ACCOUNT_HEADER = 'id,name,ownerId,country,region,postalCode,industry,employees,annualRevenue,segment';

describe('accounts.csv', () => {
  it('reads accounts, extra columns as fields, and a deal accountId', async () => {
    const result = await readCsvSource(
      await workspace({
        'accounts.csv': csv([
          ACCOUNT_HEADER,
          'a1,"Acme, Inc.",r1,US,NY, 10001 ,Retail,250,12500000.50,mid-market',
          'a2,Bare,,,,,,,,',
        ]),
        'deals.csv': csv([
          'id,name,ownerId,amount,currency,closeDate,stage,accountId,region',
          'd1,A,r1,100,USD,2026-01-15,won, a1 ,East',
          'd2,B,r1,100,USD,2026-01-15,won,,East',
        ]),
      }),
      UTC,
    );
    expectCanonical(result);
    expect(result.rejects).toEqual([]);
    expect(result.data.accounts).toEqual([
      {
        id: 'a1',
        name: 'Acme, Inc.',
        ownerId: 'r1',
        country: 'US',
        region: 'NY',
        // Text is kept as written.
        postalCode: ' 10001 ',
        industry: 'Retail',
        employees: '250',
        annualRevenue: '12500000.50',
        fields: { segment: 'mid-market' },
        deleted: false,
      },
      { id: 'a2', name: 'Bare', fields: {}, deleted: false },
    ]);
    for (const account of result.data.accounts!) expect(accountSchema.strict().parse(account)).toEqual(account);
    // accountId is the deal's own field now, not one of its `fields`.
    expect(result.data.deals.map((d) => [d.accountId, d.fields])).toEqual([
      ['a1', { region: 'East' }],
      [undefined, { region: 'East' }],
    ]);
    expect(result.locate(result.data.accounts![1]!)).toBe('accounts.csv:3');
  });

  it('rejects bad rows with their line, as deals are', async () => {
    const result = await readCsvSource(
      await workspace({
        'accounts.csv': csv([
          ACCOUNT_HEADER,
          'a1,Acme,r1,US,NY,10001,Retail,"1,000",,',
          'a2,B,,,,,,,-5,',
          ',NoId,,,,,,,,',
          'a1,Again,,,,,,,,',
          'a3,Short',
        ]),
      }),
      UTC,
    );
    expect(result.data.accounts).toBeUndefined();
    expect(result.rejects).toEqual([
      {
        source: 'accounts.csv:2',
        recordId: 'a1',
        reason: 'employees "1,000" is not a decimal number (no thousands separators: 1234.50)',
      },
      { source: 'accounts.csv:3', recordId: 'a2', reason: 'annualRevenue "-5" must not be negative' },
      { source: 'accounts.csv:4', recordId: 'line 4', reason: 'missing id' },
      { source: 'accounts.csv:5', recordId: 'a1', reason: 'duplicate account id a1 (first on line 2)' },
      { source: 'accounts.csv:6', recordId: 'a3', reason: 'row has 2 fields, header has 10' },
    ]);
  });

  it('leaves data.accounts out when the workspace has no accounts.csv', async () => {
    const result = await readCsvSource(await workspace(), UTC);
    expect('accounts' in result.data).toBe(false);
    expect('territoryAssignments' in result.data).toBe(false);
  });
});

describe('territory-assignments.csv', () => {
  it('reads owners and overlays; an empty percent is 100', async () => {
    const result = await readCsvSource(
      await workspace({
        'territory-assignments.csv': csv([
          'repId,territoryId,role,percent,from,to',
          'r1,east,owner,60,2026-01-01,2026-06-30',
          'r2,east,Overlay,,2026-01-01,',
          'r3,east,boss,10,2026-01-01,',
          'r4,east,owner,120,2026-07-01,2026-01-01',
          'r1,east,owner,40,2026-01-01,',
        ]),
      }),
      UTC,
    );
    expect(result.data.territoryAssignments).toEqual([
      { repId: 'r1', territoryId: 'east', role: 'owner', percent: '60', from: '2026-01-01', to: '2026-06-30' },
      { repId: 'r2', territoryId: 'east', role: 'overlay', percent: '100', from: '2026-01-01' },
    ]);
    for (const a of result.data.territoryAssignments!) expect(territoryAssignmentSchema.strict().parse(a)).toEqual(a);
    expect(result.rejects.map((r) => `${r.source} ${r.reason}`)).toEqual([
      'territory-assignments.csv:4 role "boss" must be owner or overlay',
      'territory-assignments.csv:5 percent "120" must be between 0 and 100; to 2026-01-01 is before from 2026-07-01',
      'territory-assignments.csv:6 duplicate owner assignment of rep r1 to territory east from 2026-01-01 (first on line 2)',
    ]);
  });
});
