/**
 * Fuzzing `attain validate` and `attain calc --json` through the CLI's main(), in process, with
 * generated CSV rows and plan documents: the shapes that once broke a run (far-off dates, NUL
 * bytes, negative and 400-digit amounts, manager loops, stray quotes, alias bombs, deep nesting,
 * rates of 50) mixed with arbitrary text. Every run must end with exit 0, 1 or 2, print no stack
 * trace, keep the heap bounded, and give every reject a source, an id and a reason.
 *
 * Seeded and bounded: the same cases on every run, well under a minute on a loaded machine. To
 * look further, raise FUZZ_RUNS and change FUZZ_SEED locally.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { copyExample, runCli } from '../cli/run-cli.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261206);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 40);
/** Far above what validating the example takes, far below what an alias bomb or an unbounded window takes. */
const HEAP_BOUND = 1024 * 1024 * 1024;

const { dir, cleanup } = copyExample();
afterAll(cleanup);
const original = (file: string) => readFileSync(join(dir, file), 'utf8');
const ORIGINAL = {
  reps: original('data/reps.csv'),
  deals: original('data/deals.csv'),
  plan: original('plans/account-executive.yaml'),
  config: original('attain.yaml'),
};
function reset(): void {
  writeFileSync(join(dir, 'data/reps.csv'), ORIGINAL.reps);
  writeFileSync(join(dir, 'data/deals.csv'), ORIGINAL.deals);
  writeFileSync(join(dir, 'plans/account-executive.yaml'), ORIGINAL.plan);
  writeFileSync(join(dir, 'attain.yaml'), ORIGINAL.config);
}

/** Runs a command and checks what every run must satisfy, whatever the input. */
async function expectClean(args: string[]): Promise<{ code: number; out: string }> {
  const { code, out, err } = await runCli([...args, '--workspace', dir]);
  expect([0, 1, 2], err).toContain(code);
  expect(err).not.toMatch(/unexpected error|\n\s+at /);
  expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expect(process.memoryUsage().heapUsed).toBeLessThan(HEAP_BOUND);
  if (code === 2) expect(err.trim()).not.toBe('');
  return { code, out };
}

