/** Runs the CLI in-process and captures what it prints. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { main } from '../../src/cli/main.js';

export const EXAMPLE = resolve(import.meta.dirname, '../../examples/example');

export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await main(args, {
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
  });
  return { code, out, err };
}

/** A scratch copy of the example workspace, removed by the returned cleanup. */
export function copyExample(): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'attain-cli-'));
  const dir = join(root, 'workspace');
  // Not the example's own embedded database (.attain/), should someone have run it there.
  cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !source.includes('/.attain') });
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** For a test file: `scratch()` gives a fresh copy of the example workspace, removed after each test. */
export function scratchExamples(): () => string {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  return () => {
    const { dir, cleanup } = copyExample();
    cleanups.push(cleanup);
    return dir;
  };
}
