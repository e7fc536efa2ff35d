import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';
import { toCleaveError } from '../errors/cleave-error';

/** Seconds: from a cached in-process call (~50 µs) to a call that used its whole default budget (5 s). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A metric's children by label values, kept so the hot path spends a map lookup, not prom-client's label hashing. */
class Children<T> {
  private readonly byKey = new Map<string, T>();
  constructor(private readonly make: (values: string[]) => T) {}

  get(...values: string[]): T {
    const key = values.join('\u0000');
    let child = this.byKey.get(key);
    if (child === undefined) this.byKey.set(key, (child = this.make(values)));
    return child;
  }
}

/** Where a bus call went: handed over in this process, or across NATS. */
export type BusTransport = 'in-process' | 'nats';

/** An outcome label: `ok`, or the typed error's code (a small closed set, so the series stay few). */
function outcomeOf(error: unknown): string {
  return error === undefined ? 'ok' : toCleaveError(error).code;
}

/**
 * One process's Prometheus metrics, in a registry of its own (several apps can share a test process). The
 * platform measures the bus, events and HTTP; a context declares its business metrics with {@link counter}
 * and {@link gauge}. Served as `GET /metrics` on the management port.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly clientCalls = new Counter({
    name: 'cleave_bus_client_requests_total',
    help: 'Requests this process sent on the bus, by pattern, transport and outcome (ok or error code).',
    labelNames: ['pattern', 'transport', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly clientSeconds = new Histogram({
    name: 'cleave_bus_client_request_duration_seconds',
    help: 'Time from sending a bus request to its reply or failure, as the caller saw it.',
    labelNames: ['pattern', 'transport'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly served = new Counter({
    name: 'cleave_bus_server_requests_total',
    help: 'Requests this process handled, by pattern, transport and outcome (ok or error code).',
    labelNames: ['pattern', 'transport', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly servedSeconds = new Histogram({
    name: 'cleave_bus_server_request_duration_seconds',
    help: 'Time a handler took, from dispatch to its reply.',
    labelNames: ['pattern', 'transport'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly servingNow = new Gauge({
    name: 'cleave_bus_server_in_flight',
    help: 'Requests being handled now, by pattern.',
    labelNames: ['pattern'] as const,
    registers: [this.registry],
  });
  private readonly handled = new Counter({
    name: 'cleave_event_handled_total',
    help: "Runs of a context's event handler, by outcome (a failed run is retried, then dead-lettered).",
    labelNames: ['context', 'event', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly handledSeconds = new Histogram({
    name: 'cleave_event_handler_duration_seconds',
    help: "Time a context's event handler took.",
    labelNames: ['context', 'event'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly httpRequests = new Counter({
    name: 'cleave_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpSeconds = new Histogram({
    name: 'cleave_http_request_duration_seconds',
    help: 'Time from an HTTP request arriving to its answer being sent.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly shedCount = new Counter({
    name: 'cleave_shed_total',
    help: 'Requests refused at once because this process was past its bound: bus (in-flight requests) or http (event-loop delay).',
    labelNames: ['where'] as const,
    registers: [this.registry],
  });
  readonly httpInFlight = new Gauge({ name: 'cleave_http_in_flight', help: 'HTTP requests being answered now.', registers: [this.registry] });

  private readonly clientCounters = new Children((v) => this.clientCalls.labels(...v));
  private readonly clientTimers = new Children((v) => this.clientSeconds.labels(...v));
  private readonly servedCounters = new Children((v) => this.served.labels(...v));
  private readonly servedTimers = new Children((v) => this.servedSeconds.labels(...v));
  private readonly servingGauges = new Children((v) => this.servingNow.labels(...v));
  private readonly handledCounters = new Children((v) => this.handled.labels(...v));
  private readonly handledTimers = new Children((v) => this.handledSeconds.labels(...v));
  private readonly httpCounters = new Children((v) => this.httpRequests.labels(...v));
  private readonly httpTimers = new Children((v) => this.httpSeconds.labels(...v));

  constructor(info: { readonly version: string; readonly services: readonly string[]; readonly instance: string }) {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which Prometheus's linter rejects; nodejs_active_handles (by type) says the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'cleave_info',
      help: 'This process: its version, the contexts it hosts and its instance id (always 1).',
      labelNames: ['version', 'services', 'instance'] as const,
      registers: [this.registry],
    })
      .labels(info.version, info.services.join(',') || 'none', info.instance)
      .set(1);
  }

  /** Counts and times a request this process sends; returns the same promise. */
  clientCall<T>(pattern: string, transport: BusTransport, reply: Promise<T>): Promise<T> {
    const started = performance.now();
    const settle = (error?: unknown) => {
      this.clientTimers.get(pattern, transport).observe((performance.now() - started) / 1_000);
      this.clientCounters.get(pattern, transport, outcomeOf(error)).inc();
    };
    reply.then(() => settle(), settle);
    return reply;
  }

  /** Marks a request's handler as started; call the returned function with its outcome once it settles. */
  serving(pattern: string, transport: BusTransport): (error?: unknown) => void {
    const started = performance.now();
    const gauge = this.servingGauges.get(pattern);
    gauge.inc();
    return (error?: unknown) => {
      gauge.dec();
      this.servedTimers.get(pattern, transport).observe((performance.now() - started) / 1_000);
      this.servedCounters.get(pattern, transport, outcomeOf(error)).inc();
    };
  }

  /** Marks a run of an event handler as started; call the returned function with its outcome. */
  handling(context: string, event: string): (error?: unknown) => void {
    const started = performance.now();
    return (error?: unknown) => {
      this.handledTimers.get(context, event).observe((performance.now() - started) / 1_000);
      this.handledCounters.get(context, event, error === undefined ? 'ok' : 'failed').inc();
    };
  }

  /** Records an answered HTTP request; `route` is the route's template (`/accounts/:id`), never the raw URL. */
  httpAnswered(method: string, route: string, status: number, seconds: number): void {
    this.httpTimers.get(method, route).observe(seconds);
    this.httpCounters.get(method, route, String(status)).inc();
  }

  /** Counts a request refused because this process was past its bound. */
  shed(where: 'bus' | 'http'): void {
    this.shedCount.labels(where).inc();
  }

  /** A counter of the process's registry; its name must start with `cleave_` and end with `_total`. */
  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    if (!/^cleave_[a-z0-9_]+_total$/.test(config.name)) throw new Error(`a Cleave counter is named cleave_…_total: ${config.name}`);
    return new Counter({ ...config, registers: [this.registry] });
  }

  /** A gauge of the process's registry; `collect` may be async (it runs when Prometheus scrapes). */
  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    if (!/^cleave_[a-z0-9_]+$/.test(config.name)) throw new Error(`a Cleave gauge is named cleave_…: ${config.name}`);
    return new Gauge({ ...config, registers: [this.registry] });
  }

  /** The metrics in Prometheus's text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

export type { Counter, Gauge };
