/** The pure mapping: REST JSON and Bulk CSV shapes of the same record map alike; bad ones are rejects with their Id. */
import { describe, expect, it } from 'vitest';
import { ratioToPercent } from '../../../connectors/salesforce/commission-target.js';
import { soqlDateTime } from '../../../connectors/salesforce/incremental-pull.js';
import {
  decimalOf,
  mapDatedConversionRate,
  mapOpportunity,
  mapSplit,
  mapUser,
  timestampOf,
  type OpportunityMapping,
} from '../../../connectors/salesforce/record-mapping.js';

const mapping: OpportunityMapping = {
  fields: { amount: 'Amount', type: 'Type', term: 'Term__c', industry: 'Account.Industry' },
  multiCurrency: true,
  defaultCurrency: 'USD',
};
const rest = {
  Id: '006A',
  Name: 'Acme',
  OwnerId: '005A',
  Amount: 1200.5,
  CurrencyIsoCode: 'EUR',
  CloseDate: '2026-02-10',
  StageName: 'Closed Won',
  IsWon: true,
  IsClosed: true,
  IsDeleted: false,
  Type: 'New Business',
  Term__c: 24,
  Account: { Industry: 'Retail' },
  SystemModstamp: '2026-01-05T10:00:00.000+0000',
};
const csv = {
  Id: '006A',
  Name: 'Acme',
  OwnerId: '005A',
  Amount: '1200.5',
  CurrencyIsoCode: 'EUR',
  CloseDate: '2026-02-10',
  StageName: 'Closed Won',
  IsWon: 'true',
  IsClosed: 'true',
  IsDeleted: 'false',
  Type: 'New Business',
  Term__c: '24',
  'Account.Industry': 'Retail',
  SystemModstamp: '2026-01-05T10:00:00.000Z',
};

describe('mapOpportunity', () => {
  it('reads REST JSON and Bulk CSV alike', () => {
    const fromRest = mapOpportunity(rest, mapping);
    const fromCsv = mapOpportunity(csv, mapping);
    const expected = {
      id: '006A',
      name: 'Acme',
      ownerId: '005A',
      amount: '1200.5',
      currency: 'EUR',
      closeDate: '2026-02-10',
      stage: 'won',
      type: 'New Business',
      lastModified: '2026-01-05T10:00:00.000Z',
      deleted: false,
    };
    expect(fromRest).toEqual({ record: { ...expected, fields: { term: 24, industry: 'Retail' } } });
    // CSV keeps its text: a where filter compares numbers given as text the same way (csv source's convention).
    expect(fromCsv).toEqual({ record: { ...expected, fields: { term: '24', industry: 'Retail' } } });
  });

  it('rejects with the Salesforce Id and every reason', () => {
    expect(mapOpportunity({ ...rest, Amount: null, CurrencyIsoCode: 'euro', OwnerId: null }, mapping)).toEqual({
      reject: {
        source: 'salesforce Opportunity',
        recordId: '006A',
        reason:
          'no amount (Amount is empty); CurrencyIsoCode "euro" is not a 3-letter currency code; no owner (OwnerId is empty)',
      },
    });
    expect(mapOpportunity({ ...csv, Amount: '12,00' }, mapping)).toMatchObject({
      reject: { reason: 'Amount "12,00" is not a number' },
    });
  });

  it('keeps a deleted record as a deletion even when its values no longer map', () => {
    expect(mapOpportunity({ ...rest, IsDeleted: true, Amount: null }, mapping)).toMatchObject({
      record: { id: '006A', deleted: true, amount: '0' },
    });
  });

  it('takes the stage from IsWon/IsClosed, or from StageName when stages are mapped', () => {
    expect(mapOpportunity({ ...rest, IsWon: false, IsClosed: true }, mapping)).toMatchObject({
      record: { stage: 'lost' },
    });
    expect(mapOpportunity({ ...rest, IsWon: false, IsClosed: false }, mapping)).toMatchObject({
      record: { stage: 'open' },
    });
    const staged = { ...mapping, stages: { won: ['Signed'], lost: ['Dead'] } };
    expect(mapOpportunity({ ...rest, StageName: 'Signed', IsWon: false }, staged)).toMatchObject({
      record: { stage: 'won' },
    });
    expect(mapOpportunity({ ...rest, StageName: 'Closed Won' }, staged)).toMatchObject({ record: { stage: 'open' } });
  });

  it('filters by stage and record type, naming what it left out', () => {
    expect(mapOpportunity(rest, { ...mapping, filters: { stages: ['Negotiation'] } })).toEqual({ filteredOut: '006A' });
    expect(
      mapOpportunity(
        { ...rest, RecordType: { DeveloperName: 'Renewal' } },
        { ...mapping, filters: { recordTypes: ['Renewal'] } },
      ),
    ).toHaveProperty('record');
  });

  it('uses the corporate currency in a single-currency org', () => {
    expect(
      mapOpportunity(
        { ...rest, CurrencyIsoCode: undefined },
        { ...mapping, multiCurrency: false, defaultCurrency: 'GBP' },
      ),
    ).toMatchObject({ record: { currency: 'GBP' } });
  });
});

