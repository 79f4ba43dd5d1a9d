/**
 * Bad input to a pay-cycle action (approve, dispute, lock, statements, payroll export): an unknown
 * period or line key, an unpaid period, a rep without a payroll id, … Nothing has been written when
 * it is thrown; the command line reports it as bad usage (exit 2).
 */
import { AttainError } from '../src/domain/errors.js';

export class PayCycleInputError extends AttainError {
  override readonly name = 'PayCycleInputError';
  readonly code = 'INPUT_INVALID';
}
