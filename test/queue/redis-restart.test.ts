/**
 * Chaos: the Redis under a run restarts in the middle of it. A private `redis-server` (started by
 * the test on a free port; the shared one is never touched) is killed while a worker process runs
 * a step, then started again, with its data (append-only file, fsync always) or without (as after
 * a restart with no persistence, or a FLUSHALL). The run ends `succeeded`, or `failed` with a
 * reason, never `running`; and the next run succeeds.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getRun } from '../../src/db/index.js';
import { assertBuilt, cli, scratch, skipQueueTests, startWorkerProcess, type Scratch } from './queue-harness.js';

const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;
/** Without redis-server the test is skipped with a line saying so, except under CI, where it must run. */
const skipNoServer = !haveRedisServer && !process.env['CI'];
if (skipNoServer) process.stderr.write('redis-restart: skipped: no redis-server on the PATH\n');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of this test; resolves once it accepts connections. */
async function startRedis(port: number, dir: string, persist: boolean): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--maxmemory-policy', 'noeviction', '--appendonly', persist ? 'yes' : 'no', '--appendfsync', 'always');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL')));
}

describe.skipIf(skipQueueTests || skipNoServer)('Redis restarted in the middle of a run', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(() => {
    assertBuilt();
    if (!haveRedisServer) throw new Error('this test starts its own redis-server: install it (Debian: redis-server)');
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }, 30_000);

  for (const persist of [false, true]) {
    it(`${persist ? 'with its data kept' : 'with its data gone'}: the run ends succeeded or failed with a reason, and the next run succeeds`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'attain-redis-'));
      const port = await freePort();
      let redis = await startRedis(port, dir, persist);
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      cleanups.push(() => stop(redis));
      const s: Scratch = await scratch({ stepDelayMs: 1500 });
      cleanups.push(() => s.dispose());
      s.env['REDIS_URL'] = `redis://127.0.0.1:${port}`;

      const worker = startWorkerProcess(s);
      await worker.ready;
      const started = await cli(s, ['trigger']);
      const runId = /^(run-\S+): queued/.exec(started.out)?.[1];
      expect(runId, started.out + started.err).toBeDefined();
      // In the middle of a step: the run is recorded and its sync (1.5 s at least) is under way.
      while ((await getRun(s.database.db, runId!))?.status !== 'running') await sleep(100);
      await sleep(700);
      await stop(redis);
      await sleep(1000);
      redis = await startRedis(port, dir, persist);

      let run = await getRun(s.database.db, runId!);
      for (const since = Date.now(); run?.status === 'running' && Date.now() - since < 60_000; await sleep(250))
        run = await getRun(s.database.db, runId!);
      const context = `run ${JSON.stringify(run)}\nworker:\n${worker.output().slice(-3000)}`;
      expect(['succeeded', 'failed'], context).toContain(run?.status);
      if (run?.status === 'failed') expect(run.error, context).toMatch(/\S/);
      if (!persist)
        expect(run, context).toMatchObject({
          status: 'failed',
          error: expect.stringContaining('its run job is gone from the queue'),
        });

      const next = await cli(s, ['trigger', '--wait']);
      expect(next.code, `${next.out}${next.err}\n${worker.output().slice(-3000)}`).toBe(0);
      const nextId = /^(run-\S+): queued/.exec(next.out)![1]!;
      expect(await getRun(s.database.db, nextId)).toMatchObject({ status: 'succeeded' });
      expect(worker.child.exitCode).toBeNull();
    }, 120_000);
  }
});
