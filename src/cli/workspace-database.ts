/** Opening a workspace's reporting database for a short command (lock, replay, statements, export). */
import { join, resolve } from 'node:path';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { migrateToLatest, openDatabase, type AttainDb } from '../db/index.js';
import { FiscalCalendar } from '../domain/periods.js';

/** Loads the workspace, opens its database (migrated), calls `fn`, and closes the database. */
export async function withWorkspaceDatabase<T>(
  dir: string,
  fn: (db: AttainDb, calendar: FiscalCalendar, workspace: Workspace) => Promise<T>,
): Promise<T> {
  const workspace = await loadWorkspace(resolve(dir));
  const url = workspace.config.database?.url ?? process.env['DATABASE_URL'];
  const database = await openDatabase({ ...(url ? { url } : {}), dataDir: join(workspace.dir, '.attain') });
  try {
    await migrateToLatest(database.db);
    return await fn(database, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth), workspace);
  } finally {
    await database.close();
  }
}
