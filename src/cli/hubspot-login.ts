/**
 * `attain hubspot login`: the OAuth authorization-code flow. The admin opens the authorize URL,
 * HubSpot redirects the browser to a local port with `code` and the `state` Attain sent, and the
 * code is exchanged for tokens.
 *
 * - `state` is random per login and compared on the callback: a callback without it, or with
 *   another (a web page handing this port an attacker's code), is refused and stops the login.
 * - attain.yaml is read through the same parser and schema as every command (baseUrl, client id
 *   and secret from it); only the refresh token's variable may be unset, since it is what this
 *   produces. Its name is taken from the parsed file, where the secret rule holds it to `${VAR}`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseAttainConfig } from '../../config/attain-schema.js';
import { ConfigError } from '../../config/errors.js';
import { isMapping } from '../../config/validate.js';
import { parseYaml } from '../../config/yaml-source.js';
import { ConnectorError } from '../../connectors/source.js';
import { CliError, ExitCode } from './exit-codes.js';

const REFRESH_TOKEN_PATH = 'source.hubspot.auth.refreshToken';

export interface LoginOptions {
  port: string;
  scopes: string;
  code?: string;
}

export async function hubspotLogin(dir: string, options: LoginOptions, out: Writable): Promise<number> {
  const file = join(resolve(dir), 'attain.yaml');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`${file}: not found (is --workspace the workspace folder?)`, ExitCode.usage);
  });
  // Only what login uses must be set: the client id and secret. The refresh token is its product.
  const needed = new Set(['source.hubspot.auth.clientId', 'source.hubspot.auth.clientSecret']);
  const { config, issues } = parseAttainConfig(text, process.env, file, { unsetAllowed: (path) => !needed.has(path) });
  if (!config) throw new ConfigError(issues);
  const hubspot = config.source.hubspot;
  const refreshVariable = variableAt(text, file, REFRESH_TOKEN_PATH);
  if (config.source.kind !== 'hubspot' || !hubspot?.auth.clientId || !hubspot.auth.clientSecret || !refreshVariable) {
    throw new CliError(
      `${file}: OAuth needs source.kind: hubspot and source.hubspot.auth with clientId: \${VAR}, clientSecret: \${VAR} and refreshToken: \${VAR}`,
      ExitCode.usage,
    );
  }
  const { clientId, clientSecret } = hubspot.auth;
  const redirectUri = `http://localhost:${options.port}/callback`;
  let code = options.code;
  if (!code) {
    const state = randomBytes(32).toString('base64url');
    const authorize = new URL('https://app.hubspot.com/oauth/authorize');
    authorize.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: options.scopes,
      state,
    }).toString();
    out.write(
      `Open this URL, choose the portal and authorize the app:\n  ${authorize.href}\nWaiting for HubSpot to redirect to ${redirectUri} …\n`,
    );
    code = await waitForCode(Number(options.port), state);
  }
  const { HubspotApi } = await import('../../connectors/hubspot/hubspot-api.js');
  const api = new HubspotApi(
    {
      baseUrl: hubspot.baseUrl,
      auth: { accessToken: 'unused' },
      rateLimit: { perTenSeconds: 100, searchPerSecond: 4 },
      fields: {},
    },
    () => undefined,
  );
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uri: redirectUri,
    code,
  });
  const res = await api.postTokenForm(form);
  const body = (await res.json().catch(() => ({}))) as { refresh_token?: string; message?: string; status?: string };
  if (!res.ok || !body.refresh_token) {
    throw new ConnectorError(
      'AUTH_FAILED',
      `HubSpot refused the authorization code (${res.status}${body.status ? ` ${body.status}` : ''}): ${body.message ?? 'no refresh token in the answer'}`,
    );
  }
  out.write(
    `Authorized. Store this refresh token in the environment variable ${refreshVariable} (attain.yaml reads it from there), e.g. in your secret store:\n  ${refreshVariable}=${body.refresh_token}\n`,
  );
  return ExitCode.ok;
}

/** The variable a key is read from, `NAME` of `key: ${NAME}`, from the parsed (not substituted) file. */
function variableAt(text: string, file: string, path: string): string | undefined {
  const value = path
    .split('.')
    .reduce<unknown>((node, key) => (isMapping(node) ? node[key] : undefined), parseYaml(text, file).source?.value);
  return typeof value === 'string' ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value)?.[1] : undefined;
}

/**
 * The code of HubSpot's redirect to the local port. A callback whose `state` is not this login's
 * is answered 400 and stops the login: its code is never exchanged.
 */
function waitForCode(port: number, state: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://localhost:${port}`);
      const code = url.searchParams.get('code');
      if (url.pathname !== '/callback' || !code) {
        res.writeHead(404).end();
        return;
      }
      server.close();
      if (!sameState(url.searchParams.get('state'), state)) {
        res
          .writeHead(400, { 'content-type': 'text/plain' })
          .end('Refused: this callback does not carry the state of the login Attain started.\n');
        reject(
          new ConnectorError(
            'AUTH_FAILED',
            `refused a callback on ${`http://localhost:${port}/callback`} whose state is not this login's (a page other than HubSpot's redirect?): its code was not used; run attain hubspot login again`,
          ),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Attain is authorized. You can close this tab.\n');
      resolvePromise(code);
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1');
  });
}

function sameState(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}
