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
  displayDifference,
  findCommissionSchema,
  schemaDifferences,
  setupCommissionObject,
  visibilityDifferences,
  COMMISSION_OBJECT,
} from '../../connectors/hubspot/commission-object.js';
import { commissionVisibility, type VisibilityReport } from '../../connectors/hubspot/commission-visibility.js';
import { dealPropertyMap, stageTable } from '../../connectors/hubspot/deal-mapping.js';
import { HubspotApi } from '../../connectors/hubspot/hubspot-api.js';
import {
  dealPipelines,
  dealPropertyNames,
  missingProperties,
  ownerPages,
} from '../../connectors/hubspot/portal-reads.js';
import { ConnectorError } from '../../connectors/source.js';
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

/** Each check runs even when an earlier one failed, so the admin sees every problem at once. */
async function check(config: HubspotConfig & { writebackEnabled: boolean }, out: Writable): Promise<number> {
  const api = new HubspotApi(config, () => undefined);
  const problems: string[] = [];
  let visibility: VisibilityReport | undefined;
  let worst: number = ExitCode.ok;
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
      out.write(`  ok    ${what}\n`);
    } catch (error) {
      if (!(error instanceof ConnectorError)) throw error;
      problems.push(`${what}: ${error.message}`);
      out.write(`  FAIL  ${what}\n`);
      worst = Math.max(worst, error.exitCode);
      if (error.code === 'AUTH_FAILED' || error.code === 'UNREACHABLE') throw error;
    }
  };
  out.write(`HubSpot portal at ${config.baseUrl}\n`);
  try {
    await attempt('connection and deal properties (crm.schemas.deals.read)', async () => {
      const known = await dealPropertyNames(api);
      const map = dealPropertyMap(config.fields);
      const missing = missingProperties({ ...map.canonical, ...map.extra }, known);
      problems.push(...missing);
      if (missing.length) worst = Math.max(worst, ExitCode.usage);
    });
    await attempt('owners (crm.objects.owners.read)', async () => {
      for await (const page of ownerPages(api)) void page;
    });
    await attempt('deal pipelines and stages', async () => {
      const pipelines = await dealPipelines(api);
      const table = stageTable(pipelines, config.stages ?? {});
      for (const info of table.values()) if (info.problem) problems.push(info.problem);
      for (const id of Object.keys(config.stages ?? {})) {
        if (!pipelines.some((p) => p.stages.some((s) => s.id === id)))
          problems.push(
            `source.hubspot.stages.${id}: no deal pipeline has a stage with this id (ids, not labels: see Settings › Objects › Deals › Pipelines)`,
          );
      }
    });
    await attempt('deal search (crm.objects.deals.read)', async () => {
      await api.request('POST /crm/v3/objects/deals/search', 'search', {
        method: 'POST',
        path: '/crm/v3/objects/deals/search',
        body: { limit: 1, properties: ['hs_lastmodifieddate'] },
      });
    });
    if (config.writebackEnabled) {
      await attempt(`${COMMISSION_OBJECT} object (crm.schemas.custom.read)`, async () => {
        const schema = await findCommissionSchema(api);
        if (!schema)
          problems.push(
            `the portal has no ${COMMISSION_OBJECT} object: run attain hubspot setup (custom objects need an Enterprise portal)`,
          );
        else
          problems.push(...schemaDifferences(schema), ...visibilityDifferences(schema), ...displayDifference(schema));
      });
      await attempt('who sees commission records (settings.users.read)', async () => {
        visibility = await commissionVisibility(api);
      });
    }
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
  }
  const max = api.limiter.observedMax;
  if (max !== undefined) {
    out.write(`  rate limit: ${max} requests per 10 s (attain.yaml: ${config.rateLimit.perTenSeconds})\n`);
    if (max < config.rateLimit.perTenSeconds)
      problems.push(
        `source.hubspot.rateLimit.perTenSeconds is ${config.rateLimit.perTenSeconds} but the portal allows ${max}: set it to ${max}`,
      );
  }
  if (visibility) {
    out.write("Reps' seats (records are owned by the rep):\n");
    for (const line of visibility.problems) out.write(`  ✗ ${line}\n`);
    for (const line of visibility.notes) out.write(`  • ${line}\n`);
  }
  if (problems.length === 0) {
    out.write('No problems found.\n');
    return ExitCode.ok;
  }
  out.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}:\n`);
  for (const problem of problems) out.write(`  - ${problem}\n`);
  return worst === ExitCode.ok ? ExitCode.usage : worst;
}

async function setup(config: HubspotConfig, out: Writable): Promise<number> {
  const api = new HubspotApi(config, () => undefined);
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
