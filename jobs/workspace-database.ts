/**
 * Which reporting database a workspace uses, decided here only: `database.url` in attain.yaml,
 * else `DATABASE_URL`, else the embedded database (PGlite) under the workspace's `.attain/`.
 */
import { join } from 'node:path';
import type { Workspace } from '../config/workspace.js';
import { migrateToLatest, openDatabase, type AttainDb } from '../src/db/index.js';

/** The PostgreSQL URL the workspace names; undefined: the embedded database. */
export function workspaceDatabaseUrl(workspace: Workspace, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return workspace.config.database?.url ?? env['DATABASE_URL'];
}

/** Opens the workspace's database and migrates it to the latest schema (closed again if that fails). */
export async function openWorkspaceDatabase(
  workspace: Workspace,
  options: { env?: NodeJS.ProcessEnv; onError?: (error: Error) => void } = {},
): Promise<AttainDb> {
  const url = workspaceDatabaseUrl(workspace, options.env);
  const database = await openDatabase({
    ...(url ? { url } : {}),
    dataDir: join(workspace.dir, '.attain'),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
