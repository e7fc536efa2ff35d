import { formatTraceparent, type CallContext } from '../context/call-context';

/** An event as it travels: its id, name, time and the context it was raised in, around its payload. */
export interface EventEnvelope {
  /** Unique; a redelivery carries the same one (JetStream deduplicates publishes by it, inboxes by it). */
  readonly id: string;
  /** Versioned name, e.g. `cards.authorisation-approved.v1`. */
  readonly event: string;
  /** ISO 8601. */
  readonly time: string;
  readonly aggregateId: string;
  readonly payload: unknown;
  readonly traceparent?: string;
  readonly requestId?: string;
}

/** The trace and request id an event carries from the call that raised it. */
export function envelopeContext(context: CallContext | undefined): Pick<EventEnvelope, 'traceparent' | 'requestId'> {
  if (!context) return {};
  return { traceparent: formatTraceparent(context), requestId: context.requestId };
}
