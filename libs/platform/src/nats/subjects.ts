import { contextOf } from '../bus/names';

/** The NATS subject a request pattern is served on. */
export const requestSubject = (prefix: string, pattern: string): string => `${prefix}.req.${pattern}`;

/** The NATS subject an event is published on. */
export const eventSubject = (prefix: string, event: string): string => `${prefix}.evt.${event}`;

/**
 * The narrowest subject covering the events a context's durable consumer reads: one event, one
 * publisher's events, or all. Its NATS permissions allow making the consumer with this filter alone.
 */
export function consumerFilter(prefix: string, events: readonly string[]): string {
  const distinct = [...new Set(events)];
  if (distinct.length === 1) return eventSubject(prefix, distinct[0]!);
  const publishers = new Set(distinct.map(contextOf));
  return publishers.size === 1 ? `${prefix}.evt.${[...publishers][0]}.>` : `${prefix}.evt.>`;
}

/** The JetStream stream a deployment's events live in. */
export const eventStreamName = (prefix: string): string => `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_EVENTS`;

/**
 * Where a process's replies arrive: `_INBOX.<prefix>.<role>.…`. The generated NATS permissions let a role
 * subscribe under its own prefix only, so no other service can read the answers it gets.
 */
export const inboxPrefix = (prefix: string, role: string): string => `_INBOX.${prefix}.${role}`;

/** True for a reply subject a service may answer on: an inbox, never a subject of the bus or the JetStream API. */
export const isInbox = (subject: string | undefined): subject is string =>
  subject !== undefined && subject.startsWith('_INBOX.') && !subject.includes('*') && !subject.includes('>');

/** Header names of the call context on the wire. */
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
