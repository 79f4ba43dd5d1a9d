/**
 * attain.yaml (docs/workspace.md): the source, database, queue, schedule, calendar and write-back of one
 * workspace. Every key is optional except `source`; defaults are applied here, so the rest of
 * Attain reads a complete config.
 */
import { z } from 'zod';
import type { Calendar } from '../src/domain/plan.js';
import { substituteEnv } from './env.js';
import { sortByPosition, type ConfigIssue } from './errors.js';
import { boolean, currencyCode, nonNegativeDecimal, text, timeZone, wholeNumber } from './scalars.js';
import { validate } from './validate.js';
import { parseYaml } from './yaml-source.js';

const webUrl = (example: string) =>
  text.refine(
    (value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol),
    `expected a URL such as ${example}`,
  );

/** A connection URL; never echoes the value, which may hold a password. */
const connectionUrl = (protocols: readonly string[], example: string) =>
  text.refine(
    (value) => URL.canParse(value) && protocols.includes(new URL(value).protocol),
    `expected a URL such as ${example}`,
  );

/** Canonical deal field (or extra field name) → the CRM's field. */
const fieldMap = z.record(z.string(), text).default({});

const SALESFORCE_FLOWS = ['jwt', 'refresh-token', 'client-credentials', 'password'] as const;
type SalesforceFlow = (typeof SALESFORCE_FLOWS)[number];
const SALESFORCE_CREDENTIALS = [
  'clientSecret',
  'username',
  'privateKey',
  'privateKeyFile',
  'refreshToken',
  'password',
] as const;
type SalesforceCredential = (typeof SALESFORCE_CREDENTIALS)[number];

/** What each OAuth flow reads besides `clientId`; anything else given is a mistake worth naming. */
type FlowCredentials = { required: SalesforceCredential[]; optional: SalesforceCredential[] };
const FLOW_CREDENTIALS: Record<SalesforceFlow, FlowCredentials> = {
  // The key itself or a file holding it: exactly one of the two, checked below.
  jwt: { required: ['username'], optional: ['privateKey', 'privateKeyFile'] },
  // A connected app may be set not to require the secret for refreshing a token.
  'refresh-token': { required: ['refreshToken'], optional: ['clientSecret'] },
  'client-credentials': { required: ['clientSecret'], optional: [] },
  password: { required: ['clientSecret', 'username', 'password'], optional: [] },
};

