/**
 * Where a worker's /healthz and /metrics listen: 127.0.0.1 unless told otherwise; without an
 * explicit port, the first free one from the default; an explicit port that is taken stops the
 * worker with a message naming --port.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { MetricsListenError, listenMetrics, type MetricsHandler } from '../../src/worker/metrics-server.js';

const ok: MetricsHandler = () => Promise.resolve({ status: 200, type: 'text/plain', body: 'ok\n' });
const servers: { close(callback: () => void): unknown }[] = [];
const close = () => Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
afterEach(close);

/** A port some other process holds on 127.0.0.1, as a first worker would. */
async function taken(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

describe('the metrics server', () => {
  it('listens on 127.0.0.1 by default, so nothing off the host reaches it', async () => {
    const server = await listenMetrics({ host: '127.0.0.1', port: 0, fallback: false }, ok);
    servers.push(server);
    const { address, port } = server.address() as { address: string; port: number };
    expect(address).toBe('127.0.0.1');
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe('ok\n');
  });

  it('without an explicit port, takes the next free one when the first is taken', async () => {
    const first = await taken();
    const server = await listenMetrics({ host: '127.0.0.1', port: first, fallback: true }, ok);
    servers.push(server);
    expect((server.address() as { port: number }).port).toBeGreaterThan(first);
  });

  it('an explicit port that is taken is an exit-2 error naming the port and --port', async () => {
    const port = await taken();
    const error = await listenMetrics({ host: '127.0.0.1', port, fallback: false }, ok).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MetricsListenError);
    expect((error as MetricsListenError).exitCode).toBe(2);
    expect((error as MetricsListenError).message).toContain(`port ${port} on 127.0.0.1 is taken`);
    expect((error as MetricsListenError).message).toContain('--port');
  });

  it('a host this machine does not have is an error naming it', async () => {
    const error = await listenMetrics({ host: '203.0.113.7', port: 0, fallback: false }, ok).catch((e: unknown) => e);
    expect((error as MetricsListenError).message).toContain('this host has no address 203.0.113.7');
  });
});
