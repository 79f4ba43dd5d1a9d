/**
 * Every migration, listed by hand in order: Kysely's FileMigrationProvider would scan a folder at run
 * time, which breaks once the code is compiled or bundled. Names are date-prefixed and never change.
 */
import type { Migration } from 'kysely';
import * as initial from './2026-11-26T00-00-initial.js';
import * as reportingViews from './2026-11-26T00-01-reporting-views.js';
import * as runInputs from './2026-11-26T00-02-run-inputs.js';
import * as syncRejects from './2026-11-26T00-03-sync-rejects.js';
import * as runLease from './2026-12-06T00-00-run-lease.js';
import * as payCycle from './2026-12-06T00-10-pay-cycle.js';
import * as payrollExports from './2026-12-06T00-20-payroll-exports.js';
import * as analyticsViews from './2026-12-06T00-30-analytics-views.js';
import * as estimates from './2026-12-06T01-00-estimates.js';
import * as planAcknowledgements from './2026-12-06T01-30-plan-acknowledgements.js';
import * as accountsTerritories from './2026-12-06T01-50-accounts-territories.js';
import * as liabilityForecast from './2026-12-06T02-10-liability-forecast.js';
import * as runInputParts from './2026-12-06T02-20-run-input-parts.js';

export const migrations: Readonly<Record<string, Migration>> = {
  '2026-11-26T00-00-initial': initial,
  '2026-11-26T00-01-reporting-views': reportingViews,
  '2026-11-26T00-02-run-inputs': runInputs,
  '2026-11-26T00-03-sync-rejects': syncRejects,
  '2026-12-06T00-00-run-lease': runLease,
  '2026-12-06T00-10-pay-cycle': payCycle,
  '2026-12-06T00-20-payroll-exports': payrollExports,
  '2026-12-06T00-30-analytics-views': analyticsViews,
  '2026-12-06T01-00-estimates': estimates,
  '2026-12-06T01-30-plan-acknowledgements': planAcknowledgements,
  '2026-12-06T01-50-accounts-territories': accountsTerritories,
  '2026-12-06T02-10-liability-forecast': liabilityForecast,
  '2026-12-06T02-20-run-input-parts': runInputParts,
};
