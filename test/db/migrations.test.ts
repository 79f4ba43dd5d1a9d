import { readdir, readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, migrationStatus } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { forEachBackend } from './backends.js';

const TABLES = [
  'accounts',
  'assignments',
  'attainment',
  'audit_events',
  'deals',
  'dispute_events',
  'disputes',
  'estimates',
  'fx_rates',
  'liability_forecast',
  'lock_events',
  'locks',
  'payout_lines',
  'payroll_exports',
  'period_approvals',
  'plan_acknowledgements',
  'quotas',
  'rejects',
  'reps',
  'run_input_parts',
  'run_inputs',
  'run_lease',
  'runs',
  'splits',
  'step_rejects',
  'sync_cursors',
  'sync_rejects',
  'territory_assignments',
  'writeback_state',
];
const VIEWS = ['attainment_by_rep_period', 'leaderboard', 'payouts_by_rep_period'];
const ANALYTICS_VIEWS = ['attainment_distribution', 'commission_liability', 'cost_of_sales'];
const ESTIMATE_VIEWS = ['estimates_by_deal'];
const FORECAST_VIEWS = ['commission_liability_forecast'];
const ALL_VIEWS = [...VIEWS, ...ANALYTICS_VIEWS, ...ESTIMATE_VIEWS, ...FORECAST_VIEWS].sort();
const NAMES = Object.keys(migrations);

