import { Inject, Injectable } from '@nestjs/common';
import { ContextDatabases } from '../database/context-databases';
import { EventBus } from '../events/event-bus';
import { NATS_TRANSPORT } from '../config/tokens';
import type { NatsTransport } from '../nats/nats.transport';
import { deadLetterBacklog, outboxBacklog, type Backlog } from '../events/backlogs';
import { Metrics } from '../observability/metrics';

/** Read at most this often, however many gauges (and scrapers) ask. */
const FRESH_FOR_MS = 1_000;

/** A value read on demand and shared for a moment, so a scrape costs one query per context, not one per gauge. */
class Fresh<T> {
  private last: { at: number; value: Promise<T> } | undefined;
  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.last === undefined || Date.now() - this.last.at > FRESH_FOR_MS) this.last = { at: Date.now(), value: this.read() };
    return this.last.value;
  }
}

/**
 * The gauges Prometheus reads from state rather than from events: each hosted context's outbox (depth, age
 * of the oldest unpublished event), its dead letters (how many, the oldest's age), each durable consumer's
 * lag, and whether NATS is connected. Read when scraped; a context whose database doesn't answer is left out.
 */
@Injectable()
export class PlatformMetrics {
  constructor(metrics: Metrics, dbs: ContextDatabases, events: EventBus, @Inject(NATS_TRANSPORT) nats: NatsTransport | null) {
    const backlogs = (read: (db: Parameters<typeof outboxBacklog>[0]) => Promise<Backlog>) =>
      new Fresh(async () => {
        const entries = await Promise.all(
          dbs.withEvents().map(async ([context, db]) => [context, await read(db).catch(() => undefined)] as const),
        );
        return entries.filter((e): e is readonly [string, Backlog] => e[1] !== undefined);
      });
    const outboxes = backlogs(outboxBacklog);
    const deadLetters = backlogs(deadLetterBacklog);
    /** A gauge with a value per context, read afresh when scraped. */
    const perContext = (name: string, help: string, read: () => Promise<Iterable<readonly [string, number]>>) =>
      metrics.gauge({
        name,
        help,
        labelNames: ['context'] as const,
        async collect() {
          this.reset();
          for (const [context, value] of await read()) this.labels(context).set(value);
        },
      });
    const of = (source: Fresh<ReadonlyArray<readonly [string, Backlog]>>, value: (b: Backlog) => number) => async () =>
      (await source.get()).map(([context, backlog]) => [context, value(backlog)] as const);
    perContext(
      'cleave_outbox_depth',
      "Events in a context's outbox not yet published.",
      of(outboxes, (b) => b.count),
    );
    perContext(
      'cleave_outbox_lag_seconds',
      "Age of the oldest event in a context's outbox not yet published (0 when none).",
      of(outboxes, (b) => b.oldestAgeSeconds),
    );
    perContext(
      'cleave_dead_letters',
      'Events a context gave up on and parked, not yet replayed.',
      of(deadLetters, (b) => b.count),
    );
    perContext(
      'cleave_dead_letter_oldest_age_seconds',
      'Age of the oldest parked event not yet replayed (0 when none).',
      of(deadLetters, (b) => b.oldestAgeSeconds),
    );
    if (nats === null) return;
    const lag = new Fresh(() => events.consumerLag().catch(() => ({})));
    const lagged = (field: 'pending' | 'unacknowledged') => async () =>
      Object.entries(await lag.get()).map(([context, l]) => [context, l[field]] as const);
    perContext(
      'cleave_event_consumer_pending',
      "Events stored for a context's durable consumer and not yet delivered to it.",
      lagged('pending'),
    );
    perContext(
      'cleave_event_consumer_unacknowledged',
      "Events delivered to a context's durable consumer and not yet acknowledged.",
      lagged('unacknowledged'),
    );
    metrics.gauge({
      name: 'cleave_nats_connected',
      help: 'Whether this process is connected to NATS (1) or not (0).',
      collect() {
        this.set(nats.isConnected ? 1 : 0);
      },
    });
  }
}
