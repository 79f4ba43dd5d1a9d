import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNTING, DEFAULT_FORECAST, DEFAULT_LIMITS, parseAttainConfig } from '../../config/attain-schema.js';
import { formatIssue } from '../../config/errors.js';
import { maskSecrets, redact, REDACTED, secretValues } from '../../config/secrets.js';
import { positionOf } from './fixtures.js';

const ENV = {
  SF_CLIENT_ID: '3MVG9client',
  SF_USERNAME: 'integration@acme.com',
  SF_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
  PGPASSWORD: 's3cret',
  REDIS_URL: 'redis://localhost:6379',
  HUBSPOT_TOKEN: 'pat-na1-123',
};

const SALESFORCE = `source:
  kind: salesforce
  salesforce:
    loginUrl: https://test.salesforce.com
    apiVersion: 62.0
    auth:
      flow: jwt
      clientId: \${SF_CLIENT_ID}
      username: \${SF_USERNAME}
      privateKey: \${SF_PRIVATE_KEY}
    fields: { amount: Amount, type: Type }
    stages: { won: [Closed Won], lost: [Closed Lost] }
database: { url: "postgres://attain:\${PGPASSWORD}@db.internal/attain" }
queue: { redisUrl: \${REDIS_URL} }
schedule: { cron: "0 2 * * *" }
calendar: { fiscalYearStartMonth: 2, tz: America/New_York }
writeback: { enabled: false }
baseCurrency: EUR
`;

function problems(text: string, env: NodeJS.ProcessEnv = ENV): string[] {
  return parseAttainConfig(text, env).issues.map(formatIssue);
}

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`not in the text: ${from}`);
  return text.replace(from, to);
}

