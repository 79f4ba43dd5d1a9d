/**
 * The Salesforce connector's benchmark, against the local org server of the tests:
 *
 *   pull       200,000 opportunities served 2,000 a page, stored through the real SyncStore into
 *              PGlite: records/s and API calls (REST paging; the bulk threshold is raised for it)
 *   write-back 100,000 commission records: API calls through sObject Collections (target
 *              ⌈n/200⌉) and through one Bulk API 2.0 ingest job
 *
 * Runs alone: `npm run build && node dist/test/bench/bench-salesforce.js`. Sizes: BENCH_SF_OPPS,
 * BENCH_SF_LINES.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSalesforceConnector } from '../../connectors/salesforce/index.js';
import type { CommissionRecord } from '../../connectors/source.js';
import { migrateToLatest, openDatabase } from '../../src/db/index.js';
import { createSyncStore } from '../../src/db/sync-store.js';
import { FakeOrg } from '../connectors/salesforce/fake-org.js';

export interface SalesforceBenchFigures {
  pullRecords: number;
  pullSeconds: number;
  pullRecordsPerSecond: number;
  pullApiCalls: number;
  writebackLines: number;
  restApiCalls: number;
  bulkApiCalls: number;
}

export async function benchSalesforce(log: (line: string) => void): Promise<SalesforceBenchFigures> {
  const opportunities = Number(process.env['BENCH_SF_OPPS'] ?? 200_000);
  const lines = Number(process.env['BENCH_SF_LINES'] ?? 100_000);
  const org = await new FakeOrg({ pageSize: 2_000, multiCurrency: true, apiLimit: 10_000_000 }).start();
  const scratch = mkdtempSync(join(tmpdir(), 'attain-bench-sf-'));
  const database = await openDatabase({ dataDir: scratch });
  try {
    const reps = 1_000;
    for (let r = 0; r < reps; r++) org.addUser({ Id: `005${String(r).padStart(15, '0')}`, Name: `Rep ${r}` });
    for (let i = 0; i < opportunities; i++) {
      org.putOpportunity({
        Id: `006${String(i).padStart(15, '0')}`,
        Name: `Deal ${i}`,
        OwnerId: `005${String(i % reps).padStart(15, '0')}`,
        Amount: 1_000 + (i % 97) * 250.5,
        CloseDate: `2026-${String((i % 12) + 1).padStart(2, '0')}-15`,
        CurrencyIsoCode: i % 5 === 0 ? 'EUR' : 'USD',
      });
    }
    await migrateToLatest(database.db);
    const options = {
      config: {
        loginUrl: org.url,
        apiVersion: '62.0',
        auth: { flow: 'client-credentials' as const, clientId: 'attain-client', clientSecret: 'attain-secret' },
        fields: {},
        bulk: { queryAbove: Number.MAX_SAFE_INTEGER, ingestAbove: Number.MAX_SAFE_INTEGER },
      },
      workspaceDir: scratch,
      env: {},
      log: () => undefined,
    };

    const connector = createSalesforceConnector(options);
    const started = performance.now();
    const report = await connector.sync(createSyncStore(database.db, 'salesforce'), { log: () => undefined });
    const pullSeconds = (performance.now() - started) / 1000;
    const pulled = report.records['Opportunity'] ?? 0;
    log(
      `salesforce pull: ${pulled.toLocaleString('en')} opportunities (+${reps} users) in ${pullSeconds.toFixed(1)} s = ${Math.round(pulled / pullSeconds).toLocaleString('en')} records/s, ${report.apiCalls} API calls (2,000 a page, stored in PGlite)`,
    );

    const records: CommissionRecord[] = Array.from({ length: lines }, (_, i) => {
      const repId = `005${String(i % reps).padStart(15, '0')}`;
      return {
        key: `ae|${repId}|2026-${String((i % 12) + 1).padStart(2, '0')}|c${Math.floor(i / (reps * 12))}`,
        repId,
        planId: 'ae',
        period: '2026-01',
        component: 'commission',
        amount: '125.50',
        currency: 'USD',
        attainment: '1.05',
        trace: '{\n  "deals": []\n}',
      };
    });
    const rest = createSalesforceConnector(options);
    const restTarget = await rest.writeback();
    let calls = rest.client.apiCalls;
    const restStarted = performance.now();
    const restOutcomes = await restTarget.upsert(records);
    const restApiCalls = rest.client.apiCalls - calls;
    log(
      `salesforce write-back REST: ${lines.toLocaleString('en')} lines, ${restApiCalls} API calls (target ⌈n/200⌉ = ${Math.ceil(lines / 200)}), ${restOutcomes.filter((o) => o.ok).length.toLocaleString('en')} ok, ${((performance.now() - restStarted) / 1000).toFixed(1)} s`,
    );

    const bulk = createSalesforceConnector(
      { ...options, config: { ...options.config, bulk: { queryAbove: 10_000, ingestAbove: 10_000 } } },
      { bulkPollMs: 50 },
    );
    const bulkTarget = await bulk.writeback();
    calls = bulk.client.apiCalls;
    const bulkOutcomes = await bulkTarget.upsert(records);
    const bulkApiCalls = bulk.client.apiCalls - calls;
    log(
      `salesforce write-back Bulk 2.0: ${lines.toLocaleString('en')} lines in one ingest job, ${bulkApiCalls} API calls (create, upload, close, status, successful and failed results), ${bulkOutcomes.filter((o) => o.ok).length.toLocaleString('en')} ok`,
    );
    return {
      pullRecords: pulled,
      pullSeconds,
      pullRecordsPerSecond: pulled / pullSeconds,
      pullApiCalls: report.apiCalls,
      writebackLines: lines,
      restApiCalls,
      bulkApiCalls,
    };
  } finally {
    await database.close();
    await org.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchSalesforce((line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
