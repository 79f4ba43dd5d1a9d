/** `attain estimate` end to end on the example workspace (docs/cli.md#attain-estimate). */
import { describe, expect, it } from 'vitest';
import { EXAMPLE, runCli } from './run-cli.js';

describe('attain estimate on the example workspace', () => {
  it('prints what the open deal would pay its owner and the managers above', async () => {
    const { code, out, err } = await runCli(['estimate', '--workspace', EXAMPLE]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('1 open deal estimated through 2026-06-30, 3 estimates');
    expect(out).toContain('o-1019 Dunder Mifflin · 27,500.00 USD · closing 2026-06-30');
    // Eva's Q2 credit was nothing: 27,500 × 5 % in the first tier.
    expect(out).toMatch(
      /Eva Lindqvist \(r5\)\s+ae-fy26\s+\+1,375\.00 USD\s+commission: lands in tier 1 \(rate 0\.05\)/,
    );
    expect(out).toMatch(/Tom Becker \(m2\)\s+mgr-fy26\s+\+137\.50 USD/);
  });

  it('--json prints the documented object with exact amounts', async () => {
    const { code, out } = await runCli(['estimate', '--workspace', EXAMPLE, '--json', '--deal', 'o-1019']);
    expect(code).toBe(0);
    const result = JSON.parse(out) as {
      currency: string;
      estimates: { dealId: string; repId: string; planId: string; amount: string; currency: string }[];
    };
    expect(Object.keys(result)).toEqual(['currency', 'estimates']);
    expect(result.currency).toBe('USD');
    expect(result.estimates.map((e) => Object.keys(e))).toEqual(
      result.estimates.map(() => ['dealId', 'repId', 'planId', 'amount', 'currency', 'trace']),
    );
    expect(result.estimates.map((e) => `${e.dealId} ${e.repId} ${e.planId} ${e.amount} ${e.currency}`)).toEqual([
      'o-1019 m2 mgr-fy26 137.50 USD',
      'o-1019 r5 ae-fy26 1375.00 USD',
      'o-1019 vp1 mgr-fy26 137.50 USD',
    ]);
  });

  it('--deal: a closed deal has none, an unknown one is a usage error', async () => {
    const won = await runCli(['estimate', '--workspace', EXAMPLE, '--json', '--deal', 'o-1001']);
    expect(won.code).toBe(0);
    expect(won.err).toContain('o-1001 is won: only an open deal has estimates');
    expect(JSON.parse(won.out)).toEqual({ currency: 'USD', estimates: [] });
    const unknown = await runCli(['estimate', '--workspace', EXAMPLE, '--deal', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--deal nope: no such deal in the data');
  });
});
