import { collectDefaultMetrics, Counter, Gauge, Registry, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';
import { toCleaveError } from '../errors/cleave-error';

/** Seconds: from a cached in-process call (~50 µs) to a call that used its whole default budget (5 s). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * A labelled metric of the hot path: each series is bound once for its label values, then updated with
 * plain arithmetic. prom-client validates and hashes the labels on every update (a few µs, some twenty
 * times per card authorisation across the bus, events and HTTP), which the hot path can't afford;
 * exposition, the registry and every other metric stay prom-client's.
 */
class HotMetric<S> {
  readonly aggregator = 'sum';
  private readonly bound = new Map<string, S>();
  private readonly labelsOf = new Map<S, Record<string, string>>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly labelNames: readonly string[],
    private readonly blank: () => S,
    private readonly samples: (series: S, labels: Record<string, string>) => Sample[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  series(...values: string[]): S {
    const key = values.join('\u0000');
    let series = this.bound.get(key);
    if (series === undefined) {
      this.bound.set(key, (series = this.blank()));
      this.labelsOf.set(series, Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]!])));
    }
    return series;
  }

  async get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const values = [...this.labelsOf].flatMap(([series, labels]) => this.samples(series, labels));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.bound.clear();
    this.labelsOf.clear();
  }
}

interface Tally {
  value: number;
}
interface Distribution {
  readonly buckets: number[];
  sum: number;
  count: number;
}

function tallies(
  registry: Registry,
  type: 'counter' | 'gauge',
  name: string,
  help: string,
  labelNames: readonly string[],
): HotMetric<Tally> {
  return new HotMetric<Tally>(
    name,
    help,
    type,
    labelNames,
    () => ({ value: 0 }),
    (t, labels) => [{ labels, value: t.value }],
    registry,
  );
}

function distributions(registry: Registry, name: string, help: string, labelNames: readonly string[]): HotMetric<Distribution> {
  return new HotMetric<Distribution>(
    name,
    help,
    'histogram',
    labelNames,
    () => ({ buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }),
    (d, labels) => {
      let cumulative = 0;
      const buckets = LATENCY_BUCKETS.map((le, i) => ({
        labels: { ...labels, le },
        value: (cumulative += d.buckets[i]!),
        metricName: `${name}_bucket`,
      }));
      return [
        ...buckets,
        { labels: { ...labels, le: '+Inf' }, value: d.count, metricName: `${name}_bucket` },
        { labels, value: d.sum, metricName: `${name}_sum` },
        { labels, value: d.count, metricName: `${name}_count` },
      ];
    },
    registry,
  );
}

