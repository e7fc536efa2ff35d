import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { In, IsNull } from 'typeorm';
import { headers as natsHeaders, nanos, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import type { CleaveServer } from '../bus/cleave.server';
import { decodeJson, encodeJson } from '../validation/wire';
import { ConfigurationError, type CleaveConfig } from '../config/cleave-config';
import { parseTraceparent, REQUEST_ID, type CallContext } from '../context/call-context';
import { newEntityId, newSpanId, newTraceId } from '../context/ids';
import { crashPoint, crashPointsArmed } from '../context/crash-points';
import { toCleaveError } from '../errors/cleave-error';
import type { ContextDatabases } from '../database/context-databases';
import { GuardedSubscriptions } from '../nats/guarded-subscriptions';
import { rawHeaderBlock } from '../nats/wire-context';
import type { NatsTransport } from '../nats/nats.transport';
import { consumerFilter, eventStreamName, eventSubject, Headers } from '../nats/subjects';
import { DeadLetter } from './event.entities';
import type { EventEnvelope } from '../bus/event-envelope';
import { activeTracer, endSpan, SpanKind, spanTraceparent, startSpan, type Span } from '../observability/tracing';
import type { Tracer } from '@opentelemetry/api';

/** An event's headers: the call context's names as requests carry them, and the event's own. */
const HEADER = {
  msgId: 'Nats-Msg-Id',
  time: 'cleave-event-time',
  aggregate: 'cleave-aggregate-id',
  traceparent: Headers.Traceparent,
  requestId: Headers.RequestId,
  /** On a message carrying a run of events (a JSON array of {@link BatchEntry}): how many. */
  batch: 'cleave-batch',
} as const;

/** How often a starting process looks whether its consumers have caught up. */
const CATCH_UP_POLL_MS = 25;

/** A run of same-named events the relay publishes as one JetStream message: one store, one ack, one delivery. */
const MAX_BATCH_EVENTS = 100;
/** Well under NATS's default 1 MiB payload limit. */
const MAX_BATCH_BYTES = 256 * 1024;

/** An event inside a batch message: the envelope without its name, which is the message's subject. */
interface BatchEntry {
  readonly id: string;
  readonly time: string;
  readonly aggregateId: string;
  readonly traceparent?: string;
  readonly requestId?: string;
  readonly payload: unknown;
}

/** What an event's header values may be; anything else makes the message poison. */
export const EVENT_ID = /^evt_[0-9A-Za-z]{22}$/;
const AGGREGATE_ID = /^[\x21-\x7e]{0,64}$/;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;

/**
 * How long JetStream waits for a consumer's acknowledgement before redelivering. Short, so a consumer whose
 * process died resumes within seconds; a handler still working says so every third of it (`working()`).
 */
const ACK_WAIT_MS = 6_000;
/** A pull waits this long: its heartbeats (half of it) notice a lost connection or a vanished consumer. */
const PULL_EXPIRES_MS = 5_000;
/** Messages a pull asks for. */
const PULL_BATCH = 64;
/** How often a process checks the stream is still the one it started with (a broker that lost its store). */
const STREAM_CHECK_MS = 10_000;

/** How a failing event handler is retried before its event is parked as a dead letter. */
export interface EventRetryPolicy {
  readonly maxAttempts: number;
  /** Backoff before attempt n+1 is `base * 4^(n-1)`, with ±50% jitter, capped at a minute. */
  readonly backoffBaseMs: number;
  /** Events a context's consumer handles at once; 1 keeps them in publication order. */
  readonly maxInFlight: number;
  /** Injected failures: `<context>:<event>` → runs left to fail. */
  readonly failures?: Readonly<Record<string, number>>;
  /** Injected slowness: `<context>:<event>` → ms each run waits before its handler. */
  readonly delaysMs?: Readonly<Record<string, number>>;
}

/** A message that can never be handled: parked at once, never retried. */
class PoisonEvent extends Error {}

/**
 * Where events go. With NATS, into one JetStream stream per deployment, deduplicated by event id; each
 * subscribing context reads it through one durable consumer that its replicas share, so each context gets
 * each event once, in order, and catches up after being down. Without NATS, straight to the subscribing
 * contexts in this process. Either way a handler that fails is retried with backoff and, after the last
 * attempt, its event is parked as a dead letter in that context's database; an event that can never be
 * handled (unreadable, or not what its contract says) is parked at once. Nothing that arrives, however
 * malformed, stops a consumer.
 */
export class EventBus {
  private readonly log = new Logger('EventBus');
  private readonly streamName: string;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private live: GuardedSubscriptions | undefined;
  private consuming: Array<{ stop(): void; done: Promise<void> }> = [];
  private consumerProblems = new Map<string, string>();
  private stopped = false;
  private readonly heardLive = new Set<string>();
  private readonly halt = new AbortController();
  private localQueues = new Map<string, Promise<unknown>>();
  private localInFlight = 0;
  private readonly failuresLeft: Map<string, number>;
  private streamCreated: string | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
  private ensuring: Promise<boolean> | undefined;
  private readonly streamResetListeners: Array<() => void> = [];

  constructor(
    private readonly server: CleaveServer,
    private readonly nats: NatsTransport | null,
    private readonly dbs: ContextDatabases,
    private readonly config: Pick<CleaveConfig, 'natsPrefix' | 'eventTimeoutMs' | 'eventStreamReplicas'>,
    private readonly retry: EventRetryPolicy,
  ) {
    this.streamName = eventStreamName(config.natsPrefix);
    this.failuresLeft = new Map(Object.entries(retry.failures ?? {}));
    for (const [key, n] of this.failuresLeft) this.log.warn(`fault injection: ${key} fails its first ${n} runs`);
    for (const [key, ms] of Object.entries(retry.delaysMs ?? {})) this.log.warn(`fault injection: ${key} waits ${ms} ms before each run`);
  }

  /** Creates the stream (idempotent) and starts this process's consumers. */
  async start(): Promise<void> {
    if (!this.nats) return;
    const nc = this.nats.connection;
    try {
      this.jsm = await jetstreamManager(nc);
    } catch (error) {
      throw new ConfigurationError(
        `NATS at ${nc.getServer()} has no JetStream, which Cleave's events need: start nats-server with -js (${(error as Error).message})`,
      );
    }
    this.js = jetstream(nc);
    // Until the stream exists (its owner may start later), publishing fails and the outboxes keep the events.
    await this.ensureStream();
    this.streamTimer = setInterval(() => void this.ensureStream(), STREAM_CHECK_MS);
    this.streamTimer.unref();
    // A JetStream publish is also a core NATS message: a plain subscription in each replica sees it live.
    const live = (this.live = new GuardedSubscriptions(nc, this.log));
    for (const event of new Set(
      this.server
        .eventSubscriptions()
        .filter((s) => s.everyReplica)
        .map((s) => s.event),
    )) {
      live.add(eventSubject(this.config.natsPrefix, event), (m: Msg) => {
        // A stored event pulled to this subject by a consumer's pull request (its reply names JetStream's ack)
        // is a redelivery dressed as a live publish: the live path hears publishes only.
        if (this.stopped || m.reply?.startsWith('$JS.ACK.')) return;
        const envelopes = m.headers?.get(HEADER.batch)
          ? this.entriesOf(event, m.data).flatMap((entry) => (entry instanceof PoisonEvent ? [] : [entry]))
          : [this.envelopeOf(event, m.headers, m.data)];
        for (const envelope of envelopes) {
          if (!this.firstHeardLive(envelope.id)) continue;
          for (const context of this.server.replicaSubscribersOf(event)) void this.deliverLive(context, envelope);
        }
      });
    }
    for (const context of this.durableContexts()) {
      // Without its stream yet (its owner starts later), a consumer is made by its loop once there is one.
      await this.ensureConsumer(context).catch((error: unknown) => this.consumerProblems.set(context, (error as Error).message));
      this.consuming.push(this.consume(context));
    }
  }

  /** The contexts here that take events through a durable consumer of their own (once per context, not per replica). */
  private durableContexts(): string[] {
    return [
      ...new Set(
        this.server
          .eventSubscriptions()
          .filter((s) => !s.everyReplica)
          .map((s) => s.context),
      ),
    ];
  }

  /** Called when the stream had to be made again (the broker lost it): relays publish what they kept. */
  onStreamReset(listener: () => void): void {
    this.streamResetListeners.push(listener);
  }

  /** What keeps events from flowing: empty when every consumer and live subscription is working. */
  problems(): string[] {
    return [...(this.live?.problems() ?? []), ...[...this.consumerProblems].map(([context, why]) => `consumer ${context}: ${why}`)];
  }

  /**
   * How far each durable consumer of this process is behind: events stored and not yet delivered, and
   * delivered but not yet acknowledged. Empty without JetStream; a consumer that can't be read is left out.
   */
  async consumerLag(): Promise<Record<string, { pending: number; unacknowledged: number }>> {
    if (this.jsm === undefined || this.stopped) return {};
    const lag: Record<string, { pending: number; unacknowledged: number }> = {};
    await Promise.all(
      this.durableContexts().map(async (context) => {
        const info = await this.jsm!.consumers.info(this.streamName, context).catch(() => undefined);
        if (info !== undefined) lag[context] = { pending: info.num_pending, unacknowledged: info.num_ack_pending };
      }),
    );
    return lag;
  }

  /**
   * Resolves once every durable consumer of this process has nothing waiting: nothing stored and not yet
   * delivered, nothing delivered and not yet acknowledged. Gives up after `withinMs`, saying how far
   * behind it is (an event failing in place would otherwise hold the process back for ever).
   */
  async caughtUp(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const behind = Object.entries(await this.consumerLag()).filter(([, lag]) => lag.pending + lag.unacknowledged > 0);
      if (behind.length === 0 || this.stopped) return;
      if (Date.now() >= deadline) {
        const what = behind.map(([context, lag]) => `${context} ${lag.pending} waiting, ${lag.unacknowledged} in hand`).join('; ');
        this.log.warn(`serving requests before the event consumers caught up, after ${withinMs} ms: ${what}`);
        return;
      }
      await sleep(CATCH_UP_POLL_MS);
    }
  }

  /** Stops taking events and lets those in hand finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.abort();
    clearInterval(this.streamTimer);
    this.live?.close();
    for (const c of this.consuming) c.stop();
    await Promise.all(this.consuming.map((c) => c.done));
    await Promise.all(this.localQueues.values());
  }

  /**
   * Publishes an event. With `awaitDelivery` (the outbox relay), without NATS it resolves once every local
   * subscriber has handled the event or parked it; with NATS it resolves once JetStream has stored it, or
   * fails after `timeoutMs` (nats.js's default otherwise).
   */
  async publish(envelope: EventEnvelope, awaitDelivery: boolean, timeoutMs?: number): Promise<void> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.publishNow(envelope, awaitDelivery, timeoutMs);
    const span = producerSpan(tracer, envelope);
    try {
      await this.publishNow(inProducerSpan(envelope, span), awaitDelivery, timeoutMs);
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
    span.end();
  }

  private async publishNow(envelope: EventEnvelope, awaitDelivery: boolean, timeoutMs?: number): Promise<void> {
    if (this.nats) {
      const h = natsHeaders();
      h.set(HEADER.msgId, envelope.id);
      h.set(HEADER.time, envelope.time);
      h.set(HEADER.aggregate, envelope.aggregateId);
      if (envelope.traceparent) h.set(HEADER.traceparent, envelope.traceparent);
      if (envelope.requestId) h.set(HEADER.requestId, envelope.requestId);
      await this.store(envelope.event, encodeJson(envelope.payload), h, timeoutMs);
      return;
    }
    for (const context of this.server.replicaSubscribersOf(envelope.event)) void this.deliverLive(context, envelope);
    const deliveries = this.server.subscribersOf(envelope.event).map((context) => this.enqueueLocal(context, envelope));
    if (awaitDelivery) await Promise.all(deliveries);
  }

  /**
   * Publishes events in order (the outbox relay's batch). In-process, each subscribing context gets its
   * share as one batch, handled in one transaction of its database (see {@link deliverBatch}); resolves once
   * every one is handled or parked. Over NATS, each run of same-named events is one JetStream message
   * (a lone event keeps the one-event form), stored one after another.
   * Returns how many, from the first, were published: all of them, unless one failed (the error is passed
   * to `failed`).
   */
  async publishBatch(envelopes: readonly EventEnvelope[], failed: (error: unknown) => void): Promise<number> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.publishBatchNow(envelopes, failed);
    // A span per event, in the trace that wrote it, however many share a message.
    const spans = envelopes.map((envelope) => producerSpan(tracer, envelope));
    let failure: unknown = new Error('not published');
    const published = await this.publishBatchNow(
      envelopes.map((envelope, i) => inProducerSpan(envelope, spans[i]!)),
      (error) => {
        failure = error;
        failed(error);
      },
    );
    spans.forEach((span, i) => (i < published ? span.end() : endSpan(span, failure)));
    return published;
  }

  private async publishBatchNow(envelopes: readonly EventEnvelope[], failed: (error: unknown) => void): Promise<number> {
    if (this.nats) return this.publishRuns(envelopes, failed);
    if (envelopes.length === 1) {
      await this.publishNow(envelopes[0]!, true);
      return 1;
    }
    const shares = new Map<string, EventEnvelope[]>();
    for (const envelope of envelopes) {
      for (const context of this.server.replicaSubscribersOf(envelope.event)) void this.deliverLive(context, envelope);
      for (const context of this.server.subscribersOf(envelope.event)) {
        const share = shares.get(context);
        if (share) share.push(envelope);
        else shares.set(context, [envelope]);
      }
    }
    await Promise.all([...shares].map(([context, share]) => this.enqueueLocal(context, share)));
    return envelopes.length;
  }

  private async publishRuns(envelopes: readonly EventEnvelope[], failed: (error: unknown) => void): Promise<number> {
    let published = 0;
    // One after another: were a later run stored after an earlier one failed, the earlier one's republish
    // would arrive after it, out of order.
    for (const run of runsOf(envelopes)) {
      try {
        await (run.envelopes.length === 1 ? this.publishNow(run.envelopes[0]!, true) : this.publishRun(run));
      } catch (error) {
        failed(error);
        return published;
      }
      published += run.envelopes.length;
    }
    return published;
  }

  private async publishRun(run: Run): Promise<void> {
    const first = run.envelopes[0]!;
    const h = natsHeaders();
    // The same run published again is dropped by JetStream; a run cut differently is dropped by the inboxes.
    h.set(HEADER.msgId, `${first.id}+${run.envelopes.length - 1}`);
    h.set(HEADER.batch, String(run.envelopes.length));
    await this.store(first.event, Buffer.from(`[${run.entries.join(',')}]`), h);
  }

  /** Has JetStream store a message on an event's subject; resolves once it has. */
  private async store(event: string, data: Uint8Array, headers: MsgHdrs, timeoutMs?: number): Promise<void> {
    if (!this.js) throw new Error('the event bus has not started');
    try {
      await this.js.publish(eventSubject(this.config.natsPrefix, event), data, { headers, timeout: timeoutMs });
    } catch (error) {
      // No stream to take it: the broker lost its store. Make it again; the caller retries the publish.
      if (/no responders|stream not found|503/i.test((error as Error).message)) void this.ensureStream();
      throw error;
    }
  }

  /**
   * Runs a context's handler for one event, once, in a call context of its own continuing the event's
   * trace. It acts for no principal: an event says what happened, and carries no one's authority.
   */
  async deliverOnce(context: string, envelope: EventEnvelope): Promise<void> {
    const key = `${context}:${envelope.event}`;
    const failures = this.failuresLeft.get(key) ?? 0;
    if (failures > 0) {
      // Spent faults go, so runs are applied together again as without them.
      if (failures === 1) this.failuresLeft.delete(key);
      else this.failuresLeft.set(key, failures - 1);
      throw new Error('injected failure (CLEAVE_EVENT_FAULTS)');
    }
    const delayMs = this.retry.delaysMs?.[key];
    if (delayMs !== undefined) await sleep(delayMs);
    return this.server.dispatchEvent(envelope.event, context, envelope.payload, this.callContextOf(envelope));
  }

  /** Runs a handler of runs ({@link CleaveServer.takesRuns}) on consecutive events of one name, once. */
  private deliverRun(context: string, run: readonly EventEnvelope[]): Promise<void> {
    return this.server.dispatchEventRun(
      run[0]!.event,
      context,
      run.map((envelope) => ({ plain: envelope.payload, context: this.callContextOf(envelope) })),
    );
  }

  /** The call context an event is handled in: its own, continuing its trace, acting for no one. */
  private callContextOf(envelope: EventEnvelope): CallContext {
    const parent = envelope.traceparent ? parseTraceparent(envelope.traceparent) : undefined;
    const traceId = parent?.traceId ?? newTraceId();
    return {
      traceId,
      // The publisher's span, as a request's context carries its caller's: the handler's span hangs from it.
      spanId: parent?.spanId ?? newSpanId(),
      sampled: parent?.sampled ?? true,
      deadline: Date.now() + this.config.eventTimeoutMs,
      requestId: envelope.requestId ?? `req_${traceId}`,
      principal: undefined,
      idempotencyKey: undefined,
      eventId: envelope.id,
      eventTime: envelope.time,
    };
  }

  /**
   * Whether an event is new to the live path. A publish the stream drops as a duplicate (a relay that
   * stopped before marking its rows, two replicas' relays) still reaches every replica as a core message.
   * Such a republish follows its first within seconds; the last {@link MAX_HEARD_LIVE} ids are kept.
   */
  private firstHeardLive(id: string): boolean {
    if (this.heardLive.has(id)) return false;
    if (this.heardLive.size >= MAX_HEARD_LIVE) this.heardLive.delete(this.heardLive.values().next().value!);
    this.heardLive.add(id);
    return true;
  }

  // Best effort by design: a live handler's failure is logged, never retried or parked.
  private async deliverLive(context: string, envelope: EventEnvelope): Promise<void> {
    try {
      await this.deliverOnce(context, envelope);
    } catch (error) {
      this.log.warn(`${context} failed on live event ${envelope.event} ${envelope.id}: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /** True when no event is waiting for, or in, a handler of this process's in-process delivery. */
  get idle(): boolean {
    return this.localInFlight === 0;
  }

  // Local events for one context take turns, so they are handled in publication order.
  private enqueueLocal(context: string, work: EventEnvelope | readonly EventEnvelope[]): Promise<void> {
    this.localInFlight++;
    const previous = this.localQueues.get(context) ?? Promise.resolve();
    const deliver = async () => {
      if (Array.isArray(work)) await this.deliverBatch(context, work as readonly EventEnvelope[]);
      else await this.deliverWithRetries(context, work as EventEnvelope);
    };
    const next = previous.then(deliver).finally(() => this.localInFlight--);
    this.localQueues.set(
      context,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * A context's share of a batch, in one transaction of its database: a burst of events costs one commit,
   * not one each. Should any handler fail, the batch rolls back as one and each event is delivered alone,
   * with its own retries and dead letter. (Not with injected faults, which count runs.)
   */
  private async deliverBatch(context: string, envelopes: readonly EventEnvelope[]): Promise<void> {
    if (await this.applyTogether(context, envelopes)) return;
    for (const envelope of envelopes) await this.deliverWithRetries(context, envelope);
  }

  /**
   * Runs the handlers of several events in one transaction of the context's database. False, with nothing
   * kept, when any of them failed, or when they can't share one (a single event, no database of the
   * context's, or injected faults, which count runs): then they go one at a time.
   */
  private async applyTogether(context: string, envelopes: readonly EventEnvelope[]): Promise<boolean> {
    const db = this.dbs.get(context);
    if (db === undefined || envelopes.length < 2 || this.faulty) return false;
    try {
      // A handler of runs given the whole of it writes it in its own transaction: none is needed around it
      // (for webhooks, whose run is mostly one read, that saves a BEGIN and a COMMIT).
      if (envelopes.every((e) => e.event === envelopes[0]!.event) && this.server.takesRuns(envelopes[0]!.event, context)) {
        await this.deliverRun(context, envelopes);
        return true;
      }
      await db.batch(async () => {
        for (let from = 0; from < envelopes.length;) {
          const event = envelopes[from]!.event;
          let to = from + 1;
          if (!this.server.takesRuns(event, context)) await this.deliverOnce(context, envelopes[from]!);
          else {
            while (to < envelopes.length && envelopes[to]!.event === event) to++;
            await this.deliverRun(context, envelopes.slice(from, to));
          }
          from = to;
        }
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs an event's handler until it succeeds, retrying with backoff, and parks the event after its last
   * attempt or at once when it can never succeed. When the bus stops meanwhile: in process (`park`) the
   * event is parked, as no one else will take it; from JetStream (`leave`) the wait is cut short and it
   * returns false, leaving the message to another replica.
   */
  private async deliverWithRetries(context: string, envelope: EventEnvelope, onStop: 'park' | 'leave' = 'park'): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deliverOnce(context, envelope);
        return true;
      } catch (error) {
        if (attempt >= this.retry.maxAttempts || isFinal(error) || (this.stopped && onStop === 'park')) {
          await this.park(context, envelope, error, attempt);
          return true;
        }
        if (this.stopped) return false;
        await sleep(this.backoff(attempt), undefined, onStop === 'leave' ? { signal: this.halt.signal } : undefined).catch(() => undefined);
        if (this.stopped && onStop === 'leave') return false;
      }
    }
  }

  /**
   * Makes sure the stream exists, and notices when it was made anew since this process last looked (the
   * broker lost its store): then the relays publish what their outboxes kept. Concurrent calls share one go.
   */
  private ensureStream(): Promise<boolean> {
    this.ensuring ??= this.checkStream()
      .catch((error: unknown) => {
        if (!this.stopped) this.log.warn(`cannot make sure of the events stream: ${(error as Error).message}`);
        return false;
      })
      .finally(() => (this.ensuring = undefined));
    return this.ensuring;
  }

  private async checkStream(): Promise<boolean> {
    if (this.stopped || !this.nats?.isConnected) return false;
    const jsm = this.jsm!;
    let created: string;
    try {
      created = (await jsm.streams.info(this.streamName)).created;
    } catch (error) {
      if (!/stream not found/i.test((error as Error).message)) {
        if (!this.stopped) this.log.warn(`cannot check the events stream: ${(error as Error).message}`);
        return false;
      }
      try {
        created = (
          await jsm.streams.add({
            name: this.streamName,
            subjects: [`${this.config.natsPrefix}.evt.>`],
            storage: StorageType.File,
            retention: RetentionPolicy.Limits,
            num_replicas: this.config.eventStreamReplicas,
            max_age: nanos(7 * 24 * 3600 * 1000),
            duplicate_window: nanos(2 * 60 * 1000),
          })
        ).created;
      } catch (again) {
        const message = (again as Error).message;
        // Only the stream's owner may make it (NATS permissions); the others wait for it to.
        if (/permission/i.test(message)) {
          this.log.warn(
            `the events stream ${this.streamName} does not exist and this service may not make it; waiting for the service that owns it`,
          );
          return false;
        }
        // Another process made it meanwhile.
        if (!/already in use|exists/i.test(message)) throw again;
        created = (await jsm.streams.info(this.streamName)).created;
      }
    }
    const reset = this.streamCreated !== undefined && this.streamCreated !== created;
    this.streamCreated = created;
    if (reset) {
      this.log.error(`the events stream ${this.streamName} was made anew (the broker lost it): republishing what the outboxes kept`);
      for (const listener of this.streamResetListeners) listener();
    }
    return true;
  }

  /** The consumer a context reads through, made if missing; it reads only the events the context handles. */
  private async ensureConsumer(context: string): Promise<void> {
    const jsm = this.jsm!;
    const wanted: Partial<ConsumerConfig> = {
      durable_name: context,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: this.filterFor(context),
      max_ack_pending: this.retry.maxInFlight,
      ack_wait: nanos(ACK_WAIT_MS),
    };
    try {
      const info = await jsm.consumers.info(this.streamName, context);
      const current = info.config;
      if (
        current.filter_subject !== wanted.filter_subject ||
        current.ack_wait !== wanted.ack_wait ||
        current.max_ack_pending !== wanted.max_ack_pending
      ) {
        await jsm.consumers.update(this.streamName, context, {
          filter_subject: wanted.filter_subject,
          ack_wait: wanted.ack_wait,
          max_ack_pending: wanted.max_ack_pending,
        });
      }
    } catch (error) {
      if (!/consumer not found/i.test((error as Error).message)) throw error;
      await jsm.consumers.add(this.streamName, wanted).catch((again: unknown) => {
        if (!/already in use|exists/i.test((again as Error).message)) throw again;
      });
    }
  }

  /** What the context's consumer reads: the events it handles once per context. */
  private filterFor(context: string): string {
    const events = this.server
      .eventSubscriptions()
      .filter((s) => s.context === context && !s.everyReplica)
      .map((s) => s.event);
    return consumerFilter(this.config.natsPrefix, events);
  }

  private consume(context: string): { stop(): void; done: Promise<void> } {
    let messages: { stop(): void } | undefined;
    let stopping = false;
    const done = (async () => {
      while (!stopping) {
        try {
          const consumer = await this.js!.consumers.get(this.streamName, context);
          // A pull asks for many; the consumer's max_ack_pending still lets only maxInFlight out at once, so
          // the next event rides the open pull instead of costing a pull request of its own.
          const iterator = await consumer.consume({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS, abort_on_missing_resource: true });
          messages = iterator;
          this.consumerProblems.delete(context);
          for await (const m of iterator) {
            try {
              await this.handle(context, m);
            } catch (error) {
              await this.unhandled(context, m, error);
            }
            if (stopping) break;
          }
          if (!stopping) throw new Error('the consumer ended');
        } catch (error) {
          if (stopping) break;
          const why = (error as Error).message;
          this.consumerProblems.set(context, why);
          this.log.warn(`consumer ${context} stopped (${why}); starting it again`);
          await sleep(1_000);
          // The broker may have lost the stream or the consumer: make them again before reading on.
          try {
            if (await this.ensureStream()) await this.ensureConsumer(context);
          } catch (again) {
            this.log.warn(`cannot make consumer ${context} again yet: ${(again as Error).message}`);
          }
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

  /**
   * A message whose handling threw where nothing should (its dead letter could not be written, say): held
   * back and tried again later, and once it has had its attempts, parked raw and let go, so one message can
   * neither stop the consumer nor hold the events behind it for good.
   */
  private async unhandled(context: string, m: JsMsg, error: unknown): Promise<void> {
    const attempts = m.info.deliveryCount;
    this.log.warn(`${context} could not handle stream message ${m.info.streamSequence} (attempt ${attempts}): ${(error as Error).message}`);
    if (attempts < this.retry.maxAttempts) {
      m.nak(this.backoff(attempts));
      return;
    }
    const event = this.eventOf(m);
    // Parked as the event it is where it reads as one, so that it can be replayed; raw otherwise.
    let envelope: EventEnvelope;
    try {
      envelope = m.headers?.get(HEADER.batch) ? this.rawEnvelope(event, m) : this.envelopeOf(event, m.headers, m.data);
    } catch {
      envelope = this.rawEnvelope(event, m);
    }
    try {
      await this.park(context, envelope, error, attempts);
      m.term();
    } catch (again) {
      this.log.warn(`${context} could not park stream message ${m.info.streamSequence} yet: ${(again as Error).message}`);
      m.nak(this.backoff(attempts));
    }
  }

  /** The event a stored message is, by its subject (`<prefix>.evt.<event>`). */
  private eventOf(m: JsMsg): string {
    return m.subject.slice(this.config.natsPrefix.length + '.evt.'.length);
  }

  private async handle(context: string, m: JsMsg): Promise<void> {
    const event = this.eventOf(m);
    // A consumer reads the events its context handles, but a wide filter can bring others: they pass by.
    if (!this.server.subscribersOf(event).includes(context)) {
      m.ack();
      return;
    }
    // nats.js decodes headers when first asked, and throws on a block it can't parse (a name with a space).
    let headers: MsgHdrs | undefined;
    try {
      headers = m.headers;
    } catch (error) {
      await this.park(
        context,
        this.rawEnvelope(event, m),
        new PoisonEvent(`the headers do not parse: ${(error as Error).message}`),
        m.info.deliveryCount,
      );
      m.term();
      return;
    }
    if (headers?.get(HEADER.batch)) return this.handleBatch(context, event, m);
    let envelope: EventEnvelope;
    try {
      envelope = this.envelopeOf(event, headers, m.data);
    } catch (error) {
      await this.park(context, this.rawEnvelope(event, m), error, m.info.deliveryCount);
      m.term();
      return;
    }
    // Tell JetStream the handler is still at it, so a slow one isn't redelivered under its feet.
    const working = setInterval(() => stillWorking(m), ACK_WAIT_MS / 3);
    try {
      await this.deliverOnce(context, envelope);
      this.acknowledgeApplied(context, m);
    } catch (error) {
      const attempts = m.info.deliveryCount;
      if (attempts >= this.retry.maxAttempts || isFinal(error)) {
        await this.park(context, envelope, error, attempts);
        m.term();
      } else {
        m.nak(this.backoff(attempts));
      }
    } finally {
      clearInterval(working);
    }
  }

  /**
   * A run of events in one message. Poison entries are parked and passed over. The rest are applied in
   * one transaction of the context's database; should that fail, one at a time, each with its own retries
   * in place (the message is held meanwhile, as a lone event's redelivery would hold the consumer) and its
   * own dead letter. Stopping part-way leaves the message unacknowledged: another replica takes it, and the
   * inbox skips what was done.
   */
  private async handleBatch(context: string, event: string, m: JsMsg): Promise<void> {
    let envelopes: EventEnvelope[] = [];
    const seen = new Set<string>();
    for (const [index, entry] of this.entriesOf(event, m.data).entries()) {
      if (entry instanceof PoisonEvent) await this.park(context, this.rawEnvelope(event, m, index), entry, m.info.deliveryCount);
      // An id twice in one run is one event: a relay never sends that, so the second is a forgery or a fault.
      else if (seen.has(entry.id)) this.log.warn(`${context} passed over a second ${event} ${entry.id} in one run`);
      else {
        seen.add(entry.id);
        envelopes.push(entry);
      }
    }
    // Redelivered (the process stopped before acknowledging): what was parked then stays parked, not tried again.
    if (m.info.deliveryCount > 1) envelopes = await this.withoutParked(context, envelopes);
    const working = setInterval(() => stillWorking(m), ACK_WAIT_MS / 3);
    try {
      if (!(await this.applyTogether(context, envelopes))) {
        for (const envelope of envelopes) {
          if (!(await this.deliverWithRetries(context, envelope, 'leave'))) return;
        }
      }
      this.acknowledgeApplied(context, m);
    } finally {
      clearInterval(working);
    }
  }

  /** Acknowledges a message whose events are applied and committed: a redelivery from here must change nothing. */
  private acknowledgeApplied(context: string, m: JsMsg): void {
    if (crashPointsArmed()) crashPoint(`${context}.consume:before-ack`);
    m.ack();
  }

  /** The events of a batch message, each checked as a lone event's headers are; a bad one is a {@link PoisonEvent}. */
  private entriesOf(event: string, data: Uint8Array): Array<EventEnvelope | PoisonEvent> {
    let entries: unknown;
    try {
      entries = decodeJson(data);
    } catch {
      return [new PoisonEvent('the batch is not JSON')];
    }
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_BATCH_EVENTS) {
      return [new PoisonEvent(`a batch must be an array of 1 to ${MAX_BATCH_EVENTS} events`)];
    }
    return entries.map((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return new PoisonEvent('a batch entry is not an object');
      const e = entry as Record<string, unknown>;
      const text = (value: unknown) => (typeof value === 'string' ? value : '');
      try {
        return this.checkedEnvelope(
          event,
          text(e.id),
          text(e.time),
          text(e.aggregateId),
          text(e.traceparent),
          text(e.requestId),
          e.payload,
        );
      } catch (error) {
        return error instanceof PoisonEvent ? error : new PoisonEvent(String(error));
      }
    });
  }

  private get faulty(): boolean {
    return this.failuresLeft.size > 0 || Object.keys(this.retry.delaysMs ?? {}).length > 0;
  }

  /**
   * An event read off the wire, checked before anything is done with it. Throws {@link PoisonEvent} for
   * what could never be handled: an id, time or aggregate out of bounds, or a payload that is not JSON.
   */
  private envelopeOf(event: string, headers: MsgHdrs | undefined, data: Uint8Array): EventEnvelope {
    let payload: unknown;
    try {
      payload = decodeJson(data);
    } catch {
      payload = NOT_JSON;
    }
    return this.checkedEnvelope(
      event,
      headers?.get(HEADER.msgId) ?? '',
      headers?.get(HEADER.time) ?? '',
      headers?.get(HEADER.aggregate) ?? '',
      headers?.get(HEADER.traceparent) ?? '',
      headers?.get(HEADER.requestId) ?? '',
      payload,
    );
  }

  private checkedEnvelope(
    event: string,
    id: string,
    time: string,
    aggregateId: string,
    traceparent: string,
    requestId: string,
    payload: unknown,
  ): EventEnvelope {
    if (!EVENT_ID.test(id)) throw new PoisonEvent(`the event id ${JSON.stringify(id.slice(0, 64))} is not one Cleave makes`);
    if (!ISO_TIME.test(time)) throw new PoisonEvent('the event time is missing or not ISO 8601');
    if (!AGGREGATE_ID.test(aggregateId)) throw new PoisonEvent('the aggregate id is out of bounds');
    if (payload === NOT_JSON) throw new PoisonEvent('the payload is not JSON');
    return {
      id,
      event,
      time,
      aggregateId,
      payload,
      traceparent: traceparent && parseTraceparent(traceparent) ? traceparent : undefined,
      requestId: requestId && REQUEST_ID.test(requestId) ? requestId : undefined,
    };
  }

  /**
   * What can be kept of a poison message: its raw headers and payload, cut short, under an id made from its
   * place in the stream (and in its batch), so a redelivery of it is known for the same.
   */
  private rawEnvelope(event: string, m: JsMsg, entry?: number): EventEnvelope {
    let raw: Record<string, string> = {};
    try {
      for (const [name, values] of m.headers ?? []) raw[name.slice(0, 64)] = (values[0] ?? '').slice(0, 256);
    } catch {
      raw = { unparsed: (rawHeaderBlock((m as unknown as { msg: Msg }).msg) ?? '').slice(0, 1_024) };
    }
    return {
      id: `stream_${m.info.streamSequence}${entry === undefined ? '' : `.${entry}`}`,
      event,
      time: new Date().toISOString(),
      aggregateId: '',
      payload: { poison: true, headers: raw, data: Buffer.from(m.data.subarray(0, 4_096)).toString('utf8') },
    };
  }

  /**
   * Parks an event its handler kept failing on, or that could never be handled, in the context's database:
   * the envelope as JSON, cut to 64 KiB (a payload too deep or too big to keep is described, not kept).
   */
  private async park(context: string, envelope: EventEnvelope, error: unknown, attempts: number): Promise<void> {
    const e = toCleaveError(error);
    const reason =
      error instanceof PoisonEvent ? `poison: ${error.message}` : e.code === 'internal' ? internalReason(error) : `${e.code}: ${e.message}`;
    this.log.error(`${context} gave up on ${envelope.event.slice(0, 120)} ${envelope.id} after ${attempts} attempts: ${reason}`);
    const db = this.dbs.get(context);
    if (!db) return;
    await db.transaction(async (em) => {
      // Parked once: a redelivered message (the process stopped before acknowledging) finds its letter here.
      if (await em.existsBy(DeadLetter, { context, eventId: envelope.id, replayedAt: IsNull() })) return;
      await em.insert(DeadLetter, {
        id: newEntityId('dlq'),
        context,
        eventId: envelope.id,
        event: envelope.event.slice(0, 120),
        envelope: keepable(envelope),
        error: reason.slice(0, 2_000),
        attempts,
        createdAt: new Date().toISOString(),
        replayedAt: null,
      });
    });
  }

  /** The envelopes that have no dead letter waiting in the context. */
  private async withoutParked(context: string, envelopes: EventEnvelope[]): Promise<EventEnvelope[]> {
    const db = this.dbs.get(context);
    if (db === undefined || envelopes.length === 0) return envelopes;
    const parked = await db.read((em) =>
      em.find(DeadLetter, { select: { eventId: true }, where: { context, eventId: In(envelopes.map((e) => e.id)), replayedAt: IsNull() } }),
    );
    const ids = new Set(parked.map((letter) => letter.eventId));
    return envelopes.filter((e) => !ids.has(e.id));
  }

  private backoff(attempt: number): number {
    const base = Math.min(60_000, this.retry.backoffBaseMs * 4 ** (attempt - 1));
    return Math.round(base * (0.5 + Math.random()));
  }
}

/** Tells JetStream a handler is still at it; a connection closed meanwhile is not this timer's to report. */
function stillWorking(m: JsMsg): void {
  try {
    m.working();
  } catch {
    // The message comes back after its ack wait, as it would have had the process stopped.
  }
}

const MAX_PARKED_BYTES = 64 * 1024;
const MAX_HEARD_LIVE = 20_000;
const NOT_JSON: unique symbol = Symbol('not JSON');

/** Consecutive events of the same name, each as its batch entry's JSON, cut at {@link MAX_BATCH_EVENTS} and {@link MAX_BATCH_BYTES}. */
function runsOf(envelopes: readonly EventEnvelope[]): Run[] {
  const runs: Run[] = [];
  let run: Run = { envelopes: [], entries: [], bytes: 0 };
  for (const e of envelopes) {
    const entry: BatchEntry = {
      id: e.id,
      time: e.time,
      aggregateId: e.aggregateId,
      traceparent: e.traceparent,
      requestId: e.requestId,
      payload: e.payload,
    };
    const json = JSON.stringify(entry);
    const first = run.envelopes[0];
    if (
      first !== undefined &&
      (first.event !== e.event || run.envelopes.length >= MAX_BATCH_EVENTS || run.bytes + json.length > MAX_BATCH_BYTES)
    ) {
      runs.push(run);
      run = { envelopes: [], entries: [], bytes: 0 };
    }
    run.envelopes.push(e);
    run.entries.push(json);
    run.bytes += json.length + 1;
  }
  if (run.envelopes.length > 0) runs.push(run);
  return runs;
}

interface Run {
  readonly envelopes: EventEnvelope[];
  readonly entries: string[];
  bytes: number;
}

/** An envelope as a dead letter keeps it: whole when it is small and serialisable, else without its payload. */
function keepable(envelope: EventEnvelope): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(envelope);
  } catch {
    text = undefined;
  }
  if (text !== undefined && text.length <= MAX_PARKED_BYTES) return text;
  return JSON.stringify({
    ...envelope,
    payload: {
      unkept: text === undefined ? 'nested too deeply to serialise' : `${text.length} characters, over the ${MAX_PARKED_BYTES} kept`,
    },
  });
}

/** What an operator reads of an internal failure: the underlying error's message, not "internal error". */
function internalReason(error: unknown): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.message === 'internal error' && cause.cause !== undefined) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Failures that retrying can't mend: a payload its contract refuses. */
function isFinal(error: unknown): boolean {
  return error instanceof PoisonEvent || toCleaveError(error).code === 'bad_request';
}

/** The call context's trace and request id, as an event written now should carry them. */

/** An event's publish span, under the call that wrote it (a trace of its own when none did). */
function producerSpan(tracer: Tracer, envelope: EventEnvelope): Span {
  const parent = envelope.traceparent === undefined ? undefined : parseTraceparent(envelope.traceparent);
  return startSpan(tracer, `publish ${envelope.event}`, SpanKind.PRODUCER, parent, {
    'messaging.operation.type': 'send',
    'messaging.destination.name': envelope.event,
    'messaging.message.id': envelope.id,
  });
}

/** The envelope as it travels once published in `span`: its consumers' spans hang from the publish. */
function inProducerSpan(envelope: EventEnvelope, span: Span): EventEnvelope {
  return { ...envelope, traceparent: spanTraceparent(span) };
}
