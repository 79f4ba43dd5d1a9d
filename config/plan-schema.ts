/**
 * plans/*.yaml (docs/plans.md) → `Plan`. Strict everywhere: an unknown key is an error, not ignored,
 * because a misspelt `gate` or `cap` would otherwise silently change what is paid. Every number
 * stays the exact decimal text that was written.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDecimal } from '../src/domain/decimal.js';
import { isoDate } from '../src/domain/model.js';
import { FiscalCalendar, dayOf, isoOfDay, monthOfDate } from '../src/domain/periods.js';
import {
  RESERVED_COMPONENT_IDS,
  VERSIONED_KEYS,
  planInEffect,
  type PeriodKind,
  type Plan,
  type PlanVersion,
} from '../src/domain/plan.js';
import { didYouMean } from './did-you-mean.js';
import { formatPath, sortByPosition, type ConfigIssue } from './errors.js';
import { boolean, currencyCode, identifier, nonNegativeDecimal, text, wholeNumber } from './scalars.js';
import { describeChoices, isMapping, validate } from './validate.js';
import { parseYaml, type YamlSource } from './yaml-source.js';

const PERIOD_KINDS = ['month', 'quarter', 'year'] as const satisfies readonly PeriodKind[];
const periodKind = z.enum(PERIOD_KINDS);

const CONDITION_OPERATORS = ['in', 'eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;

/** `type: New Business`, `type: [New Business, Upsell]` or `contractTermMonths: { gte: 24 }`. */
const fieldCondition = z.union(
  [
    z.string(),
    z.array(z.string()).min(1),
    z
      .strictObject({
        in: z.array(z.string()).min(1).optional(),
        eq: z.string().optional(),
        ne: z.string().optional(),
        gt: z.string().optional(),
        gte: z.string().optional(),
        lt: z.string().optional(),
        lte: z.string().optional(),
      })
      .refine((condition) => Object.keys(condition).length > 0, {
        message: `expected at least one of ${CONDITION_OPERATORS.join(', ')}`,
        // After an unknown key (a misspelt operator) this would only repeat the problem.
        when: (payload) => payload.issues.length === 0,
      }),
  ],
  { error: `expected a value, a list of values, or a mapping of ${CONDITION_OPERATORS.join(', ')}` },
);

/** A `where:` filter; territories.yaml rules use the same language (config/territories.ts). */
export const where = z.record(z.string(), fieldCondition);

const measure = z.strictObject({
  credit: z.enum(['owner', 'splits', 'territory']),
  where: where.optional(),
  rollup: boolean.default(true),
});

const componentId = identifier.refine((id) => !(RESERVED_COMPONENT_IDS as readonly string[]).includes(id), {
  error: (issue) => `${String(issue.input)} is reserved for the lines Attain adds itself; choose another id`,
});

/** Required without a default: each choice changes what is paid, so the plan must say which. */
const moneyChoice = <const T extends readonly [string, ...string[]]>(values: T, meaning: string) =>
  z.enum(values, {
    error: (issue) => (issue.input === undefined ? `required: ${describeChoices(values)} (${meaning})` : undefined),
  });

const tier = z.strictObject({ from: nonNegativeDecimal, rate: nonNegativeDecimal });

const tiers = z
  .array(tier)
  .min(1)
  .superRefine((list, ctx) => {
    const bounds = list.map((t) => parseDecimal(t.from));
    if (bounds[0] !== undefined && bounds[0] !== 0n) {
      ctx.addIssue({ code: 'custom', path: [0, 'from'], message: 'the first tier must start from 0' });
    }
    for (let i = 1; i < bounds.length; i++) {
      const previous = bounds[i - 1];
      const current = bounds[i];
      if (previous !== undefined && current !== undefined && current <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'from'],
          message: `tiers must be in increasing order of from: ${list[i]?.from} does not come after ${list[i - 1]?.from}`,
        });
      }
    }
  });