describe('attain.yaml', () => {
  it('applies every default to a csv workspace', () => {
    const { config, issues } = parseAttainConfig('source: { kind: csv }\n', {});
    expect(issues).toEqual([]);
    expect(config).toStrictEqual({
      source: { kind: 'csv', csv: { dir: 'data' } },
      calendar: { fiscalYearStartMonth: 1, tz: 'UTC' },
      writeback: { enabled: true },
      baseCurrency: 'USD',
      limits: DEFAULT_LIMITS,
      forecast: DEFAULT_FORECAST,
    });
  });

  it('reads a Salesforce workspace, replacing ${VAR} from the environment', () => {
    const { config, issues } = parseAttainConfig(SALESFORCE, ENV);
    expect(issues).toEqual([]);
    expect(config).toStrictEqual({
      source: {
        kind: 'salesforce',
        csv: { dir: 'data' },
        salesforce: {
          loginUrl: 'https://test.salesforce.com',
          apiVersion: '62.0',
          auth: {
            flow: 'jwt',
            clientId: '3MVG9client',
            username: 'integration@acme.com',
            privateKey: ENV.SF_PRIVATE_KEY,
          },
          fields: { amount: 'Amount', type: 'Type' },
          stages: { won: ['Closed Won'], lost: ['Closed Lost'] },
        },
      },
      database: { url: 'postgres://attain:s3cret@db.internal/attain' },
      queue: { redisUrl: 'redis://localhost:6379' },
      // The schedule runs in the calendar's zone unless it names its own.
      schedule: { cron: '0 2 * * *', tz: 'America/New_York' },
      calendar: { fiscalYearStartMonth: 2, tz: 'America/New_York' },
      writeback: { enabled: false },
      baseCurrency: 'EUR',
      limits: DEFAULT_LIMITS,
      forecast: DEFAULT_FORECAST,
    });
  });

  it('reads a HubSpot workspace with its defaults', () => {
    const text = 'source:\n  kind: hubspot\n  hubspot:\n    auth: { accessToken: ${HUBSPOT_TOKEN} }\n';
    expect(parseAttainConfig(text, ENV).config?.source.hubspot).toStrictEqual({
      baseUrl: 'https://api.hubapi.com',
      auth: { accessToken: 'pat-na1-123' },
      rateLimit: { perTenSeconds: 190, searchPerSecond: 4 },
      fields: {},
    });
  });

  it('takes ${VAR} unquoted inside { }, as docs/workspace.md writes it', () => {
    const text = 'source: { kind: csv }\ndatabase: { url: ${DATABASE_URL} }\nqueue: { redisUrl: ${REDIS_URL} }\n';
    const env = { DATABASE_URL: 'postgres://attain:pw@db/attain', REDIS_URL: 'rediss://cache:6380' };
    const { config, issues } = parseAttainConfig(text, env);
    expect(issues).toEqual([]);
    expect(config?.database).toStrictEqual({ url: env.DATABASE_URL });
    expect(config?.queue).toStrictEqual({ redisUrl: env.REDIS_URL });
  });

  it('replaces a reference inside a longer value and never re-reads the value as YAML', () => {
    const text = 'source:\n  kind: csv\n  csv: { dir: "${ROOT}/data" }\n';
    const { config } = parseAttainConfig(text, { ROOT: '/srv/acme: {x}' });
    expect(config?.source.csv.dir).toBe('/srv/acme: {x}/data');
  });

  it('names an unset variable at the value that uses it', () => {
    const text = edit(SALESFORCE, '${SF_USERNAME}', '${SF_USER}');
    expect(problems(text)).toEqual([
      `attain.yaml:${positionOf(text, '${SF_USER}')} source.salesforce.auth.username: environment variable SF_USER is not set`,
    ]);
  });

  it('rejects a secret written in the file, without repeating it', () => {
    const text = edit(SALESFORCE, '${SF_PRIVATE_KEY}', 'MIIEvQIBADANBgkq');
    const messages = problems(text);
    expect(messages).toEqual([
      `attain.yaml:${positionOf(text, 'MIIE')} source.salesforce.auth.privateKey: a secret must come from the environment: write \${SF_PRIVATE_KEY} and set SF_PRIVATE_KEY`,
    ]);
    expect(messages.join('\n')).not.toContain('MIIEvQIBADANBgkq');
  });

  it('rejects a connection URL with no variable in it', () => {
    const text = edit(SALESFORCE, '${PGPASSWORD}', 'hunter2');
    expect(problems(text)).toEqual([
      `attain.yaml:${positionOf(text, '"postgres')} database.url: a secret must come from the environment: write \${DATABASE_URL} and set DATABASE_URL`,
    ]);
  });

  it('rejects a connection URL whose password is written in it, though a variable appears elsewhere', () => {
    const text = edit(SALESFORCE, 'attain:${PGPASSWORD}@db.internal/attain', 'attain:hunter2@${DB_HOST}/attain');
    const messages = problems(text, { ...ENV, DB_HOST: 'db.internal' });
    expect(messages).toEqual([
      `attain.yaml:${positionOf(text, '"postgres')} database.url: the password in this URL must come from the environment: write it as \${VAR} (user:\${PGPASSWORD}@host) or the whole URL as \${DATABASE_URL}`,
    ]);
    expect(messages.join('\n')).not.toContain('hunter2');
    // A password made of a variable and text is still written in the file.
    const partly = edit(SALESFORCE, 'attain:${PGPASSWORD}@', 'attain:pre${PGPASSWORD}@');
    expect(problems(partly)).toHaveLength(1);
    // The same for Redis; a user without password, or the password from the environment, passes.
    const redis = edit(SALESFORCE, 'redisUrl: ${REDIS_URL}', 'redisUrl: "redis://:s3cret@${REDIS_HOST}:6379"');
    expect(problems(redis, { ...ENV, REDIS_HOST: 'cache' })[0]).toContain('queue.redisUrl: the password in this URL');
    const fine = edit(SALESFORCE, 'redisUrl: ${REDIS_URL}', 'redisUrl: "redis://default:${REDIS_PASSWORD}@cache:6379"');
    expect(problems(fine, { ...ENV, REDIS_PASSWORD: 'x' })).toEqual([]);
  });

  it('checks the keys each Salesforce flow needs and uses', () => {
    const text = edit(SALESFORCE, 'flow: jwt', 'flow: password');
    expect(problems(text)).toEqual([
      `attain.yaml:${positionOf(text, 'flow: password')} source.salesforce.auth.clientSecret: required by the password flow`,
      `attain.yaml:${positionOf(text, 'flow: password')} source.salesforce.auth.password: required by the password flow`,
      `attain.yaml:${positionOf(text, '${SF_PRIVATE_KEY}')} source.salesforce.auth.privateKey: not used by the password flow`,
    ]);
  });

  it('reads the Salesforce filters, API share and bulk thresholds, and names a share out of range', () => {
    const extra = `    filters: { stages: [Closed Won], recordTypes: [New_Business] }
    limits: { maxApiShare: 0.4 }
    bulk: { queryAbove: 50000 }
`;
    const text = edit(SALESFORCE, 'database:', `${extra}database:`);
    const salesforce = parseAttainConfig(text, ENV).config?.source.salesforce;
    expect(salesforce).toMatchObject({
      filters: { stages: ['Closed Won'], recordTypes: ['New_Business'] },
      limits: { maxApiShare: '0.4' },
      bulk: { queryAbove: 50000 },
    });
    const tooMuch = edit(text, 'maxApiShare: 0.4', 'maxApiShare: 1.5');
    expect(problems(tooMuch)).toEqual([
      `attain.yaml:${positionOf(tooMuch, '1.5')} source.salesforce.limits.maxApiShare: expected a share above 0 and at most 1, such as 0.25`,
    ]);
  });

  it('lets a queue-only reader go without the CRM credentials, and nothing else', () => {
    const env = { ...ENV, SF_PRIVATE_KEY: undefined, SF_CLIENT_ID: '' };
    const queueOnly = { unsetAllowed: (path: string) => path.startsWith('source.') };
    const parsed = parseAttainConfig(SALESFORCE, env, 'attain.yaml', queueOnly);
    expect(parsed.issues).toEqual([]);
    expect(parsed.config?.source.salesforce?.auth).toMatchObject({
      clientId: '${SF_CLIENT_ID}',
      privateKey: '${SF_PRIVATE_KEY}',
    });
    expect(parsed.config?.queue?.redisUrl).toBe('redis://localhost:6379');
    // Strictly (every other command), the same environment is two problems; the queue's own variable is one either way.
    expect(problems(SALESFORCE, env)).toHaveLength(2);
    expect(
      parseAttainConfig(SALESFORCE, { ...env, REDIS_URL: undefined }, 'attain.yaml', queueOnly).issues.map(formatIssue),
    ).toEqual([
      `attain.yaml:${positionOf(SALESFORCE, '${REDIS_URL}')} queue.redisUrl: environment variable REDIS_URL is not set`,
    ]);
  });

  it('requires the block of the source kind it names', () => {
    const text = 'source:\n  kind: hubspot\n';
    expect(problems(text)).toEqual(['attain.yaml:2:3 source.hubspot: required when kind is hubspot']);
  });

  it('reports every problem of the file at once', () => {
    let text = edit(SALESFORCE, 'tz: America/New_York', 'tz: Mars/Olympus');
    text = edit(text, 'fiscalYearStartMonth: 2', 'fiscalYearStartMonth: 13');
    text = edit(text, 'enabled: false', 'enabled: no');
    text = edit(text, 'baseCurrency: EUR', 'baseCurrency: EUR\nbaseCurency: USD');
    expect(problems(text)).toEqual([
      `attain.yaml:${positionOf(text, '13')} calendar.fiscalYearStartMonth: expected a whole number from 1 to 12`,
      `attain.yaml:${positionOf(text, 'Mars')} calendar.tz: expected an IANA time zone such as America/New_York or UTC`,
      `attain.yaml:${positionOf(text, 'no }')} writeback.enabled: expected true or false`,
      `attain.yaml:${positionOf(text, 'baseCurency')} baseCurency: unknown key (did you mean baseCurrency?)`,
    ]);
  });

  it('requires source', () => {
    expect(problems('calendar: { tz: UTC }\n')).toEqual(['attain.yaml:1:1 source: required']);
  });
});

