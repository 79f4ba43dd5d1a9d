/**
 * What `attain worker` checks and serves: against a Redis of its own that may evict keys
 * (maxmemory-policy allkeys-lru), it refuses to start unless told to go on, and then warns; it
 * serves /healthz and Prometheus /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { startWorker } from '../../src/worker/worker-process.js';
import { assertBuilt, cli, scratch, skipQueueTests, startWorkerProcess, type Scratch } from './queue-harness.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(skipQueueTests)('attain worker checks', () => {
  let s: Scratch;
  let evicting: ChildProcess | undefined;
  let evictingUrl = '';

  beforeAll(async () => {
    assertBuilt();
    s = await scratch();
    // A Redis of this test's own (not the shared one), set up the way BullMQ must not be run.
    const port = await freePort();
    evicting = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      { stdio: 'ignore' },
    );
    evictingUrl = `redis://127.0.0.1:${port}`;
    const probe = new Redis(evictingUrl, { maxRetriesPerRequest: null, retryStrategy: (n) => (n > 50 ? null : 100) });
    probe.on('error', () => undefined);
    await probe.ping();
    probe.disconnect();
  }, 60_000);
  afterAll(async () => {
    evicting?.kill('SIGKILL');
    await s?.dispose();
  }, 30_000);

  it('refuses a Redis whose maxmemory-policy is not noeviction, unless --allow-eviction; then it warns', async () => {
    const refused = await cli(s, ['worker', '--port', '0'], { REDIS_URL: evictingUrl });
    expect(refused.code).toBe(3);
    expect(refused.err).toContain('refusing to start: Redis maxmemory-policy is allkeys-lru, not noeviction');
    expect(refused.err).toContain('--allow-eviction');

    const worker = startWorkerProcess({ ...s, env: { ...s.env, REDIS_URL: evictingUrl } }, ['--allow-eviction']);
    await worker.ready;
    const warning = worker
      .output()
      .split('\n')
      .find((l) => l.includes('WARNING'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, maxmemoryPolicy: 'allkeys-lru' });
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output()).toBe(0);
  }, 60_000);

  it('serves /healthz and /metrics on its port', async () => {
    const worker = startWorkerProcess(s);
    await worker.ready;
    const { port } = JSON.parse(
      worker
        .output()
        .split('\n')
        .find((l) => l.includes('attain worker ready'))!,
    ) as { port: number };
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('attain_jobs{queue="attain-runs",state="waiting"} 0');
    expect(metrics).toContain('# TYPE attain_step_duration_seconds histogram');
    expect(metrics).toContain('# TYPE attain_last_successful_run_age_seconds gauge');
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  }, 60_000);

  it('masks the secrets of its database and Redis URLs in every log line, wherever they appear', async () => {
    // Trust auth ignores the password, so the worker connects with it like a real one.
    const url = new URL(s.env['DATABASE_URL']!);
    url.password = 'mask-me-7f3a"x';
    const lines: string[] = [];
    const out = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const worker = await startWorker({
      workspaceDir: s.dir,
      concurrency: 1,
      metrics: { port: 0, fallback: false },
      allowEviction: false,
      env: { ...s.env, DATABASE_URL: url.toString() },
      out,
    });
    worker.logger.error({ err: `cannot connect to ${url.toString()}` }, 'password mask-me-7f3a"x refused');
    await worker.close();
    const log = lines.join('');
    expect(log).toContain('password [redacted] refused');
    expect(log).toContain('cannot connect to [redacted]');
    expect(log).not.toContain('mask-me-7f3a');
  }, 60_000);
});
