/**
 * CRM sources through the queue: a Salesforce and a HubSpot workspace, each run by two real worker
 * processes of the compiled CLI (`attain trigger --wait`) against the local org or portal (HTTP
 * servers in this process, reached through loginUrl / baseUrl). The commission records the CRM
 * ends up with equal those of an in-process run of the same data (its own org, schema and
 * workspace); each key is written once per run; a second trigger after one deal changes sends
 * exactly the changed record; the CRM secret reaches the workers by environment only and is
 * nowhere in Redis. And, for each CRM, a worker SIGKILLed in the middle of write-back (as its first
 * write call reaches the CRM): the other one takes the step over and finishes the run, and the CRM
 * holds every record once, as the uninterrupted run wrote them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../jobs/run.js';
import { getRun } from '../../src/db/index.js';
import { FakePortal } from '../connectors/hubspot/fake-portal.js';
import { FakeOrg } from '../connectors/salesforce/fake-org.js';
import {
  assertBuilt,
  cli,
  REDIS_URL,
  results,
  scratch,
  skipQueueTests,
  startWorkerProcess,
  type Scratch,
  type WorkerProcess,
} from './queue-harness.js';
import { AE_MONTHLY_PLAN } from '../connectors/plans.js';

const AS_OF = '2026-03-31';
const SF_SECRET = 'sf-queue-secret-7c1f9a';
const HS_TOKEN = 'pat-na1-queue-secret-3d8e2b';

/** Two plans, so the two calculate steps can run side by side on the two workers. */
const PLANS = {
  ae: AE_MONTHLY_PLAN,
  am: `id: am
name: Account Manager
currency: USD
quotaPeriod: quarter
payoutPeriod: quarter
measures:
  bookings: { credit: splits }
components:
  - id: commission
    kind: rate-table
    measure: bookings
    basis: attainment
    mode: marginal
    tiers:
      - { from: 0, rate: 0.10 }
`,
};

