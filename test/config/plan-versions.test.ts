/** Dated plan versions as read from a plan file (docs/plans.md#changing-a-plan-mid-year). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../config/errors.js';
import { describeQuotaPeriods, planTimeline } from '../../config/plan-timeline.js';
import { parsePlan, planContentHash } from '../../config/plan-schema.js';
import { FiscalCalendar } from '../../src/domain/periods.js';
import { planInEffect } from '../../src/domain/plan.js';
import { positionOf } from './fixtures.js';

const FILE = 'plans/ae.yaml';
const EXAMPLE_PLAN = readFileSync(
  resolve(import.meta.dirname, '../../docs/examples/plan-versions/plans/ae.yaml'),
  'utf8',
);
const WITHOUT_VERSIONS = EXAMPLE_PLAN.slice(0, EXAMPLE_PLAN.indexOf('versions:'));

function problems(text: string, fiscalYearStartMonth = 1): string[] {
  return parsePlan(text, FILE, { fiscalYearStartMonth }).issues.map(formatIssue);
}

/** The example plan's own keys, then `versions:` as given. */
function withVersions(versions: string): string {
  return `${WITHOUT_VERSIONS}versions:\n${versions}`;
}

describe('a plan with versions', () => {
  it('resolves each version to the whole definition in effect from its date', () => {
    const { plan, issues } = parsePlan(EXAMPLE_PLAN, FILE);
    expect(issues).toEqual([]);
    const base = parsePlan(WITHOUT_VERSIONS, FILE).plan!;
    expect({ ...plan, versions: undefined }).toStrictEqual({ ...base, versions: undefined });
    expect(plan?.versions).toHaveLength(1);
    const [july] = plan!.versions!;
    expect(july!.effective).toBe('2026-07-01');
    // Not given: carried from the plan; given: replaced whole.
    expect(july!.name).toBe('Account Executive');
    expect(july!.measures).toStrictEqual(base.measures);
    expect(july!.components.map((c) => c.id)).toEqual(['commission', 'multi-year-spiff']);
    expect(july!.components[0]).toMatchObject({
      tiers: [
        { from: '0', rate: '0.06' },
        { from: '1.0', rate: '0.10' },
      ],
    });
    expect(july!.hash).toBe(planContentHash(planInEffect(plan!, july!)));
    expect(july!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps the content hash of what paid before a version when the version is added', () => {
    const before = parsePlan(WITHOUT_VERSIONS, FILE).plan!;
    const after = parsePlan(EXAMPLE_PLAN, FILE).plan!;
    expect(planContentHash(after)).toBe(planContentHash(before));
    expect(after.versions![0]!.hash).not.toBe(planContentHash(before));
  });

  it('carries a key from the version before, not from the plan', () => {
    const { plan, issues } = parsePlan(
      withVersions(
        '  - effective: 2026-07-01\n    name: AE H2\n' +
          '  - effective: 2026-10-01\n    measures:\n      bookings: { credit: splits }\n',
      ),
      FILE,
    );
    expect(issues).toEqual([]);
    expect(plan!.versions!.map((v) => [v.effective, v.name, v.measures['bookings']?.credit])).toEqual([
      ['2026-07-01', 'AE H2', 'owner'],
      ['2026-10-01', 'AE H2', 'splits'],
    ]);
  });

  it('shows the timeline: which quota periods each version pays, and its hash', () => {
    const { plan } = parsePlan(
      withVersions('  - effective: 2026-07-01\n    name: AE Q3\n  - effective: 2026-10-01\n    name: AE Q4 on\n'),
      FILE,
    );
    const timeline = planTimeline(plan!, new FiscalCalendar(1));
    expect(timeline.map((e) => [e.version, e.effective ?? '-', describeQuotaPeriods(e)])).toEqual([
      [1, '-', 'through 2026-Q2'],
      [2, '2026-07-01', '2026-Q3'],
      [3, '2026-10-01', '2026-Q4 on'],
    ]);
    expect(timeline[0]!.hash).toBe(planContentHash(plan!));
    expect(new Set(timeline.map((e) => e.hash)).size).toBe(3);
  });

  it('judges "the first day of a quota period" by the fiscal calendar', () => {
    // With a fiscal year from February, 2026-Q2 starts on 1 May.
    const text = withVersions('  - effective: 2026-05-01\n    name: AE\n');
    expect(problems(text, 2)).toEqual([]);
    expect(problems(text, 1)).toEqual([
      `${FILE}:${positionOf(text, '2026-05-01')} versions[0].effective: 2026-05-01 is inside the quota period 2026-Q2 ` +
        '(2026-04-01 to 2026-06-30): a version takes effect on the first day of a quota period: 2026-04-01 or 2026-07-01',
    ]);
  });
});

describe('bad versions (each an error naming file:line)', () => {
  it('a version starting inside a quota period', () => {
    const text = withVersions('  - effective: 2026-07-15\n    name: AE\n');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, '2026-07-15')} versions[0].effective: 2026-07-15 is inside the quota period 2026-Q3 ` +
        '(2026-07-01 to 2026-09-30): a version takes effect on the first day of a quota period: 2026-07-01 or 2026-10-01',
    ]);
  });

  it('versions out of order, and two on one date (overlapping)', () => {
    const text = withVersions(
      '  - effective: 2026-10-01\n    name: A\n' +
        '  - effective: 2026-07-01\n    name: B\n' +
        '  - effective: 2027-01-01\n    name: C\n' +
        '  - effective: 2027-01-01\n    name: D\n',
    );
    const lines = text.split('\n');
    const lineOf = (needle: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    const second2027 = lineOf('2027-01-01', lineOf('2027-01-01') + 1);
    expect(problems(text)).toEqual([
      `${FILE}:${lineOf('2026-07-01')}:16 versions[1].effective: versions must be in order of effective date: ` +
        '2026-07-01 comes before 2026-10-01 (versions[0])',
      `${FILE}:${second2027}:16 versions[3].effective: versions[2] takes effect on 2027-01-01 too: two versions cannot overlap`,
    ]);
  });

  it('a key a version may not change, a misspelt key, a version that changes nothing, a date that is none', () => {
    const text = withVersions(
      '  - effective: 2026-07-01\n    currency: EUR\n' +
        '  - effective: 2026-10-01\n    compnents: []\n' +
        '  - effective: 2027-02-30\n    name: X\n' +
        '  - effective: 2027-04-01\n',
    );
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'EUR')} versions[0].currency: currency cannot change in a version (a version changes ` +
        'name, measures, components): for another currency, start a new plan and move the reps to it in assignments.csv',
      `${FILE}:${positionOf(text, '[]')} versions[1].compnents: unknown key (did you mean components?)`,
      `${FILE}:${positionOf(text, '2027-02-30')} versions[2].effective: expected a date YYYY-MM-DD`,
      `${FILE}:${positionOf(text, '- effective: 2027-04-01', 2)} versions[3]: a version changes nothing: give name, ` +
        "measures, components (each replaces the plan's key whole)",
    ]);
  });

  it('an empty versions list', () => {
    const text = `${WITHOUT_VERSIONS}versions: []\n`;
    expect(problems(text)).toEqual([`${FILE}:${positionOf(text, '[]')} versions: must not be empty`]);
  });

  it("a version's components are checked as the plan's are, where the version wrote them", () => {
    const text = withVersions(
      '  - effective: 2026-07-01\n    components:\n' +
        '      - { id: commission, kind: rate-table, measure: bookngs, basis: amount, mode: marginal, tiers: [{ from: 0, rate: 5 }] }\n',
    );
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'bookngs')} versions[0].components[0].measure: unknown measure bookngs (did you mean bookings?)`,
    ]);
    const rate = text.replace('bookngs', 'bookings');
    expect(problems(rate)).toEqual([
      `${FILE}:${positionOf(rate, 'rate: 5', 6)} versions[0].components[0].tiers[0].rate: rate 5 is above the highest rate ` +
        'allowed, 1 (1 pays all of the credited amount): a typo? If it is meant, raise limits.maxRate in attain.yaml',
    ]);
  });

  it('a measure a version removes while a component still reads it: reported at the version', () => {
    const text = withVersions('  - effective: 2026-07-01\n    measures:\n      revenue: { credit: owner }\n');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, '- effective', 2)} versions[0]: from 2026-07-01, components[0].measure: ` +
        'unknown measure bookings (measures: revenue)',
    ]);
  });

  it('is not checked while the plan itself is wrong (its problems first, each once)', () => {
    const text = withVersions('  - effective: 2026-07-01\n    name: AE\n').replace('currency: USD', 'currency: usd');
    expect(problems(text)).toEqual([
      `${FILE}:${positionOf(text, 'usd')} currency: expected a 3-letter currency code in capitals such as USD`,
    ]);
  });
});
