/**
 * Data never reaches the terminal raw: an escape sequence in a CSV rep name or record id is shown
 * as a visible `\x1b`, in `attain calc`'s tables and rejects and in `attain validate`.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/cli/printable.js';
import { copyExample, runCli } from './run-cli.js';

const CLEAR_AND_TITLE = '\x1b[2J\x1b]0;owned\x07';
// Any C0 or C1 control but newline, or a bidirectional override.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('printable', () => {
  it('escapes control characters and bidi overrides visibly; printableLines keeps the newlines', () => {
    expect(printable(`Eve${CLEAR_AND_TITLE}\r\n\u202eabc`)).toBe('Eve\\x1b[2J\\x1b]0;owned\\x07\\x0d\\x0a\\u202eabc');
    expect(printableLines('one\ntwo\x1b[1m')).toBe('one\ntwo\\x1b[1m');
    expect(printable('Zoë Ørsted, 東京 – ok')).toBe('Zoë Ørsted, 東京 – ok');
  });
});

describe('data with escape sequences on the terminal', () => {
  let dir = '';
  let cleanup = () => undefined as void;
  beforeAll(() => {
    ({ dir, cleanup } = copyExample());
    const reps = join(dir, 'data', 'reps.csv');
    writeFileSync(reps, readFileSync(reps, 'utf8').replace('Priya Natarajan', `Priya${CLEAR_AND_TITLE} Natarajan`));
    // A deal whose id holds an escape sequence and whose owner is no rep: a reject naming it.
    appendFileSync(
      join(dir, 'data', 'deals.csv'),
      `o-\x1b[31mevil,Evil deal,nobody,100.00,USD,2026-01-20,won,New Business,12,2026-01-20\n`,
    );
  });
  afterAll(() => cleanup());

  it('attain calc shows them escaped, in the table and the rejects', async () => {
    const result = await runCli(['--workspace', dir, 'calc']);
    expect(result.code).toBe(0);
    expect(result.out).not.toMatch(RAW);
    expect(result.out).toContain('Priya\\x1b[2J\\x1b]0;owned\\x07 Natarajan');
    expect(result.out).toContain('o-\\x1b[31mevil');
  });

  it('attain validate too', async () => {
    const result = await runCli(['--workspace', dir, 'validate']);
    expect(result.out).not.toMatch(RAW);
    expect(result.out).toContain('o-\\x1b[31mevil');
  });
});
