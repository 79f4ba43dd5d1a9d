import { AttainError, ExitCode, type ErrorCode } from '../domain/errors.js';
import { isIsoDate } from '../domain/model.js';

export { ExitCode };

const CODE_OF_EXIT: Record<ExitCode, ErrorCode> = {
  [ExitCode.ok]: 'COMMAND_FAILED',
  [ExitCode.failed]: 'COMMAND_FAILED',
  [ExitCode.usage]: 'USAGE',
  [ExitCode.unavailable]: 'COMMAND_UNAVAILABLE',
};

/** An error a command reports as one clear message and an exit status, never a stack trace. */
export class CliError extends AttainError {
  override readonly name = 'CliError';
  readonly code: ErrorCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.code = CODE_OF_EXIT[exitCode];
  }
}

/** `--as-of`, when given, must be a date: a usage error (exit 2) otherwise. */
export function checkAsOf(asOf: string | undefined): void {
  if (asOf !== undefined && !isIsoDate(asOf))
    throw new CliError(`--as-of ${asOf}: expected a date YYYY-MM-DD`, ExitCode.usage);
}