const rateTable = z.strictObject({
  id: componentId,
  kind: z.literal('rate-table'),
  measure: text,
  basis: moneyChoice(['attainment', 'amount'], 'tier bounds as fractions of quota, or in plan currency'),
  mode: moneyChoice(['marginal', 'retroactive'], 'each slice at its own rate, or all credit at the rate reached'),
  tiers,
  gate: nonNegativeDecimal.optional(),
  cap: nonNegativeDecimal.optional(),
});

const perDeal = z
  .strictObject({
    id: componentId,
    kind: z.literal('per-deal'),
    measure: text,
    where: where.optional(),
    amount: nonNegativeDecimal.optional(),
    rate: nonNegativeDecimal.optional(),
  })
  .superRefine((component, ctx) => {
    if (component.amount === undefined && component.rate === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give amount (paid per deal) or rate (of the credited amount)' });
    } else if (component.amount !== undefined && component.rate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give amount or rate, not both' });
    }
  });

const bonus = z.strictObject({
  id: componentId,
  kind: z.literal('bonus'),
  measure: text,
  attainmentAtLeast: nonNegativeDecimal,
  amount: nonNegativeDecimal,
});

const override = z.strictObject({
  id: componentId,
  kind: z.literal('override'),
  measure: text,
  rate: nonNegativeDecimal,
});

const component = z.discriminatedUnion('kind', [rateTable, perDeal, bonus, override]);

/** What a cross-check may read: with other issues present, any part may still be malformed. */
interface PlanDraft {
  quotaPeriod?: unknown;
  payoutPeriod?: unknown;
  measures?: unknown;
  components?: unknown;
}

/** Checks between parts of the plan. They run even when a part is invalid, so one pass reports everything. */
function checkPlan(plan: PlanDraft, ctx: z.RefinementCtx): void {
  const isPeriod = (value: unknown): value is PeriodKind => PERIOD_KINDS.includes(value as PeriodKind);
  const { quotaPeriod, payoutPeriod } = plan;
  if (isPeriod(quotaPeriod) && isPeriod(payoutPeriod)) {
    if (PERIOD_KINDS.indexOf(payoutPeriod) > PERIOD_KINDS.indexOf(quotaPeriod)) {
      ctx.addIssue({
        code: 'custom',
        path: ['payoutPeriod'],
        message: `a ${payoutPeriod} is longer than the ${quotaPeriod} quota period: payoutPeriod must divide quotaPeriod`,
      });
    }
  }

  const measures = isMapping(plan.measures) ? Object.keys(plan.measures) : undefined;
  const components = Array.isArray(plan.components) ? plan.components : [];
  const firstIndexOfId = new Map<string, number>();
  components.forEach((entry: unknown, index) => {
    if (!isMapping(entry)) return;
    const { id, measure: measureName } = entry;
    if (typeof id === 'string' && id !== '') {
      const first = firstIndexOfId.get(id);
      if (first === undefined) firstIndexOfId.set(id, index);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['components', index, 'id'],
          message: `duplicate component id ${id} (components[${first}] has it too)`,
        });
      }
    }
    if (measures && typeof measureName === 'string' && measureName !== '' && !measures.includes(measureName)) {
      const suggestion = didYouMean(measureName, measures);
      const hint = suggestion ? `did you mean ${suggestion}?` : `measures: ${measures.join(', ') || 'none'}`;
      ctx.addIssue({
        code: 'custom',
        path: ['components', index, 'measure'],
        message: `unknown measure ${measureName} (${hint})`,
      });
    }
  });
}

const PLAN_KEYS = [
  'id',
  'name',
  'currency',
  'quotaPeriod',
  'payoutPeriod',
  'measures',
  'components',
  'draw',
  'clawback',
  'versions',
] as const;
const VERSION_KEYS: readonly string[] = ['effective', ...VERSIONED_KEYS];

/**
 * One entry of `versions:` (docs/plans.md#changing-a-plan-mid-year): its date and the keys it
 * replaces. The keys' values are checked later, on the whole plan they make (parsePlan).
 */
