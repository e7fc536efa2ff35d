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
