import { readdir, readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, migrationStatus } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { forEachBackend } from './backends.js';

const TABLES = [
  'assignments',
  'attainment',
  'deals',
  'fx_rates',
  'lock_events',
  'locks',
  'payout_lines',
  'quotas',
  'rejects',
  'reps',
  'run_inputs',
  'runs',
  'splits',
  'sync_cursors',
  'sync_rejects',
  'writeback_state',
];
const VIEWS = ['attainment_by_rep_period', 'leaderboard', 'payouts_by_rep_period'];
const ANALYTICS_VIEWS = ['attainment_distribution', 'commission_liability', 'cost_of_sales'];
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
    expect(await relations('v')).toEqual([...VIEWS, ...ANALYTICS_VIEWS].sort());
    expect(await migrationStatus(backend.db)).toEqual(NAMES.map((name) => ({ name, applied: true })));
    expect((await migrateToLatest(backend.db)).applied).toEqual([]);
    // The Migrator looks at this schema's tables only (a schema dropped elsewhere meanwhile can't fail it).
    const seen = await backend.db.introspection.getTables();
    expect(new Set(seen.map((t) => t.schema)).size).toBe(1);
    expect(seen.map((t) => t.name)).toEqual(expect.arrayContaining([...TABLES, ...VIEWS, ...ANALYTICS_VIEWS]));

    // The analytics views go alone.
    expect((await migrateDown(backend.db, 1)).applied).toEqual(NAMES.slice(-1));
    expect(await relations('v')).toEqual(VIEWS);
    expect(await relations('r')).toEqual(TABLES);
    const older = NAMES.slice(0, -1);

    // The last migration alone: sync_rejects goes, the rest stays; then run_inputs and runs.result_hash.
    const runColumns = async () =>
      (
        await sql<{ name: string }>`select column_name as name from information_schema.columns
                                     where table_schema = current_schema() and table_name = 'runs'`.execute(backend.db)
      ).rows.map((r) => r.name);
    expect((await migrateDown(backend.db, 1)).applied).toEqual(older.slice(-1));
    expect(await relations('r')).toEqual(TABLES.filter((t) => t !== 'sync_rejects'));
    expect(await runColumns()).toContain('result_hash');
    expect((await migrateDown(backend.db, 1)).applied).toEqual(older.slice(-2, -1));
    expect(await relations('r')).toEqual(TABLES.filter((t) => t !== 'run_inputs' && t !== 'sync_rejects'));
    expect(await runColumns()).not.toContain('result_hash');
    expect(await relations('v')).toEqual(VIEWS);
    expect((await migrateDown(backend.db, older.length + 5)).applied).toEqual(older.slice(0, -2).reverse());
    expect(await relations('v')).toEqual([]);
    expect(await relations('r')).toEqual([]);
    expect(await migrationStatus(backend.db)).toEqual(NAMES.map((name) => ({ name, applied: false })));

    expect((await migrateToLatest(backend.db)).applied).toEqual(NAMES);
    expect(await relations('r')).toEqual(TABLES);
    expect(await relations('v')).toEqual([...VIEWS, ...ANALYTICS_VIEWS].sort());
  });
});
