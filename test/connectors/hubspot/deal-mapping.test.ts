import { describe, expect, it } from 'vitest';
import {
  dayOf,
  dealProperties,
  dealPropertyMap,
  mapDeal,
  mapOwner,
  mapSplits,
  stageTable,
  type DealMappingContext,
  type RawObject,
} from '../../../connectors/hubspot/deal-mapping.js';
import { HUBSPOT_ANSWERS, PIPELINE } from './fake-portal.js';

const ctx = (overrides: Partial<DealMappingContext> = {}): DealMappingContext => ({
  properties: dealPropertyMap({ contractTermMonths: 'contract_term' }),
  stages: stageTable([PIPELINE]),
  defaultCurrency: 'USD',
  tz: 'America/New_York',
  ...overrides,
});

const raw = (properties: Record<string, string | null>, extra: Partial<RawObject> = {}): RawObject => ({
  id: '9001',
  properties: {
    dealname: 'Acme renewal',
    amount: '12000.50',
    closedate: '2026-04-01T02:30:00.000Z',
    dealstage: 'closedwon',
    pipeline: 'default',
    hubspot_owner_id: '101',
    deal_currency_code: 'EUR',
    dealtype: 'existingbusiness',
    hs_lastmodifieddate: '2026-04-02T10:00:00.000Z',
    contract_term: '24',
    ...properties,
  },
  ...extra,
});

