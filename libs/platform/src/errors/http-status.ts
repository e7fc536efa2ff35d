import type { ErrorCode } from '@cleave/contracts';

/** The HTTP status of each error code; also the `Nats-Service-Error-Code` of error replies. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};
