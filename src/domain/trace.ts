/**
 * A payout line's explanation (docs/plans.md#payout-lines-and-their-traces): the deals and credit behind it, the quota,
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

/** Deal ids listed in a trace (`deals: [{ deal }]`). */
export function tracedDeals(trace: TraceJson): string[] {
  const listed = trace['deals'];
  return Array.isArray(listed) ? listed.map((entry) => String((entry as { deal: unknown }).deal)) : [];
}

/**
 * The one deal a payout line credits, when its trace credits exactly one: a per-deal component's
 * line for one deal, a rate table's line in a payout period with one deal. Undefined when it lists
 * none (bonus, draw, adjustment, override) or several, or when a manager's line also counts the
 * credit of people below them (`team`), whose deals the trace does not list.
 */
export function soleTracedDeal(trace: TraceJson): string | undefined {
  const ids = new Set(tracedDeals(trace));
  if (ids.size !== 1) return undefined;
  const team = trace['team'] as { byDirectReport?: Record<string, unknown> } | undefined;
  if (team && Object.keys(team.byDirectReport ?? {}).length > 0) return undefined;
  return [...ids][0];
}
