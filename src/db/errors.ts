/**
 * Errors the database layer raises for callers to act on; each sets `name` and its code, whose
 * exit status and retry are in src/domain/errors.ts.
 */
import { AttainError } from '../domain/errors.js';

/** The database could not be reached, refused the connection, or (PGlite) could not be opened. */
export class DatabaseUnavailableError extends AttainError {
  override readonly name = 'DatabaseUnavailableError';
  readonly code = 'DATABASE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The database settings themselves are wrong (a URL that is not a PostgreSQL URL): invalid configuration, exit 2. */
export class DatabaseConfigError extends AttainError {
  override readonly name = 'DatabaseConfigError';
  readonly code = 'DATABASE_CONFIG';
}

/** Another run (in process or queued) holds the run lease of this database (and schema). */
export class RunInProgressError extends AttainError {
  override readonly name = 'RunInProgressError';
  readonly code = 'RUN_IN_PROGRESS';
}

/** A run no longer holds the database: it was marked failed while it waited, or another run took over. */
export class RunEndedError extends AttainError {
  override readonly name = 'RunEndedError';
  readonly code = 'RUN_ENDED';
}

/** A migration failed; `migration` names it (the others of the batch were rolled back with it). */
export class MigrationError extends AttainError {
  override readonly name = 'MigrationError';
  readonly code = 'MIGRATION_FAILED';

  constructor(
    readonly migration: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A write that would rewrite a locked period, or an unlock asked for without `force`. */
export class PeriodLockedError extends AttainError {
  override readonly name = 'PeriodLockedError';
  readonly code = 'PERIOD_LOCKED';

  constructor(
    readonly periods: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

/** What went wrong, in words, for errors whose message can be empty (Node's AggregateError from dual-stack connects). */
export function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const code = (error as { code?: unknown }).code;
  const inner = error instanceof AggregateError ? error.errors.map(describeCause).filter(Boolean) : [];
  return [typeof code === 'string' ? code : '', ...new Set(inner)].filter(Boolean).join('; ') || error.name;
}
