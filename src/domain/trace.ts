/**
 * A payout line's explanation (docs/plans.md#payout-lines-and-their-traces): the deals and credit behind it, the quota,
 * attainment, tier slices, gate, cap, draw or adjustment. The engine keeps the numbers it used and
 * renders them into plain JSON only when someone reads the trace (JSON output, the database), so
 * a run that only needs totals does not format a string for every deal.
 *
 * Every kind of trace is one member of `TypedTrace`: its `kind` beside its JSON, whose fields are
 * typed here. The kind is never part of the JSON (`attain calc --json`, `payout_lines.trace` and the
 * CRM's trace field print the JSON alone, keys in the order the engine wrote them). A trace read back
 * from storage is typed once, by `classifyTrace`.
 */

/** A trace as plain JSON: printed, stored, sent. */
export type TraceJson = Record<string, unknown>;

/** The quota period a component line is measured over, and how far it got. */
export type QuotaFacts = {
  measure: string;
  quotaPeriod: string;
  creditToDate: string;
  /** Null when the rep has no quota for the period. */
  quota: string | null;
  proration?: { fullQuota: string; daysCovered: number; daysInPeriod: number };
  attainmentToDate?: string;
};

/**
 * What a component line pays: due to date, less what earlier lines of the quota period paid. A
 * brief trace (an estimate's, paying.ts `briefly`) has none of it.
 */
export type ToDate = {
  dueToDate: string;
  paidEarlier: string;
  rounding: string;
};

/** The dated version of the plan that paid a line (docs/plans.md#changing-a-plan-mid-year). */
export type PaidByVersion = { planVersion?: { effective: string; hash: string } };

/** A deal a rate table's line counts: the rep's own credited deal in the payout period. */
export type CreditedDealTrace = {
  deal: string;
  closeDate: string;
  amount: string;
  currency: string;
  /** A split's percentage, when the deal is split. */
  percent?: string;
  territory?: string;
  credit: string;
};

/** A deal a per-deal component pays. */
export type PaidDealTrace = { deal: string; closeDate: string; credit: string; pays: string };

/** A manager's team credit in the payout period. */
export type TeamTrace = { credit: string; byDirectReport: Record<string, string> };

/** A tier's slice of the credit. A brief trace (paying.ts `briefly`) keeps only its tier and rate. */
export type TierSliceTrace = {
  /** 1-based. */
  tier: number;
  from?: string;
  fromAmount?: string;
  toAmount?: string;
  rate: string;
  credit?: string;
  amount?: string;
};

export type RateTableTrace = QuotaFacts & {
  basis: string;
  mode: string;
  /** Left out while estimating (paying.ts `briefly`). */
  deals?: CreditedDealTrace[];
  team?: TeamTrace;
  /** An attainment-based table with no quota: it pays nothing. */
  note?: string;
  gate?: { threshold: string; met: boolean };
  /** Absent when a gate was not met or there was no quota. */
  tiers?: TierSliceTrace[];
  cap?: { cap: string; uncapped: string; applied: boolean };
} & Partial<ToDate> &
  PaidByVersion;

export type PerDealTrace = QuotaFacts & { rate?: string; perDeal?: string; deals: PaidDealTrace[] } & Partial<ToDate> &
  PaidByVersion;

export type BonusTrace = QuotaFacts & { attainmentAtLeast: string; reached: boolean; bonus: string } & Partial<ToDate> &
  PaidByVersion;

export type OverrideTrace = {
  measure: string;
  quotaPeriod: string;
  rate: string;
  teamCreditToDate: string;
  team?: TeamTrace;
} & Partial<ToDate> &
  PaidByVersion;

export type DrawTrace = {
  draw: string;
  recoverable: boolean;
  earned: string;
  topUp?: string;
  recovered?: string;
  balanceBefore: string;
  balanceAfter: string;
};

/** The difference between a locked period's lines and their recomputation (locks.ts). */
export type LockAdjustmentTrace = {
  reason: string;
  lockedPeriods: string[];
  byComponent: { component: string; locked: string; recomputed: string }[];
  /** Deals the locked lines paid that the recomputed ones no longer do. */
  clawedBack: string[];
  added: string[];
  note?: string;
};

/** An amount agreed outside the plan (engine.ts `ManualAdjustment`): a dispute's resolution. */
export type ManualAdjustmentTrace = {
  reason: string;
  dispute?: string;
  line?: string;
  disputed?: string | null;
  resolvedBy?: string | null;
  resolution?: string | null;
};

/** Several adjustments falling in one payout period, summed into one line: each part with its amount. */
export type AdjustmentSumTrace = {
  reason: string;
  adjustments: ({ amount: string } & AdjustmentTrace)[];
};

export type AdjustmentTrace = LockAdjustmentTrace | ManualAdjustmentTrace | AdjustmentSumTrace;

