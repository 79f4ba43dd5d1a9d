/** The job catalog and the result hash the steps share: pure, no Redis. */
import { describe, expect, it } from 'vitest';
import { JOBS, JobPayloadError, parsePayload, stepJobId } from '../../jobs/catalog.js';
import { mergeEngineRejects, runResultHash } from '../../jobs/calculate.js';
import { scheduledRunId } from '../../jobs/enqueue-run.js';

describe('job catalog', () => {
  it('step job ids are deterministic, without ":" and never all digits', () => {
    expect(stepJobId('run-20261126T020000Z-k3x9q1', 'calculate', 'ae-fy26')).toBe(
      'run-20261126T020000Z-k3x9q1-calculate-ae-fy26',
    );
    expect(stepJobId('run-x', 'calculate', 'odd:plan id')).toBe('run-x-calculate-odd_plan_id');
    expect(stepJobId('run-x', 'sync')).toBe('run-x-sync');
    expect(stepJobId('run-x', 'read', 'deals.csv', { index: 1, count: 5 })).toBe('run-x-read-deals.csv-2of5');
    expect(stepJobId('run-x', 'store', 'deals', { index: 0, count: 5 })).toBe('run-x-store-deals-1of5');
    expect(stepJobId('run-x', 'store', 'rest')).toBe('run-x-store-rest');
    expect(scheduledRunId(Date.UTC(2026, 10, 27, 7, 0, 0))).toBe('run-20261127T070000Z-nightly');
  });

  it('a malformed payload names the job and every bad field', () => {
    expect(() => parsePayload('calculate', 'j1', { runId: 'a:b' })).toThrow(JobPayloadError);
    expect(() => parsePayload('calculate', 'j1', { runId: 'a:b' })).toThrow(
      'job j1 (calculate): invalid payload: runId: expected letters, digits, _ . - and no ":"; planId: Invalid input: expected string, received undefined',
    );
    expect(() => parsePayload('run', 'j2', { runId: '12345', trigger: 'x' })).toThrow('runId: must not be all digits');
    expect(parsePayload('sync', 'j3', { runId: 'run-a', asOf: '2026-03-31' })).toEqual({
      runId: 'run-a',
      asOf: '2026-03-31',
    });
    const range = { start: 0, end: 100, line: 1 };
    expect(() => parsePayload('read', 'j4', { runId: 'run-a', file: 'deals.csv', part: 2, count: 2, range })).toThrow(
      'job j4 (read): invalid payload: (payload): part must be below count',
    );
    expect(() =>
      parsePayload('read', 'j5', {
        runId: 'run-a',
        file: 'deals.csv',
        part: 0,
        count: 2,
        range: { ...range, start: 200 },
      }),
    ).toThrow('range: start must not be after end');
    expect(() => parsePayload('store', 'j6', { runId: 'run-a', part: 'all' })).toThrow(
      'job j6 (store): invalid payload: part',
    );
  });

  it('steps retry with backoff, fail their run when they fail for good, and keep a capped history', () => {
    expect(JOBS.calculate.defaults).toMatchObject({
      attempts: 5,
      backoff: { type: 'exponential' },
      failParentOnFailure: true,
    });
    expect(JOBS.run.defaults.removeOnComplete.count).toBeGreaterThan(0);
    expect(JOBS.run.defaults.removeOnFail.count).toBeGreaterThan(0);
  });
});

describe('run result hash', () => {
  const fx = { source: 'deals', recordId: 'd9', reason: 'no exchange rate in effect on 2026-01-02 to convert XYZ' };
  const split = { source: 'deals', recordId: 'd1', reason: 'splits sum to 90' };

  it('does not depend on the order the plans finished in; a reject repeated by several plans counts once', () => {
    const a = { planId: 'ae', hash: 'a'.repeat(64) };
    const m = { planId: 'mgr', hash: 'b'.repeat(64) };
    expect(runResultHash([a, m], [fx, split])).toBe(runResultHash([m, a], mergeEngineRejects([[split, fx], [fx]])));
    expect(runResultHash([a, m], [fx])).not.toBe(runResultHash([a, m], [fx, split]));
    expect(runResultHash([a], [])).not.toBe(runResultHash([{ ...a, hash: 'c'.repeat(64) }], []));
  });

  it('merges rejects in the engine order', () => {
    expect(mergeEngineRejects([[fx], [split, fx]])).toEqual([split, fx]);
  });
});
