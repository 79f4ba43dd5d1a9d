/**
 * The worker's HTTP server for `/healthz` and `/metrics`.
 *
 * It listens on 127.0.0.1 unless told otherwise: job counts, step names and failure counts are no
 * one else's business, and a Prometheus on the same host (or a container's port mapping, where the
 * image sets ATTAIN_METRICS_HOST=0.0.0.0 inside the container) reaches it there. Several workers
 * may run on one host: without an explicit port, a worker takes the first free port from 9464 on
 * (up to 9464 + 99) and logs it; an explicit `--port` that is taken stops the worker at once,
 * naming the port, before it connects to anything.
 */
import { createServer, type Server } from 'node:http';
import { AttainError } from '../domain/errors.js';

/** The metrics server cannot listen where it was told to (a port taken, an address not here): exit 2. */
export class MetricsListenError extends AttainError {
  override readonly name = 'MetricsListenError';
  readonly code = 'USAGE';
}

export const DEFAULT_METRICS_PORT = 9464;
export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** How many ports after the first a worker without an explicit port tries. */
const FALLBACK_PORTS = 99;

export type MetricsHandler = (path: string) => Promise<{ status: number; type: string; body: string }>;

export interface MetricsListen {
  host: string;
  /** The port to take; 0 picks any free one. */
  port: number;
  /** True: a taken port is tried again one higher (the default port); false: it is an error (`--port`). */
  fallback: boolean;
}

export async function listenMetrics(where: MetricsListen, handle: MetricsHandler): Promise<Server> {
  const last = where.fallback && where.port !== 0 ? Math.min(where.port + FALLBACK_PORTS, 65_535) : where.port;
  for (let port = where.port; ; port++) {
    const server = createServer((request, response) => {
      handle((request.url ?? '/').split('?')[0]!).then(
        ({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body),
        (error: unknown) =>
          response
            .writeHead(500, { 'content-type': 'text/plain' })
            .end(`${error instanceof Error ? error.message : String(error)}\n`),
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, where.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && port < last) continue;
      throw new MetricsListenError(refusal(where, port, code, error));
    }
  }
}

function refusal(where: MetricsListen, port: number, code: string | undefined, error: unknown): string {
  const at = `${where.host}:${port}`;
  if (code === 'EADDRINUSE') {
    return where.fallback
      ? `cannot serve /healthz and /metrics: ports ${where.port}–${port} on ${where.host} are all taken; pick one with --port`
      : `cannot serve /healthz and /metrics: port ${port} on ${where.host} is taken (another attain worker?); give this worker another --port, or leave --port out to take the next free one from ${DEFAULT_METRICS_PORT}`;
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return `cannot serve /healthz and /metrics on ${at}: this host has no address ${where.host} (check --host or queue.metricsHost)`;
  if (code === 'EACCES')
    return `cannot serve /healthz and /metrics on ${at}: not allowed to listen there; pick another --port`;
  return `cannot serve /healthz and /metrics on ${at}: ${error instanceof Error ? error.message : String(error)}`;
}
