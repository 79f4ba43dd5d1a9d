/**
 * `attain hubspot check | setup | login`, run in-process (run-cli.ts) against local portals
 * (fake-portal.ts) that the real @hubspot/api-client talks to: what each prints and its exit code.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { commissionSchema, recordProperties } from '../../../connectors/hubspot/commission-object.js';
import { VISIBILITY_SETTING } from '../../../connectors/hubspot/commission-visibility.js';
import { DEAL_PROPERTIES, FakePortal, OAUTH_APP } from './fake-portal.js';

const TOKEN = 'pat-na1-cli-secret-token';
const PLAN =
  'id: ae\nname: AE\ncurrency: USD\nquotaPeriod: quarter\npayoutPeriod: quarter\nmeasures:\n  bookings: { credit: owner }\ncomponents:\n  - { id: commission, kind: rate-table, measure: bookings, basis: amount, mode: marginal, tiers: [{ from: 0, rate: 0.1 }] }\n';

let root = '';
const portals: FakePortal[] = [];

/** A started portal with owners, pipelines and (unless told otherwise) the commission object. */
async function portal(
  options: ConstructorParameters<typeof FakePortal>[0] = {},
  schema = true,
): Promise<{ portal: FakePortal; url: string }> {
  const created = new FakePortal({ token: TOKEN, ...options });
  portals.push(created);
  const url = await created.start();
  created.owners = [{ id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' }];
  created.schemaCreated = schema;
  created.estimateSchemaCreated = schema;
  return { portal: created, url };
}

function workspace(name: string, hubspot: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'plans'), { recursive: true });
  writeFileSync(join(dir, 'plans', 'ae.yaml'), PLAN);
  writeFileSync(join(dir, 'attain.yaml'), `source:\n  kind: hubspot\n  hubspot:\n${hubspot}calendar: { tz: UTC }\n`);
  return dir;
}

