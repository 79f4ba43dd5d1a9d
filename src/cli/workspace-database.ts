/** Opening a workspace's reporting database (migrated) for a short command (lock, replay, statements, export, …). */
import { resolve } from 'node:path';
import { loadWorkspace, type Workspace } from '../../config/workspace.js';
import { openWorkspaceDatabase } from '../../jobs/workspace-database.js';
import type { AttainDb } from '../db/index.js';
import { FiscalCalendar } from '../domain/periods.js';

/** Loads the workspace (unless given), opens its database, calls `fn`, and closes the database. */
export async function withDatabase<T>(
  from: { workspace: string } | Workspace,
  fn: (db: AttainDb, calendar: FiscalCalendar, workspace: Workspace) => Promise<T>,
): Promise<T> {
  const workspace = 'config' in from ? from : await loadWorkspace(resolve(from.workspace));
  const database = await openWorkspaceDatabase(workspace);
  try {
    return await fn(database, new FiscalCalendar(workspace.config.calendar.fiscalYearStartMonth), workspace);
  } finally {
    await database.close();
  }
}
