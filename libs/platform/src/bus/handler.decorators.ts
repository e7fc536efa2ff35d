import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { CleaveEvents, CleaveRequests, EventMap, RequestMap } from '@cleave/contracts';

/** Marks a method as the handler of a request pattern: `@Handles(LedgerPatterns.GetBalance)`. */
export function Handles<M extends RequestMap = CleaveRequests>(pattern: keyof M & string) {
  return MessagePattern(pattern);
}

/** Extras of an event handler: the context it runs for, which names its consumer group. */
export interface EventHandlerExtras {
  readonly context: string;
  /**
   * `every-replica`: each running replica of the context gets the event, live and best effort (no retries,
   * nothing kept for a replica that is down): for in-memory state such as caches and open streams.
   */
  readonly delivery?: 'once-per-context' | 'every-replica';
}

/**
 * Marks a method as a handler of an event on behalf of a context: by default each subscribing context gets
 * every event once, durably, shared among that context's replicas.
 */
export function OnEvent<M extends EventMap = CleaveEvents>(event: keyof M & string, extras: EventHandlerExtras) {
  return EventPattern(event, { ...extras });
}