describe('HubSpot deal mapping', () => {
  it('maps a won deal: the close day in calendar.tz, extra fields, currency and type', () => {
    const mapped = mapDeal(raw({}), ctx());
    expect(mapped).toEqual({
      ok: true,
      value: {
        id: '9001',
        name: 'Acme renewal',
        ownerId: '101',
        amount: '12000.50',
        currency: 'EUR',
        // 02:30 UTC on April 1st is still March 31st in New York.
        closeDate: '2026-03-31',
        stage: 'won',
        type: 'existingbusiness',
        fields: { contractTermMonths: '24' },
        lastModified: '2026-04-02T10:00:00.000Z',
        deleted: false,
      },
    });
  });

  it('rejects with the HubSpot id and every reason: no owner, unknown stage, unparseable amount', () => {
    expect(mapDeal(raw({ hubspot_owner_id: null }), ctx())).toEqual({
      ok: false,
      reject: { source: 'hubspot deals', recordId: '9001', reason: 'no owner (hubspot_owner_id is empty)' },
    });
    const unknown = mapDeal(raw({ dealstage: '12345', pipeline: '777' }), ctx());
    expect(unknown.ok === false && unknown.reject.reason).toBe(
      'unknown deal stage "12345" (pipeline 777): not in the pipelines API nor in source.hubspot.stages',
    );
    const both = mapDeal(raw({ amount: '1,200', closedate: 'soon' }), ctx());
    expect(both.ok === false && both.reject.reason).toBe(
      'amount "1,200" (amount) is not a decimal number; close date "soon" (closedate) is not a date',
    );
  });

  it('takes the company currency where the deal has none, and lets open deals lack amount and close date', () => {
    const open = mapDeal(
      raw({ dealstage: 'appointmentscheduled', amount: null, closedate: null, deal_currency_code: null }),
      ctx(),
    );
    expect(open.ok && open.value).toMatchObject({
      stage: 'open',
      amount: '0',
      currency: 'USD',
      closeDate: '2026-04-02',
    });
    const won = mapDeal(raw({ amount: '' }), ctx());
    expect(won.ok === false && won.reject.reason).toBe('no amount (amount is empty) on a won deal');
  });

  it('maps an archived deal as a deletion even when it would not map as a live one', () => {
    const mapped = mapDeal(raw({ hubspot_owner_id: null }, { archived: true }), ctx());
    expect(mapped.ok && mapped.value).toMatchObject({
      id: '9001',
      deleted: true,
      closeDate: '2026-03-31',
      stage: 'won',
    });
  });

  it('decides won and lost from the stage metadata, with attain.yaml overriding per stage', () => {
    const pipeline = {
      ...PIPELINE,
      stages: [
        ...PIPELINE.stages,
        {
          id: 'contractsent',
          label: 'Contract sent',
          archived: false,
          metadata: { isClosed: 'true', probability: '0.5' },
        },
      ],
    };
    const table = stageTable([pipeline]);
    expect(table.get('closedwon')?.stage).toBe('won');
    expect(table.get('closedlost')?.stage).toBe('lost');
    expect(table.get('appointmentscheduled')?.stage).toBe('open');
    expect(table.get('contractsent')?.stage).toBeUndefined();
    expect(table.get('contractsent')?.problem).toMatch(
      /closed with probability 0.5: say whether it is won or lost under source.hubspot.stages/,
    );
    const overridden = stageTable([pipeline], { contractsent: 'won', closedwon: 'lost' });
    expect(overridden.get('contractsent')?.stage).toBe('won');
    expect(overridden.get('closedwon')?.stage).toBe('lost');
  });

  it('maps the configured properties over the defaults and asks for each property once', () => {
    const map = dealPropertyMap({ amount: 'hs_tcv', region: 'deal_region' });
    expect(map.canonical.amount).toBe('hs_tcv');
    expect(map.extra).toEqual({ region: 'deal_region' });
    expect(dealProperties(map).sort()).toEqual(
      [
        'closedate',
        'deal_currency_code',
        'deal_region',
        'dealname',
        'dealstage',
        'dealtype',
        'hs_lastmodifieddate',
        'hs_tcv',
        'hubspot_owner_id',
        'pipeline',
      ].sort(),
    );
  });

  it('maps owners, archived ones inactive', () => {
    expect(mapOwner({ id: '7', email: 'a@x.com', firstName: 'Ada', lastName: 'L', archived: true })).toEqual({
      id: '7',
      name: 'Ada L',
      email: 'a@x.com',
      active: false,
    });
    expect(mapOwner({ id: '8', email: 'b@x.com', firstName: null, lastName: null })).toEqual({
      id: '8',
      name: 'b@x.com',
      email: 'b@x.com',
      active: true,
    });
  });

  it('rejects a close date outside the years PostgreSQL and the calendar hold, naming the deal', () => {
    const reasons = ['0026-03-01', '0000-06-01T00:00:00Z', '253402300800000', '9999-12-01'].map((closedate) => {
      const mapped = mapDeal(raw({ closedate }), ctx({ tz: 'UTC' }));
      return mapped.ok ? 'stored' : `${mapped.reject.source} ${mapped.reject.recordId}: ${mapped.reject.reason}`;
    });
    expect(reasons).toEqual([
      'hubspot deals 9001: close date "0026-03-01" (closedate) falls on 0026-03-01, outside the years 1900–2199',
      'hubspot deals 9001: close date "0000-06-01T00:00:00Z" (closedate) falls on 0000-06-01, outside the years 1900–2199',
      'hubspot deals 9001: close date "253402300800000" (closedate) falls on +010000-01-01, outside the years 1900–2199',
      'hubspot deals 9001: close date "9999-12-01" (closedate) falls on 9999-12-01, outside the years 1900–2199',
    ]);
    // A deleted deal needs no close date: it maps to a deletion with a date the database holds.
    const gone = mapDeal(raw({ closedate: '0026-03-01' }, { archived: true }), ctx());
    expect(gone.ok && gone.value.closeDate).toBe('1970-01-01');
  });

  it('turns split fractions into exact percents, read by the names HubSpot sends', () => {
    const splits = mapSplits('9001', [
      HUBSPOT_ANSWERS.split('50636518818', '88345679', '0.6'),
      HUBSPOT_ANSWERS.split('50636518819', '148111145', '0.4'),
    ]);
    expect(splits).toEqual({
      ok: true,
      value: [
        { dealId: '9001', repId: '88345679', percent: '60', kind: 'revenue' },
        { dealId: '9001', repId: '148111145', percent: '40', kind: 'revenue' },
      ],
    });
    const thirds = mapSplits('9001', [
      HUBSPOT_ANSWERS.split('s1', '101', '0.33333333'),
      HUBSPOT_ANSWERS.split('s2', '102', '0.66666667'),
    ]);
    expect(thirds.ok && thirds.value.map((s) => s.percent)).toEqual(['33.333333', '66.666667']);
  });

  it('rejects a split without owner, or whose share is not a fraction of 1, naming the deal and the split', () => {
    const noOwner = mapSplits('9001', [
      { id: 's3', properties: { hubspot_owner_id: null, hs_deal_split_percentage: '1' } },
    ]);
    expect(noOwner).toEqual({
      ok: false,
      reject: {
        source: 'hubspot deals',
        recordId: '9001',
        reason: 'deal split s3 has no owner or no share (hubspot_owner_id, hs_deal_split_percentage)',
      },
    });
    const percent = mapSplits('9002', [HUBSPOT_ANSWERS.split('s4', '101', '60')]);
    expect(percent.ok === false && percent.reject.reason).toBe(
      'deal split s4: hs_deal_split_percentage "60" is not a fraction between 0 and 1 (0.6 is 60 %)',
    );
  });

  it('places timestamps, dates and epoch milliseconds on a day', () => {
    expect(dayOf('2026-01-01T04:59:59Z', 'America/New_York')).toBe('2025-12-31');
    expect(dayOf('2026-02-28', 'America/New_York')).toBe('2026-02-28');
    expect(dayOf('1767225600000', 'UTC')).toBe('2026-01-01');
    expect(dayOf('yesterday', 'UTC')).toBeUndefined();
  });
});