describe('accounting', () => {
  it('applies the defaults to an empty accounting section, and reads a start field', () => {
    expect(parseAttainConfig('source: { kind: csv }\naccounting: {}\n', {}).config?.accounting).toStrictEqual({
      ...DEFAULT_ACCOUNTING,
      accounts: { ...DEFAULT_ACCOUNTING.accounts },
    });
    const text =
      'source: { kind: csv }\naccounting:\n  capitalizeAboveMonths: 24\n  amortizationStart: { field: serviceStart }\n';
    const { config } = parseAttainConfig(text, {});
    expect(config?.accounting?.capitalizeAboveMonths).toBe(24);
    expect(config?.accounting?.amortizationStart).toStrictEqual({ field: 'serviceStart' });
  });

  it('names an unknown account key, and a start that is neither closeDate nor a field', () => {
    const text =
      'source: { kind: csv }\naccounting:\n  accounts: { deferredCommision: "1450" }\n  amortizationStart: bogus\n';
    const found = problems(text);
    expect(found).toContainEqual(
      `attain.yaml:${positionOf(text, 'deferredCommision')} accounting.accounts.deferredCommision: unknown key (did you mean deferredCommissions?)`,
    );
    expect(found.some((p) => p.includes('accounting.amortizationStart'))).toBe(true);
  });
});

