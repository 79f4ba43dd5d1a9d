/**
 * `attain hubspot check | setup | login`: connect a portal, verify it, create the commission
 * object, and get an OAuth refresh token. connectors/hubspot/README.md is the admin's guide.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { parseAttainConfig, type HubspotConfig } from '../../config/attain-schema.js';
import { ConfigError } from '../../config/errors.js';
import { setupCommissionObject, COMMISSION_OBJECT } from '../../connectors/hubspot/commission-object.js';
import { HubspotApi, OAUTH_TOKEN_PATH } from '../../connectors/hubspot/hubspot-api.js';
import { checkPortal } from '../../connectors/hubspot/portal-check.js';
import { ConnectorError } from '../../connectors/source.js';
import type { CommandContext } from './command-context.js';
import { CliError, ExitCode } from './exit-codes.js';

export function hubspotCommand(ctx: CommandContext): Command {
  const command = new Command('hubspot').description('connect and verify a HubSpot portal');
  command
    .command('check')
    .description(
      'connect, and check scopes, mapped properties, pipelines, the rate-limit tier and the commission object',
    )
    .action(async () => ctx.exit(await check(await hubspotConfig(ctx.workspace()), ctx.out)));
  command
    .command('setup')
    .description(`create the ${COMMISSION_OBJECT} custom object (or verify it and list the differences)`)
    .action(async () => ctx.exit(await setup(await hubspotConfig(ctx.workspace()), ctx.out)));
  command
    .command('login')
    .description('OAuth: authorize the app in a browser and print the refresh token to store')
    .option('--port <port>', 'local port for the redirect URI', '3789')
    .option('--scopes <scopes>', 'space-separated scopes', DEFAULT_SCOPES.join(' '))
    .option('--code <code>', 'exchange this authorization code instead of waiting for the browser')
    .action(async (options: { port: string; scopes: string; code?: string }) =>
      ctx.exit(await login(ctx.workspace(), options, ctx.out)),
    );
  return command;
}

const DEFAULT_SCOPES = [
  'crm.objects.deals.read',
  'crm.objects.owners.read',
  'crm.schemas.deals.read',
  'crm.schemas.custom.read',
  'crm.schemas.custom.write',
  'crm.objects.custom.read',
  'crm.objects.custom.write',
];

/** attain.yaml alone, validated as `run` would: connecting a portal needs no plans yet. */
async function hubspotConfig(dir: string): Promise<HubspotConfig & { writebackEnabled: boolean }> {
  const file = join(resolve(dir), 'attain.yaml');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`${file}: not found (is --workspace the workspace folder?)`, ExitCode.usage);
  });
  const { config, issues } = parseAttainConfig(text, process.env, file);
  if (!config) throw new ConfigError(issues);
  const { source } = config;
  if (source.kind !== 'hubspot' || !source.hubspot)
    throw new CliError(
      `${file}: source.kind is ${source.kind}; attain hubspot needs source.kind: hubspot`,
      ExitCode.usage,
    );
  return { ...source.hubspot, writebackEnabled: config.writeback.enabled };
}

