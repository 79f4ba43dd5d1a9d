/**
 * `attain plan doc`, `ack`, `acks` and `import-acks` as a user types them, on a copy of the demo
 * company in its embedded database. The PDF is read back by a real extractor (unpdf, pdf.js): its
 * text must carry the worked examples the engine computes and the plan's content hash.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace } from '../../config/workspace.js';
import { planHash } from '../../jobs/sync.js';
import { planExample } from '../../src/domain/plan-examples.js';
import type { Plan } from '../../src/domain/plan.js';
import { money } from '../../src/domain/trace-words.js';
import { runCli } from './run-cli.js';

const DEMO = resolve(import.meta.dirname, '../../examples/demo');
let root = '';
let dir = '';
let ae: Plan;
let hash = '';
const attain = (...args: string[]) => runCli(['--workspace', dir, ...args]);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'attain-plan-cli-'));
  dir = join(root, 'demo');
  cpSync(DEMO, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
  const workspace = await loadWorkspace(dir);
  ae = workspace.plans.find((p) => p.id === 'ae-2026')!;
  hash = planHash(ae);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('attain plan doc', () => {
  it('writes a PDF whose text carries the engine’s worked examples and the content hash', async () => {
    const file = join(root, 'docs', 'ae-2026.pdf');
    const result = await attain('plan', 'doc', 'ae-2026', '--out', file);
    expect(result).toMatchObject({ code: 0, out: expect.stringContaining(`version ${hash}`) });
    const { text: extracted } = await extractText(await getDocumentProxy(new Uint8Array(readFileSync(file))), {
      mergePages: true,
    });
    // Lines wrap where the page ends them: compare words, not line breaks.
    const text = extracted.replace(/\s+/g, ' ');
    expect(text).toContain('Comp plan: Account Executive 2026');
    expect(text).toContain(`Version (content hash) ${hash}`);
    expect(text).toContain(`attain plan ack ae-2026 --rep REP_ID --hash ${hash}`);
    // The examples book in today's quarter (ATTAIN_TODAY 2026-06-30: 2026-Q2).
    const setting = {
      calendar: { fiscalYearStartMonth: 1, tz: 'America/New_York' },
      period: '2026-Q2',
      quota: '100000',
    };
    for (const [attainment, words] of [
      ['0.5', '50 %'],
      ['1', '100 %'],
      ['1.5', '150 %'],
    ] as const) {
      const example = planExample(ae, attainment, setting);
      expect(text).toContain(
        `At ${words} attainment: ${money(example.credit)} USD booked, paid ${money(example.total)} USD`,
      );
      for (const component of example.components) expect(text).toContain(money(component.amount));
    }
    // 150 %: 100,000 × 6 % + 50,000 × 9 % = 10,500; three multi-year deals × 400; the 3,000 club bonus.
    expect(text).toContain('At 150 % attainment: 150,000.00 USD booked, paid 14,700.00 USD');
    expect(text).toContain('Cap: at most 60,000.00 USD per quota period.');
    expect(text).toContain('type is one of New Business, Upsell');
  });

  it('writes one self-contained HTML page with the curve inline', async () => {
    const file = join(root, 'docs', 'manager.html');
    expect((await attain('plan', 'doc', 'manager-2026', '--format', 'html', '--out', file)).code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Gate: nothing is paid while attainment in the quota period is below 60 %.');
    expect(html).not.toMatch(/<(script|link|img)\b|\bsrc=|url\(/);
  });

  it('refuses an unknown plan or a period of the wrong kind, writing nothing', async () => {
    const file = join(root, 'nothing.pdf');
    const unknown = await attain('plan', 'doc', 'ae-2025', '--out', file);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('plan ae-2025: no such plan') });
    const month = await attain('plan', 'doc', 'ae-2026', '--period', '2026-04', '--out', file);
    expect(month).toMatchObject({ code: 2, err: expect.stringContaining('--period 2026-04: expected a quarter') });
    expect(existsSync(file)).toBe(false);
  });
});

describe('acknowledgements', () => {
  it('records the current version only, lists who is missing, and logs it', { timeout: 180_000 }, async () => {
    const before = await attain('plan', 'acks', '--plan', 'ae-2026', '--json');
    const missing = (JSON.parse(before.out) as { missing: { repId: string; hash: string }[] }).missing;
    expect(missing.map((m) => m.repId)).toContain('west-01');
    expect(missing.every((m) => m.hash === hash)).toBe(true);

    const stale = await attain('plan', 'ack', 'ae-2026', '--rep', 'west-01', '--hash', '0123456789ab', '--by', 'ann');
    expect(stale.code).toBe(2);
    expect(stale.err).toContain(`--hash 0123456789ab is not its current version ${hash}`);

    const ack = await attain('plan', 'ack', 'ae-2026', '--rep', 'west-01', '--hash', hash, '--by', 'ann');
    expect(ack).toMatchObject({ code: 0, out: `west-01 acknowledged plan ae-2026 version ${hash}\n` });
    const again = await attain('plan', 'ack', 'ae-2026', '--rep', 'west-01', '--hash', hash, '--by', 'ann');
    expect(again.out).toContain('had already acknowledged');

    const after = await attain('plan', 'acks', '--plan', 'ae-2026', '--json');
    const left = (JSON.parse(after.out) as { missing: { repId: string }[] }).missing.map((m) => m.repId);
    expect(left).not.toContain('west-01');
    expect(left.length).toBe(missing.length - 1);

    const audit = await attain('audit', '--json');
    const events = (JSON.parse(audit.out) as { action: string; by: string; details: Record<string, unknown> }[]).filter(
      (e) => e.action === 'plan-ack',
    );
    expect(events).toEqual([
      expect.objectContaining({ by: 'ann', details: expect.objectContaining({ repId: 'west-01', planHash: hash }) }),
    ]);
  });

  it('imports acknowledgements.csv all or nothing, naming each bad line', { timeout: 180_000 }, async () => {
    const file = join(dir, 'data', 'acknowledgements.csv');
    writeFileSync(
      file,
      `repId,planId,planHash,date\nwest-02,ae-2026,${hash},2026-06-01\nwest-03,ae-2099,${hash},2026-06-01\nwest-04,ae-2026,${hash},2026-13-01\n`,
    );
    const bad = await attain('plan', 'import-acks', '--by', 'ann');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('data/acknowledgements.csv:3: planId ae-2099: no such plan');
    expect(bad.err).toContain('data/acknowledgements.csv:4: date 2026-13-01: expected a date YYYY-MM-DD');
    const stillMissing = JSON.parse((await attain('plan', 'acks', '--json')).out) as { missing: { repId: string }[] };
    expect(stillMissing.missing.map((m) => m.repId)).toContain('west-02');

    writeFileSync(
      file,
      `repId,planId,planHash,date\nwest-02,ae-2026,${hash},2026-06-01\nwest-03,ae-2026,aaaaaaaaaaaa,2025-12-01\n`,
    );
    const good = await attain('plan', 'import-acks', '--by', 'ann');
    expect(good).toMatchObject({ code: 0, out: expect.stringContaining('2 rows, 2 new acknowledgements recorded') });
    expect((await attain('plan', 'import-acks', '--by', 'ann')).out).toContain('0 new acknowledgements');
    const table = (await attain('plan', 'acks', '--plan', 'ae-2026')).out;
    expect(table).not.toMatch(/^west-02 /m);
    // An earlier version acknowledged does not count for the current one.
    expect(table).toMatch(new RegExp(`^west-03 +ae-2026 +2026-01-01\\.\\. +${hash} +aaaaaaaaaaaa on 2025-12-01$`, 'm'));
  });
});
