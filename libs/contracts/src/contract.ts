/** The runtime handle of a DTO class: what the receiving side validates and instantiates. */
export type DtoClass<T extends object = object> = new () => T;

/**
 * A query only reads and may be retried freely; a command changes state and is retried only when it
 * carries an idempotency key.
 */
export type CallKind = 'query' | 'command';

/**
 * An authority a call's principal must hold: `customer` (a customer's access token), `network` (the card
 * network's credential) or `admin` (an operator's). Only the gateway vouches for principals, so only calls
 * that started at the gateway carry any of them.
 */
export type Scope = 'customer' | 'network' | 'admin';

/** A request/reply operation: its request DTO class, and its reply type carried for the compiler. */
export interface RequestSpec<Req extends object = object, Rep = unknown> {
  readonly kind: CallKind;
  readonly request: DtoClass<Req>;
  /** The scope the call's principal must have; without it, service calls (no principal) are served too. */
  readonly requires?: Scope;
  /** Never set at run time; holds the reply type so calls are checked by the compiler. */
  readonly reply?: Rep;
}

/** How an operation is guarded. */
export interface RequestOptions {
  readonly requires?: Scope;
}

/** An event: the DTO class of its payload. */
export interface EventSpec<P extends object = object> {
  readonly payload: DtoClass<P>;
}

/** Declares a read-only operation: `query(GetBalanceRequest).returns<BalanceReply>()`. */
export const query = <Req extends object>(request: DtoClass<Req>) => ({
  returns: <Rep>(options: RequestOptions = {}): RequestSpec<Req, Rep> => ({ kind: 'query', request, ...options }),
});

/** Declares a state-changing operation: `command(OpenAccountRequest).returns<AccountView>()`. */
export const command = <Req extends object>(request: DtoClass<Req>) => ({
  returns: <Rep>(options: RequestOptions = {}): RequestSpec<Req, Rep> => ({ kind: 'command', request, ...options }),
});

/** Declares an event and its payload class. */
export const event = <P extends object>(payload: DtoClass<P>): EventSpec<P> => ({ payload });

/**
 * What a context does on the bus besides answering its own patterns and publishing its own events. It is
 * the context's whole licence: the bus refuses a call that is not listed, the server refuses an event
 * handler that is not listed, and the NATS permissions of a split deployment are generated from it.
 */
export interface ContextDependencies {
  /** Other contexts' request patterns it sends. */
  readonly calls: readonly string[];
  /** Events it handles once per context, durably (its replicas share them). */
  readonly consumes: readonly string[];
  /** Events every replica handles, live and best effort (state in process memory). */
  readonly observes: readonly string[];
}

/** Declares a context's {@link ContextDependencies}; what is left out is empty. */
export const dependencies = (d: Partial<ContextDependencies>): ContextDependencies => ({ calls: [], consumes: [], observes: [], ...d });

/** Context name → what it depends on. */
export type DependencyMap = Readonly<Record<string, ContextDependencies>>;

/** Pattern name → operation. */
export type RequestMap = Readonly<Record<string, RequestSpec<any, any>>>;

/** Event name → payload. */
export type EventMap = Readonly<Record<string, EventSpec<any>>>;

/** The request DTO of pattern `P` in map `M`. */
export type RequestOf<M extends RequestMap, P extends keyof M> = M[P] extends RequestSpec<infer Req, any> ? Req : never;

/** The reply of pattern `P` in map `M`. */
export type ReplyOf<M extends RequestMap, P extends keyof M> = M[P] extends RequestSpec<any, infer Rep> ? Rep : never;

/** The payload of event `E` in map `M`. */
export type PayloadOf<M extends EventMap, E extends keyof M> = M[E] extends EventSpec<infer P> ? P : never;
