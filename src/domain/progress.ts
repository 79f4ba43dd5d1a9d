/**
 * How far a long piece of work is: reported by the layer doing it (the CSV reader, the engine, the
 * store), shown on a terminal or logged by the entry point. Reporting is a plain callback, called
 * often; deciding whether and when to show it is the caller's (a clock lives there, not here).
 */
export interface ProgressUpdate {
  /** What is being done: `reading deals.csv`, `calculating`, `writing payout lines`. */
  task: string;
  done: number;
  /** What `done` counts: `records`, `plans`, `lines`. */
  unit: string;
  /** How many there are in all, when known. */
  total?: number;
}

export type OnProgress = (update: ProgressUpdate) => void;
