/**
 * The report in a real browser: `attain run` and `attain report` on the demo company, then the
 * page opened from disk in headless Chromium (the Debian package, driven by playwright-core, which
 * downloads no browser of its own). No console error, no page error, no request leaving the file,
 * every chart an SVG with drawn marks; a screenshot of the first screen is kept in
 * test-artifacts/report/. Without Chromium the test is skipped with one line, unless CI is set.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { DEMO_AS_OF, DEMO_CHARTS, copyDemo } from './demo-report.js';

const CHROMIUM = process.env['ATTAIN_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/report');
const available = existsSync(CHROMIUM);

if (!available && !process.env['CI']) {
  process.stderr.write(`report browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
}

describe.skipIf(!available && !process.env['CI'])('the report in headless Chromium', () => {
  const demo = copyDemo();
  afterAll(() => demo.cleanup());

  it('opens from disk with no console error, draws every chart, and is screenshotted', async () => {
    expect(existsSync(CHROMIUM), `Chromium is required when CI is set: ${CHROMIUM}`).toBe(true);
    const run = await runCli(['run', '--workspace', demo.dir, '--as-of', DEMO_AS_OF, '--in-process']);
    expect(run.code, run.err).toBe(0);
    // January through the pay cycle: approved, paid, exported to payroll.
    for (const step of [
      ['approve', '2026-01', '--by', 'ann'],
      ['lock', '2026-01', '--by', 'ann'],
      ['export', 'payroll', '2026-01', '--format', 'csv', '--out', join(demo.dir, 'payroll.csv')],
    ]) {
      const done = await runCli([...step, '--workspace', demo.dir]);
      expect(done.code, done.err).toBe(0);
    }
    const out = join(demo.dir, 'report');
    const written = await runCli(['report', '--workspace', demo.dir, '--out', out]);
    expect(written.code, written.err).toBe(0);
    expect(written.out).toContain('index.html');
    const file = join(out, 'index.html');
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|@import|url\(/);

    // A fresh profile (--user-data-dir): playwright passes it as the persistent context's folder.
    const profile = mkdtempSync(join(tmpdir(), 'attain-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });

      const charts = await page.$$eval('figure[data-chart]', (figures) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const marks = svg
            ? [...svg.querySelectorAll('.role-mark')].filter(
                (g) => g.querySelector('path, line, circle, rect') !== null,
              ).length
            : 0;
          return { id: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, marks };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(DEMO_CHARTS);
      for (const c of charts) {
        expect(c.marks, `${c.id} has drawn marks`).toBeGreaterThan(0);
        expect(c.width * c.height, `${c.id} is visible`).toBeGreaterThan(10_000);
      }
      expect(await page.textContent('h1')).toContain('Attain');
      // The liability table: January earned, approved, exported and paid alike; February only earned.
      const liability = await page.$$eval('#liability table tr', (rows) =>
        rows.map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent ?? '')),
      );
      expect(liability[0]).toEqual([
        'payout period',
        'currency',
        'earned',
        'approved',
        'exported',
        'paid',
        'not yet paid',
      ]);
      const [, , earned, ...january] = liability.find((r) => r[0] === '2026-01')!;
      expect(january).toEqual([earned, earned, earned, '0']);
      const [, , february, ...rest] = liability.find((r) => r[0] === '2026-02')!;
      expect(rest).toEqual(['0', '0', '0', february]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'first-screen.png') });
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 240_000);

  it('refuses a bad --period, an unknown --manager and a missing --out with exit 2', async () => {
    const out = join(demo.dir, 'bad');
    const bad = await runCli(['report', '--workspace', demo.dir, '--period', '2026-07..2026-01', '--out', out]);
    expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('2026-01 is before 2026-07')]);
    const nobody = await runCli(['report', '--workspace', demo.dir, '--manager', 'nobody', '--out', out]);
    expect([nobody.code, nobody.err]).toEqual([2, expect.stringContaining('--manager nobody: no such rep')]);
    const noOut = await runCli(['report', '--workspace', demo.dir]);
    expect([noOut.code, noOut.err]).toEqual([2, expect.stringContaining("required option '--out <dir>'")]);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
