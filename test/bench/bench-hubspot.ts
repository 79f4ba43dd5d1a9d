/**
 * The HubSpot pull against a rate limit: 50,000 deals from a local portal (fake-portal.ts) that
 * enforces 190 requests per rolling 10 s and answers 429 TEN_SECONDLY_ROLLING above it, pulled by
 * the real connector (search pages of 200, re-windowed at the 10,000 cap) through the real
 * @hubspot/api-client.
 *
 * Figures:
 * - share of the allowed rate used, where the limiter held requests back: a rolling window allows
 *   N requests per 10 s, so request k + N may go out 10 s after request k at the earliest; the
 *   share is 10 s over the real gap, averaged over the requests that had to wait. Target ≥ 90 %.
 *   (Requests per second over the whole pull are printed too; a pull this short gains from the
 *   first window's burst and exceeds 19/s, so that figure says little about the limiter.)
 * - 429s surfaced as errors (target 0), and the 429s the portal answered (retried inside).
 *
 * The search limit is set above the 10-second one here (`searchPerSecond: 190`), so the window the
 * portal enforces is the one measured; with HubSpot's 4 searches per second the pull would take
 * R / 4 seconds instead. Pages are kept in memory (not the database), so storage time is not
 * counted against the limiter.
 *
 * Alone: `npm run build && node dist/test/bench/bench-hubspot.js` (BENCH_HUBSPOT_DEALS to change the count).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHubspotConnector } from '../../connectors/hubspot/index.js';
import { ConnectorError, type SyncPage, type SyncStore } from '../../connectors/source.js';
import { FakePortal } from '../connectors/hubspot/fake-portal.js';

export interface HubspotBenchFigures {
  deals: number;
  requests: number;
  seconds: number;
  rateShare: number;
  surfaced429: number;
  answered429: number;
}

const PER_TEN_SECONDS = 190;

export async function benchHubspot(
  log: (line: string) => void,
  dealCount = Number(process.env['BENCH_HUBSPOT_DEALS'] ?? 50_000),
): Promise<HubspotBenchFigures> {
  const portal = new FakePortal({ token: 'pat-bench', perTenSeconds: PER_TEN_SECONDS, splits: false });
  portal.owners = Array.from({ length: 50 }, (_, i) => ({
    id: String(100 + i),
    email: `rep${i}@example.com`,
    firstName: 'Rep',
    lastName: String(i),
  }));
  const start = Date.parse('2025-01-01T00:00:00Z');
  for (let i = 1; i <= dealCount; i++) {
    portal.deals.set(String(i), {
      id: String(i),
      properties: {
        dealname: `Deal ${i}`,
        amount: String(1000 + (i % 97) * 250),
        closedate: new Date(start + i * 600_000).toISOString(),
        dealstage: i % 3 === 0 ? 'closedlost' : 'closedwon',
        pipeline: 'default',
        hubspot_owner_id: String(100 + (i % 50)),
        deal_currency_code: 'USD',
        dealtype: 'newbusiness',
        hs_lastmodifieddate: new Date(start + i * 1000).toISOString(),
      },
    });
  }
  const baseUrl = await portal.start();
  const workspaceDir = mkdtempSync(join(tmpdir(), 'attain-bench-hubspot-'));
  writeFileSync(join(workspaceDir, 'attain.yaml'), 'source: { kind: csv }\n');
  const pages: SyncPage[] = [];
  const cursors = new Map<string, string>();
  const store: SyncStore = {
    cursor: async (object) => cursors.get(object),
    storePage: async (page) => {
      pages.push({ object: page.object, deals: page.deals ?? [] });
      if (page.cursor !== undefined) cursors.set(page.object, page.cursor);
    },
    resetCursor: async (object) => void cursors.delete(object),
  };
  const connector = createHubspotConnector({
    config: {
      baseUrl,
      auth: { accessToken: 'pat-bench' },
      rateLimit: { perTenSeconds: PER_TEN_SECONDS, searchPerSecond: PER_TEN_SECONDS },
      fields: {},
    },
    workspaceDir,
    env: {},
    log: () => undefined,
  });
  let surfaced429 = 0;
  let deals = 0;
  const started = performance.now();
  try {
    const report = await connector.sync(store, { log: () => undefined });
    deals = report.records['deals'] ?? 0;
    if (report.stoppedEarly) surfaced429++;
  } catch (error) {
    if (error instanceof ConnectorError && /429/.test(error.message)) surfaced429++;
    else throw error;
  } finally {
    await connector.close();
    await portal.stop();
    rmSync(workspaceDir, { recursive: true, force: true });
  }
  const accepted = portal.log.filter((r) => r.status !== 429);
  const first = accepted[0]?.at ?? started;
  const last = accepted[accepted.length - 1]?.at ?? started;
  const seconds = (last - first) / 1000;
  const requests = accepted.length;
  // Requests that went out as early as the window allows (within a second of it): each one's gap to the request N before it.
  const gaps: number[] = [];
  for (let k = PER_TEN_SECONDS; k < accepted.length; k++) {
    const gap = accepted[k]!.at - accepted[k - PER_TEN_SECONDS]!.at;
    if (gap < 11_000) gaps.push(gap);
  }
  const rateShare = gaps.length ? gaps.reduce((sum, gap) => sum + Math.min(1, 10_000 / gap), 0) / gaps.length : 1;
  const turn = gaps.length
    ? `${gaps.length} requests paced by the window, gap to the request ${PER_TEN_SECONDS} before ${(Math.min(...gaps) / 1000).toFixed(3)}–${(Math.max(...gaps) / 1000).toFixed(3)} s; `
    : 'the window never filled; ';
  const figures: HubspotBenchFigures = {
    deals,
    requests,
    seconds: Number(seconds.toFixed(2)),
    rateShare: Number(rateShare.toFixed(3)),
    surfaced429,
    answered429: portal.rateLimited,
  };
  log(
    `hubspot pull: ${deals.toLocaleString('en')} deals in ${requests} requests over ${seconds.toFixed(2)} s at ${PER_TEN_SECONDS}/10 s ` +
      `: ${(rateShare * 100).toFixed(1)} % of the allowed rate (${turn}${(requests / seconds).toFixed(2)} requests/s); ` +
      `${surfaced429} 429s surfaced as errors, ${portal.rateLimited} answered and retried`,
  );
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchHubspot((line) => console.log(line));
  console.log(JSON.stringify(figures));
}
