/**
 * A deterministic synthetic company for the benchmark: a complete CSV workspace (docs/workspace.md) with a
 * four-level sales hierarchy, three comp plans, plan changes, mid-quarter starters, leavers, dated
 * exchange rates, split deals and overlays.
 *
 * The same options always give byte-identical files: every random choice comes from a seeded
 * mulberry32 stream, and nothing that is written goes through a transcendental function or the
 * clock (only integer and basic IEEE arithmetic, which is exact and the same on every platform).
 *
 * Deals and splits are streamed through buffered write streams that respect backpressure, so a
 * million deals take a few seconds and little memory.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface OrgOptions {
  /** Everyone in the hierarchy: the VP, directors, managers and individual reps (at least 4). */
  reps: number;
  deals: number;
  seed: number;
  /** How many months of closed deals, from `startDate` (default 12). */
  months?: number;
  /** First day covered, `YYYY-MM-DD` (default 2026-01-01). */
  startDate?: string;
  /**
   * How many of the deals are open rather than won (default 0), spread evenly through them: the
   * pipeline the estimates are calculated for (docs/estimates.md). Every other byte is as without.
   */
  openDeals?: number;
}

export interface OrgSummary {
  reps: number;
  deals: number;
  /** Rows in data/splits.csv (revenue and overlay). */
  splits: number;
  dir: string;
  /** Everything written, in bytes. */
  bytes: number;
  /** Bytes per file, by path relative to `dir`. */
  files: Record<string, number>;
}

/** Bump when the generated content changes, so that `ensureOrg` caches are rebuilt. */
export const GENERATOR_VERSION = 1;
/** Written last by `ensureOrg`: its presence means the directory is complete. */
export const MARKER_FILE = '.synthetic-org.json';

const DEFAULT_MONTHS = 12;
const DEFAULT_START = '2026-01-01';
const DAY_MS = 86_400_000;
const CHUNK_CHARS = 1 << 16;

// ---------------------------------------------------------------------------------------------
// Randomness

/** mulberry32 (Tommy Ettinger): tiny, fast, and good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** An integer in [lo, hi], both inclusive. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(percent: number): boolean {
    return this.int(100) < percent;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** An independent stream per part of the org, so that e.g. the deal count does not reshuffle reps. */
