import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { isObservable, lastValueFrom } from 'rxjs';
import { runWithContext, type CallContext } from '../context/call-context';
import { CleaveError, isErrorEnvelope, toCleaveError } from '../errors/cleave-error';
import type { CleaveConfig } from '../config/cleave-config';
import type { Placement } from './placement';
import { CleaveRpcContext } from './cleave-rpc.context';
import type { ContractRegistry } from './contract-registry';
import type { DirectHandler, findDirectHandlers } from './handler-directory';
import type { Metrics } from '../observability/metrics';
import { activeTracer, endSpan, endWhenSettled, inSpan, SpanKind, startSpan } from '../observability/tracing';
import { PlatformErrors } from '@cleave/contracts';

/** The transport id of Cleave's bus, for `@MessagePattern(pattern, CLEAVE_TRANSPORT)` if ever needed. */
export const CLEAVE_TRANSPORT = Symbol('cleave-bus');

/** One context's handler of one event. */
export interface EventSubscription {
  readonly event: string;
  readonly context: string;
  /** Delivered to every replica of the context, live, rather than once to the context. */
  readonly everyReplica: boolean;
}

/**
 * Receives a request or event a transport delivered; the server decodes and dispatches it. A handler that
 * answers synchronously is answered synchronously, so a transport spends no promise on it.
 */
export interface InboundDispatcher {
  readonly isReady: boolean;
  readonly ready: Promise<void>;
  /** The contexts here that handle an event once per context. */
  subscribersOf(event: string): readonly string[];
  /** The reply, or a promise of it; throws or rejects with a CleaveError. */
  /** `local`: `plain` is the caller's own object, handed over in-process, not yet in wire form. */
  dispatchRequest(pattern: string, plain: unknown, context: CallContext, local?: boolean): unknown;
  dispatchEvent(event: string, subscriber: string, plain: unknown, context: CallContext): Promise<void>;
}

/** A transport that serves this process's handlers to others. */
export interface ServingTransport {
  serve(dispatcher: InboundDispatcher, requests: readonly string[]): Promise<void>;
  stopServing(): Promise<void>;
}

const DRAIN_LIMIT_MS = 10_000;
const NONE: readonly string[] = Object.freeze([]);

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  (typeof value === 'object' || typeof value === 'function') &&
  typeof (value as PromiseLike<unknown>).then === 'function';

/**
 * The Nest custom transport strategy behind every Cleave context. Nest hands it the `@MessagePattern` and
 * `@EventPattern` handlers of the hosted modules; it serves them in-process to the local bus, and over NATS
 * when the placement needs it. Whatever carried a message, it is decoded and validated here, on the
 * receiving side, and the handler runs inside the message's call context.
 */
