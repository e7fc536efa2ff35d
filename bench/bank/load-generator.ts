// The load generator, in a process of its own: closed loop with autocannon (how much can it take?), or open
// loop at a fixed rate (how fast is it at this load?), against one placement's HTTP API.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { RequestPlanner, type PlannedRequest, type Seed, type Workload } from './workload';

export interface LoadSpec {
  readonly url: string;
  readonly seed: Seed;
  readonly workload: Workload;
  readonly mode: 'closed' | 'open';
  /** Open loop: requests per second, sent on schedule whatever the answers. */
  readonly rate?: number;
  /** Closed loop: connections, each sending its next request when the last is answered. */
  readonly connections?: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Keep when each approved authorisation was answered, by transaction id (for push latency). */
  readonly recordApprovals?: boolean;
}

export interface LoadResult {
  /** Answered requests per second over the measured window. */
  readonly throughput: number;
  /** Answered in the measured window. */
  readonly requests: number;
  /** Answered in all, warm-up included: what the CPU of the whole phase is divided by. */
  readonly answered: number;
  readonly declined: number;
  /** Non-2xx answers, timeouts, connection errors, and (open loop) requests the generator had to drop. */
  readonly errors: number;
  /** Milliseconds; open loop measures from each request's scheduled time, so queueing counts. */
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly durationMs: number;
  /** With `recordApprovals`: approved authorisations' transaction ids and when each was answered (ms since the epoch). */
  readonly approvals?: ReadonlyArray<readonly [string, number]>;
}

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_OUTSTANDING = 4_096;

async function closedLoop(spec: LoadSpec): Promise<LoadResult> {
  const planner = new RequestPlanner(spec.seed, spec.workload);
  let declined = 0;
  let failed = 0;
  let answered = 0;
  let measuring = false;
  const run = (seconds: number) =>
    autocannon({
      url: spec.url,
      connections: spec.connections ?? 32,
      duration: seconds,
      timeout: REQUEST_TIMEOUT_MS / 1000,
      requests: [
        {
          setupRequest: (request, context: object) => {
            const planned = planner.next();
            (context as { planned?: PlannedRequest }).planned = planned;
            return { ...request, method: planned.method, path: planned.path, headers: planned.headers, body: planned.body };
          },
          onResponse: (status, body, context: object) => {
            const outcome = planner.answered((context as { planned: PlannedRequest }).planned, status, body);
            answered++;
            if (!measuring) return;
            if (outcome === 'declined') declined++;
            else if (outcome === 'error') failed++;
          },
        },
      ],
    });
  if (spec.warmupMs > 0) await run(Math.max(1, Math.round(spec.warmupMs / 1000)));
  measuring = true;
  const result = await run(Math.max(1, Math.round(spec.durationMs / 1000)));
  return {
    throughput: result.requests.total / (result.duration || spec.durationMs / 1000),
    requests: result.requests.total,
    answered,
    declined,
    errors: failed + result.errors + result.timeouts,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    durationMs: spec.durationMs,
  };
}

async function openLoop(spec: LoadSpec): Promise<LoadResult> {
  const planner = new RequestPlanner(spec.seed, spec.workload);
  const rate = spec.rate!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1_024 });
  const target = new URL(spec.url);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  const interval = 1_000 / rate;
  const start = performance.now() + 20;
  const measureFrom = start + spec.warmupMs;
  const total = Math.round((rate * (spec.warmupMs + spec.durationMs)) / 1_000);
  let sent = 0;
  let outstanding = 0;
  let requests = 0;
  let answered = 0;
  let declined = 0;
  let errors = 0;
  const approvals: Array<readonly [string, number]> = [];

  const fire = (scheduled: number) => {
    const measured = scheduled >= measureFrom;
    if (outstanding >= MAX_OUTSTANDING) {
      if (measured) errors++;
      return;
    }
    const planned = planner.next();
    outstanding++;
    let settled = false;
    const settle = (status: number, body: string) => {
      if (settled) return;
      settled = true;
      outstanding--;
      const outcome = planner.answered(planned, status, body);
      answered++;
      if (spec.recordApprovals && outcome === 'ok' && planned.kind === 'authorisation') {
        const id = /"transaction_id":"([^"]+)"/.exec(body)?.[1];
        if (id) approvals.push([id, performance.timeOrigin + performance.now()]);
      }
      if (!measured) return;
      requests++;
      histogram.recordValue(Math.max(1, Math.round((performance.now() - scheduled) * 1_000)));
      if (outcome === 'declined') declined++;
      else if (outcome === 'error') errors++;
    };
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: planned.method,
        path: planned.path,
        headers: planned.headers,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => settle(response.statusCode ?? 0, body));
        response.on('error', () => settle(0, ''));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => settle(0, ''));
    request.end(planned.body);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) fire(start + sent++ * interval);
      if (sent < total) setTimeout(tick, 1);
      else {
        const drain = () => (outstanding === 0 ? resolve() : setTimeout(drain, 5));
        drain();
      }
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  agent.destroy();
  const ms = (p: number) => histogram.getValueAtPercentile(p) / 1_000;
  return {
    throughput: requests / (spec.durationMs / 1_000),
    requests,
    answered,
    declined,
    errors,
    latency: { p50: ms(50), p90: ms(90), p99: ms(99), max: histogram.maxValue / 1_000 },
    durationMs: spec.durationMs,
    ...(spec.recordApprovals ? { approvals } : {}),
  };
}

process.once('message', (spec: LoadSpec) => {
  (spec.mode === 'closed' ? closedLoop(spec) : openLoop(spec)).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
