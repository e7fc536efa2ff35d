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
