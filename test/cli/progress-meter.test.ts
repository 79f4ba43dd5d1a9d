import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readCsvSource } from '../../connectors/csv/csv-source.js';
import { countingStore } from '../../jobs/sync.js';
import type { SyncPage, SyncStore } from '../../connectors/source.js';
import { describeProgress, logMeter, terminalMeter } from '../../src/cli/progress-meter.js';
import type { ProgressUpdate } from '../../src/domain/progress.js';
import { calculate } from '../../src/domain/engine.js';
import { commissionPlan, deal, emptyData, rep } from '../domain/builders.js';
import { csv, workspace } from '../connectors/csv/csv-workspace.js';

/** A stream that says it is a terminal, keeping what was written. */
function fakeTerminal(): PassThrough & { isTTY: true; text(): string } {
  const chunks: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY: true as const, text: () => chunks.join('') });
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return stream;
}

/** A clock the test moves by hand: no test here waits for real time. */
function clock(): { now: () => number; at(ms: number): void } {
  let t = 0;
  return { now: () => t, at: (ms) => (t = ms) };
}

const reading = (done: number): ProgressUpdate => ({ task: 'reading deals.csv', done, unit: 'records' });

describe('progress meter', () => {
  it('on a terminal shows nothing for the first 2 s of a task, then one line redrawn in place, cleared at the end', async () => {
    const out = fakeTerminal();
    const time = clock();
    const meter = terminalMeter(out, { now: time.now });
    meter.update(reading(10_000));
    time.at(1_900);
    meter.update(reading(200_000));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe('');

    time.at(2_010);
    meter.update(reading(210_000));
    time.at(2_100); // within 0.25 s of the last redraw: skipped
    meter.update(reading(220_000));
    time.at(3_010);
    meter.update(reading(310_000));
    meter.clear();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe(
      '\r\x1b[2K  reading deals.csv: 210,000 records (99,502/s)' +
        '\r\x1b[2K  reading deals.csv: 310,000 records (99,668/s)' +
        '\r\x1b[2K',
    );
  });

  it('a new task starts its own 2 s', async () => {
    const out = fakeTerminal();
    const time = clock();
    const meter = terminalMeter(out, { now: time.now });
    meter.update(reading(10_000));
    time.at(5_000);
    meter.update({ task: 'calculating 9 deals', done: 0, unit: 'plans', total: 3 });
    time.at(6_000);
    meter.update({ task: 'calculating 9 deals', done: 1, unit: 'plans', total: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe('');
    time.at(7_500);
    meter.update({ task: 'calculating 9 deals', done: 2, unit: 'plans', total: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.text()).toBe('\r\x1b[2K  calculating 9 deals: 2 of 3 plans');
  });

  it('off a terminal logs a JSON line every 5 s once a task has run 2 s', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const time = clock();
    const meter = logMeter(pino({ base: { app: 'attain' } }, stream), { now: time.now });
    for (const [ms, done] of [
      [0, 10_000],
      [2_500, 260_000],
      [4_000, 410_000],
      [7_600, 770_000],
    ] as const) {
      time.at(ms);
      meter.update(reading(done));
    }
    meter.clear();
    await new Promise((resolve) => setImmediate(resolve));
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => [l['msg'], l['progress']])).toEqual([
      [
        'reading deals.csv: 260,000 records (100,000/s)',
        { task: 'reading deals.csv', done: 260_000, unit: 'records', perSecond: 100_000 },
      ],
      [
        'reading deals.csv: 770,000 records (100,000/s)',
        { task: 'reading deals.csv', done: 770_000, unit: 'records', perSecond: 100_000 },
      ],
    ]);
  });

  it('describes a count with its total, or with its rate', () => {
    expect(describeProgress({ task: 'writing payout_lines', done: 20_000, unit: 'rows', total: 129_000 }, 1)).toBe(
      'writing payout_lines: 20,000 of 129,000 rows',
    );
    expect(describeProgress(reading(1_234_567), 98_765.4)).toBe('reading deals.csv: 1,234,567 records (98,765/s)');
  });
});

describe('progress reported by the layers doing the work', () => {
  it('the CSV reader: every 10,000 records of a file and at its end', async () => {
    const deals = Array.from({ length: 25_000 }, (_, i) => `d${i},Deal ${i},r1,100,USD,2026-01-15,won`);
    const dir = await workspace({
      'reps.csv': csv(['id,name,email', 'r1,Ann Lee,ann@example.com']),
      'deals.csv': csv(['id,name,ownerId,amount,currency,closeDate,stage', ...deals]),
    });
    const updates: ProgressUpdate[] = [];
    await readCsvSource(dir, { tz: 'UTC', onProgress: (u) => updates.push(u) });
    expect(updates.filter((u) => u.task === 'reading deals.csv').map((u) => u.done)).toEqual([10_000, 20_000, 25_000]);
    expect(updates.find((u) => u.task === 'reading reps.csv')).toEqual({
      task: 'reading reps.csv',
      done: 1,
      unit: 'records',
    });
  });

  it('the engine: as each plan is done', () => {
    const updates: ProgressUpdate[] = [];
    calculate(
      {
        calendar: { fiscalYearStartMonth: 1, tz: 'UTC' },
        baseCurrency: 'USD',
        plans: [commissionPlan({ id: 'a' }), commissionPlan({ id: 'b' })],
        data: {
          ...emptyData(),
          reps: [rep('r1')],
          deals: [deal({ ownerId: 'r1', amount: '1000', closeDate: '2026-02-10' })],
          assignments: [
            { repId: 'r1', planId: 'a', from: '2026-01-01' },
            { repId: 'r1', planId: 'b', from: '2026-01-01' },
          ],
        },
      },
      { onProgress: (u) => updates.push(u) },
    );
    expect(updates).toEqual([0, 1, 2].map((done) => ({ task: 'calculating 1 deals', done, unit: 'plans', total: 2 })));
  });

  it('a CRM sync: the records of each object stored so far', async () => {
    const sold = (id: string) => deal({ id, ownerId: 'r1', amount: '10', closeDate: '2026-01-05' });
    const stored: SyncPage[] = [];
    const store: SyncStore = {
      cursor: () => Promise.resolve(undefined),
      resetCursor: () => Promise.resolve(),
      storePage: (page) => {
        stored.push(page);
        return Promise.resolve();
      },
    };
    const updates: ProgressUpdate[] = [];
    const counting = countingStore(store, (u) => updates.push(u));
    await counting.storePage({ object: 'deals', deals: [sold('d1'), sold('d2')] });
    await counting.storePage({ object: 'owners', reps: [rep('r1')] });
    await counting.storePage({
      object: 'deals',
      deals: [sold('d3')],
      rejects: [{ source: 'hubspot', recordId: 'd4', reason: 'no amount' }],
    });
    expect(stored).toHaveLength(3);
    expect(updates.map((u) => [u.task, u.done])).toEqual([
      ['syncing deals', 2],
      ['syncing owners', 1],
      ['syncing deals', 4],
    ]);
  });
});