export type TypedTrace =
  | { kind: 'rateTable'; json: RateTableTrace }
  | { kind: 'perDeal'; json: PerDealTrace }
  | { kind: 'bonus'; json: BonusTrace }
  | { kind: 'override'; json: OverrideTrace }
  | { kind: 'draw'; json: DrawTrace }
  | { kind: 'lockAdjustment'; json: LockAdjustmentTrace }
  | { kind: 'manualAdjustment'; json: ManualAdjustmentTrace }
  | { kind: 'adjustmentSum'; json: AdjustmentSumTrace }
  /** A stored trace of no shape this version writes. */
  | { kind: 'other'; json: TraceJson };

export type TraceKind = TypedTrace['kind'];

/** The traces of a plan's components (paying.ts), the kinds a plan version may pay. */
export type ComponentTrace = Extract<TypedTrace, { kind: 'rateTable' | 'perDeal' | 'bonus' | 'override' }>;

export class Trace {
  /** `build` renders it; a subclass that holds its own facts overrides read() instead (paying.ts LineTrace). */
  constructor(private readonly build: () => TypedTrace = overridden) {}

  /** A trace stored as plain JSON (a locked line read back), typed when read. */
  static stored(component: string, json: TraceJson): Trace {
    return new Trace(() => classifyTrace(component, json));
  }

  /** The typed trace; built anew on every call (it is deterministic), so nothing is retained. */
  read(): TypedTrace {
    return this.build();
  }

  /** The plain JSON. */
  toJSON(): TraceJson {
    return traceJson(this.read());
  }
}

function overridden(): TypedTrace {
  throw new Error('a Trace built without a renderer must override read()');
}

/** The one rendering of a trace as JSON: its fields, without its kind. */
export function traceJson(trace: TypedTrace): TraceJson {
  return trace.json;
}

/**
 * The kind of a trace stored as JSON, told once here: a draw or adjustment by its line's component,
 * a component's by the fields only its kind writes.
 */
export function classifyTrace(component: string, json: TraceJson): TypedTrace {
  if (component === 'draw') return { kind: 'draw', json: json as DrawTrace };
  if (component === 'adjustment') {
    if (Array.isArray(json['adjustments'])) return { kind: 'adjustmentSum', json: json as AdjustmentSumTrace };
    if (Array.isArray(json['clawedBack'])) return { kind: 'lockAdjustment', json: json as LockAdjustmentTrace };
    return { kind: 'manualAdjustment', json: json as ManualAdjustmentTrace };
  }
  if (Array.isArray(json['tiers']) || json['gate'] !== undefined || json['basis'] !== undefined)
    return { kind: 'rateTable', json: json as RateTableTrace };
  if (json['perDeal'] !== undefined || (json['rate'] !== undefined && Array.isArray(json['deals'])))
    return { kind: 'perDeal', json: json as PerDealTrace };
  if (json['bonus'] !== undefined) return { kind: 'bonus', json: json as BonusTrace };
  if (json['teamCreditToDate'] !== undefined) return { kind: 'override', json: json as OverrideTrace };
  // Deals listed without their component's own fields (a trace written by hand): what each pays
  // is a per-deal component's mark.
  const deals = json['deals'];
  if (Array.isArray(deals))
    return deals.every((entry) => (entry as { pays?: unknown }).pays !== undefined)
      ? { kind: 'perDeal', json: json as PerDealTrace }
      : { kind: 'rateTable', json: json as RateTableTrace };
  return { kind: 'other', json };
}

/** The deals a trace lists: a rate table's credited deals, a per-deal component's paid ones. */
export function dealEntries(trace: TypedTrace): readonly (CreditedDealTrace | PaidDealTrace)[] {
  switch (trace.kind) {
    case 'rateTable':
      return trace.json.deals ?? [];
    case 'perDeal':
      return trace.json.deals;
    default:
      return [];
  }
}

/** A manager's team credit, by direct report, as a rate table's or an override's trace lists it. */
export function teamCredit(trace: TypedTrace): Readonly<Record<string, string>> {
  return trace.kind === 'rateTable' || trace.kind === 'override' ? (trace.json.team?.byDirectReport ?? {}) : {};
}

/** Deal ids listed in a trace (`deals: [{ deal }]`). */
export function tracedDeals(trace: TypedTrace): string[] {
  return dealEntries(trace).map((entry) => entry.deal);
}

/**
 * The one deal a payout line credits, when its trace credits exactly one: a per-deal component's
 * line for one deal, a rate table's line in a payout period with one deal. Undefined when it lists
 * none (bonus, draw, adjustment, override) or several, or when a manager's line also counts the
 * credit of people below them (`team`), whose deals the trace does not list.
 */
export function soleTracedDeal(trace: TypedTrace): string | undefined {
  const ids = new Set(tracedDeals(trace));
  if (ids.size !== 1) return undefined;
  if (Object.keys(teamCredit(trace)).length > 0) return undefined;
  return [...ids][0];
}
