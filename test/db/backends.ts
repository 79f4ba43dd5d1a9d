/**
 * Runs a test body against both backends: PGlite in a temp dir, and the PostgreSQL on
 * the machine (ATTAIN_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) in a
 * fresh schema per test file, dropped afterwards. When PostgreSQL can't be reached its tests are
 * skipped with one line saying why, unless CI is set: then they fail.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { isRunning, openDatabase, type AttainDb } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';

export const POSTGRES_URL = process.env['ATTAIN_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export type BackendName = 'pglite' | 'postgres';

/** Why PostgreSQL can't be used, or undefined when it can. Asked once per test file. */
const postgresProblem = await probePostgres();

export class TestBackend {
  private opened: AttainDb[] = [];
  private dataDir: string | undefined;
  /** The schema of this file's PostgreSQL database. */
  readonly schema = `attain_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

  constructor(readonly name: BackendName) {}

  /** The file's database, opened in beforeAll. */
  get database(): AttainDb {
    const first = this.opened[0];
    if (!first) throw new Error('the test database is not open yet');
    return first;
  }

  get db(): Kysely<Database> {
    return this.database.db;
  }

  /** Opens the file's database (the first call) or another connection to it (PostgreSQL only). */
  async open(): Promise<AttainDb> {
    if (this.name === 'postgres') {
      if (postgresProblem) throw new Error(`PostgreSQL is required when CI is set: ${postgresProblem}`);
      this.dataDir ??= await mkdtemp(join(tmpdir(), 'attain-db-test-'));
      return this.track(await openDatabase({ url: POSTGRES_URL, dataDir: this.dataDir, schema: this.schema }));
    }
    if (!this.dataDir) {
      this.dataDir = await mkdtemp(join(tmpdir(), 'attain-db-test-'));
      await cp(await pgliteTemplate(), join(this.dataDir, 'pglite'), { recursive: true });
    }
    return this.track(await openDatabase({ dataDir: this.dataDir }));
  }

  /** Where PGlite keeps its files (the workspace's `.attain`). */
  get workspaceDataDir(): string {
    if (!this.dataDir) throw new Error('not opened');
    return this.dataDir;
  }

  /** Empties every table (between tests of one file). */
  async truncateAll(): Promise<void> {
    await sql`truncate reps, deals, splits, quotas, assignments, fx_rates, runs, run_inputs, run_input_parts, payout_lines, attainment, estimates, liability_forecast, rejects, locks, lock_events, sync_cursors, sync_rejects, writeback_state, dispute_events, disputes, period_approvals, run_lease, step_rejects, payroll_exports, plan_acknowledgements, accounts, territory_assignments`.execute(
      this.db,
    );
  }

  async dispose(): Promise<void> {
    const first = this.opened[0];
    if (first && this.name === 'postgres')
      await sql`drop schema if exists ${sql.id(this.schema)} cascade`.execute(first.db).catch(() => undefined);
    for (const database of this.opened.reverse()) await database.close();
    this.opened = [];
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  private track(database: AttainDb): AttainDb {
    this.opened.push(database);
    return database;
  }
}

/** Declares `body` once per backend, each in its own describe with the database opened beforehand. */
export function forEachBackend(body: (backend: TestBackend) => void): void {
  for (const name of ['pglite', 'postgres'] as const) {
    if (name === 'postgres' && postgresProblem && !process.env['CI']) {
      noteSkippedOnce(postgresProblem);
      describe.skip(`postgres (skipped: ${postgresProblem})`, () => it('needs PostgreSQL', () => undefined));
      continue;
    }
    describe(name, () => {
      const backend = new TestBackend(name);
      // A PGlite data dir is made by initdb once per machine (slow, ~15 s on a busy 2-core box), then copied.
      beforeAll(() => backend.open(), 180_000);
      afterAll(() => backend.dispose(), 60_000);
      body(backend);
    });
  }
}

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return `cannot reach ${POSTGRES_URL} (${(error as Error).message || code || String(error)}); start PostgreSQL or set ATTAIN_TEST_DATABASE_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One line for the whole vitest run, not one per file: the first worker to create the marker prints it. */
function noteSkippedOnce(reason: string): void {
  const prefix = 'attain-test-postgres-skipped-';
  try {
    writeFileSync(join(tmpdir(), `${prefix}${process.ppid}`), '', { flag: 'wx' });
  } catch {
    return;
  }
  process.stderr.write(`PostgreSQL tests skipped: ${reason}\n`);
  // Markers of earlier runs (whose vitest process is gone) are of no use any more.
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(name.slice(prefix.length));
    if (name.startsWith(prefix) && pid !== process.ppid && !isRunning(pid))
      rmSync(join(tmpdir(), name), { force: true });
  }
}

/**
 * A freshly initialised PGlite data dir, made once per machine and PGlite version and copied per
 * test file: PGlite's initdb costs seconds, opening a copy well under one.
 */
async function pgliteTemplate(): Promise<string> {
  const require = createRequire(import.meta.url);
  const { version } = require(join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json')) as {
    version: string;
  };
  const template = join(tmpdir(), `attain-pglite-template-${version}`);
  const ready = () =>
    stat(join(template, 'PG_VERSION')).then(
      () => true,
      () => false,
    );
  const building = `${template}.building`;
  for (let waited = 0; !(await ready()); waited += 500) {
    try {
      await mkdir(building);
    } catch {
      // Another test file is building it; a builder that died leaves its folder: take over after 2 minutes.
      if (waited < 120_000) {
        await sleep(500);
        continue;
      }
      await rm(building, { recursive: true, force: true });
      continue;
    }
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      const scratch = await mkdtemp(`${template}-`);
      const pglite = await PGlite.create({ dataDir: scratch });
      await pglite.close();
      await rename(scratch, template).catch(() => rm(scratch, { recursive: true, force: true }));
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }
  return template;
}
