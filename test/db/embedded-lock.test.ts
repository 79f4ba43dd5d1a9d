/**
 * The embedded database's lock, between real processes: a second process is kept out while the
 * first holds the data dir, also when both are pid 1 of their own pid namespace (two containers
 * sharing the workspace folder); a lock nobody refreshes any more is taken over. Runs the compiled
 * code (`npm run build` first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_LOCK_STALE_MS } from '../../src/db/connect.js';
import { TestBackend } from './backends.js';

const CONNECT = resolve(import.meta.dirname, '../../dist/src/db/connect.js');

/** Opens the data dir, says `open <pid>` and holds it until its stdin closes; or says `refused: …`. */
const HOLDER = `
const { openDatabase } = await import(process.argv[1]);
try {
  const database = await openDatabase({ dataDir: process.argv[2] });
  await database.db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
  process.stdout.write('open ' + process.pid + '\\n');
  process.stdin.resume();
  process.stdin.on('end', async () => { await database.close(); process.exit(0); });
} catch (error) {
  process.stdout.write('refused: ' + error.message + '\\n');
  process.exit(5);
}
`;

/** Whether this machine lets us make a pid namespace without privileges (user namespaces). */
const unshareWorks =
  spawnSync('unshare', ['-Urpf', process.execPath, '-e', 'process.exit(process.pid === 1 ? 0 : 1)']).status === 0;
if (!unshareWorks)
  process.stderr.write('embedded-lock: the pid-namespace case skipped: unshare -Urpf does not work here\n');

interface Holder {
  said: Promise<string>;
  exited: Promise<number | null>;
  /** Closes its stdin: it closes the database and exits. */
  release(): void;
  kill(): void;
}

function holder(dataDir: string, inOwnPidNamespace = false): Holder {
  const args = ['--input-type=module', '-e', HOLDER, CONNECT, dataDir];
  const child = inOwnPidNamespace
    ? spawn('unshare', ['-Urpf', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const said = new Promise<string>((resolveSaid) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolveSaid(out.trim());
    });
    child.once('exit', () => resolveSaid(out.trim()));
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { said, exited, release: () => child.stdin.end(), kill: () => child.kill('SIGKILL') };
}

describe('the embedded database between processes', () => {
  const backend = new TestBackend('pglite');
  let dataDir: string;

  beforeAll(async () => {
    if (!existsSync(CONNECT)) throw new Error('this test runs the compiled code: npm run build first');
    // A migrated copy of the template, closed again: the processes below open it.
    await backend.open();
    await backend.database.close();
    dataDir = backend.workspaceDataDir;
  }, 180_000);
  afterAll(() => backend.dispose(), 60_000);

  it('keeps a second process out while the first holds it, and lets it in after', async () => {
    const first = holder(dataDir);
    expect(await first.said).toMatch(/^open /);
    const second = holder(dataDir);
    expect(await second.said).toMatch(
      /^refused: the embedded database at .* is in use by another attain process, its lock refreshed \d+ s ago/,
    );
    expect(await second.exited).toBe(5);
    first.release();
    expect(await first.exited).toBe(0);
    const third = holder(dataDir);
    expect(await third.said).toMatch(/^open /);
    third.release();
    expect(await third.exited).toBe(0);
  }, 60_000);

  it.skipIf(!unshareWorks)(
    'keeps a second container out when both processes are pid 1',
    async () => {
      const first = holder(dataDir, true);
      expect(await first.said).toBe('open 1');
      const second = holder(dataDir, true);
      expect(await second.said).toMatch(/^refused: the embedded database at .* is in use by another attain process/);
      first.release();
      expect(await first.exited).toBe(0);
    },
    60_000,
  );

  it('takes over the lock of a process that was killed once nobody refreshes it', async () => {
    const killed = holder(dataDir);
    expect(await killed.said).toMatch(/^open /);
    killed.kill();
    await killed.exited;
    const lock = join(dataDir, 'pglite-lock');
    expect((await stat(lock)).isDirectory()).toBe(true);
    // Fresh: still refused (the killed process might only be stalled).
    const early = holder(dataDir);
    expect(await early.said).toMatch(/^refused: /);
    // As if it had not been refreshed for longer than the stale threshold.
    const past = new Date(Date.now() - EMBEDDED_LOCK_STALE_MS - 1000);
    await utimes(lock, past, past);
    const next = holder(dataDir);
    expect(await next.said).toMatch(/^open /);
    next.release();
    expect(await next.exited).toBe(0);
    await expect(stat(lock)).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
