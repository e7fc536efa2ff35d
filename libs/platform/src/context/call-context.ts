import { AsyncLocalStorage } from 'node:async_hooks';
import { newSpanId, newTraceId } from './ids';

/** Who a call acts for, as authenticated by the gateway. */
export interface Principal {
  /** `user`: a customer's token; `client`: an OAuth client acting for itself (e.g. the card network); `service`: internal work. */
  readonly kind: 'user' | 'client' | 'service';
  /** The user id, client id or service name. */
  readonly id: string;
  /** The OAuth client a user token was issued to. */
  readonly clientId?: string;
  readonly scopes: readonly string[];
}

/**
 * What travels with every request and event, read inside handlers from AsyncLocalStorage.
 * Every context has all fields (absent ones undefined) so they share one shape.
 */
export interface CallContext {
  /** W3C trace id, 32 hex digits. */
  readonly traceId: string;
  /** W3C span id of this call, 16 hex digits. */
  readonly spanId: string;
  readonly sampled: boolean;
  /** Absolute time (epoch ms) after which the work is worthless. */
  readonly deadline: number;
  readonly requestId: string;
  readonly principal?: Principal;
  /** Set where the command moves money; downstream calls inherit it. */
  readonly idempotencyKey?: string;
  /** Set while an event is handled: its id, for the handler's inbox. */
  readonly eventId?: string;
  /** Set while an event is handled: when it happened (ISO 8601), however late it is delivered. */
  readonly eventTime?: string;
}

/** What a request id may be wherever it comes from (a header, a message, an event): printable ASCII, bounded. */
export const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** What a client may name its request (`X-Request-Id`): narrower than the bus allows. */
export const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** What an idempotency key may be: printable ASCII, as long as the column that records it. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** What an edge (the gateway, a background job, a test) knows when it starts a call tree. */
export interface RootContextInit {
  /** A `traceparent` header to continue; a new trace is started when absent or malformed. */
  readonly traceparent?: string;
  /** The span the edge already opened for this call tree (an HTTP request's): continued as it is, over `traceparent`. */
  readonly span?: { readonly traceId: string; readonly spanId: string; readonly sampled: boolean };
  /** Time budget from now, in ms. */
  readonly timeoutMs?: number;
  /** Absolute deadline (epoch ms); wins over `timeoutMs`. */
  readonly deadline?: number;
  readonly requestId?: string;
  readonly principal?: Principal;
  readonly idempotencyKey?: string;
}

const storage = new AsyncLocalStorage<CallContext>();

/** The context of the call being handled, if any. */
export function currentContext(): CallContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` outside any call: for work a call sets off but doesn't own (a job woken by its commit), which
 * must not inherit its deadline, trace or principal.
 */
export function outsideAnyCall<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** Runs `fn` with `context` as the current call context; async work started inside inherits it. */
export function runWithContext<T>(context: CallContext, fn: () => T): T;
/** Calls `fn` on `self` with `args` in the context, without a closure. */
export function runWithContext<A extends unknown[], T>(context: CallContext, fn: (...args: A) => T, self: unknown, ...args: A): T;
export function runWithContext(context: CallContext, fn: (...args: unknown[]) => unknown, self?: unknown, ...args: unknown[]): unknown {
  return storage.run(context, applyTo, fn, self, args);
}

const applyTo = (fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[]): unknown => fn.apply(self, args);

/** Starts a call tree at an edge. */
export function rootContext(init: RootContextInit, defaultTimeoutMs: number): CallContext {
  const deadline = init.deadline ?? Date.now() + (init.timeoutMs ?? defaultTimeoutMs);
  const span = init.span;
  const parent = span !== undefined || init.traceparent === undefined ? undefined : parseTraceparent(init.traceparent);
  const traceId = span?.traceId ?? parent?.traceId ?? newTraceId();
  return {
    traceId,
    spanId: span?.spanId ?? newSpanId(),
    sampled: span?.sampled ?? parent?.sampled ?? true,
    deadline,
    // Without a request id of its own, a call tree is known by its trace id.
    requestId: init.requestId ?? `req_${traceId}`,
    principal: init.principal,
    idempotencyKey: init.idempotencyKey,
    eventId: undefined,
    eventTime: undefined,
  };
}

/** Options of one outgoing call. */
export interface ChildContextOptions {
  /** Caps this call's budget below what its parent has left. */
  readonly timeoutMs?: number;
  /** Replaces the inherited idempotency key. */
  readonly idempotencyKey?: string;
}

/** The context of an outgoing call: same trace, new span, a deadline no later than its parent's. */
export function childContext(parent: CallContext, options?: ChildContextOptions): CallContext {
  let deadline = parent.deadline;
  if (options?.timeoutMs !== undefined) deadline = Math.min(deadline, Date.now() + options.timeoutMs);
  return {
    traceId: parent.traceId,
    spanId: newSpanId(),
    sampled: parent.sampled,
    deadline,
    requestId: parent.requestId,
    principal: parent.principal,
    idempotencyKey: options?.idempotencyKey ?? parent.idempotencyKey,
    eventId: undefined,
    eventTime: undefined,
  };
}

/** Milliseconds left before the context's deadline (negative once passed). */
export function remainingMs(context: CallContext): number {
  return context.deadline - Date.now();
}

/** The W3C `traceparent` header value of a context. */
export function formatTraceparent(context: Pick<CallContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/**
 * Parses a W3C `traceparent` (trace-context level 1): version `ff`, all-zero ids, and extra fields on
 * version 00 are invalid; later versions may append fields. Read by position: it runs on every message.
 */
export function parseTraceparent(header: string): { traceId: string; spanId: string; sampled: boolean } | undefined {
  const h = header.length === 55 ? header : header.trim();
  if (h.length < 55 || h.charCodeAt(2) !== DASH || h.charCodeAt(35) !== DASH || h.charCodeAt(52) !== DASH) return undefined;
  if (!isLowerHex(h, 0, 2) || !isLowerHex(h, 3, 35) || !isLowerHex(h, 36, 52) || !isLowerHex(h, 53, 55)) return undefined;
  const version = h.slice(0, 2);
  if (version === 'ff') return undefined;
  if (h.length > 55 && (version === '00' || h.charCodeAt(55) !== DASH)) return undefined;
  const traceId = h.slice(3, 35);
  const spanId = h.slice(36, 52);
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(h.slice(53, 55), 16) & 1) === 1 };
}

const DASH = 45;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const boundedString = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

/** True when `value` has the shape of a {@link Principal}, within sane bounds; used on principals read off the wire. */
export function isPrincipal(value: unknown): value is Principal {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    (p.kind === 'user' || p.kind === 'client' || p.kind === 'service') &&
    boundedString(p.id, 64) &&
    (p.clientId === undefined || boundedString(p.clientId, 64)) &&
    Array.isArray(p.scopes) &&
    p.scopes.length <= 16 &&
    p.scopes.every((s) => boundedString(s, 32))
  );
}
