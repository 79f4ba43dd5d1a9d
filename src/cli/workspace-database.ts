/** Opening the workspace's reporting database (migrated) for a short command. */
import { resolve } from 'node:path';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { openWorkspaceDatabase } from '../../jobs/workspace-database.js';
import type { AttainDb } from '../db/index.js';
import { FiscalCalendar } from '../domain/periods.js';

export async function withDatabase<T>(
  from: { workspace: string } | Workspace,
  fn: (db: AttainDb, calendar: FiscalCalendar) => Promise<T>,
): Promise<T> {
  const workspace = 'config' in from ? from : await loadWorkspace(resolve(from.workspace));
  const database = await openWorkspaceDatabase(workspace);
  try {
    return await fn(database, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth));
  } finally {
    await database.close();
  }
}
