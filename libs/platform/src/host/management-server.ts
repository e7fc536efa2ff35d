import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health } from './health';
import type { Metrics } from '../observability/metrics';

/**
 * The management port every process opens, gateway or not: `/healthz` (liveness), `/readyz` (readiness,
 * with each check's details) and `/metrics` (Prometheus). Kept apart from the API so that probes and
 * scrapes reach a process that serves no HTTP API, and so that what they reveal stays off the public port.
 * Three fixed routes need no framework: node:http serves them directly.
 */
export class ManagementServer {
  private server: Server | undefined;

  constructor(
    private readonly health: Health,
    private readonly metrics: Metrics,
  ) {}

  /** Listens and returns the URL it answers on. */
  async listen(port: number, host: string): Promise<string> {
    const server = createServer((request, response) => void this.answer(request, response));
    // Probes are short; a connection that lingers must not hold shutdown back.
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 5_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    return `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return send(response, 405, 'application/json', JSON.stringify({ code: 'method_not_allowed' }), { allow: 'GET, HEAD' });
      if (path === '/healthz') {
        const result = this.health.live();
        return send(response, result.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(result));
      }
      if (path === '/readyz') {
        const { ready, result } = await this.health.readiness();
        return send(response, ready ? 200 : 503, 'application/json', JSON.stringify(result));
      }
      if (path === '/metrics') {
        const { contentType, body } = await this.metrics.render();
        return send(response, 200, contentType, body);
      }
      return send(
        response,
        404,
        'application/json',
        JSON.stringify({ code: 'not_found', message: 'the management port serves /healthz, /readyz and /metrics' }),
      );
    } catch (error) {
      return send(response, 500, 'application/json', JSON.stringify({ code: 'internal_error', message: (error as Error).message }));
    }
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