/** Text as a careless export or a hostile hand writes it: quotes, commas, line breaks, NUL, controls. */
const nasty = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('"', '""', '"a,b"', 'a"b', '\u0000', 'x\u0000y', '\r\n', '\n', ',', '\u001b[31m', '\uFFFD', ' '),
);
const dates = fc.oneof(
  fc.constantFrom('2026-02-15', '2026-06-29', '2026-07-15', '9999-12-01', '1000-01-01', '0026-03-01', '2026-02-30'),
  fc.constantFrom('2026-03-31T23:30:00-05:00', '2026-03-31T25:00:00Z', ''),
  fc
    .date({ min: new Date('1000-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  nasty,
);
const amounts = fc.oneof(
  fc.integer({ min: -1_000_000, max: 10_000_000 }).map((n) => (n / 100).toFixed(2)),
  fc.constantFrom('-500', '0', '-0.00', '9'.repeat(400), '1e5', '1,234.50', '.5', '0.12345678901', ''),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
  nasty,
);
const cell = (arbitrary: fc.Arbitrary<string>) =>
  arbitrary.map((text) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text));
const repIds = fc.constantFrom('r1', 'r2', 'r3', 'm1', 'm2', 'vp1', 'x9', '');
const dealRow = fc
  .tuple(
    fc.oneof(fc.constantFrom('f1', 'f2', 'f3', 'o-1001'), nasty),
    cell(nasty),
    repIds,
    cell(amounts),
    fc.constantFrom('USD', 'EUR', 'JPY', 'usd', 'US', ''),
    cell(dates),
    fc.constantFrom('won', 'lost', 'open', 'WON', 'closed', ''),
    fc.constantFrom('New Business', 'Upsell', 'Renewal', ''),
    fc.constantFrom('12', '24', '36', 'x', ''),
    cell(fc.oneof(dates, fc.constant(''))),
  )
  .map((cells) => cells.join(','));
/** Sometimes a row that breaks the file itself: a quote never closed, a lone CR. */
const dealLine = fc.oneof({ weight: 8, arbitrary: dealRow }, fc.constantFrom('f9,"never closed,r1,1,USD', '\r', ''));
const repRow = fc
  .tuple(
    fc.constantFrom('y1', 'y2', 'y3', 'y4', 'r1'),
    cell(nasty),
    fc.constantFrom('y1', 'y2', 'y3', 'y4', 'r1', 'zz', ''),
  )
  .map(([id, name, manager]) => `${id},${name},${id}@example.com,${manager},true,2024-01-01`);

/** Plan text with hostile values spliced in where the example plan has its numbers and names. */
const planValue = fc.oneof(
  fc.constantFrom('50', '-1', '0.05', '1e3', '9'.repeat(400), '*nope', '&a [*a]', '!!float 1', '{', '[', '"x'),
  fc.constantFrom('[' + '['.repeat(200) + ']'.repeat(200) + ']'),
  nasty.map((text) => JSON.stringify(text)),
);
const aliasBomb = fc.integer({ min: 3, max: 9 }).map((levels) => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++) {
    const name = String.fromCharCode(97 + i);
    const previous = String.fromCharCode(96 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
});
const planText = fc.oneof(
  fc
    .tuple(fc.constantFrom('0.05', '0.06', '0.07', '500', '2000', '1.0', 'USD', 'quarter', 'marginal'), planValue)
    .map(([target, value]) => ORIGINAL.plan.replace(target, value)),
  aliasBomb.map((bomb) => `${ORIGINAL.plan}${bomb}`),
  fc.string({ maxLength: 200 }),
);

describe('fuzz: hostile input through validate and calc', () => {
  it('CSV rows: exit 0, 1 or 2, no stack, and every reject has a source, an id and a reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(dealLine, { maxLength: 6 }),
        fc.array(repRow, { maxLength: 5 }),
        async (deals, reps) => {
          reset();
          writeFileSync(join(dir, 'data/deals.csv'), `${ORIGINAL.deals.trimEnd()}\n${deals.join('\n')}\n`);
          writeFileSync(join(dir, 'data/reps.csv'), `${ORIGINAL.reps.trimEnd()}\n${reps.join('\n')}\n`);
          await expectClean(['validate']);
          const { code, out } = await expectClean(['calc', '--json']);
          if (code !== 0) return;
          const result = JSON.parse(out) as { rejects: { source: string; recordId: string; reason: string }[] };
          for (const reject of result.rejects) {
            expect(reject.source).not.toBe('');
            expect(reject.recordId).not.toBe('');
            expect(reject.reason).not.toBe('');
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('plan documents: exit 0 or 2, a problem named by file, and no stack', async () => {
    await fc.assert(
      fc.asyncProperty(planText, async (text) => {
        reset();
        writeFileSync(join(dir, 'plans/account-executive.yaml'), text);
        const { code } = await expectClean(['validate']);
        expect([0, 2]).toContain(code);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('attain.yaml limits: any value is read or refused with exit 2', async () => {
    const limit = fc.tuple(
      fc.constantFrom('csvRecordChars', 'maxAmount', 'maxRate', 'yearsFromAsOf', 'typo'),
      fc.oneof(
        fc.constantFrom('0', '1', '-1', '1000', '100', '101', '9'.repeat(40), 'x', '1.5'),
        nasty.map((t) => JSON.stringify(t)),
      ),
    );
    await fc.assert(
      fc.asyncProperty(limit, async ([key, value]) => {
        reset();
        writeFileSync(join(dir, 'attain.yaml'), `${ORIGINAL.config}limits: { ${key}: ${value} }\n`);
        await expectClean(['validate']);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