describe('forecast', () => {
  it('defaults to a percent in the deal field probability, and reads a HubSpot fraction', () => {
    expect(parseAttainConfig('source: { kind: csv }\n', {}).config?.forecast).toStrictEqual(DEFAULT_FORECAST);
    expect(DEFAULT_FORECAST).toStrictEqual({ probabilityField: 'probability', probabilityUnit: 'percent' });
    const text =
      'source: { kind: csv }\nforecast:\n  probabilityField: hs_deal_stage_probability\n  probabilityUnit: fraction\n';
    expect(parseAttainConfig(text, {}).config?.forecast).toStrictEqual({
      probabilityField: 'hs_deal_stage_probability',
      probabilityUnit: 'fraction',
    });
  });

  it('names a unit that is neither percent nor fraction, and an unknown key', () => {
    const text = 'source: { kind: csv }\nforecast:\n  probabilityUnit: percentage\n  probabilityFeld: p\n';
    const found = problems(text);
    expect(
      found.some((p) => p.startsWith(`attain.yaml:${positionOf(text, 'percentage')} forecast.probabilityUnit`)),
    ).toBe(true);
    expect(found).toContainEqual(
      `attain.yaml:${positionOf(text, 'probabilityFeld')} forecast.probabilityFeld: unknown key (did you mean probabilityField?)`,
    );
  });
});

describe('secrets', () => {
  it('redacts every secret for logging and lists their values for masking', () => {
    const { config } = parseAttainConfig(SALESFORCE, ENV);
    if (!config) throw new Error('expected a valid config');
    const safe = redact(config);
    expect(safe.source.salesforce?.auth.privateKey).toBe(REDACTED);
    expect(safe.database?.url).toBe(REDACTED);
    expect(safe.queue?.redisUrl).toBe(REDACTED);
    expect(safe.source.salesforce?.auth.clientId).toBe('3MVG9client');
    expect(config.source.salesforce?.auth.privateKey).toBe(ENV.SF_PRIVATE_KEY);
    expect(JSON.stringify(safe)).not.toContain('s3cret');
    expect(secretValues(config)).toEqual(
      expect.arrayContaining([ENV.SF_PRIVATE_KEY, 'postgres://attain:s3cret@db.internal/attain', 's3cret']),
    );
  });

  it('masks each secret wherever it appears, also as JSON escapes it, and takes unset URLs from the environment', () => {
    const { config } = parseAttainConfig('source:\n  kind: csv\n', {});
    if (!config) throw new Error('expected a valid config');
    const secrets = secretValues(config, { REDIS_URL: 'redis://:p"w9@cache:6379', DATABASE_URL: '' });
    expect(secrets).toEqual(['redis://:p"w9@cache:6379', 'p"w9']);
    expect(maskSecrets(JSON.stringify({ msg: 'auth p"w9 refused by redis://:p"w9@cache:6379' }), secrets)).toBe(
      '{"msg":"auth [redacted] refused by [redacted]"}',
    );
  });
});
