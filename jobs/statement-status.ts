/**
 * The one place where a statement's status is decided: `paid` once its period is locked
 * (`attain lock`), `approved` when every line on it is covered by an approval in force
 * (`attain approve`, of the line's plan or of every plan), else `draft`.
 */
export type StatementStatus = 'draft' | 'approved' | 'paid';

export interface PeriodState {
  /** The period is locked: its lines are what was paid. */
  locked: boolean;
  /** Every line of the statement is in an approved period (and plan). */
  approved: boolean;
}

export function decideStatementStatus(state: PeriodState): StatementStatus {
  if (state.locked) return 'paid';
  return state.approved ? 'approved' : 'draft';
}
