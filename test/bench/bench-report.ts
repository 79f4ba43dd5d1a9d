/**
 * `node dist/test/bench/bench-report.js`: only the report part of `npm run bench`: the synthetic
 * org (10,000 reps; BENCH_REPS, BENCH_DEALS) run into the local PostgreSQL, then `attain report`
 * over all of it. Prints figures; the last line is one JSON object with reportSeconds and the
 * machine's load average while it ran.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { benchRun } from './bench-db.js';
import { ensureOrg } from './synthetic-org.js';

const root = resolve(import.meta.dirname, '../../..');
const REPS = Number(process.env['BENCH_REPS'] ?? 10_000);
const DEALS = Number(process.env['BENCH_DEALS'] ?? 1_000_000);
const log = (line: string) => process.stdout.write(`${line}\n`);

const org = await ensureOrg(join(root, '.bench'), { reps: REPS, deals: DEALS, seed: 42 });
log(
  `org: ${org.dir} (${REPS.toLocaleString('en')} reps, ${DEALS.toLocaleString('en')} deals${org.reused ? ', reused' : ''})`,
);
const run = await benchRun(org.dir, log);
const load = loadavg().map((l) => Number(l.toFixed(2)));
log(
  JSON.stringify({
    ...(run ? { reportSeconds: run.reportSeconds, runSeconds: run.steps['total'] } : {}),
    loadAverage1m5m15m: load,
  }),
);
