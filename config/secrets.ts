/**
 * The attain.yaml values that are secrets. They must come from the environment (`${VAR}`), never
 * be written in the file, and every log masks them (`maskSecrets`, docs/workspace.md#secrets).
 */
import type { AttainConfig } from './attain-schema.js';
import { isMapping } from './validate.js';

/** Secret config path → the variable name suggested when one is written literally. */
export const SECRET_PATHS: Readonly<Record<string, string>> = {
  'source.salesforce.auth.clientSecret': 'SF_CLIENT_SECRET',
  'source.salesforce.auth.privateKey': 'SF_PRIVATE_KEY',
  'source.salesforce.auth.refreshToken': 'SF_REFRESH_TOKEN',
  'source.salesforce.auth.password': 'SF_PASSWORD',
  'source.hubspot.auth.accessToken': 'HUBSPOT_TOKEN',
  'source.hubspot.auth.clientSecret': 'HUBSPOT_CLIENT_SECRET',
  'source.hubspot.auth.refreshToken': 'HUBSPOT_REFRESH_TOKEN',
  'database.url': 'DATABASE_URL',
  'queue.redisUrl': 'REDIS_URL',
};

/**
 * Connection URLs may take their secret part from the environment inside the URL,
 * `postgres://attain:${PGPASSWORD}@db/attain`; the other secrets must be a reference and nothing else.
 */
export const SECRET_URL_PATHS: ReadonlySet<string> = new Set(['database.url', 'queue.redisUrl']);

export const REDACTED = '[redacted]';

/** A copy of the config with every secret replaced by `[redacted]`, safe to log. */
export function redact(config: AttainConfig): AttainConfig {
  const copy = structuredClone(config);
  for (const path of Object.keys(SECRET_PATHS)) {
    const keys = path.split('.');
    const last = keys.pop() ?? '';
    const parent = keys.reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), copy);
    if (isMapping(parent) && typeof parent[last] === 'string') parent[last] = REDACTED;
  }
  return copy;
}

/**
 * Every secret value in the config, for a logger that masks them wherever they appear (an error
 * message quoting a URL, say); for a URL also its password on its own. A connection URL the config
 * leaves to the environment (`DATABASE_URL`, `REDIS_URL`) is taken from `env`.
 */
export function secretValues(config: AttainConfig, env: NodeJS.ProcessEnv = {}): string[] {
  const values = new Set<string>();
  for (const [path, variable] of Object.entries(SECRET_PATHS)) {
    const value =
      path.split('.').reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), config) ??
      (SECRET_URL_PATHS.has(path) ? env[variable] : undefined);
    if (typeof value !== 'string' || value === '') continue;
    values.add(value);
    if (SECRET_URL_PATHS.has(path) && URL.canParse(value)) {
      const password = decodeURIComponent(new URL(value).password);
      if (password) values.add(password);
    }
  }
  return [...values];
}

/**
 * `text` with every secret value replaced by `[redacted]`, wherever it appears: a log line, an error
 * message quoting a URL. A JSON log line is masked as text, so a secret is also matched as JSON
 * escapes it.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) {
    masked = masked.replaceAll(secret, REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) masked = masked.replaceAll(escaped, REDACTED);
  }
  return masked;
}
