import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../config/errors.js';
import { parsePlan } from '../../config/plan-schema.js';
import { minimalPlanYaml, positionOf, SPEC_PLAN, SPEC_PLAN_YAML } from './fixtures.js';

const FILE = 'plans/ae.yaml';

/** Every issue of `text`, formatted as an admin sees it. */
function problems(text: string): string[] {
  return parsePlan(text, FILE).issues.map(formatIssue);
}

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`not in the text: ${from}`);
  return text.replace(from, to);
}

describe('a valid plan', () => {
  it('reads the example plan into exactly the expected Plan, every number a decimal string', () => {
    const { plan, issues } = parsePlan(SPEC_PLAN_YAML, FILE);
    expect(issues).toEqual([]);
    expect(plan).toStrictEqual(SPEC_PLAN);
  });

  it('defaults payoutPeriod to quotaPeriod and rollup to true', () => {
    const { plan } = parsePlan(minimalPlanYaml('se'), 'plans/se.yaml');
    expect(plan?.payoutPeriod).toBe('quarter');
    expect(plan?.measures.bookings).toStrictEqual({ credit: 'owner', rollup: true });
  });

  it('keeps decimals exactly as written, never through a binary float', () => {
    const text = edit(SPEC_PLAN_YAML, 'rate: 0.05 ', 'rate: 0.0333333333');
    const { plan } = parsePlan(edit(text, 'cap: 50000 ', 'cap: 12345678901234567.89'), FILE);
    const commission = plan?.components[0];
    expect(commission?.kind === 'rate-table' && commission.tiers[0]?.rate).toBe('0.0333333333');
    expect(commission?.kind === 'rate-table' && commission.cap).toBe('12345678901234567.89');
  });

  it('rejects a decimal it could not keep exactly rather than rounding it', () => {
    const text = edit(SPEC_PLAN_YAML, 'rate: 0.05 ', 'rate: 0.1000000000000000055');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, '0.1000000000000000055')} components[0].tiers[0].rate: expected a number with at most 10 decimal places`,
    ]);
  });

  it('accepts the other shapes of a where condition', () => {
    const text = edit(
      SPEC_PLAN_YAML,
      'where: { type: [New Business, Upsell] }',
      'where: { type: New Business, region: { in: [EMEA, APAC], ne: UK }, closeDate: { gte: 2026-01-01, lt: 2027-01-01 } }',
    );
    const { plan, issues } = parsePlan(text, FILE);
    expect(issues).toEqual([]);
    expect(plan?.measures.bookings?.where).toStrictEqual({
      type: 'New Business',
      region: { in: ['EMEA', 'APAC'], ne: 'UK' },
      closeDate: { gte: '2026-01-01', lt: '2027-01-01' },
    });
  });

  it('reads rollup: false and a per-deal rate', () => {
    const text = edit(
      edit(SPEC_PLAN_YAML, 'credit: splits ', 'credit: splits\n    rollup: false'),
      'amount: 500 ',
      'rate: 0.01',
    );
    const { plan } = parsePlan(text, FILE);
    expect(plan?.measures.bookings?.rollup).toBe(false);
    expect(plan?.components[1]).toStrictEqual({
      id: 'multi-year-spiff',
      kind: 'per-deal',
      measure: 'bookings',
      where: { contractTermMonths: { gte: '24' } },
      rate: '0.01',
    });
  });
});

describe('an invalid plan', () => {
  it('names file, line, column and key of a rate that is not a number', () => {
    const text = edit(SPEC_PLAN_YAML, 'rate: 0.06', 'rate: six');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'six')} components[0].tiers[1].rate: expected a number`,
    ]);
  });

  it('points at an unknown key itself and suggests the key meant', () => {
    const text = edit(SPEC_PLAN_YAML, 'cap: 50000', 'cpa: 50000');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'cpa')} components[0].cpa: unknown key (did you mean cap?)`,
    ]);
  });

  it('reports a component whose measure the plan does not define', () => {
    const text = edit(
      SPEC_PLAN_YAML,
      'measure: bookings\n    attainmentAtLeast',
      'measure: bookngs\n    attainmentAtLeast',
    );
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'bookngs')} components[2].measure: unknown measure bookngs (did you mean bookings?)`,
    ]);
  });

  it('reports tiers out of order and a first tier above 0', () => {
    const text = edit(
      SPEC_PLAN_YAML,
      `      - { from: 0,    rate: 0.05 }
      - { from: 1.0,  rate: 0.06 }`,
      `      - { from: 0.1,  rate: 0.05 }
      - { from: 1.5,  rate: 0.06 }`,
    );
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, '0.1,')} components[0].tiers[0].from: the first tier must start from 0`,
      `${FILE}:${positionOf(text, '1.25')} components[0].tiers[2].from: tiers must be in increasing order of from: 1.25 does not come after 1.5`,
    ]);
  });

  it('rejects a payout period longer than the quota period', () => {
    const text = edit(SPEC_PLAN_YAML, 'payoutPeriod: month', 'payoutPeriod: year');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'year ')} payoutPeriod: a year is longer than the quarter quota period: payoutPeriod must divide quotaPeriod`,
    ]);
  });

  it('accepts a payout period equal to the quota period', () => {
    expect(problems(edit(SPEC_PLAN_YAML, 'payoutPeriod: month', 'payoutPeriod: quarter'))).toEqual([]);
  });

  it('reports every problem of a file at once, in the order of the text', () => {
    let text = edit(SPEC_PLAN_YAML, 'currency: USD', 'currency: usd');
    text = edit(text, '    basis: attainment ', '    basis: attainmnet ');
    text = edit(text, 'rate: 0.07', 'rate: -0.07');
    text = edit(text, 'amount: 500 ', 'amount: 500\n    rate: 0.01');
    text = edit(text, 'id: club-bonus', 'id: commission');
    text = edit(text, 'id: team-override', 'id: adjustment');
    text = edit(text, 'recoverable: true', 'recoverable: yes');
    text = edit(text, 'windowDays: 90', 'windowDays: 90.5');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'usd')} currency: expected a 3-letter currency code in capitals such as USD`,
      `${FILE}:${positionOf(text, 'attainmnet')} components[0].basis: expected attainment or amount`,
      `${FILE}:${positionOf(text, '-0.07')} components[0].tiers[2].rate: must not be negative`,
      `${FILE}:${positionOf(text, '0.01')} components[1].rate: give amount or rate, not both`,
      `${FILE}:${positionOf(text, 'commission\n    kind: bonus')} components[2].id: duplicate component id commission (components[0] has it too)`,
      `${FILE}:${positionOf(text, 'adjustment')} components[3].id: adjustment is reserved for the lines Attain adds itself; choose another id`,
      `${FILE}:${positionOf(text, 'yes')} draw.recoverable: expected true or false`,
      `${FILE}:${positionOf(text, '90.5')} clawback.windowDays: expected a whole number, 0 or more`,
    ]);
  });

  it('says why basis and mode have no default', () => {
    const text = edit(SPEC_PLAN_YAML, '    mode: marginal ', '    # mode omitted');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'id: commission')} components[0].mode: required: marginal or retroactive (each slice at its own rate, or all credit at the rate reached)`,
    ]);
  });

  it('asks for exactly one of amount and rate on a per-deal component', () => {
    const text = edit(SPEC_PLAN_YAML, '    amount: 500 ', '    # no amount');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'id: multi-year-spiff')} components[1]: give amount (paid per deal) or rate (of the credited amount)`,
    ]);
  });

  it('names the operators of a where condition', () => {
    const text = edit(SPEC_PLAN_YAML, '{ gte: 24 }', '{ atLeast: 24 }');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'atLeast')} components[1].where.contractTermMonths.atLeast: unknown key`,
    ]);
  });

  it('names the kinds a component can be', () => {
    const text = edit(SPEC_PLAN_YAML, 'kind: bonus', 'kind: spiff');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'kind: spiff', 6)} components[2].kind: expected one of rate-table, per-deal, bonus, override`,
    ]);
  });

  it('reports a YAML syntax error where the parser notices it', () => {
    const text = edit(SPEC_PLAN_YAML, '{ from: 1.0,  rate: 0.06 }', '{ from: 1.0,  rate: 0.06');
    // The unclosed `{` is noticed where the next item starts.
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, '- { from: 1.25')}: Flow map in block collection must be sufficiently indented and end with a }`,
    ]);
  });

  it('places a syntax error exactly', () => {
    const text = 'id: ae\nname: [unclosed\n';
    expect(problems(text)).toEqual([
      `${FILE}:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('reports an empty file as a whole-file issue', () => {
    expect(problems('# nothing yet\n')).toEqual([`${FILE}: the file is empty`]);
  });

  it('reports a file that is not a mapping', () => {
    expect(problems('- id: ae\n')).toEqual([`${FILE}:1:1: expected a mapping (key: value)`]);
  });
});
