/** The NATS subject a request pattern is served on. */
export const requestSubject = (prefix: string, pattern: string): string => `${prefix}.req.${pattern}`;

/** The NATS subject an event is published on. */
export const eventSubject = (prefix: string, event: string): string => `${prefix}.evt.${event}`;

/** Header names of the call context on the wire (DESIGN §4). */
export const Headers = {
  Traceparent: 'traceparent',
  /** Milliseconds left when the message was sent: a budget, not a clock reading, so skew between hosts can't eat it. */
  TimeoutMs: 'cleave-timeout-ms',
  RequestId: 'cleave-request-id',
  Principal: 'cleave-principal',
  IdempotencyKey: 'idempotency-key',
  /** Set on error replies, as the NATS micro-services protocol does; the body is the error envelope. */
  ServiceErrorCode: 'Nats-Service-Error-Code',
  ServiceError: 'Nats-Service-Error',
} as const;
