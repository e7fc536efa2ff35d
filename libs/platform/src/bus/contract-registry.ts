import type { EventMap, EventSpec, RequestMap, RequestSpec } from '@cleave/contracts';
import { decoderFor, type DtoDecoder } from '../validation/dto-decoder';

/** The patterns and events a deployment knows, usually `CleaveRequests` and `CleaveEvents`. */
export interface ContractSet {
  readonly requests: RequestMap;
  readonly events: EventMap;
}

/** A request pattern with what the bus needs to route and decode it. */
export interface RequestRoute {
  readonly pattern: string;
  /** The context that answers it: the pattern's first segment. */
  readonly context: string;
  readonly spec: RequestSpec;
  readonly decoder: DtoDecoder<object>;
}

/** An event with what the bus needs to decode it. */
export interface EventRoute {
  readonly event: string;
  /** The context that publishes it. */
  readonly context: string;
  readonly spec: EventSpec;
  readonly decoder: DtoDecoder<object>;
}

// Dots only as separators: NATS splits subjects on them, and the first segment names the context.
const REQUEST_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/;
const EVENT_NAME = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$/;

/** Every pattern and event of the deployment, checked and compiled once at start-up. */
export class ContractRegistry {
  private readonly requests = new Map<string, RequestRoute>();
  private readonly events = new Map<string, EventRoute>();

  constructor(contracts: ContractSet) {
    for (const [pattern, spec] of Object.entries(contracts.requests)) {
      if (!REQUEST_PATTERN.test(pattern)) {
        throw new Error(`request pattern '${pattern}' must look like '<context>.<verb-noun>'`);
      }
      this.requests.set(pattern, { pattern, context: contextOf(pattern), spec, decoder: decoderFor(spec.request) });
    }
    for (const [event, spec] of Object.entries(contracts.events)) {
      if (!EVENT_NAME.test(event)) {
        throw new Error(`event name '${event}' must look like '<context>.<noun-past-tense>.v<N>'`);
      }
      this.events.set(event, { event, context: contextOf(event), spec, decoder: decoderFor(spec.payload) });
    }
  }

  request(pattern: string): RequestRoute | undefined {
    return this.requests.get(pattern);
  }

  event(name: string): EventRoute | undefined {
    return this.events.get(name);
  }

  /** The request patterns a context answers. */
  patternsOf(context: string): string[] {
    return [...this.requests.values()].filter((r) => r.context === context).map((r) => r.pattern);
  }

  /** Every context that answers at least one pattern or publishes an event. */
  contexts(): string[] {
    return [...new Set([...this.requests.values(), ...this.events.values()].map((r) => r.context))];
  }
}

/** The context a pattern or event belongs to: its first dot-separated segment. */
export function contextOf(patternOrEvent: string): string {
  const dot = patternOrEvent.indexOf('.');
  return dot === -1 ? patternOrEvent : patternOrEvent.slice(0, dot);
}
