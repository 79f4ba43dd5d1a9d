/**
 * Why a statement or payroll export cannot be made from what was asked (an unknown period, an
 * unpaid period, a rep without a payroll id, …). Nothing has been written when it is thrown; the
 * command line reports it as bad usage (exit 2).
 */
export class PayCycleError extends Error {
  override readonly name = 'PayCycleError';
}