export class CleaveServer extends Server implements CustomTransportStrategy, InboundDispatcher {
  override readonly transportId = CLEAVE_TRANSPORT;
  private readonly requestHandlers = new Map<string, MessageHandler>();
  private readonly eventHandlers = new Map<string, Map<string, MessageHandler>>();
  private readonly everyReplica = new Set<string>();
  /** `event\0context` of the handlers that take runs of events ({@link OnEvents}). */
  private readonly runHandlers = new Set<string>();
  private readonly log = new Logger('CleaveServer');
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private readyResolve!: () => void;
  isReady = false;
  /** Resolves once the server listens: handlers registered and remote transports serving. */
  readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));

  private direct: ReturnType<typeof findDirectHandlers> = { requests: new Map(), events: new Map() };
  private faults: CleaveConfig['faults'] = {};
  private maxInFlight = Number.POSITIVE_INFINITY;
  private requestsInFlight = 0;

  constructor(
    private readonly registry: ContractRegistry,
    private readonly placement: Placement,
    private readonly remote: ServingTransport | undefined,
    private readonly discoverDirectHandlers: () => ReturnType<typeof findDirectHandlers> = () => ({
      requests: new Map(),
      events: new Map(),
    }),
    private readonly metrics?: Metrics,
  ) {
    super();
  }

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    if (typeof pattern !== 'string') throw new Error(`Cleave patterns are strings; got ${JSON.stringify(pattern)}`);
    if (!isEventHandler) {
      if (this.requestHandlers.has(pattern)) throw new Error(`two handlers for ${pattern}; a pattern has exactly one`);
      this.requestHandlers.set(pattern, callback);
      return;
    }
    const context = extras.context;
    if (typeof context !== 'string') {
      throw new Error(
        `the handler of event ${pattern} is in no context's module: declare its controller in the module the deployment names`,
      );
    }
    let byContext = this.eventHandlers.get(pattern);
    if (!byContext) this.eventHandlers.set(pattern, (byContext = new Map()));
    if (byContext.has(context)) throw new Error(`context ${context} has two handlers for event ${pattern}`);
    // Nest's own addHandler would chain handlers of one event; each context's runs on its own delivery instead.
    byContext.set(context, callback);
    if (extras.delivery === 'every-replica') this.everyReplica.add(`${pattern}\u0000${context}`);
    if (extras.runs === true) this.runHandlers.add(`${pattern}\u0000${context}`);
  }

  /** True when `context`'s handler of `event` takes runs of events ({@link dispatchEventRun}). */
  takesRuns(event: string, context: string): boolean {
    return this.runHandlers.has(`${event}\u0000${context}`);
  }

  /** The request patterns with a handler here. */
  requestPatterns(): string[] {
    return [...this.requestHandlers.keys()];
  }

  subscribersOf(event: string): readonly string[] {
    const byContext = this.eventHandlers.get(event);
    return byContext === undefined ? NONE : [...byContext.keys()].filter((context) => !this.everyReplica.has(`${event}\u0000${context}`));
  }

  /** The contexts here whose every replica handles an event. */
  replicaSubscribersOf(event: string): readonly string[] {
    const byContext = this.eventHandlers.get(event);
    return byContext === undefined ? NONE : [...byContext.keys()].filter((context) => this.everyReplica.has(`${event}\u0000${context}`));
  }

  /** The (event, context) pairs with a handler here. */
  eventSubscriptions(): EventSubscription[] {
    return [...this.eventHandlers].flatMap(([event, byContext]) =>
      [...byContext.keys()].map((context) => ({ event, context, everyReplica: this.everyReplica.has(`${event}\u0000${context}`) })),
    );
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.verifyHandlers();
      this.direct = this.discoverDirectHandlers();
      this._status$.next('connected');
      this.isReady = true;
      this.readyResolve();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /**
   * Starts answering requests from other processes. Called once the process is up and its event consumers
   * have caught up: a restarted context must not answer from state its backlog is about to change (a
   * network retry would find approved an authorisation whose abandonment is still waiting in the stream).
   */
  async serveRequests(): Promise<void> {
    await this.remote?.serve(this, this.requestPatterns());
  }

  async close(): Promise<void> {
    await this.remote?.stopServing();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (this.drained = resolve)),
        new Promise((resolve) => setTimeout(resolve, DRAIN_LIMIT_MS).unref()),
      ]);
    }
    this._status$.next('disconnected');
  }

  on(): void {
    // No transport-level events to observe: connection status is reported by the NATS transport.
  }

  unwrap<T>(): T {
    return this as unknown as T;
  }

  dispatchRequest(pattern: string, plain: unknown, context: CallContext, local = false): unknown {
    // Shed where work enters this process from another, never part-way through a call tree it has admitted
    // (in-process calls are nested in one), and counting requests only: events have a bound of their own.
    if (!local) {
      if (this.requestsInFlight >= this.maxInFlight) {
        this.metrics?.shed('bus');
        throw CleaveError.of(PlatformErrors.overloaded, `this process already handles ${this.maxInFlight} requests from other processes`, {
          retryAfterSeconds: 1,
        });
      }
      this.requestsInFlight++;
    }
    const done = this.metrics?.serving(pattern, local ? 'in-process' : 'nats');
    const settle = (error?: unknown) => {
      if (!local) this.requestsInFlight--;
      done?.(error);
    };
    let outcome: unknown;
    try {
      outcome = this.dispatchRequestNow(pattern, plain, context, local);
    } catch (error) {
      settle(error);
      throw error;
    }
    if (!isThenable(outcome)) {
      settle();
      return outcome;
    }
    return Promise.resolve(outcome).then(
      (reply) => {
        settle();
        return reply;
      },
      (error: unknown) => {
        settle(error);
        throw error;
      },
    );
  }

  private dispatchRequestNow(pattern: string, plain: unknown, context: CallContext, local: boolean): unknown {
    const tracer = activeTracer();
    if (tracer === undefined) return this.decodeAndRun(pattern, plain, context, local);
    // Under the caller's client span, whose id the call context carries.
    const span = startSpan(tracer, pattern, SpanKind.SERVER, context, {
      'rpc.system': 'cleave',
      'rpc.method': pattern,
      'cleave.transport': local ? 'in-process' : 'nats',
    });
    try {
      return endWhenSettled(span, this.decodeAndRun(pattern, plain, inSpan(context, span), local));
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  private decodeAndRun(pattern: string, plain: unknown, context: CallContext, local: boolean): unknown {
    if (context.deadline <= Date.now()) throw CleaveError.timeout(`${pattern} arrived after its deadline`);
    const handler = this.requestHandlers.get(pattern);
    const route = this.registry.request(pattern);
    if (!handler || !route) throw CleaveError.of(PlatformErrors.unknownPattern, `no handler for ${pattern} here`);
    if (route.spec.requires !== undefined && context.principal?.scopes.includes(route.spec.requires) !== true) {
      throw CleaveError.of(PlatformErrors.missingScope, `${pattern} acts only for a principal with the ${route.spec.requires} scope`);
    }
    const request = local ? route.decoder.decodeLocal(plain) : route.decoder.decode(plain);
    const fault = this.faults[pattern];
    if (fault !== undefined)
      return this.runWithFault(fault, () => this.run(this.direct.requests.get(pattern), handler, request, pattern, context));
    return this.run(this.direct.requests.get(pattern), handler, request, pattern, context);
  }

  /** Requests from other processes in hand at once, past which more are refused as `overloaded`. */
  limitInFlight(max: number): void {
    this.maxInFlight = max;
  }

  /** Injects configured slowness (CLEAVE_FAULTS) around a handler. */
  setFaults(faults: CleaveConfig['faults']): void {
    this.faults = faults;
    for (const [pattern, f] of Object.entries(faults))
      this.log.warn(`fault injection: ${pattern} delay ${f.delayMs} ms, reply delay ${f.replyDelayMs} ms`);
  }

  // A request held back by a fault is in flight like any other: a draining server waits for it.
  private async runWithFault(fault: CleaveConfig['faults'][string], run: () => unknown): Promise<unknown> {
    this.inFlight++;
    try {
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      try {
        return await run();
      } finally {
        if (fault.replyDelayMs > 0) await sleep(fault.replyDelayMs);
      }
    } finally {
      this.settled();
    }
  }

  async dispatchEvent(event: string, subscriber: string, plain: unknown, context: CallContext): Promise<void> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.dispatchEventNow(event, subscriber, plain, context);
    const span = consumerSpan(tracer, event, subscriber, context);
    try {
      await this.dispatchEventNow(event, subscriber, plain, inSpan(context, span));
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
    span.end();
  }

  private async dispatchEventNow(event: string, subscriber: string, plain: unknown, context: CallContext): Promise<void> {
    if (this.takesRuns(event, subscriber)) return this.dispatchEventRunNow(event, subscriber, [{ plain, context }]);
    const handler = this.eventHandlers.get(event)?.get(subscriber);
    const route = this.registry.event(event);
    if (!handler || !route) throw CleaveError.of(PlatformErrors.unknownEvent, `no handler for ${event} in ${subscriber} here`);
    const done = this.metrics?.handling(subscriber, event);
    try {
      const payload = route.decoder.decode(plain);
      await this.run(this.direct.events.get(`${event}\u0000${subscriber}`), handler, payload, event, context);
    } catch (error) {
      done?.(error);
      throw error;
    }
    done?.();
  }

  /**
   * Gives consecutive events of one name to a handler that takes runs of them ({@link takesRuns}), all at
   * once: each decoded, traced and counted as if it came alone, the handler run in the first one's context.
   */
  async dispatchEventRun(event: string, subscriber: string, items: ReadonlyArray<{ plain: unknown; context: CallContext }>): Promise<void> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.dispatchEventRunNow(event, subscriber, items);
    const spans = items.map(({ context }) =>
      consumerSpan(tracer, event, subscriber, context, { 'messaging.batch.message_count': items.length }),
    );
    try {
      await this.dispatchEventRunNow(
        event,
        subscriber,
        items.map(({ plain, context }, i) => ({ plain, context: inSpan(context, spans[i]!) })),
      );
    } catch (error) {
      for (const span of spans) endSpan(span, error);
      throw error;
    }
    for (const span of spans) span.end();
  }

  private async dispatchEventRunNow(
    event: string,
    subscriber: string,
    items: ReadonlyArray<{ plain: unknown; context: CallContext }>,
  ): Promise<void> {
    const handler = this.eventHandlers.get(event)?.get(subscriber);
    const route = this.registry.event(event);
    if (!handler || !route || !this.takesRuns(event, subscriber) || items.length === 0)
      throw CleaveError.of(PlatformErrors.unknownEvent, `no handler for runs of ${event} in ${subscriber} here`);
    const done = items.map(() => this.metrics?.handling(subscriber, event));
    try {
      const events = items.map(({ plain, context }) => ({ payload: route.decoder.decode(plain), context }));
      await this.run(this.direct.events.get(`${event}\u0000${subscriber}`), handler, events, event, events[0]!.context);
    } catch (error) {
      for (const finish of done) finish?.(error);
      throw error;
    }
    for (const finish of done) finish?.();
  }

  /** Runs a handler in the call context: directly when Nest would add nothing, else through Nest's wrapper. */
  private run(direct: DirectHandler | undefined, nest: MessageHandler, input: object, pattern: string, context: CallContext): unknown {
    // Most handlers take only their request; the context object is built for those that ask for it.
    const rpcContext = direct === undefined || direct.method.length > 1 ? new CleaveRpcContext([pattern, context]) : undefined;
    let result: unknown;
    this.inFlight++;
    try {
      result = direct
        ? runWithContext(context, direct.method, direct.instance, input, rpcContext)
        : runWithContext(context, nest, undefined, input, rpcContext);
    } catch (error) {
      this.settled();
      throw this.failure(error, pattern, context);
    }
    if (!isThenable(result) && !isObservable(result)) {
      this.settled();
      return result;
    }
    return (
      Promise.resolve(result)
        // Nest's exception filters answer with an erroring Observable rather than a rejection.
        .then((value) => (isObservable(value) ? lastValueFrom(value, { defaultValue: undefined }) : value))
        .then(
          (value) => {
            this.settled();
            return value;
          },
          (error: unknown) => {
            this.settled();
            throw this.failure(error, pattern, context);
          },
        )
    );
  }

  private settled(): void {
    if (--this.inFlight === 0) this.drained?.();
  }

  /** A handler's failure as a CleaveError; anything unexpected is logged here, as Nest's filter would. */
  private failure(error: unknown, pattern: string, context: CallContext): CleaveError {
    const e = toCleaveError(error);
    if (e.code === 'internal' && !(error instanceof CleaveError) && !isErrorEnvelope(error)) {
      // In the call's context, so the line carries its trace and request id.
      runWithContext(context, () =>
        this.log.error(`${pattern} failed: ${(error as Error)?.message ?? String(error)}`, (error as Error)?.stack),
      );
    }
    return e;
  }

  private verifyHandlers(): void {
    const problems: string[] = [];
    for (const pattern of this.requestHandlers.keys()) {
      const route = this.registry.request(pattern);
      if (!route) problems.push(`handler for ${pattern}, which no contract declares`);
      else if (!this.placement.hosted.has(route.context))
        problems.push(`handler for ${pattern} in a process that does not host ${route.context}`);
    }
    for (const context of this.placement.hosted) {
      for (const pattern of this.registry.patternsOf(context)) {
        if (!this.requestHandlers.has(pattern)) problems.push(`${context} is hosted here but nothing handles ${pattern}`);
      }
    }
    for (const { event, context, everyReplica } of this.eventSubscriptions()) {
      if (!this.registry.event(event)) problems.push(`handler for event ${event}, which no contract declares`);
      if (!this.placement.hosted.has(context))
        problems.push(`handler for event ${event} on behalf of ${context}, which is not hosted here`);
      const declared = this.registry.dependenciesOf(context);
      if (!(everyReplica ? declared.observes : declared.consumes).includes(event)) {
        problems.push(
          `${context} handles ${event} ${everyReplica ? 'in every replica' : 'once per context'}, which its dependencies do not list under ${everyReplica ? 'observes' : 'consumes'}`,
        );
      }
    }
    for (const context of this.placement.hosted) {
      const declared = this.registry.dependenciesOf(context);
      for (const [events, everyReplica] of [
        [declared.consumes, false],
        [declared.observes, true],
      ] as const) {
        for (const event of events) {
          if (!this.eventSubscriptions().some((s) => s.event === event && s.context === context && s.everyReplica === everyReplica)) {
            problems.push(`${context} lists ${event} in its dependencies, but nothing here handles it`);
          }
        }
      }
    }
    if (problems.length > 0) throw new Error(`the bus cannot start:\n  ${problems.join('\n  ')}`);
    this.log.debug(`serving ${this.requestHandlers.size} patterns for ${[...this.placement.hosted].join(', ') || 'no context'}`);
  }
}

/** An event's span where `subscriber` handles it: under the span that published it, whose id the call context carries. */
function consumerSpan(tracer: Tracer, event: string, subscriber: string, context: CallContext, attributes: Attributes = {}): Span {
  return startSpan(tracer, `process ${event}`, SpanKind.CONSUMER, context, {
    'messaging.operation.type': 'process',
    'messaging.destination.name': event,
    'messaging.consumer.group.name': subscriber,
    'messaging.message.id': context.eventId,
    ...attributes,
  });
}