function stream(seed: number, part: number): Rng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi + 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) ^ Math.imul(part + 1, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
  return new Rng((h ^ (h >>> 15)) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Dates, as whole days since 1970-01-01 (UTC)

function parseDay(iso: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) throw new RangeError(`startDate must be YYYY-MM-DD, got ${JSON.stringify(iso)}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(y, m - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`startDate is not a calendar date: ${iso}`);
  }
  return ms / DAY_MS;
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** First day of the month `offset` months after the month holding `day`. */
function monthStart(day: number, offset: number): number {
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1) / DAY_MS;
}

interface Quarter {
  label: string;
  first: number;
  last: number;
}

/** Calendar quarters (fiscal year starting in January) overlapping [first, last]. */
function quartersBetween(first: number, last: number): Quarter[] {
  const quarters: Quarter[] = [];
  const start = new Date(first * DAY_MS);
  let q = Math.floor(start.getUTCMonth() / 3);
  let year = start.getUTCFullYear();
  for (;;) {
    const qFirst = Date.UTC(year, q * 3, 1) / DAY_MS;
    if (qFirst > last) return quarters;
    const qLast = Date.UTC(year, q * 3 + 3, 1) / DAY_MS - 1;
    quarters.push({ label: `${year}-Q${q + 1}`, first: qFirst, last: qLast });
    q += 1;
    if (q === 4) {
      q = 0;
      year += 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Output

/** Appends text and hands it to the stream in ~64 KB chunks, waiting whenever the stream is full. */
class ChunkedWriter {
  private buffer = '';
  bytes = 0;
  private readonly out: WriteStream;

  constructor(path: string) {
    this.out = createWriteStream(path);
  }

  /** Synchronous: callers check `full` and await `flush()` now and then, not once per row. */
  push(text: string): void {
    this.buffer += text;
  }

  get full(): boolean {
    return this.buffer.length >= CHUNK_CHARS;
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    this.bytes += Buffer.byteLength(chunk);
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async close(): Promise<number> {
    await this.flush();
    this.out.end();
    await once(this.out, 'close');
    return this.bytes;
  }
}

/** Cents as `1234.50`, whole units as `1234` (both as the CSV connector reads them). */
function formatCents(cents: number): string {
  const units = Math.floor(cents / 100);
  const rest = cents - units * 100;
  return `${units}.${rest < 10 ? '0' : ''}${rest}`;
}

/** Hundredths of a percent as the shortest exact decimal: 6667 → `66.67`, 5000 → `50`, 1250 → `12.5`. */
function formatHundredths(n: number): string {
  const whole = Math.floor(n / 100);
  const rest = n - whole * 100;
  if (rest === 0) return String(whole);
  return rest % 10 === 0 ? `${whole}.${rest / 10}` : `${whole}.${rest < 10 ? '0' : ''}${rest}`;
}

/** Millionths as a decimal with up to six places: 923400 → `0.9234`. */
function formatMillionths(n: number): string {
  const whole = Math.floor(n / 1_000_000);
  const fraction = String(n - whole * 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

// ---------------------------------------------------------------------------------------------
// Plans (docs/plans.md)

const PLANS: Record<string, string> = {
  'ae-marginal.yaml': `id: ae-marginal
name: Account Executive (marginal)
currency: USD
quotaPeriod: quarter
payoutPeriod: month
measures:
  bookings:
    credit: splits
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0,   rate: 0.05 }
      - { from: 1.0, rate: 0.08 }
      - { from: 1.5, rate: 0.10 }
  - id: multi-year-spiff
    kind: per-deal
    measure: bookings
    where: { contractTermMonths: { gte: 24 } }
    amount: 250
  - id: club-bonus
    kind: bonus
    measure: bookings
    attainmentAtLeast: 1.0
    amount: 2000
draw: { amount: 1500, recoverable: true }
`,
  'ae-retro.yaml': `id: ae-retro
name: Account Executive (retroactive)
currency: USD
quotaPeriod: quarter
payoutPeriod: quarter
measures:
  bookings:
    credit: owner
    where: { type: [New Business, Upsell] }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: retroactive
    tiers:
      - { from: 0,   rate: 0.04 }
      - { from: 0.8, rate: 0.06 }
      - { from: 1.2, rate: 0.09 }
    gate: 0.5
    cap: 60000
clawback: { windowDays: 90 }
`,
  'manager.yaml': `id: manager
name: Sales Manager
currency: USD
quotaPeriod: quarter
payoutPeriod: month
measures:
  team:
    credit: splits
components:
  - id: commission
    kind: rate-table
    measure: team
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0,   rate: 0.01 }
      - { from: 1.0, rate: 0.015 }
  - id: team-override
    kind: override
    measure: team
    rate: 0.005
`,
};

const WORKSPACE_YAML = `# A synthetic benchmark org, written by test/bench/synthetic-org.ts.
source:
  kind: csv
  csv: { dir: data }
calendar: { fiscalYearStartMonth: 1, tz: UTC }
baseCurrency: USD
`;

// ---------------------------------------------------------------------------------------------
// Vocabulary

const FIRST_NAMES = [
  'Ava',
  'Ben',
  'Chloe',
  'Daniel',
  'Elena',
  'Farah',
  'George',
  'Hana',
  'Ivan',
  'Julia',
  'Kenji',
  'Lena',
  'Marco',
  'Nadia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Samuel',
  'Tara',
  'Umar',
  'Vera',
  'William',
  'Xin',
  'Yusuf',
  'Zoe',
  'Aisha',
  'Bruno',
  'Carmen',
  'Dmitri',
  'Emma',
  'Felix',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
];
const LAST_NAMES = [
  'Anderson',
  'Becker',
  'Chen',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Hoffmann',
  'Ito',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Patel',
  'Quintero',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Ueda',
  'Varga',
  'Weber',
  'Xu',
  'Yilmaz',
  'Zimmermann',
  'Alvarez',
  'Brennan',
  'Costa',
  'Dalton',
];
const COMPANY_HEADS = [
  'Acme',
  'Northwind',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Hooli',
  'Vandelay',
  'Oscorp',
  'Massive',
  'Aperture',
  'Blue Sun',
  'Gringotts',
  'Monarch',
  'Pied Piper',
  'Wonka',
  'Zenith',
  'Atlas',
  'Beacon',
  'Cascade',
  'Drift',
  'Ember',
  'Fjord',
  'Granite',
  'Harbor',
  'Ion',
];
const COMPANY_TAILS = [
  'Labs',
  'Logistics',
  'Health',
  'Systems',
  'Foods',
  'Energy',
  'Capital',
  'Retail',
  'Robotics',
  'Media',
  'Analytics',
  'Aerospace',
  'Pharma',
  'Holdings',
  'Software',
  'Industries',
  'Mobility',
  'Security',
];
const DEAL_TYPES = ['New Business', 'Upsell', 'Renewal'] as const;

/** Deal amounts: a bucket by weight (percent), then a uniform amount in cents inside it. */
const AMOUNT_BUCKETS = [
  { weight: 25, lo: 1_000_00, hi: 5_000_00 },
  { weight: 30, lo: 5_000_00, hi: 20_000_00 },
  { weight: 22, lo: 20_000_00, hi: 50_000_00 },
  { weight: 15, lo: 50_000_00, hi: 100_000_00 },
  { weight: 8, lo: 100_000_00, hi: 200_000_00 },
];
function pickBucket(rng: Rng): { lo: number; hi: number } {
  let roll = rng.int(100);
  for (const bucket of AMOUNT_BUCKETS) {
    if (roll < bucket.weight) return bucket;
    roll -= bucket.weight;
  }
  throw new Error('AMOUNT_BUCKETS weights must add up to 100');
}
/** The mean of the buckets above, in whole currency units; quotas are set around it. */
const MEAN_DEAL_AMOUNT = AMOUNT_BUCKETS.reduce((sum, b) => sum + (b.weight * (b.lo + b.hi)) / 2 / 100, 0) / 100;

/** The owner's share of a revenue split, in hundredths of a percent; the other rep gets the rest. */
const OWNER_SHARES = [6000, 5000, 5000, 7000, 7500, 8000, 6667, 3333, 5550];
const OVERLAY_SHARES = [1000, 1000, 2500, 1250];

// ---------------------------------------------------------------------------------------------
// The org

interface Shape {
  directors: number;
  managers: number;
  individuals: number;
}

/** 1 VP, ~reps/1000 directors, ~reps/100 managers, the rest individual reps (10,000 → 1+10+100+9,889). */
function shapeFor(reps: number): Shape {
  if (reps < 20) return { directors: 1, managers: 1, individuals: reps - 3 };
  const directors = Math.max(2, Math.round(reps / 1000));
  const managers = Math.max(2 * directors, Math.round(reps / 100));
  return { directors, managers, individuals: reps - 1 - directors - managers };
}

function normalize(options: OrgOptions): Required<Omit<OrgOptions, 'openDeals'>> & { openDeals?: number } {
  const { reps, deals, seed } = options;
  const openDeals = options.openDeals ?? 0;
  const months = options.months ?? DEFAULT_MONTHS;
  const startDate = options.startDate ?? DEFAULT_START;
  if (!Number.isInteger(reps) || reps < 4) throw new RangeError(`reps must be an integer ≥ 4, got ${reps}`);
  if (!Number.isInteger(deals) || deals < 0) throw new RangeError(`deals must be an integer ≥ 0, got ${deals}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  if (!Number.isInteger(months) || months < 1 || months > 120) {
    throw new RangeError(`months must be an integer from 1 to 120, got ${months}`);
  }
  parseDay(startDate);
  if (!Number.isInteger(openDeals) || openDeals < 0 || openDeals > deals) {
    throw new RangeError(`openDeals must be an integer from 0 to deals, got ${openDeals}`);
  }
  // Absent when 0, so that an org without open deals keeps the cache key it always had.
  return { reps, deals, seed, months, startDate, ...(openDeals > 0 ? { openDeals } : {}) };
}

