/**
 * Runs the migrations (migrations/index.ts) with Kysely's Migrator. Its bookkeeping tables live in
 * the current schema, so that databases isolated by schema (tests, several workspaces on one
 * server) each keep their own migration state.
 */
import { Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely';
import { MigrationError, describeCause } from './errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export interface MigrationOutcome {
  /** Names of the migrations applied (up) or reverted (down), in the order they ran. */
  applied: string[];
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationOutcome> {
  const migrator = await migratorFor(db);
  return settle(await migrator.migrateToLatest(), 'up');
}

/** Reverts the last `steps` migrations (all of them when `steps` is larger than the count). */
export async function migrateDown(db: Kysely<Database>, steps = 1): Promise<MigrationOutcome> {
  const migrator = await migratorFor(db);
  const applied: string[] = [];
  for (let i = 0; i < steps; i++) {
    const outcome = settle(await migrator.migrateDown(), 'down');
    if (outcome.applied.length === 0) break;
    applied.push(...outcome.applied);
  }
  return { applied };
}

/** Names of the migrations this code knows and whether each is applied. */
export async function migrationStatus(db: Kysely<Database>): Promise<{ name: string; applied: boolean }[]> {
  const migrator = await migratorFor(db);
  return (await migrator.getMigrations()).map((m) => ({ name: m.name, applied: m.executedAt !== undefined }));
}

async function migratorFor(db: Kysely<Database>): Promise<Migrator> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new MigrationError(undefined, 'cannot migrate: no schema is selected (check the search_path)');
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
    migrationTableSchema: schema,
  });
}

function settle({ error, results = [] }: MigrationResultSet, direction: 'up' | 'down'): MigrationOutcome {
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const what = failed === undefined ? `migrating ${direction}` : `migration ${failed} (${direction})`;
    throw new MigrationError(failed, `${what} failed: ${describeCause(error)}`, { cause: error });
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