const salesforceAuth = z
  .strictObject({
    flow: z.enum(SALESFORCE_FLOWS),
    clientId: text,
    clientSecret: text.optional(),
    username: text.optional(),
    privateKey: text.optional(),
    privateKeyFile: text.optional(),
    refreshToken: text.optional(),
    password: text.optional(),
  })
  .superRefine((auth, ctx) => {
    const { required, optional } = FLOW_CREDENTIALS[auth.flow];
    for (const key of required) {
      if (auth[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `required by the ${auth.flow} flow` });
      }
    }
    for (const key of SALESFORCE_CREDENTIALS) {
      if (auth[key] !== undefined && !required.includes(key) && !optional.includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not used by the ${auth.flow} flow` });
      }
    }
    if (auth.flow === 'jwt' && (auth.privateKey === undefined) === (auth.privateKeyFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: auth.privateKey === undefined ? [] : ['privateKeyFile'],
        message: 'the jwt flow needs privateKey (the PEM itself) or privateKeyFile (a path to it), one of the two',
      });
    }
  });

const salesforce = z.strictObject({
  loginUrl: webUrl('https://login.salesforce.com').default('https://login.salesforce.com'),
  /** Absent: taken from the token response. */
  instanceUrl: webUrl('https://acme.my.salesforce.com').optional(),
  apiVersion: text.regex(/^\d+\.0$/, 'expected an API version such as "62.0"').default('62.0'),
  auth: salesforceAuth,
  fields: fieldMap,
  /**
   * Present: Account is pulled (incrementally) and each opportunity's AccountId kept, for
   * territories (docs/territories.md#accounts). `fields` maps account fields to Account fields.
   */
  accounts: z.strictObject({ fields: fieldMap }).optional(),
  /** Absent: won and lost come from IsWon and IsClosed. */
  stages: z.strictObject({ won: z.array(text).min(1).optional(), lost: z.array(text).min(1).optional() }).optional(),
  /** Only opportunities in these stages (StageName) or record types (DeveloperName) are pulled. */
  filters: z
    .strictObject({ stages: z.array(text).min(1).optional(), recordTypes: z.array(text).min(1).optional() })
    .optional(),
  /** Absent: a run stops at 25 % of the org's daily API allocation. */
  limits: z
    .strictObject({
      maxApiShare: nonNegativeDecimal.refine(
        (value) => Number(value) > 0 && Number(value) <= 1,
        'expected a share above 0 and at most 1, such as 0.25',
      ),
    })
    .optional(),
  /** Record counts above which Bulk API 2.0 is used instead of REST. Absent: 10,000 both. */
  bulk: z.strictObject({ queryAbove: wholeNumber(0).optional(), ingestAbove: wholeNumber(0).optional() }).optional(),
});

const hubspotAuth = z
  .strictObject({
    accessToken: text.optional(),
    clientId: text.optional(),
    clientSecret: text.optional(),
    refreshToken: text.optional(),
  })
  .superRefine((auth, ctx) => {
    const oauth = (['clientId', 'clientSecret', 'refreshToken'] as const).filter((key) => auth[key] !== undefined);
    if (auth.accessToken !== undefined && oauth.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: [oauth[0] ?? 'clientId'],
        message: 'give accessToken (a private app) or clientId, clientSecret and refreshToken (OAuth), not both',
      });
    } else if (auth.accessToken === undefined) {
      for (const key of ['clientId', 'clientSecret', 'refreshToken'] as const) {
        if (auth[key] === undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'required for OAuth (or give accessToken instead)' });
        }
      }
    }
  });

const hubspot = z.strictObject({
  baseUrl: webUrl('https://api.hubapi.com').default('https://api.hubapi.com'),
  auth: hubspotAuth,
  /** Requests allowed per ten seconds, and search requests per second (HubSpot's limits for the account). */
  rateLimit: z
    .strictObject({ perTenSeconds: wholeNumber(1).default(190), searchPerSecond: wholeNumber(1).default(4) })
    .default({ perTenSeconds: 190, searchPerSecond: 4 }),
  fields: fieldMap,
  /**
   * Present: companies are read as accounts and each deal's primary company kept, for territories
   * (docs/territories.md#accounts). `fields` maps account fields to company properties.
   */
  companies: z.strictObject({ fields: fieldMap }).optional(),
  /** HubSpot deal stage id → canonical stage. Absent: from the pipelines' metadata. */
  stages: z.record(z.string(), z.enum(['open', 'won', 'lost'])).optional(),
});

const source = z
  .strictObject({
    kind: z.enum(['csv', 'salesforce', 'hubspot']),
    /** Where the CSV files live; with a CRM source, still where quotas.csv and assignments.csv are. */
    csv: z.strictObject({ dir: text.default('data') }).default({ dir: 'data' }),
    salesforce: salesforce.optional(),
    hubspot: hubspot.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.kind !== 'csv' && value[value.kind] === undefined) {
      ctx.addIssue({ code: 'custom', path: [value.kind], message: `required when kind is ${value.kind}` });
    }
  });

/** Five fields (six with seconds), as BullMQ's cron parser reads them. */
const cron = text.refine(
  (value) => [5, 6].includes(value.trim().split(/\s+/).length),
  'expected a cron expression such as "0 2 * * *" (minute hour day month weekday)',
);

/**
 * Payroll's earning codes (set up by the payroll admin; the file must use theirs): `default` for
 * commission lines, `draw`, `adjustment`, or a plan component's id for its own code. Which
 * component ids exist is checked against the plans when the workspace loads.
 */
const payroll = z.strictObject({
  earningCodes: z
    .record(z.string(), text)
    .default({})
    .transform((codes) => ({ default: 'COMM', ...codes })),
  /** ADP Workforce Now: the 3-character company code and the batch id written on every row. */
  adp: z
    .strictObject({
      companyCode: text.regex(/^[A-Za-z0-9]{2,3}$/, "expected ADP's 2 or 3 character company code"),
      batchId: text,
    })
    .optional(),
});

/**
 * Commission accounting (docs/accounting.md): which deal field holds the contract term, the term
 * above which commissions are capitalised (at or below it they are expensed, the practical
 * expedient), the ledger accounts of the journal entries and where amortisation starts.
 */
export const DEFAULT_ACCOUNTING = {
  contractTermField: 'contractTermMonths',
  capitalizeAboveMonths: 12,
  accounts: {
    deferredCommissions: 'Deferred commissions',
    commissionsPayable: 'Commissions payable',
    commissionExpense: 'Commission expense',
  },
  amortizationStart: 'closeDate',
} as const;

const accounting = z.strictObject({
  contractTermField: text.default(DEFAULT_ACCOUNTING.contractTermField),
  capitalizeAboveMonths: wholeNumber(0, 1200).default(DEFAULT_ACCOUNTING.capitalizeAboveMonths),
  accounts: z
    .strictObject({
      deferredCommissions: text.default(DEFAULT_ACCOUNTING.accounts.deferredCommissions),
      commissionsPayable: text.default(DEFAULT_ACCOUNTING.accounts.commissionsPayable),
      commissionExpense: text.default(DEFAULT_ACCOUNTING.accounts.commissionExpense),
    })
    .default(DEFAULT_ACCOUNTING.accounts),
  /** `closeDate`, or `{ field: NAME }`: a date field of the deal (a service start date). */
  amortizationStart: z
    .union([z.literal('closeDate'), z.strictObject({ field: text })])
    .default(DEFAULT_ACCOUNTING.amortizationStart),
});

/**
 * The liability forecast (docs/report.md#liability-forecast): which deal field holds the stage
 * probability and how it is written: `percent` 0–100 (Salesforce's Opportunity.Probability, a CSV
 * column) or `fraction` 0–1 (HubSpot's hs_deal_stage_probability).
 */
export const DEFAULT_FORECAST = { probabilityField: 'probability', probabilityUnit: 'percent' } as const;

const forecast = z
  .strictObject({
    probabilityField: text.default(DEFAULT_FORECAST.probabilityField),
    probabilityUnit: z.enum(['percent', 'fraction']).default(DEFAULT_FORECAST.probabilityUnit),
  })
  .default(DEFAULT_FORECAST);

const calendar = z
  .strictObject({ fiscalYearStartMonth: wholeNumber(1, 12).default(1), tz: timeZone.default('UTC') })
  .default({ fiscalYearStartMonth: 1, tz: 'UTC' });

/**
 * Bounds on what the input may hold, each a clear error or reject past it (README, "Limits"). The
 * defaults are what no real company comes near; raise one here when yours does.
 */
export const DEFAULT_LIMITS = {
  /** Characters in one CSV record: past it (an unclosed quote swallowing the file) the read stops. */
  csvRecordChars: 1_000_000,
  /** The largest deal amount, quota or exchange rate, in its own currency. */
  maxAmount: '1000000000000000',
  /** The highest rate a plan may pay (1 = 100 % of the credited amount): 50 is a typo for 0.50. */
  maxRate: '1',
  /** Close dates further than this from the as-of date, either way, are rejects. */
  yearsFromAsOf: 10,
} as const;

const limits = z
  .strictObject({
    csvRecordChars: wholeNumber(1000).default(DEFAULT_LIMITS.csvRecordChars),
    maxAmount: nonNegativeDecimal.default(DEFAULT_LIMITS.maxAmount),
    maxRate: nonNegativeDecimal.default(DEFAULT_LIMITS.maxRate),
    yearsFromAsOf: wholeNumber(1, 100).default(DEFAULT_LIMITS.yearsFromAsOf),
  })
  .default(DEFAULT_LIMITS);

export const attainConfigSchema = z
  .strictObject({
    source,
    /** Absent (or no url): embedded PGlite under .attain/ in the workspace. */
    database: z
      .strictObject({ url: connectionUrl(['postgres:', 'postgresql:'], 'postgres://host/db').optional() })
      .optional(),
    /** Absent (or no redisUrl): the pipeline runs in-process. */
    queue: z
      .strictObject({
        redisUrl: connectionUrl(['redis:', 'rediss:'], 'redis://host:6379').optional(),
        /**
         * On the queue, a plan with more assigned reps than this is calculated in shards of about
         * this many reps, one job each, on any workers (DEFAULT_SHARD_REPS when absent).
         */
        shardReps: wholeNumber(1).optional(),
        /**
         * On the queue, a csv source's data file larger than this many bytes is read in ranges of
         * about this size, one job each, on any workers (DEFAULT_CSV_RANGE_BYTES when absent).
         */
        csvRangeBytes: wholeNumber(256).optional(),
        /**
         * On the queue, a run with more open deals than this makes their estimates in parts of
         * about this many deals, one job each, on any workers (DEFAULT_ESTIMATE_DEALS when absent).
         */
        estimateDeals: wholeNumber(1).optional(),
        /** Where a worker's /healthz and /metrics listen: 127.0.0.1 when absent; 0.0.0.0 for every interface. */
        metricsHost: z.string().min(1).optional(),
      })
      .optional(),
    /** `tz` defaults to the calendar's. */
    schedule: z.strictObject({ cron, tz: timeZone.optional() }).optional(),
    calendar,
    writeback: z.strictObject({ enabled: boolean.default(true) }).default({ enabled: true }),
    /** The currency whose exchange rate is 1 (fx.csv's and Salesforce's convention). */
    baseCurrency: currencyCode.default('USD'),
    limits,
    /** `attain export payroll`: earning codes and the ADP company code. */
    payroll: payroll.optional(),
    /** `attain export gl` and `attain amortization`: contract term, threshold, accounts, amortisation start. */
    accounting: accounting.optional(),
    /** The liability forecast: the deal field holding the stage probability, and its unit. */
    forecast,
  })
  .transform(({ schedule, ...config }) => ({
    ...config,
    calendar: config.calendar satisfies Calendar,
    ...(schedule && { schedule: { cron: schedule.cron, tz: schedule.tz ?? config.calendar.tz } }),
  }));

export type AttainConfig = z.output<typeof attainConfigSchema>;
export type AccountingConfig = z.output<typeof accounting>;
export type ForecastConfig = z.output<typeof forecast>;
export type SourceConfig = AttainConfig['source'];
export type SalesforceConfig = NonNullable<SourceConfig['salesforce']>;
export type HubspotConfig = NonNullable<SourceConfig['hubspot']>;

/** Reads attain.yaml's text: `${VAR}` from `env`, then the schema. `config` only when there is no issue. */
const UNSET = /^environment variable \S+ is (not set|empty)$/;

export interface ParseOptions {
  /**
   * Keys whose `${VAR}` may be unset here: a process that only enqueues runs (`attain trigger`)
   * needs the queue, not the CRM's credentials, which only the workers hold. Such a value keeps
   * its `${VAR}` text.
   */
  unsetAllowed?: (path: string) => boolean;
}

export function parseAttainConfig(
  text: string,
  env: NodeJS.ProcessEnv,
  file = 'attain.yaml',
  options: ParseOptions = {},
): { config?: AttainConfig; issues: ConfigIssue[] } {
  const { source, issues } = parseYaml(text, file);
  if (!source) return { issues };
  const substituted = substituteEnv(source, env);
  const { unsetAllowed } = options;
  if (unsetAllowed) {
    substituted.issues = substituted.issues.filter((issue) => !(unsetAllowed(issue.path) && UNSET.test(issue.message)));
  }
  const result = validate(source, attainConfigSchema, substituted.value);
  const all = sortByPosition([
    ...issues,
    ...substituted.issues,
    ...result.issues.filter((issue) => !substituted.unresolved.has(issue.path)),
  ]);
  return all.length === 0 ? { config: result.value, issues: all } : { issues: all };
}
