/** Opening the workspace's reporting database (migrated) for a short command. */
import { join, resolve } from 'node:path';
import { loadWorkspace } from '../../config/workspace.js';
import { migrateToLatest, openDatabase, type AttainDb } from '../db/index.js';
import { FiscalCalendar } from '../domain/periods.js';

export async function withDatabase<T>(
  global: { workspace: string },
  fn: (db: AttainDb, calendar: FiscalCalendar) => Promise<T>,
): Promise<T> {
  const workspace = await loadWorkspace(resolve(global.workspace));
  const url = workspace.config.database?.url ?? process.env['DATABASE_URL'];
  const database = await openDatabase({ ...(url ? { url } : {}), dataDir: join(workspace.dir, '.attain') });
  try {
    await migrateToLatest(database.db);
    return await fn(database, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth));
  } finally {
    await database.close();
  }
}
