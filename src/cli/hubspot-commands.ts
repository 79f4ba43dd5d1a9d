/**
 * `attain hubspot check | setup | login`: connect a portal, verify it, create the commission
 * object, and get an OAuth refresh token. connectors/hubspot/README.md is the admin's guide.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { parseAttainConfig, type HubspotConfig } from '../../config/attain-schema.js';
import { ConfigError } from '../../config/errors.js';
import {
  setupCommissionObject,
  setupEstimateObject,
  COMMISSION_OBJECT,
  ESTIMATE_OBJECT,
} from '../../connectors/hubspot/commission-object.js';
import type { HubspotApi } from '../../connectors/hubspot/hubspot-api.js';
import type { CommandContext } from './command-context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { hubspotLogin } from './hubspot-login.js';

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
      ctx.exit(await hubspotLogin(ctx.workspace(), options, ctx.out)),
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
  'settings.users.read',
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

/** Prints each check as it ends, then the rate limit, who sees the records and the problems with their fixes. */
async function check(config: HubspotConfig & { writebackEnabled: boolean }, out: Writable): Promise<number> {
  out.write(`HubSpot portal at ${config.baseUrl}\n`);
  const { checkPortal } = await import('../../connectors/hubspot/portal-check.js');
  const outcome = await checkPortal(config, (what, ok) => out.write(`  ${ok ? 'ok  ' : 'FAIL'}  ${what}\n`));
  if (outcome.rateLimit)
    out.write(
      `  rate limit: ${outcome.rateLimit.observed} requests per 10 s (attain.yaml: ${outcome.rateLimit.configured})\n`,
    );
  if (outcome.visibility) {
    out.write("Reps' seats (records are owned by the rep):\n");
    for (const line of outcome.visibility.problems) out.write(`  ✗ ${line}\n`);
    for (const line of outcome.visibility.notes) out.write(`  • ${line}\n`);
  }
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
  const { HubspotApi } = await import('../../connectors/hubspot/hubspot-api.js');
  const api = new HubspotApi(config, () => undefined);
  const commissions = await setupCommission(api, out);
  // The estimates' sibling object (docs/estimates.md#in-the-crm), once the commission object is right.
  if (commissions !== ExitCode.ok) return commissions;
  const estimates = await setupEstimateObject(api);
  if (estimates.created) out.write(`Created the ${ESTIMATE_OBJECT} object (${estimates.objectTypeId}).\n`);
  else if (estimates.differences.length === 0)
    out.write(`The ${ESTIMATE_OBJECT} object (${estimates.objectTypeId}) exists and matches.\n`);
  else {
    out.write(`The ${ESTIMATE_OBJECT} object (${estimates.objectTypeId}) exists but differs:\n`);
    for (const difference of estimates.differences) out.write(`  - ${difference}\n`);
    return ExitCode.usage;
  }
  return ExitCode.ok;
}

async function setupCommission(api: HubspotApi, out: Writable): Promise<number> {
  const outcome = await setupCommissionObject(api);
  if (outcome.created) {
    out.write(`Created the ${COMMISSION_OBJECT} object (${outcome.objectTypeId}).\n`);
    return ExitCode.ok;
  }
  for (const change of outcome.updated) out.write(`Set the ${COMMISSION_OBJECT} object's ${change}.\n`);
  if (outcome.differences.length === 0) {
    out.write(`The ${COMMISSION_OBJECT} object (${outcome.objectTypeId}) exists and matches.\n`);
    return ExitCode.ok;
  }
  out.write(`The ${COMMISSION_OBJECT} object (${outcome.objectTypeId}) exists but differs:\n`);
  for (const difference of outcome.differences) out.write(`  - ${difference}\n`);
  return ExitCode.usage;
}
