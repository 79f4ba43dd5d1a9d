/**
 * The hash of a calculation's result, recorded with each run so that `attain replay` can tell
 * whether recomputing the run from its stored inputs gives the same result. Pure.
 *
 * sha256 over the payout lines (every field but the trace), the attainment rows and the engine's
 * rejects, each as JSON in the engine's own (deterministic) order, one record at a time: a million
 * lines are never one string. Traces are left out: they explain the same numbers from the same
 * inputs, and rendering 150,000 of them doubled the cost of a large run (the results step
 * renders them once, to store them). `asOf` shows in the lines.
 */
import { createHash } from 'node:crypto';
import type { CalculationResult } from './engine.js';

export function resultHash(result: CalculationResult): string {
  const hash = createHash('sha256');
  const section = (name: string, rows: readonly unknown[]) => {
    hash.update(`${name} ${rows.length}\n`);
    for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  };
  section(
    'payouts',
    result.payouts.map(({ repId, planId, period, component, amount, currency }) => [repId, planId, period, component, amount, currency]),
  );
  section('attainment', result.attainment);
  section('rejects', result.rejects);
  return hash.digest('hex');
}
