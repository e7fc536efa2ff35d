import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** What it answered. */
  readonly status: number;
}

/**
 * A real HTTP server standing in for a customer's webhook endpoint. It answers each request with the next
 * status of `script` (then 200 for good), and keeps what it got.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];

  private constructor(
    private readonly server: Server,
    private readonly script: number[],
  ) {}

  static async start(script: number[] = []): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server, [...script]);
    server.on('request', (request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const status = receiver.script.shift() ?? 200;
        receiver.received.push({ headers: request.headers, body, status });
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/cleave-hook`;
  }

  /** The accepted deliveries' bodies, parsed. */
  accepted(): Array<{ type: string; data: Record<string, any> }> {
    return this.received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Verifies `Cleave-Signature` the way README tells receivers to: independent of Cleave's own code. */
export function signatureIsValid(secret: string, header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  return Math.abs(Date.now() / 1000 - Number(match[1])) < 300 && timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}
