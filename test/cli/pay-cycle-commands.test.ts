/**
 * `attain periods | approve | lock | unlock | disputes | audit` as a user types them, on the
 * example workspace, against PGlite (the workspace's embedded database) and PostgreSQL
 * (DATABASE_URL): output, exit codes, and who is recorded (--by, else ATTAIN_USER).
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { POSTGRES_URL, forEachBackend } from '../db/backends.js';
import { copyExample, runCli } from './run-cli.js';

const KEY = 'ae-fy26|r1|2026-01|commission';

forEachBackend((backend) => {
  let dir = '';
  let cleanup = () => undefined as void;
  const saved = { url: process.env['DATABASE_URL'], user: process.env['ATTAIN_USER'] };
  beforeEach(() => {
    ({ dir, cleanup } = copyExample());
    if (backend.name === 'postgres') {
      // The file's schema (one test per backend): the CLI opens the database named by DATABASE_URL.
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${backend.schema}`);
      process.env['DATABASE_URL'] = url.toString();
    } else delete process.env['DATABASE_URL'];
    delete process.env['ATTAIN_USER'];
  });
  afterEach(() => {
    cleanup();
    for (const [name, value] of [
      ['DATABASE_URL', saved.url],
      ['ATTAIN_USER', saved.user],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });
  const attain = (...args: string[]) => runCli(['-w', dir, ...args]);

  it('closes a month: dispute, approve, lock, unlock, each recorded in the audit log', async () => {
    expect((await attain('approve', '2026-01', '--by', 'ann')).err).toBe(
      'cannot approve 2026-01: no run has succeeded yet (attain run first)\n',
    );
    expect((await attain('run', '--in-process')).code).toBe(0);
    const periods = await attain('periods');
    expect(periods.code).toBe(0);
    expect(periods.out).toMatch(/^ae-fy26\n {2}2026-01 {2}open +\d+ lines +[\d,]+\.\d\d USD\n/);
    expect(periods.out).toContain('\nmgr-fy26\n  2026-Q1  open');

    const opened = await attain('disputes', 'open', KEY, '--reason', 'Acme is missing', '--by', 'r1');
    expect(opened).toMatchObject({ code: 0, err: '' });
    expect(opened.out).toMatch(/^dispute #1 opened on ae-fy26\|r1\|2026-01\|commission \([\d,.]+ USD\)/);
    expect(await attain('disputes', 'open', 'ae-fy26|r1', '--reason', 'x')).toMatchObject({
      code: 2,
      err: "ae-fy26|r1: a line key is plan|rep|period|component (as in the CRM's commission records)\n",
    });

    const refused = await attain('approve', '2026-01', '--by', 'ann');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('1 dispute is open on it (#1 ae-fy26|r1|2026-01|commission)');
    expect((await attain('periods')).out).toContain('1 dispute open');

    const resolved = await attain('disputes', 'resolve', '1', '--note', 'agreed', '--adjust', '-25', '--by', 'ann');
    expect(resolved.code).toBe(0);
    expect(resolved.out).toContain('adjustment -25.00 USD is paid by the next run');
    expect(await attain('disputes', 'resolve', '1', '--note', 'again')).toMatchObject({ code: 2 });
    expect((await attain('disputes', 'list', '--status', 'open')).out).toBe('no disputes\n');
    expect((await attain('disputes', 'list', '--status', 'closed')).code).toBe(2);

    expect((await attain('run', '--in-process')).code).toBe(0);
    const listed = await attain('disputes', 'list', '--period', '2026-01', '--json');
    const [dispute] = JSON.parse(listed.out) as { adjustmentPeriod: string; history: { action: string }[] }[];
    expect(dispute!.adjustmentPeriod).toBe('2026-01');
    expect(dispute!.history.map((h) => h.action)).toEqual(['open', 'resolve', 'adjustment-posted']);

    const approved = await attain('approve', '2026-01', '--by', 'ann', '--note', 'checked against the CRM');
    expect(approved.code).toBe(0);
    expect(approved.out).toMatch(/^2026-01 approved by ann: \d+ payout lines of run run-\S+ \(hash [0-9a-f]{12}…\)\n$/);

    expect(await attain('lock', '2026-02', '--by', 'bob')).toMatchObject({
      code: 2,
      err: 'cannot lock 2026-02: not approved: 2026-02 ae-fy26; attain approve PERIOD [--plan ID] first, or lock with --force (recorded)\n',
    });
    expect((await attain('lock', '2026-01', '--by', 'bob')).out).toBe(
      '2026-01 locked: its payout lines will not be rewritten; later changes become adjustments\n',
    );
    expect((await attain('periods', '--json')).out).toContain('"state": "paid"');
    expect((await attain('unlock', '2026-01')).code).toBe(2);
    process.env['ATTAIN_USER'] = 'carol';
    expect((await attain('unlock', '2026-01', '--force')).out).toBe('2026-01 unlocked (recorded in the audit log)\n');
    expect((await attain('lock', '2026-02', '--force', '--by', 'bob')).out).toContain(
      '(not approved, locked with --force: 2026-02 ae-fy26)',
    );

    const audit = JSON.parse((await attain('audit', '--json')).out) as {
      action: string;
      by: string;
      subject: string;
      details: Record<string, unknown>;
    }[];
    expect(audit.map((e) => `${e.action} ${e.by} ${e.subject}`)).toEqual([
      'dispute-open r1 dispute 1',
      'dispute-resolve ann dispute 1',
      'approve ann 2026-01',
      'lock bob 2026-01',
      'unlock carol 2026-01',
      'lock bob 2026-02',
    ]);
    expect(audit.at(-1)!.details).toEqual({ forced: true, unapproved: ['2026-02 ae-fy26'] });
    const text = await attain('audit', '--since', '2000-01-01');
    expect(text.out.split('\n')[2]).toMatch(
      /^\S+Z {2}ann {10}approve {9}2026-01 {2}\{.*"note":"checked against the CRM"/,
    );
    expect((await attain('audit', '--since', '2999-01-01')).out).toBe('no audit events since 2999-01-01\n');
    expect((await attain('audit', '--since', 'yesterday')).code).toBe(2);
  }, 240_000);
});
