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
}

export interface Calendar {
  /** 1 = January. */
  fiscalYearStartMonth: number;
  /** IANA zone deciding which day a timestamp falls on. */
  tz: string;
}

/** Names that are not components: Attain gives them to draw and adjustment lines. */
export const RESERVED_COMPONENT_IDS = ['draw', 'adjustment'] as const;
