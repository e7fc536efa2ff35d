import type { CleaveEvents, CleaveRequests, EventMap, PayloadOf, ReplyOf, RequestMap, RequestOf } from '@cleave/contracts';
import type { CleaveConfig } from '../config/cleave-config';
import { childContext, currentContext, remainingMs, rootContext, type CallContext } from '../context/call-context';
import { CleaveError } from '../errors/cleave-error';
import type { Placement } from './placement';
import type { ContractRegistry } from './contract-registry';
import type { InProcessTransport } from './in-process.transport';
import { toWire } from '../validation/wire';
import { newEntityId } from '../context/ids';
import { envelopeContext, type EventEnvelope } from './event-envelope';
import type { Metrics } from '../observability/metrics';
import type { CallPolicies } from './call-policies';
import { activeTracer, endWhenSettled, inSpan, SpanKind, startSpan } from '../observability/tracing';
import { PlatformErrors } from '@cleave/contracts';

/** Options of one call. */
export interface SendOptions {
  /** Caps the call's budget below what the current context has left. */
  readonly timeoutMs?: number;
  /** The idempotency key of a money-moving command; otherwise the current context's is inherited. */
  readonly idempotencyKey?: string;
}

/** How the bus reaches a context hosted in another process (the NATS transport). */
export interface RemoteCalls {
  request(pattern: string, request: unknown, context: CallContext): Promise<unknown>;
}

/** Where the bus's events go (the event bus: in-process consumers, JetStream or both). */
export interface EventPublisher {
  publish(envelope: EventEnvelope, awaitDelivery: boolean, timeoutMs?: number): Promise<void>;
}

/**
 * The only way contexts talk. `send` is request/reply and `emit` publishes an event; both are typed by the
 * contracts, so `bus.send(LedgerPatterns.GetBalance, { accountId })` is checked by the compiler. Each call
 * goes in-process when its context is hosted here and over NATS otherwise; the caller cannot tell which.
 */
export class MessageBus<R extends RequestMap = CleaveRequests, E extends EventMap = CleaveEvents> {
  constructor(
    private readonly registry: ContractRegistry,
    private readonly placement: Placement,
    private readonly local: InProcessTransport,
    private readonly remote: RemoteCalls | undefined,
    private readonly events: EventPublisher,
    private readonly config: Pick<CleaveConfig, 'defaultTimeoutMs' | 'eventTimeoutMs'>,
    private readonly metrics: Metrics,
    private readonly policies: CallPolicies,
  ) {
    // A process that hosts contexts calls out only as their contracts allow; one that hosts none is a tool.
    const hosted = [...placement.hosted];
    this.licensed = hosted.length === 0 ? undefined : new Set(hosted.flatMap((c) => registry.dependenciesOf(c).calls));
  }

  /** The patterns the hosted contexts may call over NATS; undefined when this process hosts none. */
  private readonly licensed: ReadonlySet<string> | undefined;

  /** Sends a request and waits for its reply, at most until the call's deadline. */
  send<P extends keyof R & string>(pattern: P, request: RequestOf<R, P>, options?: SendOptions): Promise<ReplyOf<R, P>> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.sendIn(childContext(this.parentContext(), options), pattern, request, options?.idempotencyKey);
    // The call's client span: its id is the call's span id, so the callee's server span hangs from it.
    const parent = currentContext();
    const span = startSpan(tracer, pattern, SpanKind.CLIENT, parent, { 'rpc.system': 'cleave', 'rpc.method': pattern });
    return endWhenSettled(
      span,
      this.sendIn(inSpan(childContext(parent ?? this.parentContext(), options), span), pattern, request, options?.idempotencyKey),
    );
  }

  private sendIn<P extends keyof R & string>(
    context: CallContext,
    pattern: P,
    request: RequestOf<R, P>,
    ownKey: string | undefined,
  ): Promise<ReplyOf<R, P>> {
    const route = this.registry.request(pattern);
    if (route === undefined) return Promise.reject(CleaveError.internal(`no contract declares the pattern ${pattern}`));
    if (context.deadline <= Date.now()) return Promise.reject(CleaveError.timeout(`the deadline passed before ${pattern} was sent`));
    try {
      if (this.placement.hosted.has(route.context))
        return this.metrics.clientCall(pattern, 'in-process', this.local.request(pattern, request, context) as Promise<ReplyOf<R, P>>);
      if (this.remote === undefined) throw CleaveError.unavailable(`${route.context} is not hosted here and NATS is off`);
      if (this.licensed !== undefined && !this.licensed.has(pattern)) {
        throw CleaveError.of(
          PlatformErrors.notPermitted,
          `no context hosted here lists ${pattern} among the calls it makes (its contract's dependencies)`,
        );
      }
      const remote = this.remote;
      const shape = { pattern, context: route.context, kind: route.spec.kind, idempotencyKey: ownKey, deadline: context.deadline };
      return this.metrics.clientCall(
        pattern,
        'nats',
        this.policies.call(shape, () => remote.request(pattern, request, context) as Promise<ReplyOf<R, P>>),
      );
    } catch (error) {
      // What JSON.stringify refuses (bigints, cycles) is the caller's bug, the same in both transports.
      return Promise.reject(
        error instanceof CleaveError ? error : CleaveError.internal(`the request to ${pattern} could not be serialised`, error),
      );
    }
  }

  /**
   * Publishes an event to every subscribing context, outside any database transaction: with NATS it resolves
   * once JetStream has stored it. A context that changes state and reports it uses its Outbox instead, so
   * the event is written in the same transaction as the change.
   */
  async emit<N extends keyof E & string>(event: N, payload: PayloadOf<E, N>): Promise<void> {
    if (this.registry.event(event) === undefined) throw CleaveError.internal(`no contract declares the event ${event}`);
    let wire: unknown;
    try {
      wire = toWire(payload);
    } catch (error) {
      throw CleaveError.internal(`the event ${event} could not be serialised`, error);
    }
    const context = currentContext();
    // Stored by JetStream within the caller's deadline, or a failure it can act on in time.
    const timeoutMs = context === undefined ? undefined : Math.max(1, remainingMs(context));
    await this.events.publish(
      { id: newEntityId('evt'), event, time: new Date().toISOString(), aggregateId: '', payload: wire, ...envelopeContext(context) },
      false,
      timeoutMs,
    );
  }

  /** This bus, typed by another contract map (e.g. a test's fixture contracts). */
  typed<R2 extends RequestMap, E2 extends EventMap = EventMap>(): MessageBus<R2, E2> {
    return this as unknown as MessageBus<R2, E2>;
  }

  private parentContext(): CallContext {
    return currentContext() ?? rootContext({}, this.config.defaultTimeoutMs);
  }
}
