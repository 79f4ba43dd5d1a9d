/**
 * Every failure Attain expects, by a stable code: what the command line exits with and whether a
 * queued step may try again. Each error class of every layer extends `AttainError` with one of
 * these codes; the CLI (exit status), the worker (retry or fail the job at once) and the queue
 * commands read this one table, so they cannot disagree. Anything that is not an `AttainError`
 * is unexpected: exit 1, retried on a queue.
 */

/** The command line's exit statuses. */
export const ExitCode = {
  ok: 0,
  /** The run failed or finished only in part (with --strict, also any reject). */
  failed: 1,
  /** Bad usage or invalid configuration, with the file, line and reason. */
  usage: 2,
  /** A required service could not be reached or refused us. */
  unavailable: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorBehaviour {
  /** The CLI's exit status. */
  exit: ExitCode;
  /** A queued step that failed with it is retried with backoff; otherwise it fails at once. */
  retry: boolean;
}

const behaviour = (exit: ExitCode, retry: boolean): ErrorBehaviour => ({ exit, retry });

/**
 * Code → behaviour, for every code. Retrying makes sense only for what may pass by itself (a
 * service down, a lock held); a bad plan, refused credentials or a malformed payload would only
 * fail again later.
 */
export const ERROR_BEHAVIOUR = {
  /** attain.yaml or a plan is invalid (config/). */
  CONFIG_INVALID: behaviour(ExitCode.usage, false),
  /** A data file cannot be read (missing, unreadable). */
  FILE_UNREADABLE: behaviour(ExitCode.usage, false),
  /** A data file cannot be used at all (not CSV, a required column missing). */
  FILE_INVALID: behaviour(ExitCode.usage, false),
  /** The inputs cannot be calculated: an assignment to an unknown plan, a plan currency with no rate. */
  INPUT_INVALID: behaviour(ExitCode.usage, false),
  /** Bad command-line usage (an option's value). */
  USAGE: behaviour(ExitCode.usage, false),
  /** A command found the work failed (it says why). */
  COMMAND_FAILED: behaviour(ExitCode.failed, false),
  /** A command could not reach or was refused by a service it needs. */
  COMMAND_UNAVAILABLE: behaviour(ExitCode.unavailable, false),
  /** The database settings are wrong (a URL that is not a PostgreSQL URL). */
  DATABASE_CONFIG: behaviour(ExitCode.usage, false),
  /** The database could not be reached or opened. */
  DATABASE_UNAVAILABLE: behaviour(ExitCode.unavailable, true),
  /** Another run (in process or queued) holds the database's run lease: retrying cannot help this run. */
  RUN_IN_PROGRESS: behaviour(ExitCode.failed, false),
  /** A queued run no longer holds the database (marked failed while it waited, or taken over). */
  RUN_ENDED: behaviour(ExitCode.failed, false),
  /** A migration failed (rolled back). */
  MIGRATION_FAILED: behaviour(ExitCode.failed, true),
  /** A write would rewrite a locked period. */
  PERIOD_LOCKED: behaviour(ExitCode.failed, false),
  /** `attain replay`: no such run, or it has no stored inputs. */
  REPLAY_IMPOSSIBLE: behaviour(ExitCode.usage, false),
  /** `attain diff`: a revision or folder that does not exist or holds no plans, git missing, nothing read yet. */
  DIFF_IMPOSSIBLE: behaviour(ExitCode.usage, false),
  /** A step failed after the results were stored (the CRM refused records, sent again next run). */
  RUN_STEP_FAILED: behaviour(ExitCode.failed, false),
  /** The run's inputs are not stored: its sync step has not run. */
  RUN_INPUTS_MISSING: behaviour(ExitCode.failed, false),
  /** A step's outcome, read back from the queue, does not match its schema. */
  STEP_RESULT_INVALID: behaviour(ExitCode.failed, false),
  /** A job's payload does not match its schema. */
  JOB_PAYLOAD_INVALID: behaviour(ExitCode.failed, false),
  /** Redis cannot be reached. */
  REDIS_UNAVAILABLE: behaviour(ExitCode.unavailable, true),
  /** Redis may evict job keys (its maxmemory-policy). */
  REDIS_POLICY: behaviour(ExitCode.unavailable, true),
  /** A queue command with no queue in attain.yaml nor REDIS_URL. */
  QUEUE_NOT_CONFIGURED: behaviour(ExitCode.usage, false),
  /** CRM credentials refused or expired beyond refreshing. */
  AUTH_FAILED: behaviour(ExitCode.unavailable, false),
  /** The CRM could not be reached (DNS, refused, timeout after retries). */
  UNREACHABLE: behaviour(ExitCode.unavailable, true),
  /** A mapped CRM field, object or pipeline does not exist, or no permission. */
  INVALID_CONFIG: behaviour(ExitCode.usage, false),
  /** The CRM's daily API allocation is used up: the cursor is kept, the next run resumes. */
  RATE_LIMITED: behaviour(ExitCode.failed, true),
  /** A CRM 5xx or timeout that outlived the retries. */
  TEMPORARY: behaviour(ExitCode.failed, true),
  /** The CRM answered with something we cannot read. */
  INVALID_DATA: behaviour(ExitCode.failed, false),
} as const satisfies Record<string, ErrorBehaviour>;

export type ErrorCode = keyof typeof ERROR_BEHAVIOUR;

/** The base of every expected error: its message says what failed and how to fix it, never a secret. */
export abstract class AttainError extends Error {
  abstract readonly code: ErrorCode;

  get exitCode(): ExitCode {
    return ERROR_BEHAVIOUR[this.code].exit;
  }

  /** Whether a queued step that failed with it is tried again. */
  get retryable(): boolean {
    return ERROR_BEHAVIOUR[this.code].retry;
  }
}

/** How an error is handled: its code's behaviour, or (not an AttainError) unexpected: exit 1, retried. */
export function behaviourOf(error: unknown): ErrorBehaviour & { expected: boolean } {
  if (error instanceof AttainError) return { ...ERROR_BEHAVIOUR[error.code], expected: true };
  return { exit: ExitCode.failed, retry: true, expected: false };
}