describe('the migration list', () => {
  it('names every file in src/db/migrations, date-prefixed, in order', async () => {
    const files = (await readdir(new URL('../../src/db/migrations/', import.meta.url)))
      .filter((f) => f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(NAMES).toEqual(files);
    for (const name of NAMES) expect(name).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-[a-z-]+$/);
  });

  it('keeps migrations frozen: they import nothing but kysely', async () => {
    for (const name of NAMES) {
      const text = await readFile(new URL(`../../src/db/migrations/${name}.ts`, import.meta.url), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(imports, name).toEqual(['kysely']);
    }
  });
});

forEachBackend((backend) => {
  const relations = async (kind: 'r' | 'v') => {
    const { rows } = await sql<{ name: string }>`
      select c.relname as name from pg_class c
       where c.relnamespace = current_schema()::regnamespace and c.relkind = ${kind} and c.relname not like 'kysely_%'
       order by 1`.execute(backend.db);
    return rows.map((r) => r.name);
  };

  it('migrates up, down to zero, and up again', async () => {
    expect((await migrateToLatest(backend.db)).applied).toEqual(NAMES);
    expect(await relations('r')).toEqual(TABLES);
    expect(await relations('v')).toEqual(ALL_VIEWS);
    expect(await migrationStatus(backend.db)).toEqual(NAMES.map((name) => ({ name, applied: true })));
    expect((await migrateToLatest(backend.db)).applied).toEqual([]);
    // The Migrator looks at this schema's tables only (a schema dropped elsewhere meanwhile can't fail it).
    const seen = await backend.db.introspection.getTables();
    expect(new Set(seen.map((t) => t.schema)).size).toBe(1);
    expect(seen.map((t) => t.name)).toEqual(expect.arrayContaining([...TABLES, ...ALL_VIEWS]));

    // The run input parts go alone.
    expect((await migrateDown(backend.db, 1)).applied).toEqual(['2026-12-06T02-20-run-input-parts']);
    expect(await relations('r')).toEqual(TABLES.filter((t) => t !== 'run_input_parts'));
    // The liability forecast goes alone, its table and view.
    expect((await migrateDown(backend.db, 1)).applied).toEqual(['2026-12-06T02-10-liability-forecast']);
    expect(await relations('r')).toEqual(TABLES.filter((t) => t !== 'liability_forecast' && t !== 'run_input_parts'));
    expect(await relations('v')).toEqual([...VIEWS, ...ANALYTICS_VIEWS, ...ESTIMATE_VIEWS].sort());
    // Accounts and territories go alone, with deals.account_id.
    const territoryTables = ['accounts', 'territory_assignments', 'liability_forecast', 'run_input_parts'];
    const dealColumns = async () =>
      (
        await sql<{ name: string }>`select column_name as name from information_schema.columns
                                     where table_schema = current_schema() and table_name = 'deals'`.execute(backend.db)
      ).rows.map((r) => r.name);
    expect(await dealColumns()).toContain('account_id');
    expect((await migrateDown(backend.db, 1)).applied).toEqual(['2026-12-06T01-50-accounts-territories']);
    expect(await relations('r')).toEqual(TABLES.filter((t) => !territoryTables.includes(t)));
    expect(await dealColumns()).not.toContain('account_id');
    // The plan acknowledgements go alone.
    expect((await migrateDown(backend.db, 1)).applied).toEqual(['2026-12-06T01-30-plan-acknowledgements']);
    expect(await relations('r')).toEqual(
      TABLES.filter((t) => !territoryTables.includes(t) && t !== 'plan_acknowledgements'),
    );
    // Then the estimates, their table and view.
    const laterTables = [...territoryTables, 'plan_acknowledgements', 'estimates'];
    expect((await migrateDown(backend.db, 1)).applied).toEqual(['2026-12-06T01-00-estimates']);
    expect(await relations('v')).toEqual([...VIEWS, ...ANALYTICS_VIEWS].sort());
    expect(await relations('r')).toEqual(TABLES.filter((t) => !laterTables.includes(t)));
    // The analytics views go alone.
    expect((await migrateDown(backend.db, 1)).applied).toEqual(['2026-12-06T00-30-analytics-views']);
    expect(await relations('v')).toEqual(VIEWS);
    expect(await relations('r')).toEqual(TABLES.filter((t) => !laterTables.includes(t)));
    const older = NAMES.filter((name) => name < '2026-12-06T00-30');

    const repColumns = async () =>
      (
        await sql<{ name: string }>`select column_name as name from information_schema.columns
                                     where table_schema = current_schema() and table_name = 'reps'`.execute(backend.db)
      ).rows.map((r) => r.name);
    const runColumns = async () =>
      (
        await sql<{ name: string }>`select column_name as name from information_schema.columns
                                     where table_schema = current_schema() and table_name = 'runs'`.execute(backend.db)
      ).rows.map((r) => r.name);
    // The December migrations first (run lease, pay cycle, payroll exports): their tables and
    // reps.employee_id go, the rest stays.
    const december = older.filter((name) => name >= '2026-12');
    const earlier = older.filter((name) => name < '2026-12');
    const decemberTables = [
      'audit_events',
      'estimates',
      'dispute_events',
      'disputes',
      'payroll_exports',
      'period_approvals',
      'run_lease',
      'step_rejects',
    ];
    const before = TABLES.filter((t) => !decemberTables.includes(t) && !laterTables.includes(t));
    expect(await repColumns()).toContain('employee_id');
    expect((await migrateDown(backend.db, december.length)).applied).toEqual([...december].reverse());
    expect(await relations('r')).toEqual(before);
    expect(await repColumns()).not.toContain('employee_id');
    // Then sync_rejects; then run_inputs and runs.result_hash.
    expect((await migrateDown(backend.db, 1)).applied).toEqual(earlier.slice(-1));
    expect(await relations('r')).toEqual(before.filter((t) => t !== 'sync_rejects'));
    expect(await runColumns()).toContain('result_hash');
    expect((await migrateDown(backend.db, 1)).applied).toEqual(earlier.slice(-2, -1));
    expect(await relations('r')).toEqual(before.filter((t) => t !== 'run_inputs' && t !== 'sync_rejects'));
    expect(await runColumns()).not.toContain('result_hash');
    expect(await relations('v')).toEqual(VIEWS);
    expect((await migrateDown(backend.db, NAMES.length + 5)).applied).toEqual(earlier.slice(0, -2).reverse());
    expect(await relations('v')).toEqual([]);
    expect(await relations('r')).toEqual([]);
    expect(await migrationStatus(backend.db)).toEqual(NAMES.map((name) => ({ name, applied: false })));

    expect((await migrateToLatest(backend.db)).applied).toEqual(NAMES);
    expect(await relations('r')).toEqual(TABLES);
    expect(await relations('v')).toEqual(ALL_VIEWS);
  });
});
