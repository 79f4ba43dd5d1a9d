/**
 * Calculating a plan in shards of its reps gives, shard by shard, exactly the lines, attainment and
 * rejects of calculating every rep at once: on the synthetic org (four-level hierarchy with manager
 * overrides and roll-ups, a draw, a bonus, plan changes, leavers), with and without a locked
 * quarter. And the shards' digests add up to the whole plan's hash.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mergeDigests,
  mergeShardOutcomes,
  hashOfDigest,
  planDigest,
  planResultHash,
  shardOf,
  type CalculateOutcome,
} from '../../jobs/calculate.js';
import { shardCounts } from '../../jobs/sync.js';
import { prepareCalculation } from '../../jobs/prepare-calculation.js';
import { calculate, type CalculationInput, type CalculationResult, type PayoutLine } from '../../src/domain/engine.js';
import { generateOrg } from '../bench/synthetic-org.js';

let root: string;
let input: CalculationInput;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'attain-shards-'));
  const org = await generateOrg(join(root, 'org'), { reps: 120, deals: 3_000, seed: 11 });
  input = (await prepareCalculation(org.dir)).input;
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const lineKey = (l: PayoutLine) =>
  JSON.stringify([l.repId, l.planId, l.period, l.component, l.amount, l.currency, l.trace.toJSON()]);

function inShards(source: CalculationInput, count: number): CalculationResult[] {
  return Array.from({ length: count }, (_, index) =>
    calculate(source, { reps: (repId) => shardOf(repId, count) === index }),
  );
}

function expectSameAsWhole(source: CalculationInput, count: number): void {
  const whole = calculate(source);
  const shards = inShards(source, count);
  // Each rep's lines come from exactly one shard, in the engine's order within it.
  expect(shards.flatMap((s) => s.payouts.map(lineKey)).sort()).toEqual(whole.payouts.map(lineKey).sort());
  for (const shard of shards) {
    const own = new Set(shard.payouts.map((l) => l.repId));
    expect(shard.payouts.map(lineKey)).toEqual(whole.payouts.filter((l) => own.has(l.repId)).map(lineKey));
  }
  expect(shards.flatMap((s) => s.attainment.map((a) => JSON.stringify(a))).sort()).toEqual(
    whole.attainment.map((a) => JSON.stringify(a)).sort(),
  );
  const rejects = new Set(shards.flatMap((s) => s.rejects.map((r) => JSON.stringify(r))));
  expect([...rejects].sort()).toEqual(whole.rejects.map((r) => JSON.stringify(r)).sort());
  expect(shards.every((s) => s.asOf === whole.asOf)).toBe(true);

  for (const plan of source.plans) {
    const of = (r: CalculationResult) => ({
      lines: r.payouts.filter((l) => l.planId === plan.id),
      attainment: r.attainment.filter((a) => a.planId === plan.id),
    });
    const w = of(whole);
    const merged = mergeDigests(shards.map((s) => planDigest(of(s).lines, of(s).attainment)));
    expect(hashOfDigest(merged)).toBe(planResultHash(w.lines, w.attainment));
  }
}

describe('a plan calculated in shards of its reps', () => {
  it('the synthetic org has managers paid on roll-ups, so a shard needs credit from reps outside it', () => {
    const managers = new Set(input.data.reps.filter((r) => r.managerId).map((r) => r.managerId));
    expect(managers.size).toBeGreaterThan(5);
    expect(input.plans.some((p) => p.components.some((c) => c.kind === 'override'))).toBe(true);
  });

  it.each([2, 3, 7])('in %i shards: the lines, attainment and rejects of the whole, each rep in one shard', (count) => {
    expectSameAsWhole(input, count);
  });

  it('with a locked quarter and its lines as paid: the same again', () => {
    const whole = calculate(input);
    const quarter = whole.payouts.find((l) => /^\d{4}-Q\d$/.test(l.period))?.period ?? '2026-Q1';
    const year = quarter.slice(0, 4);
    const months = ['01', '02', '03'].map((m) => `${year}-${m}`);
    const lines = whole.payouts.filter((l) => l.period === quarter || months.includes(l.period));
    expect(lines.length).toBeGreaterThan(0);
    expectSameAsWhole({ ...input, locked: { periods: [quarter], lines } }, 3);
  });

  it('a hash that tells results apart: one cent more on one line changes it', () => {
    const whole = calculate(input);
    const plan = input.plans[0]!.id;
    const lines = whole.payouts.filter((l) => l.planId === plan);
    const attainment = whole.attainment.filter((a) => a.planId === plan);
    const changed = lines.map((l, i) => (i === 7 ? { ...l, amount: (Number(l.amount) + 0.01).toFixed(2) } : l));
    expect(planResultHash(changed, attainment)).not.toBe(planResultHash(lines, attainment));
    // Moving a line from one rep to another, same amount: also different.
    const moved = lines.map((l, i) => (i === 7 ? { ...l, repId: lines.find((o) => o.repId !== l.repId)!.repId } : l));
    expect(planResultHash(moved, attainment)).not.toBe(planResultHash(lines, attainment));
  });

  it('merging shard outcomes adds counts and totals and keeps each engine reject once', () => {
    const a: CalculateOutcome = {
      asOf: '2026-06-30',
      plans: [
        {
          planId: 'p',
          lines: 2,
          attainment: 1,
          hash: 'x',
          digest: { lines: 2, attainment: 1, sum: '1'.padStart(64, '0') },
          totals: [{ period: '2026-01', currency: 'USD', amount: '10.5' }],
        },
      ],
      engineRejects: 1,
    };
    const b: CalculateOutcome = {
      asOf: '2026-06-30',
      plans: [
        {
          planId: 'p',
          lines: 3,
          attainment: 2,
          hash: 'y',
          digest: { lines: 3, attainment: 2, sum: '2'.padStart(64, '0') },
          totals: [
            { period: '2026-01', currency: 'USD', amount: '0.25' },
            { period: '2026-02', currency: 'USD', amount: '1' },
          ],
        },
      ],
      engineRejects: 1,
    };
    const merged = mergeShardOutcomes('p', [a, b]);
    expect(merged.plans).toEqual([
      {
        planId: 'p',
        lines: 5,
        attainment: 3,
        digest: { lines: 5, attainment: 3, sum: '3'.padStart(64, '0') },
        hash: hashOfDigest({ lines: 5, attainment: 3, sum: '3'.padStart(64, '0') }),
        totals: [
          { period: '2026-01', currency: 'USD', amount: '10.75' },
          { period: '2026-02', currency: 'USD', amount: '1' },
        ],
      },
    ]);
    // Every shard credits every deal: the same rejects each, counted once.
    expect(merged.engineRejects).toBe(1);
    expect(merged.asOf).toBe('2026-06-30');
  });

  it('cuts a plan with more assigned reps than shardReps into ceil(n / shardReps) shards; a rep keeps its shard', () => {
    const perPlan = new Map<string, Set<string>>();
    for (const a of input.data.assignments) perPlan.set(a.planId, (perPlan.get(a.planId) ?? new Set()).add(a.repId));
    const largest = Math.max(...[...perPlan.values()].map((s) => s.size));
    expect(shardCounts(input, largest)).toEqual({});
    const counts = shardCounts(input, 20);
    for (const [planId, reps] of perPlan)
      expect(counts[planId]).toBe(reps.size > 20 ? Math.ceil(reps.size / 20) : undefined);
    expect(shardOf('rep-0042', 5)).toBe(shardOf('rep-0042', 5));
    const spread = new Set(input.data.reps.map((r) => shardOf(r.id, 4)));
    expect(spread.size).toBe(4);
  });
});
