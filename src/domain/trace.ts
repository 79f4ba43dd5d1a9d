/**
 * A payout line's explanation (SPEC §3 "Explainable"): the deals and credit behind it, the quota,
 * attainment, tier slices, gate, cap, draw or adjustment. The engine keeps the numbers it used and
 * renders them into plain JSON only when someone reads the trace (JSON output, the database), so
 * a run that only needs totals does not format a string for every deal.
 */
export type TraceJson = Record<string, unknown>;

export class Trace {
  constructor(private readonly build: () => TraceJson) {}

  /** A trace that is already plain JSON (e.g. a locked line read back from storage). */
  static of(json: TraceJson): Trace {
    return new Trace(() => json);
  }

  /** The plain JSON; built anew on every call (it is deterministic), so nothing is retained. */
  toJSON(): TraceJson {
    return this.build();
  }
}