const version = z.looseObject({ effective: isoDate }).superRefine((entry, ctx) => {
  for (const key of Object.keys(entry)) {
    if (VERSION_KEYS.includes(key)) continue;
    if ((PLAN_KEYS as readonly string[]).includes(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message:
          `${key} cannot change in a version (a version changes ${VERSIONED_KEYS.join(', ')}): ` +
          `for another ${key}, start a new plan and move the reps to it in assignments.csv`,
      });
    } else {
      const suggestion = didYouMean(key, VERSION_KEYS);
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown key (${suggestion ? `did you mean ${suggestion}?` : `expected ${VERSION_KEYS.join(', ')}`})`,
      });
    }
  }
  if (Object.keys(entry).every((key) => key === 'effective')) {
    ctx.addIssue({
      code: 'custom',
      message: `a version changes nothing: give ${VERSIONED_KEYS.join(', ')} (each replaces the plan's key whole)`,
    });
  }
});

const versions = z
  .array(version)
  .min(1)
  .superRefine((list, ctx) => {
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!.effective;
      const current = list[i]!.effective;
      if (current === previous) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'effective'],
          message: `versions[${i - 1}] takes effect on ${current} too: two versions cannot overlap`,
        });
      } else if (current < previous) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'effective'],
          message: `versions must be in order of effective date: ${current} comes before ${previous} (versions[${i - 1}])`,
        });
      }
    }
  });

export const planSchema = z
  .strictObject({
    id: identifier,
    name: text,
    currency: currencyCode,
    quotaPeriod: periodKind,
    payoutPeriod: periodKind.optional(),
    measures: z.record(z.string(), measure),
    components: z.array(component).min(1),
    draw: z.strictObject({ amount: nonNegativeDecimal, recoverable: boolean }).optional(),
    clawback: z.strictObject({ windowDays: wholeNumber() }).optional(),
    versions: versions.optional(),
  })
  .superRefine(checkPlan, { when: () => true })
  // The versions are resolved by parsePlan, on the whole plan each makes.
  .transform(({ payoutPeriod, versions: _versions, ...plan }): Plan => ({
    ...plan,
    payoutPeriod: payoutPeriod ?? plan.quotaPeriod,
  }));

/**
 * The content hash of a plan as it pays: sha256 (hex) of its definition without `versions`, so
 * adding a version leaves the hash of what paid before it unchanged. `attain validate` prints it.
 */
export function planContentHash(plan: Plan): string {
  const { versions: _versions, ...definition } = plan;
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex');
}

/**
 * Reads one plan file. `plan` is present only when there is no issue at all; `source` whenever
 * the text is valid YAML (for positions of cross-file checks).
 */
export function parsePlan(
  text: string,
  file: string,
  options: { maxRate?: string; fiscalYearStartMonth?: number } = {},
): { plan?: Plan; source?: YamlSource; issues: ConfigIssue[] } {
  const { source, issues } = parseYaml(text, file);
  if (!source) return { issues };
  const result = validate(source, planSchema);
  const maxRate = options.maxRate ?? '1';
  const rateIssues = result.value ? ratesAbove(result.value, maxRate, source) : [];
  // The versions only once the plan itself is right: each is read as the whole plan it makes.
  const versioned =
    result.value && rateIssues.length === 0
      ? resolveVersions(result.value, source, maxRate, new FiscalCalendar(options.fiscalYearStartMonth ?? 1))
      : undefined;
  const all = sortByPosition([...issues, ...result.issues, ...rateIssues, ...(versioned?.issues ?? [])]);
  return all.length === 0 ? { plan: versioned?.plan ?? result.value, source, issues: all } : { source, issues: all };
}

/**
 * `versions:` (docs/plans.md#changing-a-plan-mid-year): each version is the plan before it with
 * the keys it gives replaced whole, validated as a whole plan, so a version's components must
 * name its measures. A problem in a key the version gives is reported where the version wrote
 * it; one that the version causes elsewhere (a measure it removed that a component still reads)
 * at the version. Each version must start on the first day of a quota period.
 */
