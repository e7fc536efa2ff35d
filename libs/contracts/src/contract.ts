/** The runtime handle of a DTO class: what the receiving side validates and instantiates. */
export type DtoClass<T extends object = object> = new () => T;

/**
 * A query only reads and may be retried freely; a command changes state and is retried only when it
 * carries an idempotency key.
 */
export type CallKind = 'query' | 'command';

/** A request/reply operation: its request DTO class, and its reply type carried for the compiler. */
export interface RequestSpec<Req extends object = object, Rep = unknown> {
  readonly kind: CallKind;
  readonly request: DtoClass<Req>;
  /** Never set at run time; holds the reply type so calls are checked by the compiler. */
  readonly reply?: Rep;
}

/** An event: the DTO class of its payload. */
export interface EventSpec<P extends object = object> {
  readonly payload: DtoClass<P>;
}

/** Declares a read-only operation: `query(GetBalanceRequest).returns<BalanceReply>()`. */
export const query = <Req extends object>(request: DtoClass<Req>) => ({
  returns: <Rep>(): RequestSpec<Req, Rep> => ({ kind: 'query', request }),
});

/** Declares a state-changing operation: `command(OpenAccountRequest).returns<AccountView>()`. */
export const command = <Req extends object>(request: DtoClass<Req>) => ({
  returns: <Rep>(): RequestSpec<Req, Rep> => ({ kind: 'command', request }),
});

/** Declares an event and its payload class. */
export const event = <P extends object>(payload: DtoClass<P>): EventSpec<P> => ({ payload });

/** Pattern name → operation. */
export type RequestMap = Readonly<Record<string, RequestSpec<any, any>>>;

/** Event name → payload. */
export type EventMap = Readonly<Record<string, EventSpec<any>>>;

/** The request DTO of pattern `P` in map `M`. */
export type RequestOf<M extends RequestMap, P extends keyof M> =
  M[P] extends RequestSpec<infer Req, any> ? Req : never;

/** The reply of pattern `P` in map `M`. */
export type ReplyOf<M extends RequestMap, P extends keyof M> =
  M[P] extends RequestSpec<any, infer Rep> ? Rep : never;

/** The payload of event `E` in map `M`. */
export type PayloadOf<M extends EventMap, E extends keyof M> =
  M[E] extends EventSpec<infer P> ? P : never;