/** Chooses `count` distinct indices below `n`, in a deterministic order. */
function distinctIndices(rng: Rng, n: number, count: number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  const chosen: number[] = [];
  for (let i = 0; i < Math.min(count, n); i += 1) {
    const j = i + rng.int(n - i);
    const picked = pool[j] as number;
    pool[j] = pool[i] as number;
    pool[i] = picked;
    chosen.push(picked);
  }
  return chosen;
}

/**
 * Writes a complete workspace into `dir` (created if needed; files of the same names are replaced,
 * anything else is left alone).
 */
export async function generateOrg(dir: string, options: OrgOptions): Promise<OrgSummary> {
  const { reps, deals, seed, months, startDate, openDeals = 0 } = normalize(options);
  const firstDay = parseDay(startDate);
  const endDay = monthStart(firstDay, months) + (new Date(firstDay * DAY_MS).getUTCDate() - 1); // exclusive
  const lastDay = endDay - 1;
  /** Calendar months touched (one more than `months` when the start is not on the 1st). */
  let monthsTouched = months;
  while (monthStart(firstDay, monthsTouched) <= lastDay) monthsTouched += 1;
  const spanDays = endDay - firstDay;
  const quarters = quartersBetween(firstDay, lastDay);
  const dayText = Array.from({ length: spanDays }, (_, i) => isoDay(firstDay + i));
  const startText = dayText[0] as string;

  const files: Record<string, number> = {};
  await mkdir(join(dir, 'plans'), { recursive: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  const writeSmall = async (path: string, text: string): Promise<void> => {
    await writeFile(join(dir, path), text);
    files[path] = Buffer.byteLength(text);
  };
  await writeSmall('attain.yaml', WORKSPACE_YAML);
  for (const [name, text] of Object.entries(PLANS)) await writeSmall(`plans/${name}`, text);

  // --- Hierarchy: r1 is the VP, then directors, managers, individual reps, in id order.
  const shape = shapeFor(reps);
  const firstManager = 1 + shape.directors;
  const firstIndividual = firstManager + shape.managers;
  const ic = shape.individuals;
  const managerOf = (index: number): number => {
    if (index === 0) return -1;
    if (index < firstManager) return 0;
    if (index < firstIndividual) return 1 + ((index - firstManager) % shape.directors);
    return firstManager + ((index - firstIndividual) % shape.managers);
  };

  // Individual reps' situations: a few changed plan mid-year, started mid-quarter, or left.
  const people = stream(seed, 1);
  const special = distinctIndices(
    people,
    ic,
    Math.round(ic * 0.02) + Math.round(ic * 0.01) + (ic >= 10 ? Math.max(1, Math.round(ic * 0.005)) : 0),
  );
  const changers = new Set(special.slice(0, Math.round(ic * 0.02)));
  const starters = new Set(special.slice(changers.size, changers.size + Math.round(ic * 0.01)));
  const leavers = new Set(special.slice(changers.size + starters.size));
  /** Inclusive days on which each individual rep can close deals. */
  const activeFrom = new Int32Array(ic).fill(firstDay);
  const activeTo = new Int32Array(ic).fill(lastDay);
  const changeDay = new Int32Array(ic);
  const middle = { lo: firstDay + Math.floor(spanDays / 4), hi: firstDay + Math.floor((3 * spanDays) / 4) };
  for (let i = 0; i < ic; i += 1) {
    if (changers.has(i)) changeDay[i] = people.between(middle.lo + 1, Math.max(middle.lo + 1, middle.hi));
    if (starters.has(i)) {
      // Some days into a quarter, never on its first day: the quota is prorated.
      const quarter = people.pick(quarters);
      const from = Math.max(firstDay, quarter.first) + people.between(10, 60);
      activeFrom[i] = Math.min(from, lastDay);
    }
    if (leavers.has(i)) activeTo[i] = people.between(middle.lo, lastDay);
  }
  // Lightly skewed ownership: each individual rep gets a weight 50–150.
  const cumulative = new Float64Array(ic);
  let totalWeight = 0;
  for (let i = 0; i < ic; i += 1) {
    totalWeight += people.between(50, 150);
    cumulative[i] = totalWeight;
  }
  const weightOf = (i: number): number => (cumulative[i] as number) - (i === 0 ? 0 : (cumulative[i - 1] as number));

  const repsOut = new ChunkedWriter(join(dir, 'data/reps.csv'));
  repsOut.push('id,name,email,managerId,active,hireDate\n');
  for (let index = 0; index < reps; index += 1) {
    const first = people.pick(FIRST_NAMES);
    const last = people.pick(LAST_NAMES);
    const id = `r${index + 1}`;
    const manager = managerOf(index);
    const i = index - firstIndividual;
    const hired = i >= 0 && starters.has(i) ? (activeFrom[i] as number) : firstDay - people.between(30, 2500);
    const active = !(i >= 0 && leavers.has(i));
    repsOut.push(
      `${id},${first} ${last},${first.toLowerCase()}.${last.toLowerCase()}.${index + 1}@example.com,` +
        `${manager < 0 ? '' : `r${manager + 1}`},${active},${isoDay(hired)}\n`,
    );
    if (repsOut.full) await repsOut.flush();
  }
  files['data/reps.csv'] = await repsOut.close();

  // --- Assignments: open-ended unless the rep changed plan or left; `to` is inclusive.
  const planOf = (i: number): string => (i % 2 === 0 ? 'ae-marginal' : 'ae-retro');
  const assignments = new ChunkedWriter(join(dir, 'data/assignments.csv'));
  assignments.push('repId,planId,from,to\n');
  for (let index = 0; index < reps; index += 1) {
    const id = `r${index + 1}`;
    const i = index - firstIndividual;
    if (i < 0) {
      assignments.push(`${id},manager,${startText},\n`);
    } else if (changers.has(i)) {
      const change = changeDay[i] as number;
      const next = i % 2 === 0 ? 'ae-retro' : 'ae-marginal';
      assignments.push(`${id},${planOf(i)},${startText},${isoDay(change - 1)}\n`);
      assignments.push(`${id},${next},${isoDay(change)},\n`);
    } else {
      const to = leavers.has(i) ? isoDay(activeTo[i] as number) : '';
      assignments.push(`${id},${planOf(i)},${isoDay(activeFrom[i] as number)},${to}\n`);
    }
    if (assignments.full) await assignments.flush();
  }
  files['data/assignments.csv'] = await assignments.close();

  // --- Quotas: around each rep's expected bookings per quarter, rounded to the thousand; leaders
  // carry a little less than the sum of their team's.
  const quotas = new Float64Array(reps * quarters.length);
  const perDayPerWeight = (deals * MEAN_DEAL_AMOUNT) / spanDays / totalWeight;
  for (let i = 0; i < ic; i += 1) {
    const expected = perDayPerWeight * weightOf(i) * 91 * (planOf(i) === 'ae-retro' ? 0.8 : 1);
    quarters.forEach((quarter, q) => {
      if (quarter.last < (activeFrom[i] as number) || quarter.first > (activeTo[i] as number)) return;
      const stretch = people.between(75, 125) / 100;
      quotas[(firstIndividual + i) * quarters.length + q] = Math.max(
        1000,
        Math.round((expected * stretch) / 1000) * 1000,
      );
    });
  }
  for (let index = reps - 1; index > 0; index -= 1) {
    const manager = managerOf(index);
    for (let q = 0; q < quarters.length; q += 1) {
      const to = manager * quarters.length + q;
      quotas[to] = (quotas[to] as number) + (quotas[index * quarters.length + q] as number);
    }
  }
  const quotaOut = new ChunkedWriter(join(dir, 'data/quotas.csv'));
  quotaOut.push('repId,period,amount\n');
  for (let index = 0; index < reps; index += 1) {
    const discount = index === 0 ? 0.9 : index < firstManager ? 0.92 : index < firstIndividual ? 0.95 : 1;
    quarters.forEach((quarter, q) => {
      const sum = quotas[index * quarters.length + q] as number;
      if (sum === 0) return;
      const amount = discount === 1 ? sum : Math.max(1000, Math.round((sum * discount) / 1000) * 1000);
      quotaOut.push(`r${index + 1},${quarter.label},${amount}\n`);
    });
    if (quotaOut.full) await quotaOut.flush();
  }
  files['data/quotas.csv'] = await quotaOut.close();

  // --- Exchange rates: one dated rate per month and currency, drifting a little (units per USD).
  const markets = stream(seed, 2);
  const fx = new ChunkedWriter(join(dir, 'data/fx.csv'));
  fx.push('currency,from,rate\n');
  const drifting = [
    { currency: 'EUR', rate: 920_000, step: 6_000, lo: 860_000, hi: 980_000 },
    { currency: 'GBP', rate: 790_000, step: 5_000, lo: 740_000, hi: 840_000 },
  ];
  for (let month = 0; month < monthsTouched; month += 1) {
    const from = isoDay(monthStart(firstDay, month));
    for (const c of drifting) {
      if (month > 0) c.rate = Math.min(c.hi, Math.max(c.lo, c.rate + markets.between(-c.step, c.step)));
      fx.push(`${c.currency},${from},${formatMillionths(c.rate)}\n`);
    }
  }
  files['data/fx.csv'] = await fx.close();

  // --- Deals and splits, streamed together.
  const dealRng = stream(seed, 3);
  const companies = COMPANY_HEADS.flatMap((head) => COMPANY_TAILS.map((tail) => `${head} ${tail}`));
  /** Company × type, flat: the name of a deal of type t with company c is at c * 3 + t. */
  const dealNames = companies.flatMap((company) => DEAL_TYPES.map((type) => `${company} - ${type}`));
  const monthEnds: Array<[number, number]> = [];
  for (let month = 0; month < monthsTouched; month += 1) {
    const end = Math.min(lastDay, monthStart(firstDay, month + 1) - 1);
    monthEnds.push([Math.max(firstDay, end - 6), end]);
  }
  const canClose = (i: number, day: number): boolean =>
    (activeFrom[i] as number) <= day && day <= (activeTo[i] as number);
  /** The next individual rep from `i` on (cyclically) who can close on `day`, skipping `not`. */
  const availableFrom = (start: number, day: number, not1: number, not2: number): number => {
    for (let k = 0; k < ic; k += 1) {
      const i = (start + k) % ic;
      if (i !== not1 && i !== not2 && canClose(i, day)) return i;
    }
    return -1;
  };
  const pickOwner = (day: number): number => {
    const r = dealRng.int(totalWeight);
    let lo = 0;
    let hi = ic - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return availableFrom(lo, day, -1, -1);
  };

  const dealsOut = new ChunkedWriter(join(dir, 'data/deals.csv'));
  const splitsOut = new ChunkedWriter(join(dir, 'data/splits.csv'));
  dealsOut.push('id,name,ownerId,amount,currency,closeDate,stage,type,contractTermMonths\n');
  splitsOut.push('dealId,repId,percent,kind\n');
  let splitRows = 0;
  for (let n = 1; n <= deals; n += 1) {
    // A quarter of deals land in the last week of a month: the end-of-period push.
    let dayIndex: number;
    if (dealRng.chance(25)) {
      const [lo, hi] = dealRng.pick(monthEnds);
      dayIndex = dealRng.between(lo, hi) - firstDay;
    } else {
      dayIndex = dealRng.int(spanDays);
    }
    const day = firstDay + dayIndex;
    const owner = pickOwner(day);
    if (owner < 0) throw new Error(`no individual rep can close a deal on ${isoDay(day)}`);

    const range = pickBucket(dealRng);
    let cents = dealRng.between(range.lo, range.hi);
    if (dealRng.chance(40)) cents -= cents % 100; // many CRM amounts are whole
    const currencyRoll = dealRng.int(10);
    const currency = currencyRoll < 7 ? 'USD' : currencyRoll < 9 ? 'EUR' : 'GBP';
    const typeRoll = dealRng.int(10);
    const type = typeRoll < 5 ? 0 : typeRoll < 8 ? 1 : 2;
    const termRoll = dealRng.int(10);
    const term = termRoll < 5 ? '12' : termRoll < 8 ? '24' : '36';
    const name = dealNames[dealRng.int(companies.length) * DEAL_TYPES.length + type] as string;
    const ownerId = `r${firstIndividual + owner + 1}`;
    // Deal n is open when it moves floor(n × open ÷ deals) up by one: openDeals of them, evenly spread.
    const open = Math.floor((n * openDeals) / deals) > Math.floor(((n - 1) * openDeals) / deals);
    dealsOut.push(
      `d${n},${name},${ownerId},${formatCents(cents)},${currency},${dayText[dayIndex]},${open ? 'open' : 'won'},${DEAL_TYPES[type]},${term}\n`,
    );

    if (ic >= 2 && dealRng.chance(20)) {
      const partner = availableFrom(dealRng.int(ic), day, owner, -1);
      if (partner >= 0) {
        const share = dealRng.pick(OWNER_SHARES);
        splitsOut.push(
          `d${n},${ownerId},${formatHundredths(share)},revenue\n` +
            `d${n},r${firstIndividual + partner + 1},${formatHundredths(10_000 - share)},revenue\n`,
        );
        splitRows += 2;
        if (dealRng.chance(30)) {
          const overlay = availableFrom(dealRng.int(ic), day, owner, partner);
          if (overlay >= 0) {
            splitsOut.push(
              `d${n},r${firstIndividual + overlay + 1},${formatHundredths(dealRng.pick(OVERLAY_SHARES))},overlay\n`,
            );
            splitRows += 1;
          }
        }
      }
    }
    if (dealsOut.full) await dealsOut.flush();
    if (splitsOut.full) await splitsOut.flush();
  }
  files['data/deals.csv'] = await dealsOut.close();
  files['data/splits.csv'] = await splitsOut.close();

  const bytes = Object.values(files).reduce((sum, n) => sum + n, 0);
  return { reps, deals, splits: splitRows, dir, bytes, files };
}

/**
 * Generates into `cacheRoot/org-<reps>-<deals>-<seed>` unless a complete org for the same options
 * is already there, so repeated bench runs reuse it. The org is built in a scratch directory and
 * moved into place with its marker file already written, so a crashed or concurrent run never
 * leaves a half-written org that looks complete.
 */
export async function ensureOrg(cacheRoot: string, options: OrgOptions): Promise<OrgSummary & { reused: boolean }> {
  const normalized = normalize(options);
  const open = normalized.openDeals ? `-open${normalized.openDeals}` : '';
  const dir = join(cacheRoot, `org-${normalized.reps}-${normalized.deals}-${normalized.seed}${open}`);
  const wanted = { version: GENERATOR_VERSION, options: normalized };
  const cached = await readMarker(dir);
  if (cached && JSON.stringify(cached.key) === JSON.stringify(wanted)) return { ...cached.summary, dir, reused: true };

  await mkdir(cacheRoot, { recursive: true });
  const scratch = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    const summary = await generateOrg(scratch, normalized);
    const { dir: _scratchDir, ...rest } = summary;
    await writeFile(join(scratch, MARKER_FILE), `${JSON.stringify({ key: wanted, summary: rest }, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(scratch, dir);
    } catch (error) {
      // Another run may have put the same org in place meanwhile: use it if it matches.
      const theirs = await readMarker(dir);
      if (!theirs || JSON.stringify(theirs.key) !== JSON.stringify(wanted)) throw error;
    }
    return { ...summary, dir, reused: false };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Marker {
  key: unknown;
  summary: Omit<OrgSummary, 'dir'>;
}

async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, MARKER_FILE), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}
