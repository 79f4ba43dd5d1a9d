/**
 * `attain salesforce check | setup | login`: connect and verify the org, verify the write-back
 * object, and get a refresh token through the web-server flow. Each prints problems with their
 * fix; none writes to the org. The connector (and jsforce) is loaded only when one of them runs.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import type { SalesforceConfig } from '../../config/attain-schema.js';
import { parseAttainConfig } from '../../config/attain-schema.js';
import { ConfigError } from '../../config/errors.js';
import type { SchemaProblem } from '../../connectors/salesforce/org-schema.js';
import type { CommandContext } from './command-context.js';
import { CliError, ExitCode } from './exit-codes.js';

const DEFAULT_REDIRECT = 'http://localhost:1717/OauthRedirect';

export function salesforceCommand(context: CommandContext): Command {
  const command = new Command('salesforce').description(
    'connect a Salesforce org, verify it, and set up the write-back object',
  );
  command
    .command('check')
    .description('connect, describe every object and mapped field, report API usage and what to fix')
    .action(async () => context.exit(await check(context)));
  command
    .command('setup')
    .description(
      'verify the deployed package (object, fields, permission sets, tab, list views, layouts, report type, report, dashboard); print what is missing and the command that deploys it',
    )
    .action(async () => context.exit(await setup(context)));
  command
    .command('login')
    .description('web-server flow: print the authorize URL; with --code, exchange it for a refresh token')
    .option('--code <code>', 'the code Salesforce appended to the redirect URL')
    .option('--redirect-uri <url>', "the connected app's callback URL", DEFAULT_REDIRECT)
    .action(async (options: { code?: string; redirectUri: string }) => context.exit(await login(context, options)));
  return command;
}

/** attain.yaml alone (plans are not needed to connect an org), validated as `run` would. */
async function salesforceConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<SalesforceConfig> {
  const file = join(dir, 'attain.yaml');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`${file}: not found (is --workspace the workspace folder?)`, ExitCode.usage);
  });
  const { config: parsed, issues } = parseAttainConfig(text, env, file);
  if (!parsed) throw new ConfigError(issues);
  const config = parsed.source.salesforce;
  if (!config)
    throw new CliError(
      `${join(dir, 'attain.yaml')}: source.salesforce is missing (attain salesforce needs it)`,
      ExitCode.usage,
    );
  return config;
}

function writeProblems(out: Writable, problems: SchemaProblem[], mark = '✗'): void {
  for (const p of problems) out.write(`  ${mark} ${p.problem}\n    fix: ${p.fix}\n`);
}

async function check(context: CommandContext): Promise<number> {
  const { createSalesforceConnector } = await import('../../connectors/salesforce/index.js');
  const { commissionObjectProblems } = await import('../../connectors/salesforce/commission-setup.js');
  const dir = resolve(context.workspace());
  const config = await salesforceConfig(dir);
  const { out } = context;
  const connector = createSalesforceConnector({
    config,
    workspaceDir: dir,
    env: process.env,
    log: (m) => out.write(`${m}\n`),
  });
  try {
    const org = await connector.orgSchema();
    const connection = await connector.client.connect();
    out.write(`Connected to ${connection.instanceUrl} (API ${config.apiVersion}, ${config.auth.flow} flow)\n`);
    const usage = connector.client.usage;
    if (usage) {
      const share = Number(config.limits?.maxApiShare ?? 0.25);
      out.write(
        `API usage today: ${usage.used} of ${usage.limit} (${((usage.used / usage.limit) * 100).toFixed(1)} %); a run stops after ${Math.floor(usage.limit * share)} calls\n`,
      );
    }
    out.write(
      `Currencies: ${org.multiCurrency ? 'multi-currency' : `single currency ${org.defaultCurrency}`}; rates from ${org.ratesObject ?? 'data/fx.csv (the org has none)'}\n`,
    );
    out.write(`Opportunity splits: ${org.splits ? 'enabled' : 'off (deals credit their owner)'}\n`);
    const notes: SchemaProblem[] = [];
    if (!org.multiCurrency) {
      notes.push({
        problem: `multi-currency is off: every opportunity is taken as ${org.defaultCurrency}`,
        fix: 'enable multi-currency in Setup → Company Information if you sell in several currencies',
      });
    }
    const writeback = await commissionObjectProblems(connector.schema);
    const problems = [...org.problems, ...writeback];
    if (problems.length === 0) out.write('Every mapped field exists and can be read; Attain_Commission__c is ready\n');
    else {
      out.write(`${problems.length} problem${problems.length === 1 ? '' : 's'}:\n`);
      writeProblems(out, problems);
    }
    if (notes.length) {
      out.write(notes.length === 1 ? 'Note (not a problem):\n' : 'Notes (not problems):\n');
      writeProblems(out, notes, '•');
    }
    return problems.length === 0 ? ExitCode.ok : ExitCode.usage;
  } finally {
    await connector.close();
  }
}

