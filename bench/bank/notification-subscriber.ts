// A customer's phone, for every seeded account at once: holds each account's notification stream open and
// notes when each notification arrives, in a process of its own so the load generator's work doesn't delay it.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface SubscriberSpec {
  readonly url: string;
  readonly customers: ReadonlyArray<{ readonly token: string; readonly account: string }>;
}

/** From the parent: stop listening and report. */
export interface ReportRequest {
  readonly type: 'report';
}

/** To the parent: `ready` once every stream is open; `arrivals` when asked. */
export type SubscriberMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'arrivals'; readonly arrivals: ReadonlyArray<readonly [string, number]>; readonly streamErrors: number };

const arrivals: Array<readonly [string, number]> = [];
const requests: http.ClientRequest[] = [];
let streamErrors = 0;

function listen(spec: SubscriberSpec, customer: SubscriberSpec['customers'][number], agent: http.Agent): Promise<void> {
  const target = new URL(`/notifications/stream?account_id=${customer.account}`, spec.url);
  return new Promise((resolve, reject) => {
    const request = http.get(
      target,
      { agent, headers: { authorization: `Bearer ${customer.token}`, accept: 'text/event-stream' } },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`the notification stream of ${customer.account} answered ${response.statusCode}`));
          response.resume();
          return;
        }
        response.setEncoding('utf8');
        let buffer = '';
        response.on('data', (chunk: string) => {
          const now = performance.timeOrigin + performance.now();
          buffer += chunk;
          // Events end with a blank line; the first thing sent is the ": connected" comment.
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (event.startsWith(': connected')) resolve();
            const data = event.split('\n').find((line) => line.startsWith('data: '));
            if (!data) continue;
            const id = (JSON.parse(data.slice(6)) as { transaction_id?: string }).transaction_id;
            if (id) arrivals.push([id, now]);
          }
        });
        response.on('error', () => streamErrors++);
      },
    );
    request.on('error', (error) => {
      streamErrors++;
      reject(error);
    });
    requests.push(request);
  });
}

process.once('message', (spec: SubscriberSpec) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  Promise.all(spec.customers.map((c) => listen(spec, c, agent))).then(
    () => process.send!({ type: 'ready' } satisfies SubscriberMessage),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
  process.on('message', (message: ReportRequest) => {
    if (message.type !== 'report') return;
    for (const request of requests) request.destroy();
    process.send!({ type: 'arrivals', arrivals, streamErrors } satisfies SubscriberMessage, () => process.exit(0));
  });
});
