import { Logger } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos, type MsgHdrs } from '@nats-io/transport-node';
import type { CleaveServer } from '../bus/cleave.server';
import { decodeJson, encodeJson } from '../bus/wire';
import type { CleaveConfig } from '../config/cleave-config';
import { formatTraceparent, parseTraceparent, type CallContext } from '../context/call-context';
import { newEntityId, newSpanId, newTraceId } from '../context/ids';
import { toCleaveError } from '../errors/cleave-error';
import type { ContextDatabases } from '../database/context-databases';
import type { NatsTransport } from '../nats/nats.transport';
import { eventSubject } from '../nats/subjects';
import { DeadLetter } from './event.entities';
import type { EventEnvelope } from './event-envelope';

const HEADER = {
  msgId: 'Nats-Msg-Id',
  time: 'cleave-event-time',
  aggregate: 'cleave-aggregate-id',
  traceparent: 'traceparent',
  requestId: 'cleave-request-id',
  principal: 'cleave-principal',
} as const;

/** How a failing event handler is retried before its event is parked as a dead letter. */
export interface EventRetryPolicy {
  readonly maxAttempts: number;
  /** Backoff before attempt n+1 is `base * 4^(n-1)`, with ±50% jitter, capped at a minute. */
  readonly backoffBaseMs: number;
  /** Events a context's consumer handles at once; 1 keeps them in publication order. */
  readonly maxInFlight: number;
  /** Injected failures: `<context>:<event>` → runs left to fail. */
  readonly failures?: Readonly<Record<string, number>>;
}

/**
 * Where events go (DESIGN §7). With NATS, into one JetStream stream per deployment, deduplicated by event id;
 * each subscribing context reads it through one durable consumer that its replicas share, so each context
 * gets each event once, in order, and catches up after being down. Without NATS, straight to the
 * subscribing contexts in this process. Either way a handler that fails is retried with backoff and, after
 * the last attempt, its event is parked as a dead letter in that context's database.
 */
export class EventBus {
  private readonly log = new Logger('EventBus');
  private readonly streamName: string;
  private js: JetStreamClient | undefined;
  private consuming: Array<{ stop(): void; done: Promise<void> }> = [];
  private stopped = false;
  private localQueues = new Map<string, Promise<unknown>>();
  private readonly failuresLeft: Map<string, number>;

  constructor(
    private readonly server: CleaveServer,
    private readonly nats: NatsTransport | null,
    private readonly dbs: ContextDatabases,
    private readonly config: Pick<CleaveConfig, 'natsPrefix' | 'eventTimeoutMs'>,
    private readonly retry: EventRetryPolicy,
  ) {
    this.streamName = `${config.natsPrefix.replace(/[^A-Za-z0-9_-]/g, '_')}_EVENTS`;
    this.failuresLeft = new Map(Object.entries(retry.failures ?? {}));
    for (const [key, n] of this.failuresLeft) this.log.warn(`fault injection: ${key} fails its first ${n} runs`);
  }

