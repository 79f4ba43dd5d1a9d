/**
 * `attain hubspot login` in the browser flow, in-process with its output read as it is printed:
 * the authorize URL carries a random `state`, the callback must bring it back (a callback with
 * another is refused and its code never exchanged), and the portal's baseUrl comes from the
 * parsed attain.yaml, however it is written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { FakePortal, OAUTH_APP } from './fake-portal.js';

let root = '';
const portal = new FakePortal();
let url = '';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'attain-hubspot-login-'));
  url = await portal.start();
  process.env['HS_LOGIN_CLIENT_ID'] = OAUTH_APP.clientId;
  process.env['HS_LOGIN_CLIENT_SECRET'] = OAUTH_APP.clientSecret;
  process.env['HS_LOGIN_BASE'] = url;
});
afterAll(async () => {
  for (const name of ['HS_LOGIN_CLIENT_ID', 'HS_LOGIN_CLIENT_SECRET', 'HS_LOGIN_BASE']) delete process.env[name];
  await portal.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A workspace whose attain.yaml is written flow-style, its baseUrl from the environment. */
function workspace(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'attain.yaml'),
    [
      '# baseUrl: https://api.hubapi.com (the default; this workspace talks to a local portal)',
      'source:',
      '  kind: hubspot',
      '  hubspot: { baseUrl: ${HS_LOGIN_BASE}, auth: { clientId: ${HS_LOGIN_CLIENT_ID}, clientSecret: ${HS_LOGIN_CLIENT_SECRET}, refreshToken: ${HS_LOGIN_REFRESH} } }',
      'calendar: { tz: UTC }',
      '',
    ].join('\n'),
  );
  return dir;
}

/** Starts the login; `printed()` is what it has written so far. */
function startLogin(dir: string, port: number) {
  let printed = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      printed += chunk.toString();
      done();
    },
  });
  const exit = main(['--workspace', dir, 'hubspot', 'login', '--port', String(port)], { out: sink, err: sink });
  return { exit, printed: () => printed };
}

async function authorizeUrl(printed: () => string): Promise<URL> {
  for (;;) {
    const found = /https:\/\/app\.hubspot\.com\/oauth\/authorize\S+/.exec(printed())?.[0];
    if (found) return new URL(found);
    await sleep(20);
  }
}

/** HubSpot's redirect (or another page's request) to the local port, once it listens. */
async function callback(port: number, query: string): Promise<Response> {
  for (;;) {
    const answer = await fetch(`http://127.0.0.1:${port}/callback?${query}`).catch(() => undefined);
    if (answer) return answer;
    await sleep(20);
  }
}

describe('attain hubspot login (browser flow)', () => {
  it('sends a random state and exchanges the code of the callback that brings it back', async () => {
    const port = await freePort();
    const login = startLogin(workspace('good'), port);
    const authorize = await authorizeUrl(login.printed);
    const state = authorize.searchParams.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('client_id')).toBe(OAUTH_APP.clientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`http://localhost:${port}/callback`);
    expect(authorize.searchParams.get('scope')).toContain('crm.objects.custom.write');

    const answer = await callback(port, `code=${OAUTH_APP.code}&state=${state}`);
    expect(await answer.text()).toContain('Attain is authorized');
    expect(await login.exit).toBe(0);
    // The token request went to the baseUrl of the parsed file (a variable, in a flow mapping).
    expect(portal.tokenRequests.at(-1)?.get('code')).toBe(OAUTH_APP.code);
    expect(login.printed()).toContain(`HS_LOGIN_REFRESH=${OAUTH_APP.refreshToken}\n`);
    expect(login.printed()).not.toContain(OAUTH_APP.clientSecret);

    // A second login gets another state.
    const again = startLogin(workspace('again'), await freePort());
    const next = (await authorizeUrl(again.printed)).searchParams.get('state');
    expect(next).not.toBe(state);
    const port2 = Number(new URL((await authorizeUrl(again.printed)).searchParams.get('redirect_uri')!).port);
    await callback(port2, `code=x&state=${next}`);
    await again.exit;
  });

  it('refuses a callback with another state or none, never exchanging its code (exit 3)', async () => {
    for (const query of [`code=${OAUTH_APP.code}&state=forged`, `code=${OAUTH_APP.code}`]) {
      const port = await freePort();
      const requests = portal.tokenRequests.length;
      const login = startLogin(workspace(`forged-${requests}-${query.length}`), port);
      await authorizeUrl(login.printed);
      const answer = await callback(port, query);
      expect(answer.status).toBe(400);
      expect(await login.exit).toBe(3);
      expect(login.printed()).toContain("whose state is not this login's");
      expect(portal.tokenRequests.length).toBe(requests);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
