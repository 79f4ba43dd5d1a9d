/**
 * The one place where a statement's status is decided. Today a period is `paid` once it is locked
 * (`attain lock`) and a `draft` before; `approved` belongs here as soon as periods can be approved.
 */
export type StatementStatus = 'draft' | 'approved' | 'paid';

export interface PeriodState {
  /** The period is locked: its lines are what was paid. */
  locked: boolean;
}

export function decideStatementStatus(state: PeriodState): StatementStatus {
  return state.locked ? 'paid' : 'draft';
}