/** Prints each check as it ends, then the rate limit and the problems with their fixes. */
async function check(config: HubspotConfig & { writebackEnabled: boolean }, out: Writable): Promise<number> {
  out.write(`HubSpot portal at ${config.baseUrl}\n`);
  const outcome = await checkPortal(config, (what, ok) => out.write(`  ${ok ? 'ok  ' : 'FAIL'}  ${what}\n`));
  if (outcome.rateLimit)
    out.write(
      `  rate limit: ${outcome.rateLimit.observed} requests per 10 s (attain.yaml: ${outcome.rateLimit.configured})\n`,
    );
  const { problems } = outcome;
  if (problems.length === 0) {
    out.write('No problems found.\n');
    return ExitCode.ok;
  }
  out.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}:\n`);
  for (const problem of problems) out.write(`  - ${problem}\n`);
  return outcome.exitCode;
}

async function setup(config: HubspotConfig, out: Writable): Promise<number> {
  const api = new HubspotApi(config, () => undefined);
  const outcome = await setupCommissionObject(api);
  if (outcome.created) {
    out.write(`Created the ${COMMISSION_OBJECT} object (${outcome.objectTypeId}).\n`);
    return ExitCode.ok;
  }
  if (outcome.differences.length === 0) {
    out.write(`The ${COMMISSION_OBJECT} object (${outcome.objectTypeId}) exists and matches.\n`);
    return ExitCode.ok;
  }
  out.write(`The ${COMMISSION_OBJECT} object (${outcome.objectTypeId}) exists but differs:\n`);
  for (const difference of outcome.differences) out.write(`  - ${difference}\n`);
  return ExitCode.usage;
}

/**
 * The authorization-code flow: the admin opens the authorize URL, HubSpot redirects to a local
 * port with `code`, which is exchanged for tokens. attain.yaml cannot be fully read yet (its
 * refreshToken variable is what this produces), so the client id, secret and the variable names
 * are read from its text.
 */
async function login(
  dir: string,
  options: { port: string; scopes: string; code?: string },
  out: Writable,
): Promise<number> {
  const text = await readFile(join(resolve(dir), 'attain.yaml'), 'utf8').catch(() => {
    throw new CliError(`${join(resolve(dir), 'attain.yaml')}: not found`, ExitCode.usage);
  });
  const variable = (key: string) => new RegExp(`${key}:\\s*\\$\\{(\\w+)\\}`).exec(text)?.[1];
  const baseUrl = /baseUrl:\s*(\S+)/.exec(text)?.[1] ?? 'https://api.hubapi.com';
  const names = {
    clientId: variable('clientId'),
    clientSecret: variable('clientSecret'),
    refreshToken: variable('refreshToken'),
  };
  if (!names.clientId || !names.clientSecret || !names.refreshToken) {
    throw new CliError(
      'attain.yaml: OAuth needs source.hubspot.auth with clientId: ${VAR}, clientSecret: ${VAR} and refreshToken: ${VAR}',
      ExitCode.usage,
    );
  }
  const clientId = process.env[names.clientId];
  const clientSecret = process.env[names.clientSecret];
  if (!clientId || !clientSecret)
    throw new CliError(
      `set ${names.clientId} and ${names.clientSecret} (the app's client id and secret) first`,
      ExitCode.usage,
    );
  const redirectUri = `http://localhost:${options.port}/callback`;
  let code = options.code;
  if (!code) {
    const authorize = new URL('https://app.hubspot.com/oauth/authorize');
    authorize.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: options.scopes,
    }).toString();
    out.write(
      `Open this URL, choose the portal and authorize the app:\n  ${authorize.href}\nWaiting for HubSpot to redirect to ${redirectUri} …\n`,
    );
    code = await waitForCode(Number(options.port));
  }
  const api = new HubspotApi(
    { baseUrl, auth: { accessToken: 'unused' }, rateLimit: { perTenSeconds: 100, searchPerSecond: 4 }, fields: {} },
    () => undefined,
  );
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uri: redirectUri,
    code,
  });
  const res = await api.client.apiRequest({
    method: 'POST',
    path: OAUTH_TOKEN_PATH,
    authType: 'none',
    defaultJson: false,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const body = (await res.json().catch(() => ({}))) as { refresh_token?: string; message?: string; status?: string };
  if (!res.ok || !body.refresh_token) {
    throw new ConnectorError(
      'AUTH_FAILED',
      `HubSpot refused the authorization code (${res.status}${body.status ? ` ${body.status}` : ''}): ${body.message ?? 'no refresh token in the answer'}`,
    );
  }
  out.write(
    `Authorized. Store this refresh token in the environment variable ${names.refreshToken} (attain.yaml reads it from there), e.g. in your secret store:\n  ${names.refreshToken}=${body.refresh_token}\n`,
  );
  return ExitCode.ok;
}

function waitForCode(port: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://localhost:${port}`);
      const code = url.searchParams.get('code');
      if (url.pathname !== '/callback' || !code) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Attain is authorized. You can close this tab.\n');
      server.close();
      resolvePromise(code);
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1');
  });
}
