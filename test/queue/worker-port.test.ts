/**
 * Several `attain worker`s on one host: without --port each takes the next free port for /healthz
 * and /metrics (on 127.0.0.1); a second worker given a port the first holds stops at once with a
 * message naming --port, and leaves no process behind (it used to print EADDRINUSE and stay up,
 * connected to Redis, without a metrics server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, freePort, scratch, skipQueueTests, startWorkerProcess, type Scratch } from './queue-harness.js';

const readyLine = (output: string) =>
  JSON.parse(output.split('\n').find((l) => l.includes('attain worker ready'))!) as { port: number; host: string };

describe.skipIf(skipQueueTests)('several workers on one host', () => {
  let s: Scratch;
  beforeAll(async () => {
    assertBuilt();
    s = await scratch();
  }, 60_000);
  afterAll(() => s?.dispose(), 30_000);

  it('a second worker on a port the first holds stops at once, naming --port, and leaves no process', async () => {
    const port = String(await freePort());
    const first = startWorkerProcess(s, [], port);
    await first.ready;
    // A worker process of this test: should it stay up, the test's cleanup kills it.
    const second = startWorkerProcess(s, [], port);
    const exit = await Promise.race([
      second.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 40_000)),
    ]);
    expect(exit, second.output()).toBe(2);
    expect(second.output()).toContain(`port ${port} on 127.0.0.1 is taken`);
    expect(second.output()).toContain('--port');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  }, 90_000);

  it('a worker whose database cannot be reached exits 3 and closes what it had opened (Redis, the port)', async () => {
    const port = String(await freePort());
    const worker = startWorkerProcess(
      { ...s, env: { ...s.env, DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/attain` } },
      [],
      port,
    );
    const exit = await Promise.race([
      worker.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 40_000)),
    ]);
    expect(exit, worker.output()).toBe(3);
    // The port is free again: a worker can take it.
    const next = startWorkerProcess(s, [], port);
    await next.ready;
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 90_000);

  it('without --port, two workers both start, each on its own port on 127.0.0.1', async () => {
    const a = startWorkerProcess(s, [], null);
    await a.ready;
    const b = startWorkerProcess(s, [], null);
    await b.ready;
    const [ra, rb] = [readyLine(a.output()), readyLine(b.output())];
    expect([ra.host, rb.host]).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(ra.port).not.toBe(rb.port);
    for (const { port } of [ra, rb]) {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect([await a.exited, await b.exited]).toEqual([0, 0]);
  }, 90_000);
});