describe('other objects', () => {
  it('maps users, splits and dated rates from either shape', () => {
    expect(mapUser({ Id: '005A', Name: 'Ada', Email: 'a@x', ManagerId: '', IsActive: 'false' })).toEqual({
      record: { id: '005A', name: 'Ada', email: 'a@x', active: false },
    });
    expect(mapUser({ Id: '005B', Name: 'Bo', IsActive: true, EmployeeNumber: 'E-0042' })).toMatchObject({
      record: { id: '005B', employeeId: 'E-0042' },
    });
    expect(
      mapSplit({
        Id: '0Sp1',
        OpportunityId: '006A',
        SplitOwnerId: '005A',
        SplitPercentage: 60,
        SplitType: { IsTotalValidated: true },
      }),
    ).toEqual({ record: { dealId: '006A', repId: '005A', percent: '60', kind: 'revenue' } });
    expect(
      mapSplit({
        Id: '0Sp2',
        OpportunityId: '006A',
        SplitOwnerId: '005B',
        SplitPercentage: '12.5',
        'SplitType.IsTotalValidated': 'false',
      }),
    ).toEqual({ record: { dealId: '006A', repId: '005B', percent: '12.5', kind: 'overlay' } });
    expect(mapSplit({ Id: '0Sp3', OpportunityId: '006A', SplitOwnerId: '005B', SplitPercentage: null })).toEqual({
      reject: {
        source: 'salesforce OpportunitySplit',
        recordId: '0Sp3',
        reason: 'SplitPercentage null is not a number',
      },
    });
    expect(
      mapDatedConversionRate({ Id: '04w1', IsoCode: 'EUR', StartDate: '2026-01-01', ConversionRate: 0.921 }),
    ).toEqual({ record: { currency: 'EUR', from: '2026-01-01', rate: '0.921' } });
    expect(
      mapDatedConversionRate({ Id: '04w2', IsoCode: 'EUR', StartDate: '2026-01-01', ConversionRate: 'x' }),
    ).toHaveProperty('reject.recordId', '04w2');
  });

  it('formats numbers, timestamps and percentages exactly', () => {
    expect(decimalOf(1e-7)).toBe('0.0000001');
    expect(decimalOf('')).toBeUndefined();
    expect(timestampOf('2026-01-05T10:00:00.000+0000')).toBe('2026-01-05T10:00:00.000Z');
    expect(soqlDateTime('2026-01-05T10:00:00.999Z')).toBe('2026-01-05T10:00:00Z');
    expect(ratioToPercent('1.25')).toBe('125');
    expect(ratioToPercent('0.005')).toBe('0.5');
    expect(ratioToPercent('2')).toBe('200');
    expect(ratioToPercent('0.123456')).toBe('12.3456');
  });
});
