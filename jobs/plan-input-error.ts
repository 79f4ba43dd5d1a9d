/**
 * Bad input to a plan command (`attain plan doc`, `ack`, `acks`): an unknown plan, a hash that is
 * not the plan's current one, a bad acknowledgements.csv row. Nothing has been written when it is
 * thrown; the command line reports it as bad usage (exit 2).
 */
import { AttainError } from '../src/domain/errors.js';

export class PlanInputError extends AttainError {
  override readonly name = 'PlanInputError';
  readonly code = 'INPUT_INVALID';
}