async function setup(context: CommandContext): Promise<number> {
  const { createSalesforceConnector } = await import('../../connectors/salesforce/index.js');
  const { commissionObjectProblems, packageChecks } = await import('../../connectors/salesforce/commission-setup.js');
  const dir = resolve(context.workspace());
  const config = await salesforceConfig(dir);
  const { out } = context;
  const connector = createSalesforceConnector({
    config,
    workspaceDir: dir,
    env: process.env,
    log: (m) => out.write(`${m}\n`),
  });
  try {
    const problems = await commissionObjectProblems(connector.schema);
    if (problems.length === 0)
      out.write('Attain_Commission__c and its fields exist and are writable: write-back is ready\n');
    else {
      out.write('Attain_Commission__c is not ready:\n');
      writeProblems(out, problems);
    }
    const checks = await packageChecks(connector.schema, connector.client);
    const missing = checks.flatMap((c) => (c.problem ? [c.problem] : []));
    if (checks.length > 0) {
      out.write('For reps and managers (as the integration user sees the org):\n');
      for (const c of checks) if (!c.problem) out.write(`  ✓ ${c.piece}${c.detail ? `: ${c.detail}` : ''}\n`);
      writeProblems(out, missing);
    }
    return problems.length === 0 && missing.length === 0 ? ExitCode.ok : ExitCode.usage;
  } finally {
    await connector.close();
  }
}

async function login(context: CommandContext, options: { code?: string; redirectUri: string }): Promise<number> {
  const { authorizeUrl, exchangeCode } = await import('../../connectors/salesforce/salesforce-auth.js');
  const dir = resolve(context.workspace());
  // Before the first login there is no refresh token yet: its variable may be unset, so a
  // placeholder stands in for it while attain.yaml is read.
  const yaml = await readFile(join(dir, 'attain.yaml'), 'utf8').catch(() => '');
  const variable = /refreshToken:\s*\$\{(\w+)\}/.exec(yaml)?.[1] ?? 'SF_REFRESH_TOKEN';
  const config = await salesforceConfig(dir, { ...process.env, [variable]: process.env[variable] ?? 'pending-login' });
  const { out } = context;
  if (!options.code) {
    out.write(
      `1. Open this URL, signed in as the integration user, and allow access:\n   ${authorizeUrl(config, options.redirectUri)}\n` +
        `2. Salesforce redirects to ${options.redirectUri}?code=…: copy the code and run\n   attain salesforce login --code <code>${options.redirectUri === DEFAULT_REDIRECT ? '' : ` --redirect-uri ${options.redirectUri}`}\n`,
    );
    return ExitCode.ok;
  }
  const token = await exchangeCode(config, options.redirectUri, options.code, config.auth.clientSecret);
  out.write(
    `Refresh token issued. Store it as the environment variable ${variable} (a secret store, not attain.yaml):\n` +
      `${token}\n` +
      `attain.yaml then reads it with auth: { flow: refresh-token, refreshToken: \${${variable}} }\n`,
  );
  return ExitCode.ok;
}
