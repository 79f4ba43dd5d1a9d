import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDecimal } from '../../src/domain/decimal.js';
import type { OrgOptions, OrgSummary } from './synthetic-org.js';
import { MARKER_FILE, ensureOrg, generateOrg } from './synthetic-org.js';

const OPTIONS: OrgOptions = { reps: 200, deals: 5_000, seed: 7 };
const HUNDRED = decimalOf('100');

let root: string;
let org: OrgSummary;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'attain-synthetic-'));
  org = await generateOrg(join(root, 'a'), OPTIONS);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

async function csv(name: string): Promise<Array<Record<string, string>>> {
  return parseCsv(await readFile(join(org.dir, 'data', name)), { columns: true }) as Array<Record<string, string>>;
}

function decimalOf(text: string | undefined): bigint {
  const value = parseDecimal(text ?? '');
  if (value === undefined) throw new Error(`not a decimal: ${text}`);
  return value;
}

describe('generateOrg', () => {
  it('writes the same bytes for the same options, and other bytes for another seed', async () => {
    const again = await generateOrg(join(root, 'b'), OPTIONS);
    const names = await filesUnder(org.dir);
    expect(names).toEqual([
      'attain.yaml',
      'data/assignments.csv',
      'data/deals.csv',
      'data/fx.csv',
      'data/quotas.csv',
      'data/reps.csv',
      'data/splits.csv',
      'plans/ae-marginal.yaml',
      'plans/ae-retro.yaml',
      'plans/manager.yaml',
    ]);
    expect(await filesUnder(again.dir)).toEqual(names);
    for (const name of names) {
      const [a, b] = await Promise.all([readFile(join(org.dir, name)), readFile(join(again.dir, name))]);
      expect(a.equals(b), name).toBe(true);
    }
    expect({ ...again, dir: org.dir }).toEqual(org);

    const other = await generateOrg(join(root, 'c'), { ...OPTIONS, seed: 8 });
    for (const name of ['data/reps.csv', 'data/deals.csv', 'data/splits.csv', 'data/quotas.csv']) {
      const [a, c] = await Promise.all([readFile(join(org.dir, name)), readFile(join(other.dir, name))]);
      expect(a.equals(c), name).toBe(false);
    }
  });

  it('reports what it wrote', async () => {
    let bytes = 0;
    for (const [name, size] of Object.entries(org.files)) {
      expect((await stat(join(org.dir, name))).size, name).toBe(size);
      bytes += size;
    }
    expect(org.bytes).toBe(bytes);
    expect((await csv('reps.csv')).length).toBe(OPTIONS.reps);
    expect((await csv('deals.csv')).length).toBe(OPTIONS.deals);
    expect((await csv('splits.csv')).length).toBe(org.splits);
  });

  it('builds a four-level hierarchy in which every manager exists', async () => {
    const reps = await csv('reps.csv');
    const byId = new Map(reps.map((rep) => [rep.id, rep]));
    expect(byId.size).toBe(reps.length);
    const roots = reps.filter((rep) => rep.managerId === '');
    expect(roots.map((rep) => rep.id)).toEqual(['r1']);
    const depth = (id: string): number => {
      const managerId = byId.get(id)?.managerId;
      return managerId ? 1 + depth(managerId) : 1;
    };
    for (const rep of reps) if (rep.managerId) expect(byId.has(rep.managerId), rep.id).toBe(true);
    const levels = new Map<number, number>();
    for (const rep of reps) {
      const level = depth(rep.id as string);
      levels.set(level, (levels.get(level) ?? 0) + 1);
    }
    expect([...levels.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(levels.get(4)).toBeGreaterThan(180);
    expect(reps.some((rep) => rep.active === 'false')).toBe(true);
    expect(reps.every((rep) => rep.active === 'true' || rep.active === 'false')).toBe(true);
  });

  it('gives every deal an individual rep assigned to a plan on its close date', async () => {
    const reps = await csv('reps.csv');
    const managers = new Set(reps.map((rep) => rep.managerId));
    const individuals = new Set(reps.filter((rep) => !managers.has(rep.id)).map((rep) => rep.id));
    const assignmentsOf = new Map<string, Array<Record<string, string>>>();
    for (const a of await csv('assignments.csv')) {
      assignmentsOf.set(a.repId as string, [...(assignmentsOf.get(a.repId as string) ?? []), a]);
    }
    const deals = await csv('deals.csv');
    // One expect per deal would dominate the test's time: collect what is wrong instead.
    const problems: string[] = [];
    const [least, most] = [decimalOf('1000'), decimalOf('200000')];
    for (const deal of deals) {
      const day = deal.closeDate as string;
      const covering = (assignmentsOf.get(deal.ownerId as string) ?? []).filter(
        (a) => (a.from as string) <= day && (a.to === '' || day <= (a.to as string)),
      );
      const amount = /^\d+\.\d{2}$/.test(deal.amount as string) ? decimalOf(deal.amount) : undefined;
      if (!individuals.has(deal.ownerId as string)) problems.push(`${deal.id}: owner ${deal.ownerId}`);
      if (covering.length !== 1) problems.push(`${deal.id}: ${covering.length} assignments on ${day}`);
      if (deal.stage !== 'won') problems.push(`${deal.id}: stage ${deal.stage}`);
      if (!['New Business', 'Upsell', 'Renewal'].includes(deal.type as string)) problems.push(`${deal.id}: type`);
      if (!['12', '24', '36'].includes(deal.contractTermMonths as string)) problems.push(`${deal.id}: term`);
      if (amount === undefined || amount < least || amount > most) problems.push(`${deal.id}: amount ${deal.amount}`);
    }
    expect(problems).toEqual([]);
    expect(deals.map((deal) => deal.id)).toEqual(deals.map((_, i) => `d${i + 1}`));
    const share = (currency: string): number => deals.filter((d) => d.currency === currency).length / deals.length;
    expect(share('USD')).toBeCloseTo(0.7, 1);
    expect(share('EUR')).toBeCloseTo(0.2, 1);
    expect(share('GBP')).toBeCloseTo(0.1, 1);
  });

  it('never overlaps two assignments of one rep, and includes plan changes and mid-quarter starts', async () => {
    const assignments = await csv('assignments.csv');
    const byRep = new Map<string, Array<Record<string, string>>>();
    for (const a of assignments) byRep.set(a.repId as string, [...(byRep.get(a.repId as string) ?? []), a]);
    for (const [repId, list] of byRep) {
      const sorted = [...list].sort((x, y) => ((x.from as string) < (y.from as string) ? -1 : 1));
      for (let i = 1; i < sorted.length; i += 1) {
        const previous = sorted[i - 1] as Record<string, string>;
        expect(previous.to, repId).not.toBe('');
        expect((previous.to as string) < (sorted[i]?.from as string), repId).toBe(true);
      }
    }
    const changers = [...byRep.values()].filter((list) => list.length === 2);
    expect(changers.length).toBeGreaterThan(0);
    expect(changers.every(([a, b]) => a?.planId !== b?.planId)).toBe(true);
    expect(assignments.some((a) => a.from !== '2026-01-01' && byRep.get(a.repId as string)?.length === 1)).toBe(true);
    expect(new Set(assignments.map((a) => a.planId))).toEqual(new Set(['manager', 'ae-marginal', 'ae-retro']));
  });

  it('writes revenue splits that sum to exactly 100, to known reps', async () => {
    const reps = new Set((await csv('reps.csv')).map((rep) => rep.id));
    const owners = new Map((await csv('deals.csv')).map((deal) => [deal.id, deal.ownerId]));
    const revenue = new Map<string, bigint>();
    const splitDeals = new Set<string>();
    let overlays = 0;
    const problems: string[] = [];
    for (const split of await csv('splits.csv')) {
      const dealId = split.dealId as string;
      const percent = decimalOf(split.percent);
      if (!reps.has(split.repId)) problems.push(`${dealId}: unknown rep ${split.repId}`);
      if (!owners.has(dealId)) problems.push(`${dealId}: unknown deal`);
      if (percent <= 0n || percent >= HUNDRED) problems.push(`${dealId}: percent ${split.percent}`);
      splitDeals.add(dealId);
      if (split.kind === 'revenue') revenue.set(dealId, (revenue.get(dealId) ?? 0n) + percent);
      else if (split.kind === 'overlay') overlays += 1;
      else problems.push(`${dealId}: kind ${split.kind}`);
    }
    for (const dealId of splitDeals) if (revenue.get(dealId) !== HUNDRED) problems.push(`${dealId}: revenue ≠ 100`);
    expect(problems).toEqual([]);
    expect(splitDeals.size / OPTIONS.deals).toBeCloseTo(0.2, 1);
    expect(overlays).toBeGreaterThan(0);
    const percents = new Set((await csv('splits.csv')).map((split) => split.percent));
    expect(percents.has('33.33') && percents.has('66.67')).toBe(true);
  });

  it('gives every rep a whole-number quota for each quarter assigned, and monthly rates', async () => {
    const quotas = await csv('quotas.csv');
    const reps = await csv('reps.csv');
    const quarters = new Set(quotas.map((q) => q.period));
    expect(quarters).toEqual(new Set(['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']));
    for (const quota of quotas) expect(quota.amount, quota.repId).toMatch(/^[1-9]\d*$/);
    expect(new Set(quotas.map((q) => q.repId))).toEqual(new Set(reps.map((rep) => rep.id)));
    const fx = await csv('fx.csv');
    expect(fx.length).toBe(24);
    for (const rate of fx) {
      expect(['EUR', 'GBP']).toContain(rate.currency);
      expect(rate.rate).toMatch(/^0\.\d{1,6}$/);
    }
  });

  it('writes plans and attain.yaml with only the keys a plan allows', async () => {
    const workspace = parseYaml(await readFile(join(org.dir, 'attain.yaml'), 'utf8')) as Record<string, unknown>;
    expect(workspace.source).toEqual({ kind: 'csv', csv: { dir: 'data' } });
    const planKeys = [
      'id',
      'name',
      'currency',
      'quotaPeriod',
      'payoutPeriod',
      'measures',
      'components',
      'draw',
      'clawback',
    ];
    const componentKeys: Record<string, string[]> = {
      'rate-table': ['id', 'kind', 'measure', 'basis', 'mode', 'tiers', 'gate', 'cap'],
      'per-deal': ['id', 'kind', 'measure', 'where', 'amount', 'rate'],
      bonus: ['id', 'kind', 'measure', 'attainmentAtLeast', 'amount'],
      override: ['id', 'kind', 'measure', 'rate'],
    };
    for (const id of ['ae-marginal', 'ae-retro', 'manager']) {
      const plan = parseYaml(await readFile(join(org.dir, 'plans', `${id}.yaml`), 'utf8')) as {
        id: string;
        measures: Record<string, Record<string, unknown>>;
        components: Array<{ kind: string; measure: string }>;
      };
      expect(plan.id).toBe(id);
      for (const key of Object.keys(plan)) expect(planKeys, `${id}: ${key}`).toContain(key);
      for (const measure of Object.values(plan.measures)) {
        for (const key of Object.keys(measure)) expect(['credit', 'where', 'rollup']).toContain(key);
      }
      for (const component of plan.components) {
        expect(plan.measures[component.measure], `${id}: ${component.measure}`).toBeDefined();
        for (const key of Object.keys(component)) expect(componentKeys[component.kind], `${id}: ${key}`).toContain(key);
      }
    }
  });
});

describe('ensureOrg', () => {
  it('generates once and then reuses the org, regenerating when the options change', async () => {
    const cache = join(root, 'cache');
    const first = await ensureOrg(cache, OPTIONS);
    expect(first.reused).toBe(false);
    expect(first.dir).toBe(join(cache, 'org-200-5000-7'));
    const marker = await stat(join(first.dir, MARKER_FILE));

    const second = await ensureOrg(cache, OPTIONS);
    expect(second.reused).toBe(true);
    expect({ ...second, reused: false }).toEqual(first);
    expect((await stat(join(first.dir, MARKER_FILE))).mtimeMs).toBe(marker.mtimeMs);

    const shorter = await ensureOrg(cache, { ...OPTIONS, months: 6 });
    expect(shorter.reused).toBe(false);
    expect(await readdir(cache)).toEqual(['org-200-5000-7']);
  });
});

describe('open deals', () => {
  it('makes openDeals of the deals open, evenly spread, every other byte as without', async () => {
    const open = await generateOrg(join(root, 'open'), { ...OPTIONS, openDeals: 500 });
    const read = async (dir: string) => readFile(join(dir, 'data/deals.csv'), 'utf8');
    const withOpen = (await read(open.dir)).split('\n');
    const without = (await read(org.dir)).split('\n');
    const stages = withOpen.slice(1, -1).map((line) => line.split(',')[6]);
    expect(stages.filter((s) => s === 'open')).toHaveLength(500);
    // One in ten, each tenth deal: d10, d20, …
    expect(withOpen[10]).toMatch(/^d10,.*,open,/);
    expect(withOpen.map((line) => line.replace(',open,', ',won,'))).toEqual(without);
    expect(await readFile(join(open.dir, 'data/splits.csv'), 'utf8')).toBe(
      await readFile(join(org.dir, 'data/splits.csv'), 'utf8'),
    );
  });
});
