/**
 * Which failures are permanent: retrying a bad plan, refused credentials or a malformed payload
 * only fails again later, so those fail the job at once (BullMQ's UnrecoverableError); anything
 * else (a dropped connection, a CRM 5xx) is retried with backoff.
 */
import { ConfigError } from '../../config/errors.js';
import { ConnectorError } from '../../connectors/source.js';
import { CsvSourceError } from '../../connectors/csv/csv-file.js';
import { JobPayloadError } from '../../jobs/catalog.js';
import { RunInputsMissingError } from '../../jobs/calculate.js';
import { RunStepError } from '../../jobs/step-context.js';
import { DatabaseConfigError, PeriodLockedError, RunEndedError, RunInProgressError } from '../db/index.js';
import { CliError } from '../cli/exit-codes.js';

export function isPermanent(error: unknown): boolean {
  if (error instanceof ConnectorError) return error.permanent;
  return (
    error instanceof ConfigError ||
    error instanceof CsvSourceError ||
    error instanceof CliError ||
    error instanceof JobPayloadError ||
    error instanceof RunInputsMissingError ||
    error instanceof DatabaseConfigError ||
    error instanceof PeriodLockedError ||
    // Another run holds the database, or this one was ended while it waited: retrying cannot help.
    error instanceof RunInProgressError ||
    error instanceof RunEndedError ||
    // The CRM refused records: retrying at once gets the same answer; the next run sends them again.
    error instanceof RunStepError
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