function observe(d: Distribution, seconds: number): void {
  d.sum += seconds;
  d.count++;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    if (seconds <= LATENCY_BUCKETS[i]!) {
      d.buckets[i]!++;
      return;
    }
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

  private readonly clientCalls = tallies(
    this.registry,
    'counter',
    'cleave_bus_client_requests_total',
    'Requests this process sent on the bus, by pattern, transport and outcome (ok or error code).',
    ['pattern', 'transport', 'outcome'],
  );
  private readonly clientSeconds = distributions(
    this.registry,
    'cleave_bus_client_request_duration_seconds',
    'Time from sending a bus request to its reply or failure, as the caller saw it.',
    ['pattern', 'transport'],
  );
  private readonly served = tallies(
    this.registry,
    'counter',
    'cleave_bus_server_requests_total',
    'Requests this process handled, by pattern, transport and outcome (ok or error code).',
    ['pattern', 'transport', 'outcome'],
  );
  private readonly servedSeconds = distributions(
    this.registry,
    'cleave_bus_server_request_duration_seconds',
    'Time a handler took, from dispatch to its reply.',
    ['pattern', 'transport'],
  );
  private readonly servingNow = tallies(this.registry, 'gauge', 'cleave_bus_server_in_flight', 'Requests being handled now, by pattern.', [
    'pattern',
  ]);
  private readonly handled = tallies(
    this.registry,
    'counter',
    'cleave_event_handled_total',
    "Runs of a context's event handler, by outcome (a failed run is retried, then dead-lettered).",
    ['context', 'event', 'outcome'],
  );
  private readonly handledSeconds = distributions(
    this.registry,
    'cleave_event_handler_duration_seconds',
    "Time a context's event handler took.",
    ['context', 'event'],
  );
  private readonly httpRequests = tallies(
    this.registry,
    'counter',
    'cleave_http_requests_total',
    'HTTP requests answered, by method, route template and status.',
    ['method', 'route', 'status'],
  );
  private readonly httpSeconds = distributions(
    this.registry,
    'cleave_http_request_duration_seconds',
    'Time from an HTTP request arriving to its answer being sent.',
    ['method', 'route'],
  );
  private readonly httpNow = tallies(this.registry, 'gauge', 'cleave_http_in_flight', 'HTTP requests being answered now.', []).series();
  private readonly shedCount = new Counter({
    name: 'cleave_shed_total',
    help: 'Requests refused at once because this process was past its bound: bus (in-flight requests) or http (event-loop delay).',
    labelNames: ['where'] as const,
    registers: [this.registry],
  });

  constructor(info: { readonly version: string; readonly services: readonly string[]; readonly instance: string }) {
    // Event-loop delay sampled every 50 ms rather than prom-client's 10: an idle process wakes a fifth as often,
    // and a stall still delays the next sample, so none is missed.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 50 });
    // Gauges named like counters, which Prometheus's linter rejects; nodejs_active_handles (by type) says the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
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
      observe(this.clientSeconds.series(pattern, transport), (performance.now() - started) / 1_000);
      this.clientCalls.series(pattern, transport, outcomeOf(error)).value++;
    };
    reply.then(() => settle(), settle);
    return reply;
  }

  /** Marks a request's handler as started; call the returned function with its outcome once it settles. */
  serving(pattern: string, transport: BusTransport): (error?: unknown) => void {
    const started = performance.now();
    const serving = this.servingNow.series(pattern);
    serving.value++;
    return (error?: unknown) => {
      serving.value--;
      observe(this.servedSeconds.series(pattern, transport), (performance.now() - started) / 1_000);
      this.served.series(pattern, transport, outcomeOf(error)).value++;
    };
  }

  /** Marks a run of an event handler as started; call the returned function with its outcome. */
  handling(context: string, event: string): (error?: unknown) => void {
    const started = performance.now();
    return (error?: unknown) => {
      observe(this.handledSeconds.series(context, event), (performance.now() - started) / 1_000);
      this.handled.series(context, event, error === undefined ? 'ok' : 'failed').value++;
    };
  }

  /** Records an answered HTTP request; `route` is the route's template (`/accounts/:id`), never the raw URL. */
  httpAnswered(method: string, route: string, status: number, seconds: number): void {
    observe(this.httpSeconds.series(method, route), seconds);
    this.httpRequests.series(method, route, String(status)).value++;
  }

  /** An HTTP request arrived (`+1`) or was answered or abandoned (`-1`). */
  httpInFlight(change: 1 | -1): void {
    this.httpNow.value += change;
  }

  /** Counts a request refused because this process was past its bound. */
  shed(where: 'bus' | 'http'): void {
    this.shedCount.labels(where).inc();
  }

  /**
   * A counter for a hot path: `series(...labelValues)` is bound once (keep it, or look it up: a map lookup),
   * then `.value += n` costs nothing more. Named like {@link counter}'s.
   */
  hotCounter(config: { readonly name: string; readonly help: string; readonly labelNames: readonly string[] }): {
    series(...values: string[]): { value: number };
  } {
    if (!/^cleave_[a-z0-9_]+_total$/.test(config.name)) throw new Error(`a Cleave counter is named cleave_…_total: ${config.name}`);
    return tallies(this.registry, 'counter', config.name, config.help, config.labelNames);
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