function resolveVersions(
  base: Plan,
  source: YamlSource,
  maxRate: string,
  calendar: FiscalCalendar,
): { plan: Plan; issues: ConfigIssue[] } {
  const raw = source.value as Record<string, unknown>;
  const entries = raw['versions'] as Record<string, unknown>[] | undefined;
  if (!entries) return { plan: base, issues: [] };

  const issues: ConfigIssue[] = [];
  const resolved: PlanVersion[] = [];
  const { versions: _versions, ...current } = raw;
  /** Versioned key → the version that last gave it (absent: the plan's own). */
  const givenBy = new Map<string, number>();
  let previousIssues = new Set<string>();
  entries.forEach((entry, i) => {
    const effective = entry['effective'] as string;
    const q = calendar.periodOf(base.quotaPeriod, monthOfDate(effective));
    if (q.startDay !== dayOf(effective)) {
      issues.push({
        file: source.file,
        ...source.locate(['versions', i, 'effective']),
        path: `versions[${i}].effective`,
        message:
          `${effective} is inside the quota period ${q.label} (${isoOfDay(q.startDay)} to ${isoOfDay(q.endDay)}): ` +
          `a version takes effect on the first day of a quota period: ${isoOfDay(q.startDay)} or ${isoOfDay(q.endDay + 1)}`,
      });
    }

    const given = VERSIONED_KEYS.filter((key) => key in entry);
    for (const key of given) {
      current[key] = entry[key];
      givenBy.set(key, i);
    }
    const rootOf = (path: readonly PropertyKey[] | string): string =>
      typeof path === 'string' ? (/^[A-Za-z_$][\w$]*/.exec(path)?.[0] ?? '') : String(path[0] ?? '');
    const at: YamlSource = {
      file: source.file,
      value: current,
      locate: (path, part) => {
        const by = givenBy.get(rootOf(path));
        return source.locate(by === undefined ? path : ['versions', by, ...path], part);
      },
    };
    const result = validate(at, planSchema, current);
    const found = [
      ...result.issues,
      ...(result.value && given.includes('components') ? ratesAbove(result.value, maxRate, at) : []),
    ];
    const seen = new Set(found.map((issue) => `${issue.path}\u0000${issue.message}`));
    for (const issue of found) {
      if ((given as string[]).includes(rootOf(issue.path))) {
        issues.push({ ...issue, path: `versions[${i}].${issue.path}` });
      } else if (!previousIssues.has(`${issue.path}\u0000${issue.message}`)) {
        issues.push({
          file: source.file,
          ...source.locate(['versions', i, 'effective'], 'key'),
          path: `versions[${i}]`,
          message: `from ${effective}, ${issue.path}: ${issue.message}`,
        });
      }
    }
    previousIssues = seen;
    if (result.value) {
      const { name, measures, components } = result.value;
      const version = { effective, hash: '', name, measures, components };
      resolved.push({ ...version, hash: planContentHash(planInEffect(base, version)) });
    }
  });
  return { plan: { ...base, versions: resolved }, issues };
}

/**
 * Rates above `maxRate` (attain.yaml `limits.maxRate`, default 1: all of the credited amount): a
 * rate of 50 is almost surely 0.50 or 5 % mistyped, and would pay fifty times the deal.
 */
function ratesAbove(plan: Plan, maxRate: string, source: YamlSource): ConfigIssue[] {
  const ceiling = parseDecimal(maxRate) ?? 0n;
  const rates: { path: (string | number)[]; rate: string }[] = [];
  plan.components.forEach((component, i) => {
    if (component.kind === 'rate-table') {
      component.tiers.forEach((tier, j) =>
        rates.push({ path: ['components', i, 'tiers', j, 'rate'], rate: tier.rate }),
      );
    } else if ((component.kind === 'per-deal' || component.kind === 'override') && component.rate !== undefined) {
      rates.push({ path: ['components', i, 'rate'], rate: component.rate });
    }
  });
  return rates
    .filter(({ rate }) => (parseDecimal(rate) ?? 0n) > ceiling)
    .map(({ path, rate }) => ({
      file: source.file,
      ...source.locate(path),
      path: formatPath(path),
      message:
        `rate ${rate} is above the highest rate allowed, ${maxRate} (1 pays all of the credited amount): ` +
        `a typo? If it is meant, raise limits.maxRate in attain.yaml`,
    }));
}
