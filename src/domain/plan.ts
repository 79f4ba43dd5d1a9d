/**
 * A comp plan as the engine reads it (docs/plans.md). `config/plan-schema.ts` validates plans/*.yaml
 * into this shape; every number in it is an exact decimal string.
 */
export type PeriodKind = 'month' | 'quarter' | 'year';

/** A condition on one deal field: a list (one of), a single value (equals), or comparisons. */
export type FieldCondition =
  string | string[] | { in?: string[]; eq?: string; ne?: string; gt?: string; gte?: string; lt?: string; lte?: string };

/** Deal field name → condition; every condition must hold. Names are canonical deal fields or `fields` keys. */
export type Where = Record<string, FieldCondition>;

export interface Measure {
  /** `territory`: the reps holding the deal's account's territory on its close date (docs/territories.md#territory-credit). */
  credit: 'owner' | 'splits' | 'territory';
  where?: Where;
  /** Managers' attainment counts the credit of everyone below them (default true). */
  rollup: boolean;
}

export interface Tier {
  from: string;
  rate: string;
}

export interface RateTableComponent {
  id: string;
  kind: 'rate-table';
  measure: string;
  basis: 'attainment' | 'amount';
  mode: 'marginal' | 'retroactive';
  tiers: Tier[];
  gate?: string;
  cap?: string;
}

export interface PerDealComponent {
  id: string;
  kind: 'per-deal';
  measure: string;
  where?: Where;
  /** Exactly one of amount (fixed per deal) and rate (of the credited amount). */
  amount?: string;
  rate?: string;
}

export interface BonusComponent {
  id: string;
  kind: 'bonus';
  measure: string;
  attainmentAtLeast: string;
  amount: string;
}

export interface OverrideComponent {
  id: string;
  kind: 'override';
  measure: string;
  rate: string;
}

export type Component = RateTableComponent | PerDealComponent | BonusComponent | OverrideComponent;

export interface Plan {
  id: string;
  name: string;
  currency: string;
  quotaPeriod: PeriodKind;
  payoutPeriod: PeriodKind;
  measures: Record<string, Measure>;
  components: Component[];
  draw?: { amount: string; recoverable: boolean };
  clawback?: { windowDays: number };
  /**
   * Dated versions (docs/plans.md#changing-a-plan-mid-year), in order of `effective`: each pays the
   * quota periods that start on or after its date, until the next one; the keys above pay the
   * periods before the first. Absent for a plan that never changed.
   */
  versions?: PlanVersion[];
}

/** The keys a version may change; a version replaces each it gives whole. */
export const VERSIONED_KEYS = ['name', 'measures', 'components'] as const;

/** A plan from a date on: every versioned key in effect then, as given or carried from before. */
export interface PlanVersion extends Pick<Plan, (typeof VERSIONED_KEYS)[number]> {
  /** YYYY-MM-DD, the first day of a quota period of the plan. */
  effective: string;
  /** The content hash of the plan in effect from that date (sha256, hex), as `attain validate` shows it. */
  hash: string;
}

/** The plan as it pays from `version` on: its keys with the version's, and no versions. */
export function planInEffect(plan: Plan, version: PlanVersion): Plan {
  const { versions: _versions, ...rest } = plan;
  return { ...rest, name: version.name, measures: version.measures, components: version.components };
}

/** The plan as it pays the quota period starting on `isoDate` (YYYY-MM-DD): the plan itself without versions. */
export function planOn(plan: Plan, isoDate: string): Plan {
  let inEffect: PlanVersion | undefined;
  for (const version of plan.versions ?? []) if (version.effective <= isoDate) inEffect = version;
  return inEffect ? planInEffect(plan, inEffect) : plan;
}

/** Every component id the plan pays under any of its versions, in the order they first appear. */
export function componentIdsOf(plan: Plan): string[] {
  const ids = new Set(plan.components.map((c) => c.id));
  for (const version of plan.versions ?? []) for (const c of version.components) ids.add(c.id);
  return [...ids];
}

export interface Calendar {
  /** 1 = January. */
  fiscalYearStartMonth: number;
  /** IANA zone deciding which day a timestamp falls on. */
  tz: string;
}

/** Names that are not components: Attain gives them to draw and adjustment lines. */
export const RESERVED_COMPONENT_IDS = ['draw', 'adjustment'] as const;
