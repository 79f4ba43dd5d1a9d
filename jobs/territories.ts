/**
 * The territories use case (`attain territories`, docs/territories.md#attain-territories): the
 * workspace's accounts, territories and territory reps, read and checked as a calculation reads
 * them, and the map as of a day. Writes nothing.
 */
import type { Kysely } from 'kysely';
import type { Workspace } from '../config/workspace.js';
import type { Database } from '../src/db/index.js';
import { territoryReport, type TerritoryReport } from '../src/domain/territories.js';
import { CalculationInputError, prepareCalculation } from './prepare-calculation.js';

export interface TerritoriesOptions {
  workspace: Workspace;
  /** The day the reps are looked up on and T12M bookings end (default: today in calendar.tz). */
  asOf?: string;
  /** For a CRM source: where its synced accounts and deals are. */
  db?: Kysely<Database>;
}

export async function territoriesAsOf(options: TerritoriesOptions): Promise<TerritoryReport> {
  const { workspace } = options;
  if (!workspace.territories) {
    throw new CalculationInputError(
      `${workspace.dir}: no territories.yaml; docs/territories.md shows how to write one`,
    );
  }
  const prepared = await prepareCalculation(workspace.dir, {
    workspace,
    ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
    ...(options.db ? { db: options.db } : {}),
  });
  const { input } = prepared;
  return territoryReport(input.data, input.baseCurrency, input.asOf!);
}
