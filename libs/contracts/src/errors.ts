/** Every error code that crosses the bus, in both transports; the gateway maps each to one HTTP status. */
export const ErrorCodes = [
  'bad_request',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'precondition_failed',
  'rate_limited',
  'timeout',
  'unavailable',
  'internal',
] as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** One failed validation rule: `amount` broke `isInt`. */
export interface FieldViolation {
  /** Dotted path of the field, e.g. `merchant.name` or `items.0.amount`. */
  readonly field: string;
  /** The class-validator constraint name, e.g. `isInt`, `whitelistValidation`. */
  readonly rule: string;
  readonly message: string;
}

/** Extra, machine-readable facts about an error. */
export interface ErrorDetails {
  /** Validation failures, one per field and rule. */
  readonly fields?: readonly FieldViolation[];
  readonly [key: string]: unknown;
}

/** The one error shape that crosses every transport. */
export interface ErrorEnvelope {
  readonly code: ErrorCode;
  /**
   * A finer reason under the code, such as `missing_param` or `insufficient_funds`; the gateway renders
   * `code.reason` the way Monzo's API does (`bad_request.missing_param`).
   */
  readonly reason?: string;
  readonly message: string;
  readonly details?: ErrorDetails;
}

/** One way a call can fail, declared in the contract of the context that fails it: a code and a reason. */
export interface ErrorReason<R extends string = string> {
  readonly code: ErrorCode;
  readonly reason: R;
  /** The same call, made again later, may succeed (its callee was busy or away); otherwise it fails the same way. */
  readonly retryable: boolean;
}

type Declaration = readonly [code: ErrorCode, reason: string, retryable?: 'retryable'];

const declaredReasons = new Map<string, ErrorReason>();

/**
 * Declares a context's failure reasons by name, e.g. `{ insufficientFunds: ['conflict', 'insufficient_funds'] }`:
 * the side that fails a call and the side that reads the failure use the same constant, not a string each.
 */
export function errorReasons<const T extends Record<string, Declaration>>(declared: T): { readonly [K in keyof T]: ErrorReason<T[K][1]> } {
  const reasons: Record<string, ErrorReason> = {};
  for (const [name, [code, reason, retryable]] of Object.entries(declared)) {
    const known = declaredReasons.get(`${code}.${reason}`);
    const reasonOf: ErrorReason = { code, reason, retryable: retryable === 'retryable' };
    // Two contexts may fail with the same reason (currency_mismatch); it must mean the same to a caller.
    if (known !== undefined && known.retryable !== reasonOf.retryable)
      throw new Error(`${code}.${reason} is declared both retryable and not`);
    declaredReasons.set(`${code}.${reason}`, reasonOf);
    reasons[name] = reasonOf;
  }
  return reasons as { readonly [K in keyof T]: ErrorReason<T[K][1]> };
}

/** The declaration of a reason, from its code and reason as they arrive off the wire; undefined if undeclared. */
export function declaredReason(code: ErrorCode, reason: string | undefined): ErrorReason | undefined {
  return reason === undefined ? undefined : declaredReasons.get(`${code}.${reason}`);
}

/** How the platform itself fails a call (the bus, validation, idempotency), whichever context it was for. */
export const PlatformErrors = errorReasons({
  /** A field missing from a request, or one that breaks its rules; `details.fields` names each. */
  missingParam: ['bad_request', 'missing_param'],
  badParam: ['bad_request', 'bad_param'],
  /** The callee's process has as many requests from other processes in hand as it takes. */
  overloaded: ['unavailable', 'overloaded', 'retryable'],
  /** The caller's circuit to the context is open after failures; it is probed again shortly. */
  circuitOpen: ['unavailable', 'circuit_open', 'retryable'],
  /** The caller has as many calls to the context in flight as it allows. */
  bulkheadFull: ['unavailable', 'bulkhead_full', 'retryable'],
  natsDisconnected: ['unavailable', 'nats_disconnected', 'retryable'],
  /** No instance of the context is running. */
  noResponders: ['unavailable', 'no_responders', 'retryable'],
  /** The caller's contract doesn't list the pattern, or NATS refused the publish. */
  notPermitted: ['forbidden', 'not_permitted'],
  missingScope: ['forbidden', 'missing_scope'],
  unknownPattern: ['bad_request', 'unknown_pattern'],
  unknownEvent: ['bad_request', 'unknown_event'],
  badJson: ['bad_request', 'bad_json'],
  badHeader: ['bad_request', 'bad_header'],
  /** A principal not sealed by the gateway's key for this call tree. */
  badPrincipal: ['unauthenticated', 'bad_principal'],
  missingIdempotencyKey: ['bad_request', 'missing_idempotency_key'],
  idempotencyKeyReused: ['conflict', 'idempotency_key_reused'],
  replayFailed: ['conflict', 'replay_failed'],
  /** The answer is larger than NATS carries in one message (its max_payload): asked again for less, it fits. */
  replyTooLarge: ['bad_request', 'reply_too_large'],
});