/** Replaces the scratch copy of the example workspace with a CRM workspace: attain.yaml, the plans, quotas and assignments. */
function crmWorkspace(dir: string, source: string, reps: { ae: string[]; am: string[] }): void {
  rmSync(join(dir, 'plans'), { recursive: true, force: true });
  rmSync(join(dir, 'data'), { recursive: true, force: true });
  mkdirSync(join(dir, 'plans'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(
    join(dir, 'attain.yaml'),
    `${source}calendar: { fiscalYearStartMonth: 1, tz: UTC }\nbaseCurrency: USD\nwriteback: { enabled: true }\n`,
  );
  for (const [id, text] of Object.entries(PLANS)) writeFileSync(join(dir, 'plans', `${id}.yaml`), text);
  const all = [...reps.ae.map((r) => [r, 'ae']), ...reps.am.map((r) => [r, 'am'])];
  writeFileSync(
    join(dir, 'data', 'quotas.csv'),
    `repId,period,amount\n${all.map(([r]) => `${r},2026-Q1,100000\n`).join('')}`,
  );
  writeFileSync(
    join(dir, 'data', 'assignments.csv'),
    `repId,planId,from,to\n${all.map(([r, p]) => `${r},${p},2026-01-01,\n`).join('')}`,
  );
}

function salesforceWorkspace(dir: string, org: FakeOrg): void {
  crmWorkspace(
    dir,
    `source:
  kind: salesforce
  salesforce:
    loginUrl: ${org.url}
    apiVersion: "62.0"
    auth: { flow: client-credentials, clientId: attain-client, clientSecret: \${SF_QUEUE_CLIENT_SECRET} }
`,
    { ae: ['005A', '005B'], am: ['005C'] },
  );
}

function hubspotWorkspace(dir: string, baseUrl: string): void {
  crmWorkspace(
    dir,
    `source:
  kind: hubspot
  hubspot:
    baseUrl: ${baseUrl}
    auth: { accessToken: \${HS_QUEUE_TOKEN} }
    fields: { contractTermMonths: contract_term }
`,
    { ae: ['101', '102'], am: ['104'] },
  );
}

/** The same org every time: users, opportunities in two currencies, splits, a dated rate and two rejects. */
async function seededOrg(): Promise<FakeOrg> {
  const org = await new FakeOrg({ pageSize: 2, multiCurrency: true, clientSecret: SF_SECRET }).start();
  org.addUser({ Id: '005A', Name: 'Ada Rep' });
  org.addUser({ Id: '005B', Name: 'Bo Rep' });
  org.addUser({ Id: '005C', Name: 'Cy Manager' });
  org.rates.push({ Id: '04wE', IsoCode: 'EUR', StartDate: '2026-01-01', ConversionRate: 0.8 });
  const opp = (Id: string, OwnerId: string, Amount: number | null, CloseDate: string, CurrencyIsoCode = 'USD') =>
    org.putOpportunity({ Id, Name: `Deal ${Id}`, OwnerId, Amount, CloseDate, CurrencyIsoCode });
  opp('006A', '005A', 80000, '2026-01-20');
  opp('006B', '005B', 40000, '2026-02-10', 'EUR');
  opp('006C', '005A', 30000, '2026-02-15');
  opp('006D', '005C', 60000, '2026-03-03');
  opp('006E', '005C', 25000, '2026-01-09');
  opp('006F', '005B', 12000, '2026-03-20');
  opp('006N', '005A', null, '2026-02-11');
  opp('006U', '005Z', 1000, '2026-02-11');
  org.putSplit({ Id: '0SpC1', OpportunityId: '006C', SplitOwnerId: '005A', SplitPercentage: 50, revenue: true });
  org.putSplit({ Id: '0SpC2', OpportunityId: '006C', SplitOwnerId: '005B', SplitPercentage: 50, revenue: true });
  return org;
}

async function seededPortal(): Promise<{ portal: FakePortal; baseUrl: string }> {
  const portal = new FakePortal({ token: HS_TOKEN });
  const baseUrl = await portal.start();
  // The attain_commission object exists (what `attain hubspot setup` creates; tested in hubspot-run.test.ts).
  portal.schemaCreated = true;
  portal.owners = [
    { id: '101', email: 'ana@example.com', firstName: 'Ana', lastName: 'Lopez' },
    { id: '102', email: 'ben@example.com', firstName: 'Ben', lastName: 'Okafor' },
    { id: '104', email: 'dee@example.com', firstName: 'Dee', lastName: 'Ng' },
  ];
  const deal = portal.putDeal.bind(portal);
  deal('1', '101', '50000', 'closedwon', '2026-02-10T15:00:00.000Z');
  deal('2', '102', '20000', 'closedwon', '2026-02-11T15:00:00.000Z');
  deal('3', '101', '10000', 'closedwon', '2026-02-12T15:00:00.000Z');
  deal('4', null, '999', 'closedwon', '2026-02-13T15:00:00.000Z');
  deal('5', '104', '30000', 'closedwon', '2026-02-14T15:00:00.000Z');
  deal('6', '101', 'twelve', 'closedwon', '2026-02-15T15:00:00.000Z');
  deal('7', '102', '7000', 'appointmentscheduled', '2026-02-16T15:00:00.000Z');
  portal.splits.set('3', [
    { owner: '101', fraction: '0.6' },
    { owner: '102', fraction: '0.4' },
  ]);
  return { portal, baseUrl };
}

/** Commission records by key, without the CRM's own record id (assigned in the order records arrive). */
// What a record says: its Id differs by org, and SystemModstamp (hs_lastmodifieddate) moves on with
// every write, the repeated upsert of a killed worker's call too.
const sfRecords = (org: FakeOrg) =>
  Object.fromEntries(
    [...org.commissions].map(([key, { Id, SystemModstamp, ...row }]) => (void Id, void SystemModstamp, [key, row])),
  );
const hsRecords = (portal: FakePortal) =>
  Object.fromEntries(
    [...portal.commissions].map(([key, row]) => {
      const { hs_lastmodifieddate: _modified, ...properties } = row.properties;
      return [key, { archived: row.archived, ...properties }];
    }),
  );

const duplicates = (keys: string[]) => keys.filter((key, i) => keys.indexOf(key) !== i);

/** Every string stored under the test's queue prefix: job data, options, return values, events, logs. */
async function redisText(prefix: string): Promise<string> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      for (const key of keys) {
        const type = await redis.type(key);
        parts.push(key);
        if (type === 'string') parts.push((await redis.get(key)) ?? '');
        else if (type === 'hash') parts.push(...Object.entries(await redis.hgetall(key)).flat());
        else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
        else if (type === 'set') parts.push(...(await redis.smembers(key)));
        else if (type === 'zset') parts.push(...(await redis.zrange(key, 0, -1)));
        else if (type === 'stream')
          parts.push(...(await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]));
        else parts.push(`(unread ${type})`);
      }
      cursor = next;
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

/** `attain trigger --wait`, expected to succeed; its run id. The CRM's credentials are the workers' only: the trigger runs without them. */
async function triggerAndWait(s: Scratch): Promise<{ runId: string; out: string }> {
  const done = await cli(s, ['trigger', '--wait', '--as-of', AS_OF], {
    SF_QUEUE_CLIENT_SECRET: undefined,
    HS_QUEUE_TOKEN: undefined,
  });
  expect(done.err).toBe('');
  expect(done.code).toBe(0);
  const runId = /^(run-\S+): queued/.exec(done.out)?.[1];
  expect(runId, done.out).toBeDefined();
  expect(done.out).toContain(`${runId} succeeded`);
  return { runId: runId!, out: done.out };
}

/** Two workers of the scratch workspace, ready. */
async function twoWorkers(s: Scratch): Promise<WorkerProcess[]> {
  const workers = [startWorkerProcess(s), startWorkerProcess(s)];
  await Promise.all(workers.map((w) => w.ready));
  return workers;
}

/**
 * Wraps `calls.push` (the fake CRM records each write call there before it writes): the first
 * call SIGKILLs the worker that logged the write-back step. Returns a getter for that worker.
 */
function killOnFirstCall<T>(workers: WorkerProcess[], calls: T[]): () => WorkerProcess | undefined {
  let victim: WorkerProcess | undefined;
  const push = calls.push.bind(calls);
  calls.push = (...items: T[]) => {
    if (victim === undefined) {
      victim = workers.find((w) => /"jobId":"run-[^"]+-write-back","step":"write-back"/.test(w.output()));
      if (!victim)
        throw new Error(`no worker logged the write-back step:\n${workers.map((w) => w.output()).join('\n')}`);
      victim.child.kill('SIGKILL');
    }
    return push(...items);
  };
  return () => victim;
}

/** The killed worker is dead, and its write-back job was taken over (stalled) and finished by the other one. */
async function expectTakenOver(
  s: Scratch,
  runId: string,
  victim: WorkerProcess | undefined,
  workers: WorkerProcess[],
  out: string,
): Promise<void> {
  expect(victim, out).toBeDefined();
  expect(await victim!.exited).toBeNull();
  const writeBack = await s.queue('steps').getJob(`${runId}-write-back`);
  expect(writeBack?.stalledCounter).toBeGreaterThan(0);
  expect(writeBack?.finishedOn).toBeDefined();
  const survivor = workers.find((w) => w !== victim)!;
  expect(survivor.output()).toMatch(/"msg":"write-back started"/);
  expect(await getRun(s.database.db, runId)).toMatchObject({ status: 'succeeded' });
}

describe.skipIf(skipQueueTests)('CRM sources through the queue', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }, 30_000);
  const fresh = async (options?: Parameters<typeof scratch>[0]) => {
    const s = await scratch(options);
    cleanups.push(() => s.dispose());
    return s;
  };
  const started = <T extends { stop(): Promise<void> }>(server: T) => (cleanups.push(() => server.stop()), server);

  it("Salesforce: two workers write the in-process run's records, each key once; a change is sent alone; the secret only in the workers' environment", async () => {
    // The in-process run, on its own org, schema and workspace.
    const baselineOrg = started(await seededOrg());
    const baseline = await fresh();
    salesforceWorkspace(baseline.dir, baselineOrg);
    const env = { ...process.env, SF_QUEUE_CLIENT_SECRET: SF_SECRET };
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess',
      asOf: AS_OF,
      env,
    });

    const org = started(await seededOrg());
    const s = await fresh();
    salesforceWorkspace(s.dir, org);
    s.env['SF_QUEUE_CLIENT_SECRET'] = SF_SECRET;
    const workers = await twoWorkers(s);

    const first = await triggerAndWait(s);
    expect(Object.keys(sfRecords(org)).sort()).toEqual([
      'ae|005A|2026-01|commission',
      'ae|005A|2026-02|commission',
      'ae|005B|2026-02|commission',
      'ae|005B|2026-03|commission',
      'am|005C|2026-Q1|commission',
    ]);
    expect(sfRecords(org)).toEqual(sfRecords(baselineOrg));
    expect(org.commissions.get('ae|005A|2026-01|commission')).toMatchObject({
      Amount__c: '4000.00',
      OwnerId: '005A',
      Plan__c: 'ae',
    });
    expect(duplicates(org.upserted.flat())).toEqual([]);
    expect((await results(s.database, first.runId)).lines).toEqual(
      (await results(baseline.database, 'run-inprocess')).lines,
    );
    expect(await getRun(s.database.db, first.runId)).toMatchObject({ status: 'succeeded', trigger: 'trigger' });
    // The worker processes ran the steps (which one took which is the queue's choice).
    const logs = workers.map((w) => w.output()).join('');
    for (const step of ['sync', 'store', 'calculate', 'estimates', 'write-back'])
      expect(logs).toContain(`"msg":"${step} started"`);

    // One opportunity changes: the second trigger sends exactly the records whose values it changes,
    // February's amount and March's quarter-to-date attainment (Bo's 006F closes in March).
    const calls = org.upserted.length;
    const before = sfRecords(org);
    org.putOpportunity({ Id: '006B', Amount: 48000 });
    baselineOrg.putOpportunity({ Id: '006B', Amount: 48000 });
    const second = await triggerAndWait(s);
    expect(second.runId).not.toBe(first.runId);
    const after = sfRecords(org);
    const changed = Object.keys(after).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
    expect(changed.sort()).toEqual(['ae|005B|2026-02|commission', 'ae|005B|2026-03|commission']);
    expect(org.upserted.slice(calls).flat().sort()).toEqual(changed);
    expect(org.commissions.get('ae|005B|2026-02|commission')).toMatchObject({ Amount__c: '3750.00' });
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess-2',
      asOf: AS_OF,
      env,
    });
    expect(sfRecords(org)).toEqual(sfRecords(baselineOrg));

    // The secret came by environment: not in any job, event or key of the queue, nor in a log line.
    const stored = await redisText(s.prefix);
    // What was read: the run jobs' data (the trigger) and the steps' (their run id).
    expect(stored).toContain('"trigger":"trigger"');
    expect(stored).toContain(`{"runId":"${first.runId}"}`);
    expect(stored).not.toContain(SF_SECRET);
    for (const w of workers) expect(w.output()).not.toContain(SF_SECRET);
  }, 90_000);

  it("HubSpot: two workers write the in-process run's records; a change is sent alone; the token is nowhere in Redis", async () => {
    const baselinePortal = await seededPortal();
    started(baselinePortal.portal);
    const baseline = await fresh();
    hubspotWorkspace(baseline.dir, baselinePortal.baseUrl);
    const env = { ...process.env, HS_QUEUE_TOKEN: HS_TOKEN };
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess',
      asOf: AS_OF,
      env,
    });

    const { portal, baseUrl } = await seededPortal();
    started(portal);
    const s = await fresh();
    hubspotWorkspace(s.dir, baseUrl);
    s.env['HS_QUEUE_TOKEN'] = HS_TOKEN;
    const workers = await twoWorkers(s);

    await triggerAndWait(s);
    expect(Object.keys(hsRecords(portal)).sort()).toEqual([
      'ae|101|2026-02|commission',
      'ae|102|2026-02|commission',
      'am|104|2026-Q1|commission',
    ]);
    expect(hsRecords(portal)).toEqual(hsRecords(baselinePortal.portal));
    expect(duplicates(portal.upserts.map((u) => u.id))).toEqual([]);

    portal.upserts = [];
    portal.touch('1', { amount: '60000' }, new Date('2026-03-01T10:00:00Z'));
    baselinePortal.portal.touch('1', { amount: '60000' }, new Date('2026-03-01T10:00:00Z'));
    await triggerAndWait(s);
    expect(portal.upserts.map((u) => u.id)).toEqual(['ae|101|2026-02|commission']);
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess-2',
      asOf: AS_OF,
      env,
    });
    expect(hsRecords(portal)).toEqual(hsRecords(baselinePortal.portal));

    expect(await redisText(s.prefix)).not.toContain(HS_TOKEN);
    for (const w of workers) expect(w.output()).not.toContain(HS_TOKEN);
  }, 90_000);

  it('Salesforce: the worker busy writing back is SIGKILLed as its upsert reaches the org; the other finishes the run, every record in the org once', async () => {
    const baselineOrg = started(await seededOrg());
    const baseline = await fresh();
    salesforceWorkspace(baseline.dir, baselineOrg);
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess',
      asOf: AS_OF,
      env: { ...process.env, SF_QUEUE_CLIENT_SECRET: SF_SECRET },
    });

    const org = started(await seededOrg());
    const s = await fresh();
    salesforceWorkspace(s.dir, org);
    s.env['SF_QUEUE_CLIENT_SECRET'] = SF_SECRET;
    const workers = await twoWorkers(s);

    // The first upsert call is the write-back step's: the org stores its records, and the worker
    // that sent it dies before it hears the answer (so before it records what it sent).
    const kill = killOnFirstCall(workers, org.upserted);
    const { runId, out } = await triggerAndWait(s);
    await expectTakenOver(s, runId, kill(), workers, out);

    const expected = sfRecords(baselineOrg);
    expect(sfRecords(org)).toEqual(expected);
    // The dead worker's call was written, and sent again by the survivor (upserts by key: harmless).
    expect(org.upserted.flat().sort()).toEqual([...Object.keys(expected), ...Object.keys(expected)].sort());
    // Once each: as many records as keys, each with its own record id.
    expect(new Set([...org.commissions.values()].map((r) => r.Id)).size).toBe(Object.keys(expected).length);
    expect((await results(s.database, runId)).lines).toEqual((await results(baseline.database, 'run-inprocess')).lines);
  }, 90_000);

  it('HubSpot: the worker busy writing back is SIGKILLed as its batch upsert reaches the portal; the other finishes the run, every record once', async () => {
    const baselinePortal = await seededPortal();
    started(baselinePortal.portal);
    const baseline = await fresh();
    hubspotWorkspace(baseline.dir, baselinePortal.baseUrl);
    await runPipeline({
      workspaceDir: baseline.dir,
      trigger: 'test',
      database: baseline.database,
      runId: 'run-inprocess',
      asOf: AS_OF,
      env: { ...process.env, HS_QUEUE_TOKEN: HS_TOKEN },
    });

    const { portal, baseUrl } = await seededPortal();
    started(portal);
    const s = await fresh();
    hubspotWorkspace(s.dir, baseUrl);
    s.env['HS_QUEUE_TOKEN'] = HS_TOKEN;
    const workers = await twoWorkers(s);

    const kill = killOnFirstCall(workers, portal.upserts);
    const { runId, out } = await triggerAndWait(s);
    await expectTakenOver(s, runId, kill(), workers, out);
    const expected = hsRecords(baselinePortal.portal);
    expect(hsRecords(portal)).toEqual(expected);
    expect(new Set([...portal.commissions.values()].map((r) => r.id)).size).toBe(Object.keys(expected).length);
    // The survivor sent the batch again (upserts by key): each key once in the dead worker's call and once in the survivor's.
    expect(portal.upserts.map((u) => u.id).sort()).toEqual([...Object.keys(expected), ...Object.keys(expected)].sort());
  }, 90_000);
});
