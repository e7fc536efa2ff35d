import { RpcException } from '@nestjs/microservices';
import {
  declaredReason,
  ErrorCodes,
  type ErrorCode,
  type ErrorDetails,
  type ErrorEnvelope,
  type ErrorReason,
  type FieldViolation,
} from '@cleave/contracts';

const knownCodes: ReadonlySet<string> = new Set(ErrorCodes);
const REASON = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_MESSAGE = 1_000;

/** True when `value` is one of the error codes of the contracts. */
export const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && knownCodes.has(value);

/** True when `value` has the shape of an {@link ErrorEnvelope}. */
export const isErrorEnvelope = (value: unknown): value is ErrorEnvelope =>
  typeof value === 'object' &&
  value !== null &&
  isErrorCode((value as ErrorEnvelope).code) &&
  typeof (value as ErrorEnvelope).message === 'string';

export interface CleaveErrorOptions {
  readonly reason?: string;
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

/**
 * The one error type of the bus: the same code and envelope on both sides of every transport. It extends
 * Nest's RpcException so Nest's RPC exception filter passes its envelope through untouched.
 */
export class CleaveError extends RpcException {
  readonly code: ErrorCode;
  readonly reason?: string;
  readonly details?: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: CleaveErrorOptions = {}) {
    const envelope: ErrorEnvelope = {
      code,
      message,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.details === undefined ? {} : { details: options.details }),
    };
    super(envelope);
    this.name = 'CleaveError';
    this.code = code;
    this.reason = options.reason;
    this.details = options.details;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** Fails a call for a reason its context's contract declares. */
  static of(declared: ErrorReason, message: string, details?: ErrorDetails): CleaveError {
    return new CleaveError(declared.code, message, { reason: declared.reason, details });
  }

  /** Fails a call for a declared reason one field gives; the message is the field's unless told otherwise. */
  static ofField(declared: ErrorReason, violation: FieldViolation, message = violation.message): CleaveError {
    return CleaveError.of(declared, message, { fields: [violation] });
  }

  /** True when this is the declared failure, as raised here or rebuilt off the wire. */
  is(declared: ErrorReason): boolean {
    return this.code === declared.code && this.reason === declared.reason;
  }

  /**
   * Whether the same call, made again later, may succeed: as its reason is declared, or else for a timeout
   * or an unavailable callee. A wrong request fails the same way however often it is sent.
   */
  get retryable(): boolean {
    return declaredReason(this.code, this.reason)?.retryable ?? (this.code === 'timeout' || this.code === 'unavailable');
  }

  /** The wire form of this error. */
  toEnvelope(): ErrorEnvelope {
    return this.getError() as ErrorEnvelope;
  }

  /**
   * Rebuilds an error received from a transport; anything unrecognisable becomes `internal`. What came off
   * the wire is bounded: a long message is cut, and a reason or details of the wrong shape are dropped.
   */
  static fromEnvelope(value: unknown): CleaveError {
    if (!isErrorEnvelope(value)) return new CleaveError('internal', 'internal error');
    const reason = typeof value.reason === 'string' && REASON.test(value.reason) ? value.reason : undefined;
    const details = wellFormedDetails(value.details);
    return new CleaveError(value.code, value.message.slice(0, MAX_MESSAGE), { reason, details });
  }

  // A failure with a reason is raised with `of`, from the reason its context's contract declares; these are
  // the failures that need none.
  static badRequest(message: string): CleaveError {
    return new CleaveError('bad_request', message);
  }

  static notFound(message: string): CleaveError {
    return new CleaveError('not_found', message);
  }

  static timeout(message: string): CleaveError {
    return new CleaveError('timeout', message);
  }

  static unavailable(message: string): CleaveError {
    return new CleaveError('unavailable', message);
  }

  static internal(message = 'internal error', cause?: unknown): CleaveError {
    return new CleaveError('internal', message, { cause });
  }
}

/** Details off the wire, kept only in their declared shape: an object whose `fields`, if any, are violations. */
function wellFormedDetails(details: unknown): ErrorDetails | undefined {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return undefined;
  const fields = (details as { fields?: unknown }).fields;
  if (fields === undefined) return details as ErrorDetails;
  const violation = (f: unknown) =>
    typeof f === 'object' && f !== null && ['field', 'rule', 'message'].every((k) => typeof (f as Record<string, unknown>)[k] === 'string');
  return Array.isArray(fields) && fields.length <= 100 && fields.every(violation)
    ? (details as ErrorDetails)
    : { ...details, fields: undefined };
}

/**
 * Turns whatever a handler failed with into a CleaveError. Typed errors keep their envelope; anything else
 * becomes `internal` with a fixed message, so an exception's text never leaks to a caller.
 */
export function toCleaveError(error: unknown): CleaveError {
  if (error instanceof CleaveError) return error;
  if (error instanceof RpcException && isErrorEnvelope(error.getError())) {
    return CleaveError.fromEnvelope(error.getError());
  }
  if (isErrorEnvelope(error)) return CleaveError.fromEnvelope(error);
  return CleaveError.internal('internal error', error);
}