  /** Creates the stream (idempotent) and starts this process's consumers. */
  async start(): Promise<void> {
    if (!this.nats) return;
    const nc = this.nats.connection;
    const jsm = await jetstreamManager(nc);
    const config = {
      name: this.streamName,
      subjects: [`${this.config.natsPrefix}.evt.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(7 * 24 * 3600 * 1000),
      duplicate_window: nanos(2 * 60 * 1000),
    };
    try {
      await jsm.streams.info(this.streamName);
    } catch {
      await jsm.streams.add(config).catch(async (error: unknown) => {
        // Another process created it meanwhile.
        if (!/already in use|exists/i.test((error as Error).message)) throw error;
      });
    }
    this.js = jetstream(nc);
    // A JetStream publish is also a core NATS message: a plain subscription in each replica sees it live.
    const live = [...new Set(this.server.eventSubscriptions().filter((s) => s.everyReplica).map((s) => s.event))];
    for (const event of live) {
      const sub = nc.subscribe(eventSubject(this.config.natsPrefix, event), {
        callback: (error, m) => {
          if (error || this.stopped) return;
          const envelope = this.envelopeOf(event, m.headers, m.data);
          for (const context of this.server.replicaSubscribersOf(event)) void this.deliverLive(context, envelope);
        },
      });
      this.consuming.push({ stop: () => sub.unsubscribe(), done: Promise.resolve() });
    }
    const contexts = [...new Set(this.server.eventSubscriptions().filter((s) => !s.everyReplica).map((s) => s.context))];
    for (const context of contexts) {
      await jsm.consumers.add(this.streamName, {
        durable_name: context,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `${this.config.natsPrefix}.evt.>`,
        max_ack_pending: this.retry.maxInFlight,
        ack_wait: nanos(Math.max(30_000, this.config.eventTimeoutMs * 2)),
      }).catch(async (error: unknown) => {
        if (!/already in use|exists/i.test((error as Error).message)) throw error;
      });
      this.consuming.push(this.consume(context));
    }
  }

  /** Stops taking events and lets those in hand finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.consuming) c.stop();
    await Promise.all(this.consuming.map((c) => c.done));
    await Promise.all(this.localQueues.values());
  }

  /**
   * Publishes an event. With `awaitDelivery` (the outbox relay), without NATS it resolves once every local
   * subscriber has handled the event or parked it; with NATS it resolves once JetStream has stored it.
   */
  async publish(envelope: EventEnvelope, awaitDelivery: boolean): Promise<void> {
    if (this.nats) {
      if (!this.js) throw new Error('the event bus has not started');
      const h = natsHeaders();
      h.set(HEADER.msgId, envelope.id);
      h.set(HEADER.time, envelope.time);
      h.set(HEADER.aggregate, envelope.aggregateId);
      if (envelope.traceparent) h.set(HEADER.traceparent, envelope.traceparent);
      if (envelope.requestId) h.set(HEADER.requestId, envelope.requestId);
      if (envelope.principal) h.set(HEADER.principal, JSON.stringify(envelope.principal));
      await this.js.publish(eventSubject(this.config.natsPrefix, envelope.event), encodeJson(envelope.payload), { headers: h });
      return;
    }
    for (const context of this.server.replicaSubscribersOf(envelope.event)) void this.deliverLive(context, envelope);
    const deliveries = this.server.subscribersOf(envelope.event).map((context) => this.enqueueLocal(context, envelope));
    if (awaitDelivery) await Promise.all(deliveries);
  }

  /** Runs a context's handler for one event, once, in a call context of its own continuing the event's trace. */
  deliverOnce(context: string, envelope: EventEnvelope): Promise<void> {
    const key = `${context}:${envelope.event}`;
    const failures = this.failuresLeft.get(key) ?? 0;
    if (failures > 0) {
      this.failuresLeft.set(key, failures - 1);
      return Promise.reject(new Error('injected failure (CLEAVE_EVENT_FAULTS)'));
    }
    const parent = envelope.traceparent ? parseTraceparent(envelope.traceparent) : undefined;
    const traceId = parent?.traceId ?? newTraceId();
    const call: CallContext = {
      traceId,
      spanId: newSpanId(),
      sampled: parent?.sampled ?? true,
      deadline: Date.now() + this.config.eventTimeoutMs,
      requestId: envelope.requestId ?? `req_${traceId}`,
      principal: envelope.principal,
      idempotencyKey: undefined,
      eventId: envelope.id,
    };
    return this.server.dispatchEvent(envelope.event, context, envelope.payload, call);
  }

  // Best effort by design: a live handler's failure is logged, never retried or parked.
  private async deliverLive(context: string, envelope: EventEnvelope): Promise<void> {
    try {
      await this.deliverOnce(context, envelope);
    } catch (error) {
      this.log.warn(`${context} failed on live event ${envelope.event} ${envelope.id}: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  // Local events for one context take turns, so they are handled in publication order.
  private enqueueLocal(context: string, envelope: EventEnvelope): Promise<void> {
    const previous = this.localQueues.get(context) ?? Promise.resolve();
    const next = previous.then(() => this.deliverWithRetries(context, envelope));
    this.localQueues.set(context, next.catch(() => undefined));
    return next;
  }

  private async deliverWithRetries(context: string, envelope: EventEnvelope): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deliverOnce(context, envelope);
        return;
      } catch (error) {
        if (attempt >= this.retry.maxAttempts || this.stopped) {
          await this.park(context, envelope, error, attempt);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.backoff(attempt)));
      }
    }
  }

  private consume(context: string): { stop(): void; done: Promise<void> } {
    let messages: { stop(): void } | undefined;
    let stopping = false;
    const done = (async () => {
      while (!stopping) {
        try {
          const consumer = await this.js!.consumers.get(this.streamName, context);
          const iterator = await consumer.consume({ max_messages: this.retry.maxInFlight });
          messages = iterator;
          for await (const m of iterator) {
            await this.handle(context, m);
            if (stopping) break;
          }
        } catch (error) {
          if (stopping) break;
          this.log.warn(`consumer ${context} stopped (${(error as Error).message}); restarting`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    })();
    return {
      stop: () => {
        stopping = true;
        messages?.stop();
      },
      done,
    };
  }

  private async handle(context: string, m: JsMsg): Promise<void> {
    const event = m.subject.slice(this.config.natsPrefix.length + '.evt.'.length);
    // One consumer per context reads the whole stream, in order; events it doesn't handle pass by.
    if (!this.server.subscribersOf(event).includes(context)) {
      m.ack();
      return;
    }
    let envelope: EventEnvelope;
    try {
      envelope = this.envelopeOf(event, m.headers, m.data);
    } catch (error) {
      await this.park(context, { id: newEntityId('evt'), event, time: new Date().toISOString(), aggregateId: '', payload: null }, error, 1);
      m.term();
      return;
    }
    try {
      await this.deliverOnce(context, envelope);
      m.ack();
    } catch (error) {
      const attempts = m.info.deliveryCount;
      if (attempts >= this.retry.maxAttempts) {
        await this.park(context, envelope, error, attempts);
        m.term();
      } else {
        m.nak(this.backoff(attempts));
      }
    }
  }

  private envelopeOf(event: string, headers: MsgHdrs | undefined, data: Uint8Array): EventEnvelope {
    const principal = headers?.get(HEADER.principal);
    return {
      id: headers?.get(HEADER.msgId) || newEntityId('evt'),
      event,
      time: headers?.get(HEADER.time) || new Date().toISOString(),
      aggregateId: headers?.get(HEADER.aggregate) || '',
      payload: decodeJson(data),
      traceparent: headers?.get(HEADER.traceparent) || undefined,
      requestId: headers?.get(HEADER.requestId) || undefined,
      principal: principal ? JSON.parse(principal) : undefined,
    };
  }

  /** Parks an event its handler kept failing on, in the handling context's database. */
  private async park(context: string, envelope: EventEnvelope, error: unknown, attempts: number): Promise<void> {
    const e = toCleaveError(error);
    const reason = e.code === 'internal' ? ((error as Error)?.message ?? String(error)) : `${e.code}: ${e.message}`;
    this.log.error(`${context} gave up on ${envelope.event} ${envelope.id} after ${attempts} attempts: ${reason}`);
    const db = this.dbs.get(context);
    if (!db) return;
    await db.transaction((em) =>
      em.insert(DeadLetter, {
        id: newEntityId('dlq'),
        context,
        eventId: envelope.id,
        event: envelope.event,
        envelope: JSON.stringify(envelope),
        error: reason.slice(0, 2_000),
        attempts,
        createdAt: new Date().toISOString(),
        replayedAt: null,
      }),
    );
  }

  private backoff(attempt: number): number {
    const base = Math.min(60_000, this.retry.backoffBaseMs * 4 ** (attempt - 1));
    return Math.round(base * (0.5 + Math.random()));
  }
}

/** The call context's trace, request and principal, as an event written now should carry them. */
export function envelopeContext(context: CallContext | undefined): Pick<EventEnvelope, 'traceparent' | 'requestId' | 'principal'> {
  if (!context) return {};
  return { traceparent: formatTraceparent(context), requestId: context.requestId, principal: context.principal };
}
