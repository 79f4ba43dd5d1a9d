/**
 * Errors the database layer raises for callers to act on; each sets `name`. The CLI maps
 * `DatabaseUnavailableError` to exit 3 (could not reach a required service or was refused by it)
 * and `DatabaseConfigError` to exit 2.
 */

/** The database could not be reached, refused the connection, or (PGlite) could not be opened. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The database settings themselves are wrong (a URL that is not a PostgreSQL URL): invalid configuration, exit 2. */
export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
}

/** Another run (in process or queued) holds the run lease of this database (and schema). */
export class RunInProgressError extends Error {
  override readonly name = 'RunInProgressError';
}

/** A run no longer holds the database: it was marked failed while it waited, or another run took over. */
export class RunEndedError extends Error {
  override readonly name = 'RunEndedError';
}

/** A migration failed; `migration` names it (the others of the batch were rolled back with it). */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly migration: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A write that would rewrite a locked period, or an unlock asked for without `force`. */
export class PeriodLockedError extends Error {
  override readonly name = 'PeriodLockedError';

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
