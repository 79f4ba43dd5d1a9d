/** The exit statuses (docs/cli.md#exit-status). */
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

/** An error the CLI reports as one clear message and an exit status, never a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
