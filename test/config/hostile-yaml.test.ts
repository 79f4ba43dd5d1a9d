/**
 * Plan files written to hurt: nested aliases that expand to gigabytes, brackets nested beyond the
 * stack, a file far larger than any plan. Each is exit 2 naming the file and line, in moments.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratchExamples } from '../cli/run-cli.js';

const scratch = scratchExamples();
function workspaceWithPlan(name: string, text: string): string {
  const dir = scratch();
  writeFileSync(join(dir, 'plans', name), text);
  return dir;
}

/** A "billion laughs": nine levels of nine aliases each, about 400 bytes. */
const ALIAS_BOMB = [
  'a: &a [x, x, x, x, x, x, x, x, x]',
  ...'bcdefghi'.split('').map((name, i) => {
    const previous = 'abcdefgh'[i]!;
    return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`;
  }),
  '',
].join('\n');

describe('hostile plan files', () => {
  it('an alias bomb is exit 2 naming the file and line of the alias, not an out-of-memory death', async () => {
    const dir = workspaceWithPlan('bomb.yaml', ALIAS_BOMB);
    expect(ALIAS_BOMB.length).toBeLessThan(450);
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toMatch(/^plans\/bomb\.yaml:\d+:\d+ [a-z[\]\d.]+: alias \*\w is expanded too many times/m);
  });

  it('aliases used as a plan uses them (a shared tier list) still read', async () => {
    const dir = workspaceWithPlan(
      'shared.yaml',
      [
        'id: shared',
        'name: Shared tiers',
        'currency: USD',
        'quotaPeriod: quarter',
        'measures: { bookings: { credit: owner } }',
        'components:',
        '  - { id: c1, kind: rate-table, measure: bookings, basis: amount, mode: marginal, tiers: &tiers [{ from: 0, rate: 0.05 }] }',
        '  - { id: c2, kind: rate-table, measure: bookings, basis: amount, mode: retroactive, tiers: *tiers }',
        '',
      ].join('\n'),
    );
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('brackets nested 100,000 deep are exit 2 naming the file', async () => {
    const dir = workspaceWithPlan('deep.yaml', `id: deep\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toMatch(/^plans\/deep\.yaml:2:\d+: nested too deeply/m);
  });

  it('a plan file over 1 MB is exit 2 without being read', async () => {
    const dir = workspaceWithPlan('huge.yaml', `# ${'x'.repeat(1 << 20)}\nid: huge\n`);
    const { code, err } = await runCli(['validate', '--workspace', dir]);
    expect(code).toBe(2);
    expect(err).toContain('plans/huge.yaml: the file is 1048588 bytes; a YAML file here may hold at most 1 MB');
  });
});
