import type { ContextDependencies, DependencyMap, EventMap, EventSpec, RequestMap, RequestSpec } from '@cleave/contracts';
import { decoderFor, type DtoDecoder } from '../validation/dto-decoder';
import { contextOf } from './names';

/** The patterns and events a deployment knows, and what each context depends on (`CleaveRequests`, …). */
export interface ContractSet {
  readonly requests: RequestMap;
  readonly events: EventMap;
  /** Context → the patterns it calls and the events it handles; a context left out does neither. */
  readonly dependencies: DependencyMap;
}

const NO_DEPENDENCIES: ContextDependencies = Object.freeze({ calls: [], consumes: [], observes: [] });

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
  private readonly dependencies: DependencyMap;

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
    this.dependencies = contracts.dependencies;
    const problems: string[] = [];
    for (const [context, d] of Object.entries(this.dependencies)) {
      for (const pattern of d.calls) {
        if (!this.requests.has(pattern)) problems.push(`${context} calls ${pattern}, which no contract declares`);
        else if (contextOf(pattern) === context) problems.push(`${context} lists its own pattern ${pattern} as a call`);
      }
      for (const event of [...d.consumes, ...d.observes]) {
        if (!this.events.has(event)) problems.push(`${context} handles ${event}, which no contract declares`);
      }
    }
    if (problems.length > 0) throw new Error(`the contracts' dependencies are wrong:\n  ${problems.join('\n  ')}`);
  }

  /** What a context calls and handles. */
  dependenciesOf(context: string): ContextDependencies {
    return this.dependencies[context] ?? NO_DEPENDENCIES;
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

  /** The events a context publishes. */
  eventsOf(context: string): string[] {
    return [...this.events.values()].filter((e) => e.context === context).map((e) => e.event);
  }

  /** Every context that answers at least one pattern, publishes an event or declares dependencies. */
  contexts(): string[] {
    return [...new Set([...[...this.requests.values(), ...this.events.values()].map((r) => r.context), ...Object.keys(this.dependencies)])];
  }
}
