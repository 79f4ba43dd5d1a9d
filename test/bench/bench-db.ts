/**
 * The database part of `npm run bench`: writing payout lines into the local PostgreSQL,
 * and a whole `attain run` of the synthetic org against it, step by step, then `attain report` on
 * what it stored. Each uses a fresh schema, dropped afterwards. Skipped, with a line saying why, when PostgreSQL is not reachable.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadWorkspace } from '../../config/workspace.js';
import { buildReport } from '../../jobs/analytics-report.js';
import { writeReport } from '../../jobs/report-html.js';
import { runPipeline } from '../../jobs/run.js';
import { bulkInsert } from '../../src/db/bulk-insert.js';
import { payoutLineColumns } from '../../src/db/run-store.js';
import { migrateToLatest, openDatabase, replaceResults, type AttainDb } from '../../src/db/index.js';
import type { PayoutLine } from '../../src/domain/engine.js';
import { Trace } from '../../src/domain/trace.js';

const POSTGRES_URL = process.env['ATTAIN_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function withSchema<T>(fn: (database: AttainDb) => Promise<T>, backend: Backend = 'postgres'): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attain-bench-db-'));
  const schema = `attain_bench_${process.pid}`;
  const database = await openDatabase({ url: backend === 'postgres' ? POSTGRES_URL : undefined, dataDir, schema });
  try {
    await migrateToLatest(database.db);
    return await fn(database);
  } finally {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db).catch(() => undefined);
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Backend = 'postgres' | 'pglite';

/**
 * Writes `count` payout lines (traces of a realistic size) through replaceResults (COPY), and the
 * same lines through the unnest INSERT that replaceResults used before, for comparison. Returns
 * replaceResults' rows/s.
 */
export async function benchPayoutWrites(
  count: number,
  log: (line: string) => void,
  backend: Backend = 'postgres',
): Promise<number | undefined> {
  try {
    return await withSchema(async ({ db }) => {
      const periods = Array.from({ length: 12 }, (_, m) => `2026-${String(m + 1).padStart(2, '0')}`);
      const trace = Trace.stored('commission', {
        measure: 'bookings',
        quotaPeriod: '2026-Q1',
        creditToDate: '123456.78',
        quota: '150000',
        attainmentToDate: '0.8230452',
        deals: [{ deal: 'd123456', closeDate: '2026-01-15', amount: '45000.00', currency: 'USD', credit: '45000' }],
        tiers: [
          {
            tier: 1,
            from: '0',
            fromAmount: '0',
            toAmount: '150000',
            rate: '0.05',
            credit: '123456.78',
            amount: '6172.839',
          },
        ],
        dueToDate: '6172.839',
        paidEarlier: '4000',
      });
      const lines: PayoutLine[] = [];
      for (let i = 0; i < count; i++) {
        lines.push({
          repId: `r${Math.floor(i / 12)}`,
          planId: 'bench',
          period: periods[i % 12]!,
          component: 'commission',
          amount: `${1000 + (i % 5000)}.25`,
          currency: 'USD',
          trace,
        });
      }
      const timed = async (write: () => Promise<unknown>): Promise<number> => {
        const started = process.hrtime.bigint();
        await write();
        return Number(process.hrtime.bigint() - started) / 1e9;
      };
      const seconds = await timed(() =>
        replaceResults(db, { runId: 'bench', planId: 'bench', periods, lines, attainment: [] }),
      );
      const insertSeconds = await timed(() =>
        db.transaction().execute(async (trx) => {
          await bulkInsert(trx, 'payout_lines', payoutLineColumns, lines, {
            constants: { run_id: 'bench', plan_id: 'unnest' },
          });
        }),
      );
      const perSecond = Math.round(count / seconds);
      log(
        `${backend}: ${count.toLocaleString('en')} payout lines written in ${seconds.toFixed(2)} s: ${perSecond.toLocaleString('en')} rows/s ` +
          `(COPY; the unnest INSERT: ${insertSeconds.toFixed(2)} s, ${Math.round(count / insertSeconds).toLocaleString('en')} rows/s)`,
      );
      return perSecond;
    }, backend);
  } catch (error) {
    log(`${backend} payout writes: skipped (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}

/**
 * A whole `attain run` of the workspace against PostgreSQL, then the report of every rep and
 * period from it (figures and the written page); returns seconds per run step and the report's.
 */
export async function benchRun(
  workspaceDir: string,
  log: (line: string) => void,
  /** Measured on the run's database before it is dropped (the statements). */
  after?: (database: AttainDb) => Promise<void>,
): Promise<{ steps: Record<string, number>; reportSeconds: number } | undefined> {
  try {
    return await withSchema(async (database) => {
      const steps: Record<string, number> = {};
      const started = process.hrtime.bigint();
      await runPipeline({
        workspaceDir,
        trigger: 'bench',
        database,
        progress: {
          step: () => undefined,
          done: (name, detail, seconds) => {
            steps[name] = Number(seconds.toFixed(2));
            log(`  run ${name}: ${seconds.toFixed(2)} s (${detail})`);
          },
        },
      });
      steps['total'] = Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(2));
      log(`attain run against PostgreSQL: ${steps['total']} s`);
      await after?.(database);

      const workspace = await loadWorkspace(workspaceDir);
      const out = mkdtempSync(join(tmpdir(), 'attain-bench-report-'));
      const reportStarted = process.hrtime.bigint();
      const data = await buildReport(database, {
        plans: workspace.plans,
        fiscalYearStartMonth: workspace.config.calendar.fiscalYearStartMonth,
        baseCurrency: workspace.config.baseCurrency,
      });
      const figuresSeconds = Number(process.hrtime.bigint() - reportStarted) / 1e9;
      const file = await writeReport(out, data);
      const reportSeconds = Number((Number(process.hrtime.bigint() - reportStarted) / 1e9).toFixed(2));
      log(
        `attain report of every rep and period: ${reportSeconds} s (figures ${figuresSeconds.toFixed(2)} s, charts and page ${(reportSeconds - figuresSeconds).toFixed(2)} s; ${data.payForPerformance.points.length.toLocaleString('en')} rep-periods, ${(statSync(file).size / 1e6).toFixed(1)} MB page)`,
      );
      rmSync(out, { recursive: true, force: true });
      return { steps, reportSeconds };
    });
  } catch (error) {
    log(`attain run against PostgreSQL: skipped (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
}