const tokenAuth = (url: string, extra = '') =>
  `    baseUrl: ${url}\n    auth: { accessToken: \${HUBSPOT_CLI_TOKEN} }\n${extra}`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'attain-hubspot-cli-'));
  process.env['HUBSPOT_CLI_TOKEN'] = TOKEN;
});
afterAll(async () => {
  delete process.env['HUBSPOT_CLI_TOKEN'];
  for (const p of portals) await p.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('attain hubspot check', () => {
  it("a healthy portal: every check ok, the portal's rate limit, exit 0", async () => {
    const { url } = await portal({ perTenSeconds: 190 });
    const result = await runCli([
      '--workspace',
      workspace('healthy', tokenAuth(url, '    fields: { contractTermMonths: contract_term }\n')),
      'hubspot',
      'check',
    ]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toEqual([
      `HubSpot portal at ${url}`,
      '  ok    connection and deal properties (crm.schemas.deals.read)',
      '  ok    owners (crm.objects.owners.read)',
      '  ok    deal pipelines and stages',
      '  ok    deal search (crm.objects.deals.read)',
      '  ok    attain_commission object (crm.schemas.custom.read)',
      '  ok    attain_estimate object (crm.schemas.custom.read)',
      '  ok    who sees commission records (settings.users.read)',
      '  rate limit: 190 requests per 10 s (attain.yaml: 190)',
      "Reps' seats (records are owned by the rep):",
      `  • HubSpot's API does not show seat permissions: make sure of ${VISIBILITY_SETTING}`,
      'No problems found.',
      '',
    ]);
    expect(result.out).not.toContain(TOKEN);
  });

  it('needs attain.yaml only, not plans (a portal is connected before plans are written)', async () => {
    const { url } = await portal();
    const dir = workspace('no-plans', tokenAuth(url));
    rmSync(join(dir, 'plans'), { recursive: true });
    const result = await runCli(['--workspace', dir, 'hubspot', 'check']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('No problems found.');
  });

  it('a misspelt attain.yaml key: exit 2 naming the key and the file', async () => {
    const { url } = await portal();
    const result = await runCli([
      '--workspace',
      workspace('bad-key', tokenAuth(url, '    rateLimits: { perTenSeconds: 100 }\n')),
      'hubspot',
      'check',
    ]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('attain.yaml');
    expect(result.err).toContain('rateLimits');
  });

  it('a missing mapped property: exit 2, naming the property, a near name and the fix', async () => {
    // This portal also allows only 100 requests per 10 s while attain.yaml says 190 (the default).
    const { url } = await portal({ perTenSeconds: 100 });
    const dir = workspace(
      'missing-property',
      tokenAuth(url, '    fields: { region: deal_regoin, contractTermMonths: contract_term }\n'),
    );
    const result = await runCli(['--workspace', dir, 'hubspot', 'check']);
    expect(result.code).toBe(2);
    expect(result.out).toContain('2 problems:\n');
    expect(result.out).toContain(
      '  - source.hubspot.fields.region: the portal has no deal property "deal_regoin" — create it in HubSpot (Settings › Properties › Deal) or map region to an existing property\n',
    );
    expect(result.out).toContain(
      '  - source.hubspot.rateLimit.perTenSeconds is 190 but the portal allows 100: set it to 100\n',
    );
    expect(result.out).not.toContain('No problems found');
  });

  it('a misspelt property gets a did-you-mean; a missing commission object is named with its fix', async () => {
    const { url } = await portal({ dealProperties: [...DEAL_PROPERTIES, 'deal_region'] }, false);
    const dir = workspace('near-name', tokenAuth(url, '    fields: { region: deal_regoin }\n'));
    const result = await runCli(['--workspace', dir, 'hubspot', 'check']);
    expect(result.code).toBe(2);
    expect(result.out).toContain('the portal has no deal property "deal_regoin" (did you mean "deal_region"?)');
    expect(result.out).toContain(
      '  - the portal has no attain_commission object: run attain hubspot setup (custom objects need an Enterprise portal)\n',
    );
    expect(result.out).toContain(
      '  - the portal has no attain_estimate object, so reps see no estimates on their open deals: run attain hubspot setup\n',
    );
  });

  it('an estimate object without its deal association is named with its fix', async () => {
    const { portal: created, url } = await portal();
    created.estimateSchemaAssociations = false;
    const result = await runCli(['--workspace', workspace('estimate-no-assoc', tokenAuth(url)), 'hubspot', 'check']);
    expect(result.code).toBe(2);
    expect(result.out).toContain(
      '  - attain_estimate has no association with deals: delete the object and run attain hubspot setup\n',
    );
  });

  it('a refused token: exit 3 with the reason, the later checks skipped, the token never printed', async () => {
    const { url } = await portal();
    process.env['HUBSPOT_CLI_TOKEN'] = 'pat-na1-not-the-right-token';
    try {
      const result = await runCli(['--workspace', workspace('bad-token', tokenAuth(url)), 'hubspot', 'check']);
      expect(result.code).toBe(3);
      expect(result.out).toContain('  FAIL  connection and deal properties (crm.schemas.deals.read)\n');
      expect(result.out).not.toContain('owners (crm.objects.owners.read)');
      expect(result.out).toMatch(
        /refused the private app access token \(401 .*\): Authentication credentials not found/,
      );
      expect(result.out + result.err).not.toContain('pat-na1-not-the-right-token');
    } finally {
      process.env['HUBSPOT_CLI_TOKEN'] = TOKEN;
    }
  });
});

describe('attain hubspot setup', () => {
  it('creates the object on a portal without it, and says it matches the next time', async () => {
    const { portal: created, url } = await portal({}, false);
    const dir = workspace('setup-create', tokenAuth(url));
    const first = await runCli(['--workspace', dir, 'hubspot', 'setup']);
    expect(first.code).toBe(0);
    expect(first.out).toBe(
      'Created the attain_commission object (2-123).\nCreated the attain_estimate object (2-124).\n',
    );
    expect(created.schemaCreated).toBe(true);
    const second = await runCli(['--workspace', dir, 'hubspot', 'setup']);
    expect(second.code).toBe(0);
    expect(second.out).toBe(
      'The attain_commission object (2-123) exists and matches.\nThe attain_estimate object (2-124) exists and matches.\n',
    );
    // One create per object (commissions, estimates), none the second time.
    expect(created.log.filter((r) => r.method === 'POST' && r.path === '/crm/v3/schemas')).toHaveLength(2);
  });

  it('an object that exists but differs: exit 2, each difference with its fix', async () => {
    const { portal: created, url } = await portal({
      commissionProperties: [
        { name: 'attain_key', type: 'string', fieldType: 'text' },
        { name: 'period', type: 'string', fieldType: 'text' },
        { name: 'plan', type: 'string', fieldType: 'text' },
        { name: 'component', type: 'string', fieldType: 'text' },
        { name: 'amount', type: 'string', fieldType: 'text' },
        { name: 'currency', type: 'string', fieldType: 'text' },
        { name: 'attainment', type: 'number', fieldType: 'number' },
      ],
    });
    const result = await runCli(['--workspace', workspace('setup-differs', tokenAuth(url)), 'hubspot', 'setup']);
    expect(result.code).toBe(2);
    expect(result.out).toBe(
      [
        'The attain_commission object (2-123) exists but differs:',
        '  - attain_commission.attain_key must have unique values (hasUniqueValue) to upsert by it: recreate the property',
        '  - attain_commission.amount is string, expected number',
        '  - attain_commission has no property trace (string): add it in HubSpot or delete the object and run attain hubspot setup',
        '  - attain_commission has no property attain_dispute_reason (string, for disputes): add it in Settings › Objects › Commissions › Properties (multi-line text), or delete the object and run attain hubspot setup',
        '  - attain_commission has no property attain_dispute_status (enumeration, for disputes): add it in Settings › Objects › Commissions › Properties (dropdown select with the values open, resolved, rejected), or delete the object and run attain hubspot setup',
        '  - attain_commission has no property attain_dispute_resolution (string, for disputes): add it in Settings › Objects › Commissions › Properties (multi-line text), or delete the object and run attain hubspot setup',
        '',
      ].join('\n'),
    );
    // Verifying never changes the portal's object.
    expect(created.log.filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('what reps see', () => {
  it('setup creates the object named by period, with component and amount, and the dispute properties', () => {
    const schema = commissionSchema() as {
      primaryDisplayProperty: string;
      secondaryDisplayProperties: string[];
      properties: { name: string; type: string }[];
    };
    expect([schema.primaryDisplayProperty, ...schema.secondaryDisplayProperties]).toEqual([
      'period',
      'component',
      'amount',
    ]);
    expect(schema.properties.filter((p) => p.name.startsWith('attain_dispute'))).toEqual([
      expect.objectContaining({ name: 'attain_dispute_reason', type: 'string' }),
      expect.objectContaining({ name: 'attain_dispute_status', type: 'enumeration' }),
      expect.objectContaining({ name: 'attain_dispute_resolution', type: 'string' }),
    ]);
    // Never written by the write-back.
    const sent = recordProperties({
      key: 'ae|101|2026-Q1|c',
      repId: '101',
      planId: 'ae',
      period: '2026-Q1',
      component: 'c',
      amount: '1.00',
      currency: 'USD',
      trace: '{}',
    });
    expect(Object.keys(sent).filter((name) => name.startsWith('attain_dispute'))).toEqual([]);
  });

  it("setup names records by period with component and amount under them, fixing an older object's display", async () => {
    const { portal: created, url } = await portal({
      display: { primaryDisplayProperty: 'attain_key', secondaryDisplayProperties: ['period', 'amount'] },
    });
    created.estimateSchemaCreated = false; // a portal set up before estimates existed
    const dir = workspace('setup-display', tokenAuth(url));
    const first = await runCli(['--workspace', dir, 'hubspot', 'setup']);
    expect(first.out).toBe(
      [
        "Set the attain_commission object's display properties: period as the record's name, component and amount under it.",
        'The attain_commission object (2-123) exists and matches.',
        'Created the attain_estimate object (2-124).',
        '',
      ].join('\n'),
    );
    expect(first.code).toBe(0);
    expect(created.log.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual(['/crm/v3/schemas/2-123']);
    const second = await runCli(['--workspace', dir, 'hubspot', 'setup']);
    expect(second.out).toBe(
      'The attain_commission object (2-123) exists and matches.\nThe attain_estimate object (2-124) exists and matches.\n',
    );
    expect(created.log.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('check names reps who are Super Admins (they see every commission) and prints the setting to make', async () => {
    const { portal: created, url } = await portal({ perTenSeconds: 190 });
    created.owners.push({ id: '102', email: 'bo@example.com', firstName: 'Bo', lastName: 'Chen' });
    created.superAdmins.add('102');
    const result = await runCli(['--workspace', workspace('check-admins', tokenAuth(url)), 'hubspot', 'check']);
    expect(result.out).toContain('  ok    who sees commission records (settings.users.read)');
    expect(result.out).toContain(
      "  ✗ 1 owner is a Super Admin and sees every rep's commissions, whatever their permissions: bo@example.com",
    );
    expect(result.out).not.toContain('ana@example.com');
    expect(result.out).toContain('CRM Objects › Commissions: View "Their commissions" (owned only)');
  });

  it('check without settings.users.read says what it cannot tell, and still prints the setting', async () => {
    const { url } = await portal({ perTenSeconds: 190, usersScope: false });
    const result = await runCli(['--workspace', workspace('check-no-users', tokenAuth(url)), 'hubspot', 'check']);
    expect(result.out).toContain('cannot tell which reps are Super Admins');
    expect(result.out).toContain('settings.users.read');
    expect(result.out).toContain('CRM Objects › Commissions: View "Their commissions" (owned only)');
    expect(result.code).toBe(0);
  });
});

describe("the commission object's association with deals", () => {
  const DIFFERENCE =
    'attain_commission has no association with deals, so records cannot be linked to their deal: add it (POST /crm/v3/schemas/2-123/associations with toObjectTypeId 0-3) or delete the object and run attain hubspot setup';

  it('setup and check name a missing one with its fix (exit 2), and change nothing', async () => {
    const { portal: created, url } = await portal({
      commissionAssociations: [
        { id: '31', fromObjectTypeId: '2-123', toObjectTypeId: '0-1', name: 'attain_commission_to_contact' },
      ],
    });
    const dir = workspace('no-deal-association', tokenAuth(url));
    const setup = await runCli(['--workspace', dir, 'hubspot', 'setup']);
    expect(setup.code).toBe(2);
    expect(setup.out).toBe(`The attain_commission object (2-123) exists but differs:\n  - ${DIFFERENCE}\n`);
    const check = await runCli(['--workspace', dir, 'hubspot', 'check']);
    expect(check.code).toBe(2);
    expect(check.out).toContain(`  - ${DIFFERENCE}\n`);
    expect(created.log.filter((r) => r.method === 'POST' && r.path !== '/crm/v3/objects/deals/search')).toEqual([]);
  });

  it('setup creates the object associated with deals: verified, it matches', async () => {
    const { url } = await portal({}, false);
    const dir = workspace('deal-association', tokenAuth(url));
    expect((await runCli(['--workspace', dir, 'hubspot', 'setup'])).code).toBe(0);
    const again = await runCli(['--workspace', dir, 'hubspot', 'setup']);
    expect(again.out).toBe(
      'The attain_commission object (2-123) exists and matches.\nThe attain_estimate object (2-124) exists and matches.\n',
    );
  });
});

describe('attain hubspot login', () => {
  const oauth = (url: string) =>
    `    baseUrl: ${url}\n    auth: { clientId: \${HS_CLI_CLIENT_ID}, clientSecret: \${HS_CLI_CLIENT_SECRET}, refreshToken: \${HS_CLI_REFRESH_TOKEN} }\n`;
  beforeAll(() => {
    process.env['HS_CLI_CLIENT_ID'] = OAUTH_APP.clientId;
    process.env['HS_CLI_CLIENT_SECRET'] = OAUTH_APP.clientSecret;
  });
  afterAll(() => {
    delete process.env['HS_CLI_CLIENT_ID'];
    delete process.env['HS_CLI_CLIENT_SECRET'];
  });

  it('--code: exchanges the code at the token endpoint and names the variable to store the refresh token in, never printing the secret', async () => {
    const { portal: created, url } = await portal();
    // HS_CLI_REFRESH_TOKEN is not set yet: that is what login is for.
    const result = await runCli([
      '--workspace',
      workspace('login', oauth(url)),
      'hubspot',
      'login',
      '--code',
      OAUTH_APP.code,
    ]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('Store this refresh token in the environment variable HS_CLI_REFRESH_TOKEN');
    expect(result.out).toContain(`HS_CLI_REFRESH_TOKEN=${OAUTH_APP.refreshToken}\n`);
    expect(result.out + result.err).not.toContain(OAUTH_APP.clientSecret);
    const form = created.tokenRequests.at(-1);
    expect(form?.get('grant_type')).toBe('authorization_code');
    expect(form?.get('code')).toBe(OAUTH_APP.code);
    expect(form?.get('redirect_uri')).toBe('http://localhost:3789/callback');
  });

  it("a refused code: exit 3 with HubSpot's reason, never the secret", async () => {
    const { url } = await portal();
    const result = await runCli([
      '--workspace',
      workspace('login-bad', oauth(url)),
      'hubspot',
      'login',
      '--code',
      'stale-code',
    ]);
    expect(result.code).toBe(3);
    expect(result.err).toContain(
      'HubSpot refused the authorization code (400 BAD_AUTH_CODE): missing or unknown auth code',
    );
    expect(result.out + result.err).not.toContain(OAUTH_APP.clientSecret);
  });
  // The browser flow (state, redirect) is in hubspot-login.test.ts.
});
